"""Aggregate queries behind ``GET /v1/stats``: GROUP BY in the database, not rows in Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from replydraft.db.models import Draft, PolicyHit


def _window(
    column: Any, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def outcome_counts(
    *, session: Session, dimension: str, since: datetime | None, until: datetime | None
) -> list[tuple[str, str, bool | None, int]]:
    """(dimension value, status, edited, count) for drafts created in the window."""
    column = getattr(Draft, dimension)
    query = (
        select(column, Draft.status, Draft.edited, func.count())
        .where(*_window(Draft.created_at, since, until))
        .group_by(column, Draft.status, Draft.edited)
    )
    return [(str(v), str(s), e, int(n)) for v, s, e, n in session.execute(query)]


def count_drafts_where(
    *, session: Session, condition: ColumnElement[bool], since: datetime | None,
    until: datetime | None,
) -> int:
    query = select(func.count()).select_from(Draft).where(
        condition, *_window(Draft.created_at, since, until))
    return int(session.execute(query).scalar_one())


def edit_distances(
    *, session: Session, since: datetime | None, until: datetime | None
) -> list[int]:
    query = select(Draft.edit_distance).where(
        Draft.status == "approved", Draft.edit_distance.is_not(None),
        *_window(Draft.created_at, since, until))
    return [int(d) for d in session.scalars(query) if d is not None]


def top_rules(
    *, session: Session, since: datetime | None, until: datetime | None, limit: int = 10
) -> list[tuple[str, str, str, int]]:
    """(rule, category, stage, count), most frequent first."""
    count = func.count().label("n")
    query = (
        select(PolicyHit.rule, PolicyHit.category, PolicyHit.stage, count)
        .where(*_window(PolicyHit.at, since, until))
        .group_by(PolicyHit.rule, PolicyHit.category, PolicyHit.stage)
        .order_by(count.desc(), PolicyHit.rule)
        .limit(limit)
    )
    return [(r, c, s, int(n)) for r, c, s, n in session.execute(query)]
