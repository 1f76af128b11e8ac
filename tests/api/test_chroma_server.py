"""The index on a real chroma server (`chroma run` on a loopback port, REPLYDRAFT_CHROMA_URL):
built and searched there; with the server stopped, searches and drafts are answered by keyword
search marked degraded (never a 500) and /readyz says degraded; when it is back, vector search
returns by itself. A replica whose settings do not fit the index refuses to serve."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.support import LiveServer, issue_role_keys, repo_settings
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import open_database
from replydraft.errors import ConfigurationError
from replydraft.knowledge import base as kb_module
from replydraft.knowledge.base import KnowledgeBase

pytestmark = pytest.mark.chroma_server

QUERY = "180斤穿多大"
DRAFT = {"messages": [{"role": "customer", "text": "我身高180，体重90公斤，这条牛仔裤穿多大？"}]}


@pytest.fixture
def served_kb(tmp_path: Path, chroma_server: Any, knowledge: Any,
              monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, KnowledgeBase]:
    """The demo knowledge refreshed into the chroma server, searched through it (the demo
    store is small enough to be searched in memory; the limit is lowered so every search
    asks the server)."""
    monkeypatch.setattr(kb_module, "EXACT_SEARCH_MAX_CHUNKS", 0)
    monkeypatch.setattr(kb_module, "VECTOR_RETRY_S", 0.2)
    settings = repo_settings(tmp_path / "var", chroma_url=chroma_server.url, chroma_timeout_s=3,
                             database_url=f"sqlite:///{tmp_path / 'api.db'}")
    kb = KnowledgeBase(settings, embedder=knowledge.embedder)
    kb.refresh()
    return settings, kb


def test_search_goes_through_the_server_and_degrades_while_it_is_down(
        served_kb: tuple[Settings, KnowledgeBase], chroma_server: Any) -> None:
    _, kb = served_kb
    hits = kb.search(QUERY, k=5)
    assert hits and hits.degraded is None
    assert any(hit.dense_rank is not None for hit in hits)
    chroma_server.stop()
    try:
        down = kb.search(QUERY, k=5)
        assert down, "keyword search must still answer"
        assert down.degraded is not None and "vector store" in down.degraded
        assert all(hit.dense_rank is None for hit in down)
        assert kb.check_vectors() is not None
    finally:
        chroma_server.start()
    time.sleep(0.3)  # past the pause between retries
    again = kb.search(QUERY, k=5)
    assert again.degraded is None and any(hit.dense_rank is not None for hit in again)
    assert kb.check_vectors() is None


def test_the_api_answers_degraded_not_500_while_chroma_is_down(
        served_kb: tuple[Settings, KnowledgeBase], drafter: Any, chroma_server: Any) -> None:
    from replydraft.drafting.drafter import build_drafter

    settings, kb = served_kb
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=kb,
                     drafter=build_drafter(settings, kb))
    tokens = issue_role_keys(database)
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with LiveServer(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        assert client.get("/readyz").json()["status"] == "ready"
        chroma_server.stop()
        try:
            search = client.get("/v1/knowledge/search", params={"q": QUERY}, headers=agent)
            assert search.status_code == 200, search.text
            assert search.json()["degraded"] is True and search.json()["data"]
            created = client.post("/v1/drafts", json=DRAFT, headers=agent)
            assert created.status_code == 201, created.text
            assert created.json()["degraded"] is True and created.json()["text"]
            ready = client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["status"] == "degraded" and ready.json()["vectors"] is False
            metrics = client.get("/metrics").text
            assert 'replydraft_degraded_answers_total{kind="search"} 1.0' in metrics
            assert 'replydraft_degraded_answers_total{kind="draft"} 1.0' in metrics
        finally:
            chroma_server.start()
        time.sleep(0.3)
        assert client.get("/readyz").json()["status"] == "ready"
        search = client.get("/v1/knowledge/search", params={"q": QUERY}, headers=agent)
        assert search.json()["degraded"] is False
    database.close()


def test_a_replica_without_the_chroma_url_refuses_to_serve_a_server_index(
        served_kb: tuple[Settings, KnowledgeBase], knowledge: Any) -> None:
    settings, _ = served_kb
    replica_settings = settings.model_copy(update={"chroma_url": None})
    replica = KnowledgeBase(replica_settings, embedder=knowledge.embedder)
    problem = replica.configuration_problem()
    assert problem is not None and "REPLYDRAFT_CHROMA_URL" in problem
    database = open_database(replica_settings)
    app = create_app(replica_settings, database=database, knowledge=replica)
    with pytest.raises(ConfigurationError, match="REPLYDRAFT_CHROMA_URL"), TestClient(app):
        pass
    database.close()
