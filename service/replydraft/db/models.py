"""The tables. Migrations in ``db/migrations/versions`` create exactly these (a test compares
them), so change both together."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from replydraft.db.types import UTCDateTime, utcnow

DRAFT_STATES = ("pending", "approved", "rejected")
EVENT_KINDS = ("created", "edited", "override", "approved", "rejected", "blocked")
JOB_STATES = ("queued", "running", "succeeded", "failed")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Draft(Base):
    __tablename__ = "drafts"

    # ``seq`` gives a stable, index-backed order for cursor pagination; ``id`` is what callers see.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(8))
    backend: Mapped[str] = mapped_column(String(128))
    primary_intent: Mapped[str] = mapped_column(String(32), index=True)
    # ",size_advice,postage," so "has intent X" is a portable LIKE '%,X,%'.
    intents: Mapped[str] = mapped_column(String(512))
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    final_text: Mapped[str | None] = mapped_column(Text)
    edited: Mapped[bool | None] = mapped_column(Boolean)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[str | None] = mapped_column(String(64), index=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)


class DraftEvent(Base):
    """Append-only: rows are inserted, never updated or deleted (enforced below)."""

    __tablename__ = "draft_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(40), ForeignKey("drafts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before_text: Mapped[str | None] = mapped_column(Text)
    after_text: Mapped[str | None] = mapped_column(Text)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PolicyHit(Base):
    """One policy rule that fired on a draft (stage ``draft``) or on an agent's edit (``edit``)."""

    __tablename__ = "policy_hits"
    __table_args__ = (Index("ix_policy_hits_at_rule", "at", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(String(40), ForeignKey("drafts.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """Only the sha256 of the token is stored; ``id`` is the public prefix used for lookup."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` a caller used, the hash of its body and the draft it produced."""

    __tablename__ = "idempotency_keys"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    draft_id: Mapped[str] = mapped_column(String(40), ForeignKey("drafts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeJob(Base):
    __tablename__ = "knowledge_jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    runner: Mapped[str] = mapped_column(String(128))  # "host:pid" of the process running it
    # Set to the job kind while queued/running, NULL afterwards: the unique constraint lets at
    # most one refresh be active across every API process sharing the database.
    active_slot: Mapped[str | None] = mapped_column(String(16), unique=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    errors: Mapped[list[Any] | None] = mapped_column(JSON)
    # The runner renews it while the job is active; an active job whose lease ran out
    # (REPLYDRAFT_JOB_LEASE_S without a heartbeat: its process died) is failed by the next claim.
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class IndexState(Base):
    """The one row saying which knowledge index version every replica serves (``active``),
    the newest number ever used (``last``), the id naming this index's chroma collection, and
    the refresh lock: a holder with a heartbeat, free again once the heartbeat is older than
    the lease (a refresh whose process died)."""

    __tablename__ = "index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    index_id: Mapped[str] = mapped_column(String(32))
    active: Mapped[int | None] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)
    switched_at: Mapped[datetime | None] = mapped_column()
    lock_holder: Mapped[str | None] = mapped_column(String(160))
    lock_heartbeat_at: Mapped[datetime | None] = mapped_column()


class IndexVersion(Base):
    """A built index version: its manifest (sources, units, chunk ids, warnings) as JSON text,
    parsed by the knowledge layer's pydantic model. Written whole before it can be activated."""

    __tablename__ = "index_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    manifest: Mapped[str] = mapped_column(Text)


class IndexUnit(Base):
    """A content-addressed unit (one product, one store or playbook file): its chunks and stored
    form as JSON text, shared by every version that names its key."""

    __tablename__ = "index_units"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class IndexVector(Base):
    """The vector of a chunk (float32, the embedder's dimension), kept beside the units so the
    vector store (chroma) can be rebuilt without embedding anything again."""

    __tablename__ = "index_vectors"

    chunk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


@event.listens_for(Session, "before_flush")
def _keep_audit_append_only(session: Session, flush_context: object, instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, DraftEvent):
            raise RuntimeError("draft_events is append-only: audit rows cannot change")
