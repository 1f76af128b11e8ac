"""Request and response bodies, named by role: ``DraftCreate`` comes in, ``DraftPublic`` goes out.
Domain models (``DraftRequest``, ``DraftResult``, ``PolicyResult``, ``SearchHit``) are reused as
they are so the HTTP shapes cannot drift from what the drafter and the filter produce."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from replydraft.db.models import Draft, DraftEvent, KnowledgeJob
from replydraft.drafting.models import DraftRequest, DraftResult
from replydraft.evals.archive import EvalReportSummary
from replydraft.knowledge.models import SearchHit
from replydraft.languages import Language, Platform
from replydraft.policy.models import PolicyResult
from replydraft.review.access import ROLE_PERMISSIONS, Permission, Principal, Role
from replydraft.review.jobs import JobProgress

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class PrincipalPublic(BaseModel):
    """The caller: ``name`` is the actor in the audit trail; ``permissions`` what its role may
    do (``create_drafts``, ``override_policy``, ``manage_knowledge``, ``read_stats``, …)."""

    name: str
    role: Role
    permissions: list[str]

    @classmethod
    def of(cls, principal: Principal) -> PrincipalPublic:
        granted = ROLE_PERMISSIONS[principal.role]
        return cls(name=principal.name, role=principal.role,
                   permissions=[p.name.lower() for p in Permission if p in granted])


class FieldError(BaseModel):
    loc: str = Field(description='Where, e.g. "body.messages[0].text"')
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details (media type ``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(None, description="Field errors (400/422)")


class DraftCreate(DraftRequest):
    """A conversation to draft a reply for; the last message is the customer's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "messages": [{"role": "customer", "text": "我身高180体重90公斤，这条牛仔裤穿多大？"}],
        "platform": "taobao",
        "conversation_id": "conv-1001",
    }]})


DraftStatus = Literal["pending", "approved", "rejected"]


class DraftPublic(DraftResult):
    """A stored draft: every field of the drafter's result plus its review state."""

    id: str
    status: DraftStatus
    conversation_id: str | None = None
    created_at: datetime
    created_by: str
    request: DraftRequest
    final_text: str | None = Field(None, description="The text approved for sending")
    edited: bool | None = None
    edit_distance: int | None = Field(None, description="Levenshtein distance, characters")
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    reject_reason: str | None = None
    override_reason: str | None = None

    @classmethod
    def from_row(cls, row: Draft) -> DraftPublic:
        return cls.model_validate({
            **row.result,
            "id": row.id, "status": row.status, "conversation_id": row.conversation_id,
            "created_at": row.created_at, "created_by": row.created_by, "request": row.request,
            "final_text": row.final_text, "edited": row.edited,
            "edit_distance": row.edit_distance, "decided_by": row.decided_by,
            "decided_at": row.decided_at, "note": row.note, "reject_reason": row.reject_reason,
            "override_reason": row.override_reason,
        })


class DraftsPublic(BaseModel):
    data: list[DraftPublic]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)] | None = Field(
        None, description="The agent's edited reply; omit to approve the draft as written")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    override_reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)
    ] | None = Field(None, description="Supervisors only: send text the policy filter flags")


class DraftReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000)]


EventKind = Literal["created", "edited", "override", "approved", "rejected", "blocked"]


class DraftEventPublic(BaseModel):
    id: int
    draft_id: str
    kind: EventKind
    actor: str
    at: datetime
    before_text: str | None = None
    after_text: str | None = None
    policy: PolicyResult | None = None
    detail: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: DraftEvent) -> DraftEventPublic:
        return cls.model_validate(row, from_attributes=True)


class DraftEventsPublic(BaseModel):
    data: list[DraftEventPublic]


class PolicyCheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    platform: Platform | None = None
    language: Language | None = None


class KnowledgeHitsPublic(BaseModel):
    version: int | None
    data: list[SearchHit]
    degraded: bool = Field(False, description="Keyword results only: the vector store is "
                                              "failing; see degraded_reason")
    degraded_reason: str | None = None


class KnowledgeRollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, description="Omit for the previous version")


JobState = Literal["queued", "running", "succeeded", "failed"]


class KnowledgeJobPublic(BaseModel):
    id: str
    kind: str
    state: JobState
    actor: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: dict[str, Any] | None = Field(None, description="The refresh report: diff counts")
    errors: list[FieldError] = Field(default_factory=list)
    progress: JobProgress | None = Field(
        None, description="While running, when the answering process runs it: the stage and "
                          "how many of its items are done")

    @classmethod
    def from_row(cls, row: KnowledgeJob, progress: JobProgress | None = None
                 ) -> KnowledgeJobPublic:
        return cls(id=row.id, kind=row.kind, state=row.state,
                   actor=row.actor, created_at=row.created_at, started_at=row.started_at,
                   finished_at=row.finished_at, report=row.report,
                   errors=[FieldError(**e) for e in row.errors or []], progress=progress)


class HealthPublic(BaseModel):
    status: Literal["ok"]


class ReadinessPublic(BaseModel):
    status: Literal["ready", "degraded"]
    knowledge_version: int
    database: bool
    vectors: bool = Field(True, description="False: the vector store is failing and searches "
                                            "are keyword only (degraded), still served")
    vectors_fault: str | None = None


class EvalReportsPublic(BaseModel):
    data: list[EvalReportSummary]
