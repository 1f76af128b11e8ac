"""Liveness, readiness and Prometheus metrics: no API key needed (no data in them)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from replydraft.api.deps import DatabaseDep, KnowledgeDep, MetricsDep
from replydraft.api.problems import problem_response
from replydraft.api.responses import problems
from replydraft.api.schemas import HealthPublic, ReadinessPublic
from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS, RETRY_AFTER_S, fault_kind

router = APIRouter(tags=["health"])
# A database at fault, as a request meets it, or as the raw probe connection does.
_UNAVAILABLE: tuple[type[Exception], ...] = (*DATABASE_ERRORS, sqlite3.Error)
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=HealthPublic)
def read_health() -> HealthPublic:
    """The process is up and answering."""
    return HealthPublic(status="ok")


def _database_fault(database: Database) -> str | None:
    """None when the database would accept a write now and no request met a fault within the
    last few seconds; else what is wrong (locked, read-only, full, unreachable)."""
    try:
        answered = database.probe_writes_within()
    except (SQLAlchemyError, sqlite3.Error) as error:
        log.warning("readiness: database not writable: %s", error)
        return fault_kind(error) or "failing"
    if not answered:
        log.warning("readiness: the database did not answer within %.0f s",
                    database.probe_timeout_s)
        return "unresponsive"
    return database.faults.recent()


@router.get("/readyz", response_model=ReadinessPublic, responses=problems(503))
def read_readiness(database: DatabaseDep, knowledge: KnowledgeDep) -> Any:
    """Ready to serve drafts: an index version is loaded, the settings fit it, and the database
    accepts writes. A failing vector store does not make the replica unready (every replica
    shares it, and keyword answers beat none): the answer is 200 with ``status: degraded``."""
    fault = _database_fault(database)
    version: int | None = None
    misfit: str | None = None
    try:  # the index versions live in the database too
        version = knowledge.version
        misfit = knowledge.configuration_problem()
    except _UNAVAILABLE as error:
        fault = fault or fault_kind(error) or "failing"
    if version is None or fault is not None or misfit is not None:
        missing = []
        if version is None:
            missing.append("knowledge index missing (run 'replydraft kb refresh')")
        if misfit is not None:
            missing.append(f"configuration: {misfit}")
        if fault is not None:
            missing.append(f"database {fault}")
        return problem_response(503, type_="/problems/not-ready", title="Not ready",
                                detail="not ready: " + ", ".join(missing),
                                instance="/readyz",
                                headers={"Retry-After": str(RETRY_AFTER_S)},
                                extra={"knowledge_version": version, "database": fault is None,
                                       "database_fault": fault, "configuration": misfit})
    vectors_fault = knowledge.check_vectors()
    return ReadinessPublic(status="ready" if vectors_fault is None else "degraded",
                           knowledge_version=version, database=True,
                           vectors=vectors_fault is None, vectors_fault=vectors_fault)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def read_metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
