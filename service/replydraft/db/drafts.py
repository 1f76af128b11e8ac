"""Drafts, their audit events and the policy rules that fired on them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from replydraft.db.models import Draft, DraftEvent, PolicyHit
from replydraft.db.types import utcnow
from replydraft.drafting.models import DraftRequest, DraftResult
from replydraft.policy.models import Violation


def new_draft_id() -> str:
    return f"dr_{secrets.token_hex(12)}"


def _intent_tags(intents: Iterable[str]) -> str:
    return "," + ",".join(intents) + "," if intents else ","


def insert_draft(
    *,
    session: Session,
    request: DraftRequest,
    result: DraftResult,
    actor: str,
    draft_id: str | None = None,
) -> Draft:
    """Add a pending draft with its ``created`` event and the rules the filter applied."""
    intents = [score.intent for score in sorted(result.intents, key=lambda s: -s.confidence)]
    draft = Draft(
        id=draft_id or new_draft_id(),
        status="pending",
        conversation_id=request.conversation_id,
        created_by=actor,
        created_at=utcnow(),
        language=result.language,
        backend=result.backend,
        primary_intent=intents[0] if intents else "other",
        intents=_intent_tags(intents),
        fallback_reason=result.fallback_reason,
        text=result.text,
        request=request.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
    )
    session.add(draft)
    session.flush()
    add_event(session=session, draft_id=draft.id, kind="created", actor=actor,
              after_text=result.text, policy=result.policy.model_dump(mode="json"))
    add_policy_hits(session=session, draft_id=draft.id, stage="draft",
                    violations=result.policy.violations)
    return draft


def get_draft(*, session: Session, draft_id: str) -> Draft | None:
    return session.scalars(select(Draft).where(Draft.id == draft_id)).one_or_none()


MAX_SEQ = 2**31 - 1  # Draft.seq is an Integer: 32 bits on PostgreSQL


def list_drafts(
    *,
    session: Session,
    limit: int,
    status: str | None = None,
    agent: str | None = None,
    intent: str | None = None,
    before_seq: int | None = None,
) -> list[Draft]:
    """Newest first; ``before_seq`` continues after the last row of the previous page."""
    query: Select[Draft] = select(Draft).order_by(Draft.seq.desc()).limit(limit)
    if status:
        query = query.where(Draft.status == status)
    if agent:
        query = query.where((Draft.created_by == agent) | (Draft.decided_by == agent))
    if intent:
        query = query.where(Draft.intents.contains(f",{intent},", autoescape=True))
    # A position past the largest seq the column holds (32 bits on PostgreSQL) bounds nothing;
    # binding it would overflow the driver (SQLite) or the column type (PostgreSQL).
    if before_seq is not None and before_seq <= MAX_SEQ:
        query = query.where(Draft.seq < before_seq)
    return list(session.scalars(query))


def decide_draft(
    *,
    session: Session,
    draft_id: str,
    status: str,
    actor: str,
    **fields: Any,
) -> bool:
    """Move a pending draft to ``status``; False when it was no longer pending.

    A conditional UPDATE (``WHERE status = 'pending'``) rather than read-then-write: when two
    agents decide at once, the database lets exactly one row change and the other sees 0 rows.
    """
    outcome = session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.status == "pending")
        .values(status=status, decided_by=actor, decided_at=utcnow(), **fields)
        .execution_options(synchronize_session=False)
    )
    return outcome.rowcount == 1  # type: ignore[attr-defined]


def add_event(
    *,
    session: Session,
    draft_id: str,
    kind: str,
    actor: str,
    before_text: str | None = None,
    after_text: str | None = None,
    policy: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> DraftEvent:
    event = DraftEvent(draft_id=draft_id, kind=kind, actor=actor, at=at or utcnow(),
                       before_text=before_text, after_text=after_text, policy=policy,
                       detail=detail)
    session.add(event)
    return event


def add_policy_hits(
    *, session: Session, draft_id: str, stage: str, violations: Iterable[Violation]
) -> None:
    now = utcnow()
    session.add_all(
        PolicyHit(draft_id=draft_id, stage=stage, rule=v.rule, category=v.category,
                  action=v.action, at=now)
        for v in violations
    )


def list_events(*, session: Session, draft_id: str) -> list[DraftEvent]:
    query = select(DraftEvent).where(DraftEvent.draft_id == draft_id).order_by(DraftEvent.id)
    return list(session.scalars(query))
