"""A server started on a torn on-disk vector store (see tests/knowledge/test_torn_store.py)
starts, is ready, answers searches by keywords (degraded) while the store is rebuilt in the
background, then by both halves again: no manual step."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.support import issue_role_keys
from knowledge.kb_helpers import CountingEmbedder, torn_copy_of
from replydraft.api.main import create_app
from replydraft.db.engine import open_database
from replydraft.knowledge.base import KnowledgeBase

QUERY = "180斤穿多大"


def test_a_server_starts_on_a_torn_store_and_serves(
        knowledge: Any, drafter: Any, tmp_path: Path, embedding_cache: Path) -> None:
    settings = torn_copy_of(knowledge, tmp_path)
    embedder = CountingEmbedder(cache=embedding_cache)
    kb = KnowledgeBase(settings, embedder=embedder)
    database = open_database(settings.model_copy(
        update={"database_url": f"sqlite:///{settings.data_dir / 'api.db'}"}))
    app = create_app(settings, database=database, knowledge=kb, drafter=drafter)
    agent = {"Authorization": f"Bearer {issue_role_keys(database)['agent']}"}
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        search = client.get("/v1/knowledge/search", params={"q": QUERY}, headers=agent)
        assert search.status_code == 200 and search.json()["data"]
        deadline = time.monotonic() + 180
        while client.get("/readyz").json()["status"] != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        search = client.get("/v1/knowledge/search", params={"q": QUERY}, headers=agent)
        assert search.json()["degraded"] is False
    database.close()
    assert embedder.passages == []
