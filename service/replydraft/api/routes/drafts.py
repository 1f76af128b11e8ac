"""Drafts: create (plain or streamed), read, list, approve, reject, audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from replydraft.api.deps import (
    CurrentAgent,
    DatabaseDep,
    DraftDecider,
    DrafterDep,
    DraftReader,
    DraftSlotsDep,
    KnowledgeDep,
    MetricsDep,
    PolicyCheckDep,
    SessionDep,
    SettingsDep,
    store_or_none,
)
from replydraft.api.limits import enforce_message_limits
from replydraft.api.responses import COMMON, problems
from replydraft.api.schemas import (
    DraftApprove,
    DraftCreate,
    DraftEventPublic,
    DraftEventsPublic,
    DraftPublic,
    DraftReject,
    DraftsPublic,
    DraftStatus,
)
from replydraft.api.sse import SSE_EVENT_SCHEMA, draft_events
from replydraft.knowledge.models import Intent
from replydraft.review import approvals

router = APIRouter(prefix="/v1/drafts", tags=["drafts"], responses=COMMON)

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=255,
    description="Same key + same body returns the same draft (200, `Idempotent-Replayed: "
                "true`); same key + a different body is a 409.")]


@router.post(
    "", status_code=201, response_model=DraftPublic,
    responses={200: {"model": DraftPublic, "description": "Replayed by Idempotency-Key"},
               **problems(409, 502, 503)},
)
def create_draft(
    body: DraftCreate, database: DatabaseDep, drafter: DrafterDep,
    settings: SettingsDep, principal: CurrentAgent, metrics: MetricsDep,
    slots: DraftSlotsDep, idempotency_key: IdempotencyKey = None,
) -> Response:
    """Draft a reply and hold it as ``pending`` for an agent's decision. 503 with Retry-After
    while REPLYDRAFT_MAX_CONCURRENT_DRAFTS drafts are in progress."""
    enforce_message_limits(body, settings)
    slots.take()
    # The session opens in this handler's thread rather than as a dependency (two more
    # thread-pool hops), and the reply is serialised once, not validated again by FastAPI:
    # this is the hot path.
    try:
        with database.session() as session:
            stored = approvals.create_draft(session=session, drafter=drafter, request=body,
                                            actor=principal, idempotency_key=idempotency_key,
                                            observer=metrics)
            draft = DraftPublic.from_row(stored.draft)
    finally:
        slots.release()
    headers = {"Location": f"/v1/drafts/{draft.id}"}
    if not stored.created:
        headers["Idempotent-Replayed"] = "true"
    return Response(draft.model_dump_json(), status_code=201 if stored.created else 200,
                    media_type="application/json", headers=headers)


@router.post(
    "/stream", response_class=StreamingResponse,
    responses={200: {"description": "`event: sentence` (data: {text}) as each filtered sentence "
                                    "is ready, then `event: done` (data: the stored draft) or "
                                    "`event: error` (data: a problem object)",
                     "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}},
               **problems(409, 503)},
)
def stream_draft(
    body: DraftCreate, request: Request, database: DatabaseDep, drafter: DrafterDep,
    settings: SettingsDep, principal: CurrentAgent, metrics: MetricsDep,
    slots: DraftSlotsDep, idempotency_key: IdempotencyKey = None,
) -> StreamingResponse:
    """The same draft as ``POST /v1/drafts``, sentence by sentence (Server-Sent Events). Only
    text the policy filter has passed is ever sent; the draft is stored once complete."""
    enforce_message_limits(body, settings)
    slots.take()
    try:
        items = approvals.stream_draft(open_session=database.session, drafter=drafter,
                                       request=body, actor=principal,
                                       idempotency_key=idempotency_key, observer=metrics)
    except BaseException:
        slots.release()
        raise
    return StreamingResponse(slots.held_while(draft_events(items, request.url.path, database)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("", response_model=DraftsPublic)
def list_drafts(
    session: SessionDep, principal: DraftReader,
    status: DraftStatus | None = None,
    agent: Annotated[str | None, Query(max_length=64,
                                       description="Requested or decided by this key")] = None,
    intent: Intent | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DraftsPublic:
    """Newest first, ``limit`` per page; follow ``next_cursor`` for more."""
    page = approvals.list_drafts(session=session, actor=principal, limit=limit, status=status,
                                 agent=agent, intent=intent, cursor=cursor)
    return DraftsPublic(data=[DraftPublic.from_row(d) for d in page.drafts],
                        next_cursor=page.next_cursor)


@router.get("/{draft_id}", response_model=DraftPublic, responses=problems(404))
def read_draft(draft_id: str, session: SessionDep, principal: DraftReader) -> DraftPublic:
    return DraftPublic.from_row(approvals.get_draft(session=session, draft_id=draft_id,
                                                    actor=principal))


@router.get("/{draft_id}/events", response_model=DraftEventsPublic, responses=problems(404))
def list_draft_events(draft_id: str, session: SessionDep,
                      principal: DraftReader) -> DraftEventsPublic:
    """The audit trail, oldest first: created, edited, blocked, override, approved, rejected."""
    events = approvals.list_events(session=session, draft_id=draft_id, actor=principal)
    return DraftEventsPublic(data=[DraftEventPublic.from_row(e) for e in events])


@router.post("/{draft_id}/approve", response_model=DraftPublic, responses=problems(404, 409))
def approve_draft(
    draft_id: str, body: DraftApprove, session: SessionDep, principal: DraftDecider,
    knowledge: KnowledgeDep, metrics: MetricsDep, policy_check: PolicyCheckDep,
) -> DraftPublic:
    """Approve as written or with an edit (``text``). The final text is filtered again: a
    violation is a 422 listing it, unless a supervisor gives ``override_reason``."""
    draft = approvals.approve_draft(
        session=session, draft_id=draft_id, actor=principal, check=policy_check,
        store=store_or_none(knowledge), text=body.text, note=body.note,
        override_reason=body.override_reason, observer=metrics)
    return DraftPublic.from_row(draft)


@router.post("/{draft_id}/reject", response_model=DraftPublic, responses=problems(404, 409))
def reject_draft(draft_id: str, body: DraftReject, session: SessionDep,
                 principal: DraftDecider, metrics: MetricsDep) -> DraftPublic:
    draft = approvals.reject_draft(session=session, draft_id=draft_id, actor=principal,
                                   reason=body.reason, observer=metrics)
    return DraftPublic.from_row(draft)
