"""Knowledge jobs (refresh): one active at a time across every process sharing the database."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from replydraft.db.models import KnowledgeJob
from replydraft.db.types import utcnow

ACTIVE_STATES = ("queued", "running")


def new_job_id() -> str:
    return f"job_{secrets.token_hex(10)}"


def claim_job(*, session: Session, kind: str, actor: str, runner: str) -> KnowledgeJob | None:
    """Insert a queued job holding the ``kind`` slot; None when another job of that kind is
    active (the unique ``active_slot`` makes this race-free across processes)."""
    job = KnowledgeJob(id=new_job_id(), kind=kind, state="queued", actor=actor,
                       created_at=utcnow(), runner=runner, active_slot=kind)
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return job


def active_job(*, session: Session, kind: str) -> KnowledgeJob | None:
    return session.scalars(select(KnowledgeJob).where(KnowledgeJob.active_slot == kind)).first()


def get_job(*, session: Session, job_id: str) -> KnowledgeJob | None:
    return session.get(KnowledgeJob, job_id)


def mark_running(*, session: Session, job_id: str) -> None:
    session.execute(update(KnowledgeJob).where(KnowledgeJob.id == job_id)
                    .values(state="running", started_at=utcnow()))
    session.commit()


def finish_job(
    *,
    session: Session,
    job_id: str,
    succeeded: bool,
    report: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
) -> None:
    session.execute(
        update(KnowledgeJob)
        .where(KnowledgeJob.id == job_id)
        .values(state="succeeded" if succeeded else "failed", finished_at=utcnow(),
                active_slot=None, report=report, errors=errors or [])
    )
    session.commit()


def active_jobs_of_runner_prefix(*, session: Session, prefix: str) -> list[KnowledgeJob]:
    query = select(KnowledgeJob).where(KnowledgeJob.active_slot.is_not(None),
                                       KnowledgeJob.runner.startswith(prefix, autoescape=True))
    return list(session.scalars(query))
