"""The dense half of the index: one chroma collection of content-addressed chunk records.

A record is a vector and the metadata the filters need; the chunk texts live in the version's
units (chroma would full-text index a stored document on every add, for nothing).

Records are never rewritten: a refresh adds the ids chroma does not hold yet and, after the
switch, deletes the ids no retained version references. Queries over-fetch and keep only the
serving version's ids, so old versions' records sitting in the collection never leak into results.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from replydraft.config import Settings
from replydraft.errors import ReplydraftError, VectorStoreUnavailable
from replydraft.knowledge.chunking import IndexedChunk
from replydraft.knowledge.embedding import Embedder, ReplydraftEmbeddingFunction


@contextlib.contextmanager
def chroma_faults(doing: str) -> Iterator[None]:
    """Any failure of chroma while ``doing`` something becomes ``VectorStoreUnavailable``.
    chromadb raises whatever its transport or bindings raise (httpx errors, ValueError "Could
    not connect", its own ChromaError tree, RuntimeError or pickle errors from a damaged HNSW
    file), so the seam is drawn here, around each call into it, and nowhere else."""
    try:
        yield
    except ReplydraftError:
        raise
    except Exception as error:
        raise VectorStoreUnavailable(
            f"the vector store failed while {doing}: {type(error).__name__}: {error}"[:500]
        ) from error


def make_client(settings: Settings) -> Any:
    """The chroma client the settings ask for: a server when ``chroma_url`` is set, else on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        token = settings.chroma_token
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1", port=url.port or 8000,
            ssl=url.scheme == "https", settings=chroma_settings,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"} if token else None,
            tenant=settings.chroma_tenant, database=settings.chroma_database)
        _bound_waits(client, settings.chroma_timeout_s)
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _bound_waits(client: Any, timeout_s: float) -> None:
    """chromadb's HTTP client waits for ever (``httpx.Client(timeout=None)``), so a frozen server
    would hold every search; its session is the only place to set a limit."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0))


def reopen_client(settings: Settings) -> Any:
    """A fresh on-disk client that re-reads the store from disk.

    An on-disk chroma keeps its vector index in memory and does not notice records another
    process (``replydraft kb refresh`` next to a running server) wrote since: measured, a
    second process's adds and deletes show in ``count()`` but not in ``query()``. chromadb
    caches one client system per path; dropping that cache entry makes the next client load
    the current state. Handles of the old system keep working until they are dropped."""
    from chromadb.api.client import SharedSystemClient

    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    if isinstance(systems, dict):
        systems.pop(str(settings.chroma_dir), None)
    return make_client(settings)


def collection_name(embedder: Embedder, namespace: str) -> str:
    # One collection per index and embedding model: vectors of different models must never be
    # mixed, and one index's clean-up must never delete another index's records.
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder.name).strip("-._")
    return f"replydraft-{namespace}-{slug}"[:60].rstrip("-._")


def where_clause(language: str | None, sku: str | None, intent: str | None
                 ) -> dict[str, Any] | None:
    conditions: list[dict[str, Any]] = [
        {key: value} for key, value in (("language", language), ("sku", sku), ("intent", intent))
        if value
    ]
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


class DenseIndex:
    def __init__(self, client: Any, embedder: Embedder, namespace: str) -> None:
        self._client = client
        self._embedder = embedder
        with chroma_faults("opening the collection"):
            self._collection = client.get_or_create_collection(
                name=collection_name(embedder, namespace),
                embedding_function=ReplydraftEmbeddingFunction(embedder),
                metadata={"hnsw:space": "cosine"},
            )

    def count(self) -> int:
        with chroma_faults("counting records"):
            return int(self._collection.count())

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(list(ids), 5000):
            found.update(self._collection.get(ids=batch, include=[])["ids"])
        return found

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``ids`` (those chroma holds)."""
        found: dict[str, np.ndarray] = {}
        for batch in _batches(list(ids), 5000):
            with chroma_faults("reading vectors"):
                result = self._collection.get(ids=batch, include=["embeddings"])
            embeddings = result["embeddings"] if result["embeddings"] is not None else []
            for chunk_id, vector in zip(result["ids"], embeddings, strict=True):
                found[chunk_id] = np.asarray(vector, dtype=np.float32)
        return found

    def all_ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def _stored_vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        # A price change alters a product's text but not its headline: its new records reuse
        # the stored vector instead of paying for the model again.
        found: dict[str, np.ndarray] = {}
        hashes = list(dict.fromkeys(embed_hash(text) for text in texts))
        for batch in _batches(hashes, 500):
            result = self._collection.get(where={"embed_hash": {"$in": batch}},
                                          include=["embeddings", "metadatas"])
            for meta, vector in zip(result["metadatas"] or [], result["embeddings"]
                                    if result["embeddings"] is not None else [], strict=False):
                if meta and "embed_hash" in meta:
                    found[str(meta["embed_hash"])] = np.asarray(vector, dtype=np.float32)
        return found

    def embed(self, chunks: list[IndexedChunk],
              progress: Callable[[int], None] | None = None,
              to_embed_count: Callable[[int], None] | None = None,
              ready: dict[str, np.ndarray] | None = None
              ) -> tuple[dict[str, np.ndarray], int]:
        """Vectors for ``chunks`` by embedding input: those in ``ready`` (by text) as they are,
        the others through ``embed_texts``. Returns the vectors and how many texts the model
        embedded."""
        ready = ready or {}
        needed = dict.fromkeys(chunk.embed_text for chunk in chunks)
        vectors, embedded = self.embed_texts([text for text in needed if text not in ready],
                                             progress, to_embed_count)
        vectors.update((text, ready[text]) for text in needed if text in ready)
        return vectors, embedded

    def embed_texts(self, texts: list[str],
                    progress: Callable[[int], None] | None = None,
                    to_embed_count: Callable[[int], None] | None = None
                    ) -> tuple[dict[str, np.ndarray], int]:
        """Vectors of ``texts``, each distinct text embedded at most once and only when no
        stored record already has its vector. ``to_embed_count`` hears how many texts that is
        before embedding starts. Returns the vectors and that count."""
        unique_texts = list(dict.fromkeys(texts))
        stored = self._stored_vectors(unique_texts)
        vectors: dict[str, np.ndarray] = {
            text: stored[embed_hash(text)] for text in unique_texts if embed_hash(text) in stored}
        to_embed = [text for text in unique_texts if text not in vectors]
        if to_embed_count is not None:
            to_embed_count(len(to_embed))
        batch_size = int(getattr(self._embedder, "batch_size", 8))
        for batch in _batches(to_embed, batch_size):
            for text, vector in zip(batch, self._embedder.embed_passages(batch), strict=True):
                vectors[text] = vector
            if progress is not None:
                progress(len(batch))
        return vectors, len(to_embed)

    def store(self, chunks: list[IndexedChunk], vectors: dict[str, np.ndarray]) -> None:
        """Add a record per chunk, with the vector of its embedding input."""
        limit = max(1, min(5000, int(self._client.get_max_batch_size())))
        for batch_chunks in _batches(chunks, limit):
            self._collection.add(
                ids=[chunk.id for chunk in batch_chunks],
                embeddings=np.stack([vectors[chunk.embed_text] for chunk in batch_chunks]),
                metadatas=[_metadata(chunk) for chunk in batch_chunks],
            )

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids), 5000):
            self._collection.delete(ids=batch)

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None,
              *, total: int | None = None) -> list[tuple[str, float]]:
        """``n`` nearest (id, distance) pairs among records matching ``where``; ``total`` is the
        record count when the caller already knows it."""
        n = min(n, self.count() if total is None else total)
        if n <= 0:
            return []
        with chroma_faults("searching"):
            result = self._collection.query(
                query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        ids = result["ids"][0]
        distances = (result.get("distances") or [[0.0] * len(ids)])[0]
        return list(zip(ids, (float(d) for d in distances), strict=True))


def _metadata(chunk: IndexedChunk) -> dict[str, str | int]:
    meta = chunk.meta
    return {"source": meta.source, "source_type": meta.source_type, "section": meta.section,
            "intent": meta.intent, "language": meta.language, "sku": meta.sku,
            "content_hash": meta.content_hash, "embed_hash": embed_hash(chunk.embed_text)}


def embed_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
