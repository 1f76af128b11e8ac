"""Liveness, readiness and Prometheus metrics: no API key needed (no data in them)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from replydraft.api.deps import DatabaseDep, KnowledgeDep, MetricsDep
from replydraft.api.problems import problem_response
from replydraft.api.responses import problems
from replydraft.api.schemas import HealthPublic, ReadinessPublic

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=HealthPublic)
def read_health() -> HealthPublic:
    """The process is up and answering."""
    return HealthPublic(status="ok")


def _database_ok(database: Any) -> bool:
    try:
        return bool(database.ping())
    except SQLAlchemyError as error:
        log.warning("readiness: database unreachable: %s", error)
        return False


@router.get("/readyz", response_model=ReadinessPublic, responses=problems(503))
def read_readiness(database: DatabaseDep, knowledge: KnowledgeDep) -> Any:
    """Ready to serve drafts: an index version is loaded and the database answers."""
    version = knowledge.version
    database_ok = _database_ok(database)
    if version is None or not database_ok:
        missing = [what for what, ok in (("knowledge index (run 'replydraft kb refresh')",
                                          version is not None),
                                         ("database", database_ok)) if not ok]
        return problem_response(503, type_="/problems/not-ready", title="Not ready",
                                detail="not ready: " + ", ".join(missing) + " missing",
                                instance="/readyz",
                                extra={"knowledge_version": version, "database": database_ok})
    return ReadinessPublic(status="ready", knowledge_version=version, database=True)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def read_metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
