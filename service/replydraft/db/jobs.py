"""Knowledge jobs (refresh): one active at a time across every process sharing the database.

The active job holds a lease: its runner renews ``heartbeat_at`` while it works; a job whose
lease ran out (its process was killed, its host lost) is failed by the next claim, so a dead
runner blocks refreshes for at most one lease, on any host."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from replydraft.db.models import KnowledgeJob
from replydraft.db.types import utcnow

ACTIVE_STATES = ("queued", "running")


def new_job_id() -> str:
    return f"job_{secrets.token_hex(10)}"


def claim_job(*, session: Session, kind: str, actor: str, runner: str,
              lease_s: float) -> KnowledgeJob | None:
    """Insert a queued job holding the ``kind`` slot; None when another job of that kind is
    active and its lease is current (the unique ``active_slot`` makes this race-free across
    processes). An active job whose lease expired is failed first."""
    expire_stale(session=session, kind=kind, lease_s=lease_s)
    now = utcnow()
    job = KnowledgeJob(id=new_job_id(), kind=kind, state="queued", actor=actor,
                       created_at=now, runner=runner, active_slot=kind, heartbeat_at=now)
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return job


def _last_sign_of_life() -> Any:
    return func.coalesce(KnowledgeJob.heartbeat_at, KnowledgeJob.started_at,
                         KnowledgeJob.created_at)


def expire_stale(*, session: Session, kind: str, lease_s: float) -> int:
    """Fail the active ``kind`` job if its runner has not renewed its lease for ``lease_s``;
    returns how many were failed (0 or 1)."""
    cutoff = utcnow() - timedelta(seconds=lease_s)
    stale = active_job(session=session, kind=kind)
    if stale is None:
        return 0
    seen: datetime = stale.heartbeat_at or stale.started_at or stale.created_at
    result = session.execute(
        update(KnowledgeJob)
        .where(KnowledgeJob.id == stale.id, KnowledgeJob.active_slot.is_not(None),
               _last_sign_of_life() < cutoff)
        .values(state="failed", finished_at=utcnow(), active_slot=None, errors=[{
            "loc": "", "msg": f"interrupted: its runner {stale.runner} stopped renewing the "
                              f"job's lease (last heartbeat {seen:%Y-%m-%d %H:%M:%S} UTC, lease "
                              f"{lease_s:g} s); the process was killed or lost"}]))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def renew_lease(*, session: Session, job_id: str) -> bool:
    """The runner is alive: push the lease on. False when the job is no longer active (another
    process judged its lease expired)."""
    result = session.execute(update(KnowledgeJob)
                             .where(KnowledgeJob.id == job_id,
                                    KnowledgeJob.active_slot.is_not(None))
                             .values(heartbeat_at=utcnow()))
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def active_job(*, session: Session, kind: str) -> KnowledgeJob | None:
    return session.scalars(select(KnowledgeJob).where(KnowledgeJob.active_slot == kind)).first()


def get_job(*, session: Session, job_id: str) -> KnowledgeJob | None:
    return session.get(KnowledgeJob, job_id)


def mark_running(*, session: Session, job_id: str) -> None:
    session.execute(update(KnowledgeJob).where(KnowledgeJob.id == job_id)
                    .values(state="running", started_at=utcnow(), heartbeat_at=utcnow()))
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
