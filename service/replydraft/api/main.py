"""The FastAPI application: ``create_app(settings)`` builds it; its lifespan opens the database
(and migrates it), the knowledge base, the drafter and the knowledge job runner, and puts them on
``app.state`` where the dependencies in ``deps`` find them.

Tests pass ready-made components to ``create_app`` (or override dependencies); ``replydraft
serve --workers N`` uses ``create_app_from_env`` as a uvicorn factory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from replydraft import __version__
from replydraft.api.auth import AuthGateMiddleware
from replydraft.api.limits import DraftSlots
from replydraft.api.logs import configure_logging
from replydraft.api.metrics import Metrics
from replydraft.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from replydraft.api.problems import install_problem_handlers
from replydraft.api.routes import console, drafts, evals, health, me, policy, stats
from replydraft.api.routes import knowledge as knowledge_routes
from replydraft.config import Settings, get_settings
from replydraft.db.engine import Database, open_database
from replydraft.db.faults import fault_kind
from replydraft.errors import ConfigurationError, ReplydraftError
from replydraft.knowledge.reader import KnowledgeAdmin, KnowledgeReader
from replydraft.offline import prepare_offline
from replydraft.review.access import PrincipalCache, ensure_safe_dev_mode
from replydraft.review.approvals import DraftWriter, PolicyCheck
from replydraft.review.jobs import KnowledgeJobs

log = logging.getLogger(__name__)
T = TypeVar("T")

DESCRIPTION = """Reply drafts for online-store customer service. An agent asks for a draft
(`POST /v1/drafts`), then approves it (optionally edited; the final text is filtered again) or
rejects it. Every step is audited. Authenticate with `Authorization: Bearer <API key>` (create
keys with `replydraft keys create`). Errors are `application/problem+json`."""


def _open_knowledge(settings: Settings, database: Database) -> KnowledgeAdmin:
    from replydraft.drafting.understanding.embedder import shared_embedder
    from replydraft.knowledge.base import KnowledgeBase

    # The cached query embedder: a draft embeds the customer's message once, not once for the
    # intent vote and again for every filtered search.
    return KnowledgeBase(settings, embedder=shared_embedder(settings), database=database)


def _build_drafter(settings: Settings, knowledge: KnowledgeReader) -> DraftWriter:
    from replydraft.drafting.drafter import build_drafter

    return build_drafter(settings, knowledge)


def preload_policy_rules() -> None:
    from replydraft.policy import preload

    preload()


def _policy_check() -> PolicyCheck:
    from replydraft.policy import check

    return check


def _warm_up(drafter: DraftWriter) -> None:
    warm_up = getattr(drafter, "warm_up", None)
    if warm_up is None:
        return
    started = time.perf_counter()
    try:
        warm_up()
    except ReplydraftError as error:  # e.g. no index yet: the first requests will say so
        log.warning("drafter warm-up skipped: %s", error)
        return
    log.info("drafter warmed up", extra={"duration_ms": round((time.perf_counter() - started)
                                                                * 1000, 1)})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    settings: Settings = state.settings
    ensure_safe_dev_mode(settings)
    prepare_offline(settings.data_dir)
    preload_policy_rules()  # a broken rule pack stops start-up here, not the first draft
    owns_database = state.database is None
    if owns_database:
        state.database = open_database(settings)
    if state.knowledge is None:
        state.knowledge = _open_knowledge(settings, state.database)
    knowledge = state.knowledge
    if misfit := _unless_database_down(knowledge.configuration_problem, "the index settings"):
        # Serving anyway would answer keyword-only results as if nothing were wrong.
        raise ConfigurationError(f"refusing to start: {misfit}")
    if state.drafter is None:
        state.drafter = _build_drafter(settings, state.knowledge)
        _unless_database_down(lambda: _warm_up(state.drafter), "the drafter's warm-up")
    if state.policy_check is None:
        state.policy_check = _policy_check()
    state.jobs = KnowledgeJobs(database=state.database, knowledge=state.knowledge,
                               lease_s=settings.job_lease_s)
    jobs = state.jobs
    if recovered := _unless_database_down(jobs.recover_interrupted, "interrupted jobs"):
        log.warning("marked %d interrupted knowledge job(s) as failed", recovered)
    version = _unless_database_down(lambda: knowledge.version, "the serving version")
    log.info("replydraft API ready", extra={"knowledge_version": version,
                                            "auth_disabled": settings.auth_disabled})
    try:
        yield
    finally:
        state.jobs.close()
        if owns_database:
            state.database.close()


def _unless_database_down(read: Callable[[], T], what: str) -> T | None:
    """``read()``, or None when the database is unavailable at start-up: the process starts
    anyway and answers 503 until it is back (/readyz says why)."""
    try:
        return read()
    except DBAPIError as error:
        if fault_kind(error) is None:
            raise
        log.warning("database %s at start-up: %s not checked", fault_kind(error), what)
        return None


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    knowledge: KnowledgeAdmin | None = None,
    drafter: DraftWriter | None = None,
    policy_check: PolicyCheck | None = None,
) -> FastAPI:
    """Build the app. Components not given are opened from ``settings`` at start-up."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    ensure_safe_dev_mode(settings)
    app = FastAPI(title="replydraft", version=__version__, description=DESCRIPTION,
                  lifespan=_lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.knowledge = knowledge
    app.state.drafter = drafter
    app.state.policy_check = policy_check
    app.state.metrics = metrics = Metrics()
    app.state.principals = PrincipalCache(settings.auth_cache_s)
    app.state.draft_slots = DraftSlots(settings.max_concurrent_drafts)
    install_problem_handlers(app)
    for module in (drafts, policy, knowledge_routes, stats, evals, me, health, console):
        app.include_router(module.router)
    # Added last = outermost: the request id exists before the body limit can answer, and the
    # caller is known (or refused) before the body is read.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(AuthGateMiddleware, settings=settings, state=app.state)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app



def create_app_from_env() -> FastAPI:
    """uvicorn factory for ``--workers N``: each worker reads ``REPLYDRAFT_*`` itself."""
    return create_app(get_settings())
