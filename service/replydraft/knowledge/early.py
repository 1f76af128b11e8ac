"""Embedding product headlines while a refresh is still planning.

Planning is Python on one core; the model runs outside the GIL. So the planner hands over the
headlines of the products it parses as soon as it reads them, and a background thread embeds
them while the planner goes on rendering, tokenising and scanning; in a fresh process that also
covers loading jieba's dictionary (~1 s). What the thread computes is only ever used by the
refresh that asked for it: the refresh looks its chunks' texts up here first and embeds the rest
itself, and a refresh that fails planning throws it away.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from replydraft.knowledge.index import DenseIndex

# Texts per call: enough for every engine of the pool to get a full batch (see embedding.py).
BATCH = 16


class EarlyEmbedding:
    """``want`` texts from the planning thread; ``finish`` for their vectors afterwards.

    ``progress(done, known)`` hears, from the background thread, how many texts are embedded
    and how many were handed over so far."""

    def __init__(self, index: DenseIndex,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self._index = index
        self._progress = progress
        self._seen: set[str] = set()
        self._pending: list[str] = []
        self._futures: list[Future[tuple[dict[str, np.ndarray], int]]] = []
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="early-embed")
        self._lock = threading.Lock()
        self.done = 0  # texts looked up or embedded so far

    def want(self, texts: Iterable[str]) -> None:
        for text in texts:
            if text not in self._seen:
                self._seen.add(text)
                self._pending.append(text)
        while len(self._pending) >= BATCH:
            self._submit(self._pending[:BATCH])
            del self._pending[:BATCH]

    def finish(self) -> tuple[dict[str, np.ndarray], int]:
        """Vectors of every text wanted (waiting for the thread) and how many of them the model
        embedded (the rest were stored already). Re-raises the embedder's error."""
        if self._pending:
            self._submit(self._pending)
            self._pending = []
        vectors: dict[str, np.ndarray] = {}
        embedded = 0
        for future in self._futures:
            found, count = future.result()
            vectors.update(found)
            embedded += count
        return vectors, embedded

    def close(self) -> None:
        """Drop what has not started; wait for the batch that has (it cannot be interrupted)."""
        for future in self._futures:
            future.cancel()
        self._executor.shutdown(wait=True)

    def _submit(self, texts: list[str]) -> None:
        self._futures.append(self._executor.submit(self._embed, list(texts)))

    def _embed(self, texts: list[str]) -> tuple[dict[str, np.ndarray], int]:
        result = self._index.embed_texts(texts)
        with self._lock:
            self.done += len(texts)
            if self._progress is not None:
                self._progress(self.done, len(self._seen))
        return result
