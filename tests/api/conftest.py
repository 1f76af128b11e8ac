"""Fixtures for the API tests: a knowledge index built once per session from the repo's
``knowledge/``, the real drafter and policy filter, a fresh SQLite file per test, API keys for
every role, and a real uvicorn server on 127.0.0.1 for the tests where the wire matters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.support import Api, LiveServer, issue_role_keys, private_knowledge, repo_settings
from fakes import FakeOpenAIServer, fake_llm
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import Database, open_database
from replydraft.drafting.drafter import build_drafter

__all__ = ["fake_llm"]
RoleHeaders = dict[str, dict[str, str]]


@pytest.fixture(scope="session")
def knowledge(demo_kb: Any) -> Any:
    """The session's shared demo index (tests/conftest.py): read-only here."""
    return demo_kb


@pytest.fixture(scope="session")
def kb_data_dir(knowledge: Any) -> Path:
    return knowledge.settings.data_dir  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def drafter(knowledge: Any, kb_data_dir: Path) -> Any:
    from replydraft.drafting.drafter import build_drafter
    from replydraft.drafting.models import DraftRequest

    drafter = build_drafter(repo_settings(kb_data_dir), knowledge)
    # The first draft loads the drafter's models; do it here, not inside a timed HTTP call.
    drafter.draft(DraftRequest.model_validate(
        {"messages": [{"role": "customer", "text": "在吗？"}]}))
    return drafter


@pytest.fixture
def app_factory(tmp_path: Path, kb_data_dir: Path, knowledge: Any, drafter: Any
                ) -> Iterator[Callable[..., tuple[FastAPI, Database, Settings]]]:
    """Apps sharing the session's index but each with its own SQLite file (and, given
    ``data_dir``, their own data folder)."""
    databases: list[Database] = []

    def factory(**overrides: Any) -> tuple[FastAPI, Database, Settings]:
        overrides.setdefault("database_url", f"sqlite:///{tmp_path / 'api.db'}")
        settings = repo_settings(overrides.pop("data_dir", kb_data_dir), **overrides)
        database = open_database(settings)
        databases.append(database)
        app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
        return app, database, settings

    yield factory
    for database in databases:
        database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The API tests run twice: on a SQLite file and on a database of a real PostgreSQL server
    (tests/services.py; missing PostgreSQL fails the run in CI)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def api(app_factory: Callable[..., tuple[FastAPI, Database, Settings]], database_url: str
        ) -> Iterator[Api]:
    app, database, settings = app_factory(database_url=database_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, database=database, settings=settings,
                  tokens=issue_role_keys(database))


@pytest.fixture
def live_api(app_factory: Callable[..., tuple[FastAPI, Database, Settings]], database_url: str
             ) -> Iterator[tuple[str, dict[str, str]]]:
    app, database, _ = app_factory(database_url=database_url)
    tokens = issue_role_keys(database)
    with LiveServer(app) as server:
        yield server.base_url, tokens


@pytest.fixture
def llm_live_api(fake_llm: FakeOpenAIServer, tmp_path: Path, kb_data_dir: Path, knowledge: Any
                 ) -> Iterator[Callable[..., tuple[str, RoleHeaders]]]:
    """``llm_live_api(**settings)``: a real uvicorn server whose drafter is the LLM backend
    talking to ``fake_llm``; returns its base URL and each role's Authorization header."""
    databases: list[Database] = []
    servers: list[LiveServer] = []

    def factory(**overrides: Any) -> tuple[str, RoleHeaders]:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'llm-api.db'}", "drafter": "llm",
            "llm_base_url": fake_llm.base_url, "llm_model": "fake-model",
            "llm_backoff_s": 0.01, "llm_timeout_s": 5.0, "llm_max_retries": 0}
        values.update(overrides)
        settings = repo_settings(kb_data_dir, **values)
        database = open_database(settings)
        databases.append(database)
        app = create_app(settings, database=database, knowledge=knowledge,
                         drafter=build_drafter(settings, knowledge))
        server = LiveServer(app).__enter__()
        servers.append(server)
        headers = {role: {"Authorization": f"Bearer {token}"}
                   for role, token in issue_role_keys(database).items()}
        return server.base_url, headers

    yield factory
    for server in servers:
        server.__exit__(None, None, None)
    for database in databases:
        database.close()


@pytest.fixture
def private_kb(tmp_path: Path, knowledge: Any, database_url: str) -> tuple[Settings, Any]:
    return private_knowledge(knowledge, tmp_path / "kb-copy", database_url=database_url)
