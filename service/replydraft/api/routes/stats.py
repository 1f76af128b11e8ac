"""Acceptance analytics."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from replydraft.api.deps import SessionDep, StatsReader
from replydraft.api.responses import COMMON
from replydraft.review.stats import StatsReport, compute_stats

router = APIRouter(prefix="/v1/stats", tags=["stats"], responses=COMMON)


@router.get("", response_model=StatsReport)
def read_stats(session: SessionDep, principal: StatsReader, since: datetime | None = None,
               until: datetime | None = None) -> StatsReport:
    """Drafts created in ``[since, until)`` (ISO 8601; no zone means UTC) and what agents did
    with them, by intent, language and backend; the policy rules that fired most."""
    return compute_stats(session=session, actor=principal, since=since, until=until)
