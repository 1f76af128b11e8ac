"""Fixtures for the API tests: a knowledge index built once per session from the repo's
``knowledge/``, the real drafter and policy filter, a fresh SQLite file per test, API keys for
every role, and a real uvicorn server on 127.0.0.1 for the tests where the wire matters."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.support import Api, LiveServer, issue_role_keys, repo_settings
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import Database, open_database


@pytest.fixture(scope="session")
def kb_data_dir(tmp_path_factory: pytest.TempPathFactory, tiktoken_cache: Path) -> Path:
    """A data dir whose index was refreshed once from the repo's knowledge files."""
    from replydraft.knowledge.base import KnowledgeBase

    data_dir = tmp_path_factory.mktemp("api-kb")
    KnowledgeBase(repo_settings(data_dir)).refresh()
    return data_dir


@pytest.fixture(scope="session")
def knowledge(kb_data_dir: Path) -> Any:
    from replydraft.knowledge.base import KnowledgeBase

    return KnowledgeBase(repo_settings(kb_data_dir))


@pytest.fixture(scope="session")
def drafter(knowledge: Any, kb_data_dir: Path) -> Any:
    from replydraft.drafting.drafter import build_drafter

    return build_drafter(repo_settings(kb_data_dir), knowledge)


@pytest.fixture
def app_factory(tmp_path: Path, kb_data_dir: Path, knowledge: Any, drafter: Any
                ) -> Iterator[Callable[..., tuple[FastAPI, Database, Settings]]]:
    """Apps sharing the session's index but each with its own SQLite file."""
    databases: list[Database] = []

    def factory(**overrides: Any) -> tuple[FastAPI, Database, Settings]:
        overrides.setdefault("database_url", f"sqlite:///{tmp_path / 'api.db'}")
        settings = repo_settings(kb_data_dir, **overrides)
        database = open_database(settings)
        databases.append(database)
        app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
        return app, database, settings

    yield factory
    for database in databases:
        database.close()


@pytest.fixture
def api(app_factory: Callable[..., tuple[FastAPI, Database, Settings]]) -> Iterator[Api]:
    app, database, settings = app_factory()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, database=database, settings=settings,
                  tokens=issue_role_keys(database))


@pytest.fixture
def live_api(app_factory: Callable[..., tuple[FastAPI, Database, Settings]]
             ) -> Iterator[tuple[str, dict[str, str]]]:
    app, database, _ = app_factory()
    tokens = issue_role_keys(database)
    with LiveServer(app) as server:
        yield server.base_url, tokens


@pytest.fixture
def fresh_kb_settings(tmp_path: Path, kb_data_dir: Path) -> Settings:
    """A private copy of the built index (for tests that refresh or roll back)."""
    data_dir = tmp_path / "kb-copy"
    shutil.copytree(kb_data_dir, data_dir, ignore=shutil.ignore_patterns("*.db*"))
    return repo_settings(data_dir, database_url=f"sqlite:///{tmp_path / 'jobs.db'}")
