"""Acceptance analytics: how many drafts agents sent as written, edited, or threw away.

Counts are over drafts *created* in ``[since, until)`` (a cohort), so "approved" and "rejected"
always add up with "pending" to "created". Policy rules are counted by when they fired.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from replydraft.db import stats as queries
from replydraft.db.models import Draft
from replydraft.errors import FieldProblem, InvalidInput
from replydraft.review.access import Permission, Principal

DIMENSIONS = {"by_intent": "primary_intent", "by_language": "language", "by_backend": "backend"}


class Outcomes(BaseModel):
    created: int = 0
    pending: int = 0
    approved_unedited: int = 0
    approved_edited: int = 0
    rejected: int = 0

    def add(self, status: str, edited: bool | None, count: int) -> None:
        self.created += count
        if status == "approved":
            if edited:
                self.approved_edited += count
            else:
                self.approved_unedited += count
        elif status == "rejected":
            self.rejected += count
        else:
            self.pending += count


class RuleCount(BaseModel):
    rule: str
    category: str
    stage: str = Field(description="draft (filtered by the drafter), blocked (an agent's edit "
                                   "refused), override (sent anyway by a supervisor)")
    count: int


class StatsReport(BaseModel):
    since: datetime | None
    until: datetime | None
    totals: Outcomes
    median_edit_distance: float | None = Field(
        description="over approved drafts, unedited ones counting 0")
    median_edit_distance_edited: float | None = Field(description="over edited approvals only")
    overrides: int
    fallbacks: int = Field(description="drafts the LLM could not write; the offline drafter did")
    by_intent: dict[str, Outcomes]
    by_language: dict[str, Outcomes]
    by_backend: dict[str, Outcomes]
    top_policy_rules: list[RuleCount]


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _breakdown(
    session: Session, column: str, since: datetime | None, until: datetime | None
) -> dict[str, Outcomes]:
    groups: dict[str, Outcomes] = {}
    for value, status, edited, count in queries.outcome_counts(
        session=session, dimension=column, since=since, until=until
    ):
        groups.setdefault(value, Outcomes()).add(status, edited, count)
    return dict(sorted(groups.items()))


EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def _as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a time without a zone is read as UTC, the zone every stored time is
    in. A moment whose UTC falls outside years 1-9999 (``0001-01-01T00:00+14:00``) is clamped
    to the nearest representable one: no draft lies beyond it, so the window is unchanged."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST if moment.year == datetime.min.year else LATEST


def compute_stats(
    *, session: Session, actor: Principal, since: datetime | None, until: datetime | None
) -> StatsReport:
    actor.require(Permission.READ_STATS)
    since, until = _as_utc(since), _as_utc(until)
    if since is not None and until is not None and since >= until:
        raise InvalidInput("empty time window", field_errors=[FieldProblem(
            "query.until", "must be later than since")])
    breakdowns = {name: _breakdown(session, column, since, until)
                  for name, column in DIMENSIONS.items()}
    totals = Outcomes()
    for outcome in breakdowns["by_language"].values():
        for field in Outcomes.model_fields:
            setattr(totals, field, getattr(totals, field) + getattr(outcome, field))
    distances = queries.edit_distances(session=session, since=since, until=until)
    return StatsReport(
        since=since,
        until=until,
        totals=totals,
        median_edit_distance=_median(distances),
        median_edit_distance_edited=_median([d for d in distances if d > 0]),
        overrides=queries.count_drafts_where(session=session,
                                             condition=Draft.override_reason.is_not(None),
                                             since=since, until=until),
        fallbacks=queries.count_drafts_where(session=session,
                                             condition=Draft.fallback_reason.is_not(None),
                                             since=since, until=until),
        **breakdowns,
        top_policy_rules=[RuleCount(rule=r, category=c, stage=s, count=n) for r, c, s, n
                          in queries.top_rules(session=session, since=since, until=until)],
    )
