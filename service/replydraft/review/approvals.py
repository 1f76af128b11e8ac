"""Drafts held for an agent's decision: create (idempotently), approve (with edit, policy re-check
and supervisor override), reject. Every step writes its audit event in the same transaction."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from replydraft.db import drafts as draft_rows
from replydraft.db import idempotency
from replydraft.db.models import Draft, DraftEvent
from replydraft.drafting.backend import StreamEvent
from replydraft.drafting.models import DraftRequest, DraftResult
from replydraft.errors import (
    DraftStateConflict,
    FieldProblem,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PolicyViolation,
)
from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Language, Platform
from replydraft.policy.models import PolicyResult
from replydraft.review.access import Permission, Principal
from replydraft.review.editdistance import levenshtein

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class DraftWriter(Protocol):
    """What the API needs of ``replydraft.drafting.drafter.Drafter``."""

    def draft(self, request: DraftRequest) -> DraftResult: ...

    def stream(self, request: DraftRequest) -> Iterator[StreamEvent]: ...


class PolicyCheck(Protocol):
    def __call__(self, text: str, *, language: Language | None = None,
                 platform: Platform | None = None,
                 store: StoreProfile | None = None) -> PolicyResult: ...


class ReviewObserver(Protocol):
    """Told about outcomes, e.g. to count them for /metrics."""

    def draft_created(self, result: DraftResult) -> None: ...

    def draft_decided(self, outcome: str) -> None: ...

    def text_checked(self, policy: PolicyResult, *, stage: str) -> None: ...


class _NoObserver:
    def draft_created(self, result: DraftResult) -> None:
        return None

    def draft_decided(self, outcome: str) -> None:
        return None

    def text_checked(self, policy: PolicyResult, *, stage: str) -> None:
        return None


NO_OBSERVER: ReviewObserver = _NoObserver()


@dataclass(frozen=True)
class StoredDraft:
    draft: Draft
    created: bool  # False when an Idempotency-Key replayed an earlier draft


# ------------------------------------------------------------------------------ create


def body_fingerprint(request: DraftRequest) -> str:
    """Same meaning, same hash: key order and whitespace of the JSON body do not matter."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_idempotency_key(key: str) -> None:
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("invalid Idempotency-Key", field_errors=[FieldProblem(
            "header.Idempotency-Key", "1-255 visible ASCII characters, no spaces")])


def find_replay(
    *, session: Session, actor: Principal, key: str | None, request: DraftRequest
) -> Draft | None:
    """The draft an earlier request with this key produced; 409 if its body was different."""
    if key is None:
        return None
    _check_idempotency_key(key)
    row = idempotency.get_idempotency_key(session=session, actor=actor.name, key=key)
    if row is None:
        return None
    if row.body_hash != body_fingerprint(request):
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was already used with a different request body; "
            f"use a new key for a new request")
    return draft_rows.get_draft(session=session, draft_id=row.draft_id)


def store_draft(
    *,
    session: Session,
    request: DraftRequest,
    result: DraftResult,
    actor: Principal,
    idempotency_key: str | None = None,
    observer: ReviewObserver = NO_OBSERVER,
) -> StoredDraft:
    """Save a drafter result as a pending draft. If a concurrent request with the same
    Idempotency-Key won the race, return its draft and drop this one."""
    draft = draft_rows.insert_draft(session=session, request=request, result=result,
                                    actor=actor.name)
    if idempotency_key is not None:
        idempotency.insert_idempotency_key(session=session, actor=actor.name,
                                           key=idempotency_key,
                                           body_hash=body_fingerprint(request),
                                           draft_id=draft.id)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = find_replay(session=session, actor=actor, key=idempotency_key, request=request)
        if winner is None:
            raise
        return StoredDraft(winner, created=False)
    observer.draft_created(result)
    return StoredDraft(draft, created=True)


def create_draft(
    *,
    session: Session,
    drafter: DraftWriter,
    request: DraftRequest,
    actor: Principal,
    idempotency_key: str | None = None,
    observer: ReviewObserver = NO_OBSERVER,
) -> StoredDraft:
    actor.require(Permission.CREATE_DRAFTS)
    replay = find_replay(session=session, actor=actor, key=idempotency_key, request=request)
    if replay is not None:
        return StoredDraft(replay, created=False)
    # Release the read snapshot before the slow drafting work.
    session.rollback()
    result = drafter.draft(request)
    return store_draft(session=session, request=request, result=result, actor=actor,
                       idempotency_key=idempotency_key, observer=observer)


@dataclass(frozen=True)
class StreamItem:
    """One step of a streamed draft: a filtered sentence, the stored draft, or an error."""

    text: str | None = None
    draft: Draft | None = None
    error: str | None = None


def stream_draft(
    *,
    open_session: Callable[[], AbstractContextManager[Session]],
    drafter: DraftWriter,
    request: DraftRequest,
    actor: Principal,
    idempotency_key: str | None = None,
    observer: ReviewObserver = NO_OBSERVER,
) -> Iterator[StreamItem]:
    """Relay the drafter's filtered sentences, then store the complete draft as pending.

    Checks (permission, Idempotency-Key replay or conflict) happen now, before the caller starts
    a streaming response; the returned iterator does the drafting.
    """
    actor.require(Permission.CREATE_DRAFTS)
    with open_session() as session:
        replay = find_replay(session=session, actor=actor, key=idempotency_key, request=request)
    if replay is not None:
        return iter([StreamItem(draft=replay)])
    return _relay(open_session=open_session, drafter=drafter, request=request, actor=actor,
                  idempotency_key=idempotency_key, observer=observer)


def _relay(
    *,
    open_session: Callable[[], AbstractContextManager[Session]],
    drafter: DraftWriter,
    request: DraftRequest,
    actor: Principal,
    idempotency_key: str | None,
    observer: ReviewObserver,
) -> Iterator[StreamItem]:
    # Runs while the HTTP response streams, so it opens its own sessions rather than borrowing
    # the request's.
    for event in drafter.stream(request):
        if event.kind == "sentence" and event.text:
            yield StreamItem(text=event.text)
        elif event.kind == "done" and event.result is not None:
            with open_session() as session:
                stored = store_draft(session=session, request=request, result=event.result,
                                     actor=actor, idempotency_key=idempotency_key,
                                     observer=observer)
            yield StreamItem(draft=stored.draft)
            return
        elif event.kind == "error":
            yield StreamItem(error=event.error or "the drafter failed")
            return


# ------------------------------------------------------------------------------ read


def get_draft(*, session: Session, draft_id: str, actor: Principal) -> Draft:
    actor.require(Permission.READ_DRAFTS)
    draft = draft_rows.get_draft(session=session, draft_id=draft_id)
    if draft is None:
        raise NotFound(f"no draft with id {draft_id!r}")
    return draft


@dataclass(frozen=True)
class DraftPage:
    drafts: list[Draft]
    next_cursor: str | None


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("cursor position must be a non-negative integer")
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidInput("invalid cursor", field_errors=[FieldProblem(
            "query.cursor", "pass back the next_cursor of a previous page unchanged")]) from error
    return value


def list_drafts(
    *,
    session: Session,
    actor: Principal,
    limit: int,
    status: str | None = None,
    agent: str | None = None,
    intent: str | None = None,
    cursor: str | None = None,
) -> DraftPage:
    """Newest first. The cursor is opaque to callers; it remembers the last row's position, so
    drafts created while paging do not shift later pages."""
    actor.require(Permission.READ_DRAFTS)
    before = _decode_cursor(cursor) if cursor else None
    rows = draft_rows.list_drafts(session=session, limit=limit + 1, status=status, agent=agent,
                                  intent=intent, before_seq=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return DraftPage(rows, _encode_cursor(rows[-1].seq) if more else None)


def list_events(*, session: Session, draft_id: str, actor: Principal) -> list[DraftEvent]:
    get_draft(session=session, draft_id=draft_id, actor=actor)
    return draft_rows.list_events(session=session, draft_id=draft_id)


# ------------------------------------------------------------------------------ decide


def _pending_draft(*, session: Session, draft_id: str, actor: Principal) -> Draft:
    draft = get_draft(session=session, draft_id=draft_id, actor=actor)
    if draft.status != "pending":
        raise DraftStateConflict(
            f"draft {draft_id} is already {draft.status} by {draft.decided_by}; "
            f"a draft is decided once")
    return draft


def _platform_of(draft: Draft, store: StoreProfile | None) -> Platform | None:
    platform = draft.request.get("platform")
    if platform is not None:
        return cast(Platform, platform)
    return store.platform if store is not None else None


def _conflict_after_race(draft_id: str) -> DraftStateConflict:
    return DraftStateConflict(f"draft {draft_id} was decided by someone else a moment ago")


def _block_edit(*, session: Session, draft: Draft, actor: Principal, final: str,
                policy: PolicyResult) -> PolicyViolation:
    # A blocked attempt is part of the audit trail too: supervisors want to see them.
    draft_rows.add_event(session=session, draft_id=draft.id, kind="blocked", actor=actor.name,
                         before_text=draft.text, after_text=final,
                         policy=policy.model_dump(mode="json"))
    draft_rows.add_policy_hits(session=session, draft_id=draft.id, stage="blocked",
                               violations=policy.violations)
    session.commit()
    categories = sorted({v.category for v in policy.violations})
    return PolicyViolation(
        f"the approved text would send forbidden content ({', '.join(categories)}); change the "
        f"text, or a supervisor may approve it with an override_reason",
        violations=[v.model_dump(mode="json") for v in policy.violations])


def approve_draft(
    *,
    session: Session,
    draft_id: str,
    actor: Principal,
    check: PolicyCheck,
    store: StoreProfile | None,
    text: str | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    observer: ReviewObserver = NO_OBSERVER,
) -> Draft:
    """Approve, optionally with the agent's edit. The final text is filtered again; a violation
    blocks the approval unless a supervisor overrides it with a reason."""
    actor.require(Permission.DECIDE_DRAFTS)
    if override_reason is not None:
        actor.require(Permission.OVERRIDE_POLICY)
    draft = _pending_draft(session=session, draft_id=draft_id, actor=actor)
    final = draft.text if text is None else text
    edited = final != draft.text
    policy = check(final, language=draft.language,  # type: ignore[arg-type]
                   platform=_platform_of(draft, store), store=store)
    observer.text_checked(policy, stage="edit" if edited else "approve")
    overridden = not policy.clean and override_reason is not None
    if not policy.clean and not overridden:
        raise _block_edit(session=session, draft=draft, actor=actor, final=final, policy=policy)
    distance = levenshtein(draft.text, final)
    if not draft_rows.decide_draft(
        session=session, draft_id=draft_id, status="approved", actor=actor.name,
        final_text=final, edited=edited, edit_distance=distance, note=note,
        override_reason=override_reason if overridden else None,
    ):
        session.rollback()
        raise _conflict_after_race(draft_id)
    _record_approval(session=session, draft=draft, actor=actor, final=final, edited=edited,
                     distance=distance, note=note, policy=policy,
                     override_reason=override_reason if overridden else None)
    session.commit()
    observer.draft_decided("approved_edited" if edited else "approved_unedited")
    if overridden:
        observer.draft_decided("override")
    session.refresh(draft)  # the conditional UPDATE bypassed the ORM copy
    return draft


def _record_approval(*, session: Session, draft: Draft, actor: Principal, final: str,
                     edited: bool, distance: int, note: str | None, policy: PolicyResult,
                     override_reason: str | None) -> None:
    policy_json = policy.model_dump(mode="json")
    if edited:
        draft_rows.add_event(session=session, draft_id=draft.id, kind="edited", actor=actor.name,
                             before_text=draft.text, after_text=final, policy=policy_json,
                             detail={"edit_distance": distance})
    if override_reason is not None:
        draft_rows.add_event(session=session, draft_id=draft.id, kind="override",
                             actor=actor.name, before_text=draft.text, after_text=final,
                             policy=policy_json, detail={"reason": override_reason})
        draft_rows.add_policy_hits(session=session, draft_id=draft.id, stage="override",
                                   violations=policy.violations)
    draft_rows.add_event(session=session, draft_id=draft.id, kind="approved", actor=actor.name,
                         before_text=draft.text, after_text=final, policy=policy_json,
                         detail={"note": note, "edited": edited, "edit_distance": distance})


def reject_draft(
    *,
    session: Session,
    draft_id: str,
    actor: Principal,
    reason: str,
    observer: ReviewObserver = NO_OBSERVER,
) -> Draft:
    actor.require(Permission.DECIDE_DRAFTS)
    draft = _pending_draft(session=session, draft_id=draft_id, actor=actor)
    if not draft_rows.decide_draft(session=session, draft_id=draft_id, status="rejected",
                                   actor=actor.name, reject_reason=reason):
        session.rollback()
        raise _conflict_after_race(draft_id)
    draft_rows.add_event(session=session, draft_id=draft_id, kind="rejected", actor=actor.name,
                         before_text=draft.text, detail={"reason": reason})
    session.commit()
    observer.draft_decided("rejected")
    session.refresh(draft)
    return draft
