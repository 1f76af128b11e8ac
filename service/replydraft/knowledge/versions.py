"""Index versions in the configured SQL database: manifests, the serving-version pointer, the
content-addressed units they name, and the refresh lock.

Tables (``db.models``): ``index_state`` (one row: ``active``, ``last``, the index id naming the
chroma collection, the refresh lock's holder and heartbeat), ``index_versions`` (version ->
manifest JSON: sources, file hashes, units, chunk ids, SKUs, warnings, counts) and
``index_units`` (key -> chunks, texts, lexical terms and the stored product or store profile,
shared by the versions that contain them).

A replica needs nothing but the database (and chroma for vectors): no shared volume. A version's
units and manifest are written (one transaction) before ``active`` may name it, and the switch
itself is one UPDATE, so a reader never sees half a version and a crash mid-build leaves the
serving version untouched. Pruning a version deletes the units no retained version names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS
from replydraft.db.models import IndexState, IndexUnit, IndexVector, IndexVersion
from replydraft.db.types import utcnow
from replydraft.errors import FieldProblem, KnowledgeError, NotFound, RefreshInProgress
from replydraft.knowledge.chunking import IndexedChunk
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.knowledge.scanners import ScanWarning
from replydraft.processes import process_alive

LAYOUT = 2  # 1: whole-version chunks.json and catalog.json files (no longer read)


class ProductRecord(BaseModel):
    """One product of a product file, so an unchanged product in a changed file is reused."""

    key: str  # the unit holding its chunks and stored form
    line: int
    chunk_ids: list[str]
    warnings: list[ScanWarning] = Field(default_factory=list)
    row: str = ""  # raw digest of its CSV row: an unchanged row is not even parsed again


def product_key(product: Product) -> str:
    return hashlib.sha256(product.model_dump_json().encode("utf-8")).hexdigest()[:24]


class SourceEntry(BaseModel):
    source_type: str
    sha256: str
    chunk_ids: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    warnings: list[ScanWarning] = Field(default_factory=list)
    products: dict[str, ProductRecord] = Field(default_factory=dict)  # by SKU, in file order
    unit: str = ""  # store and playbook files: the one unit of the whole file


class Manifest(BaseModel):
    version: int
    created_at: datetime
    embedder: str
    fingerprint: str  # what else shapes chunks (settings, templates, scanner): reuse guard
    scanner: str
    sources: dict[str, SourceEntry]
    chunk_count: int
    product_count: int
    lexical_version: int = 1
    layout: int = 1
    # Where the vectors were written: "server" (REPLYDRAFT_CHROMA_URL) or "disk" (the data
    # dir); "" in versions written before it was recorded. A replica configured otherwise
    # would search an empty collection, so it refuses to serve (see configuration_problem).
    vector_store: str = ""


class Catalog(BaseModel):
    store: StoreProfile
    products: list[Product]


@dataclass(frozen=True)
class LoadedVersion:
    manifest: Manifest
    chunks: list[IndexedChunk]
    catalog: Catalog


def _placed_units(manifest: Manifest) -> Iterator[tuple[str, int | None, int]]:
    """(unit key, line, position) in source order; a store or playbook unit keeps the lines
    and positions it was built with (line None), a product takes its record's."""
    for entry in manifest.sources.values():
        if entry.unit:
            yield entry.unit, None, 0
        for position, sku in enumerate(entry.skus):
            record = entry.products[sku]
            yield record.key, record.line, position


def _placed_chunks(placed: list[tuple[str, int | None, int]],
                   bodies: dict[str, dict[str, Any]]) -> list[IndexedChunk]:
    """The units' chunks in order, each id once; a product's chunks take its placement."""
    chunks: dict[str, IndexedChunk] = {}
    for key, line, position in placed:
        for item in bodies[key]["chunks"]:
            if line is not None:  # a product: placed where this version found its row
                item = {**item, "line": line, "meta": {**item["meta"], "position": position}}
            chunk = IndexedChunk.from_json(item)
            chunks.setdefault(chunk.id, chunk)
    return list(chunks.values())


_BATCH = 900  # bound parameters per statement, well under SQLite's limit
STATE_ROW = 1
# A refresh holding the lock renews its heartbeat this often; another process takes the lock
# over when the heartbeat is older than the lease (the holder died: kill -9, a lost host).
LOCK_BEAT_S = 5.0
LOCK_LEASE_S = 30.0


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _batches(items: list[str], size: int = _BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _references_of(entries: Iterable[tuple[list[str], str, list[str]]]
                   ) -> tuple[frozenset[str], frozenset[str]]:
    """(chunk ids, unit keys) of a manifest's sources, each given as (chunk ids, the unit of a
    store or playbook file or "", the units of its products)."""
    ids: set[str] = set()
    units: set[str] = set()
    for chunk_ids, unit, product_units in entries:
        ids.update(chunk_ids)
        if unit:
            units.add(unit)
        units.update(product_units)
    return frozenset(ids), frozenset(units)


def _insert_new(session: Any, key: Any, rows: dict[str, dict[str, Any]]) -> None:
    """Insert the rows (by key) that ``key``'s table does not hold yet: content-addressed rows
    never change, so a stored one is left as it is."""
    present: set[str] = set()
    for batch in _batches(list(rows)):
        present.update(session.scalars(select(key).where(key.in_(batch))))
    fresh = [row for name, row in rows.items() if name not in present]
    if fresh:
        session.execute(insert(key.class_), fresh)


def _died_here(holder: str) -> bool:
    """Whether a lock ``holder`` ("pid N on HOST since …") was a process of this host that is
    gone (killed, crashed)."""
    parts = holder.split()
    if len(parts) < 4 or parts[0] != "pid" or parts[2] != "on" or not parts[1].isdigit():
        return False
    return parts[3] == socket.gethostname() and not process_alive(int(parts[1]))


_ACTIVE = select(IndexState.active).where(IndexState.id == STATE_ROW)


class VersionStore:
    """Versions, units, the serving pointer and the refresh lock, in ``database``."""

    def __init__(self, database: Database, *, lock_lease_s: float = LOCK_LEASE_S,
                 legacy_index_id: str | None = None) -> None:
        self.database = database
        self.lock_lease_s = lock_lease_s
        # The id an index kept in files (before versions moved into the database) gave its
        # chroma collection: kept, so the first refresh reuses the stored vectors.
        self._legacy_index_id = legacy_index_id
        # A version's row never changes once written: its references are parsed once.
        self._reference_cache: dict[int, tuple[frozenset[str], frozenset[str]]] = {}

    # ---------------------------------------------------------------- state

    def _state(self) -> IndexState:
        """The state row, made on first use with a fresh index id (another process making it
        at the same moment wins; its row is used)."""
        with self.database.session() as session:
            row = session.get(IndexState, STATE_ROW)
            if row is not None:
                return row
            session.add(IndexState(id=STATE_ROW,
                                   index_id=self._legacy_index_id or uuid.uuid4().hex[:12],
                                   active=None, last=0))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
        with self.database.session() as session:
            row = session.get(IndexState, STATE_ROW)
            assert row is not None
            return row

    def index_id(self) -> str:
        """A random id made once per index: it names this index's chroma collection, so two
        indexes sharing one chroma (a server, or in-process clients) never touch each other's
        records."""
        return self._state().index_id

    def read_state(self) -> dict[str, int]:
        state = self._state()
        found = {"active": state.active, "last": state.last}
        return {key: value for key, value in found.items() if value is not None}

    def active(self) -> int | None:
        # Core, not a Session: readers poll this (every access with REPLYDRAFT_INDEX_POLL_S=0),
        # and the ORM session costs ten times the query.
        with self.database.engine.connect() as connection:
            return connection.execute(_ACTIVE).scalar()

    def activate(self, version: int) -> None:
        """Serve ``version``: one UPDATE, seen by every replica's next poll."""
        last = self._state().last
        with self.database.session() as session:
            if session.get(IndexVersion, version) is None:
                raise NotFound(f"index version {version} does not exist")
            session.execute(update(IndexState).where(IndexState.id == STATE_ROW).values(
                active=version, switched_at=utcnow(), last=max(last, version)))
            session.commit()

    def next_version(self) -> int:
        return max([self.read_state().get("last", 0), *self.retained()]) + 1

    def retained(self) -> list[int]:
        with self.database.session() as session:
            return list(session.scalars(select(IndexVersion.version)
                                        .order_by(IndexVersion.version)))

    # ---------------------------------------------------------------- reading

    def manifest(self, version: int) -> Manifest:
        with self.database.session() as session:
            text = session.scalar(select(IndexVersion.manifest)
                                  .where(IndexVersion.version == version))
        if text is None:
            raise NotFound(f"index version {version} does not exist")
        manifest = Manifest.model_validate_json(text)
        self._remember_references(manifest)
        return manifest

    def put_units(self, units: dict[str, dict[str, Any]]) -> None:
        """Store units not stored yet (a key always names the same content)."""
        with self.database.session() as session:
            self._insert_units(session, units)
            session.commit()

    def get_units(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: json.loads(body)
                for key, body in self._stored(IndexUnit.key, IndexUnit.body, keys)}

    def _stored(self, key: Any, value: Any, keys: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """(key, value) of the stored rows among ``keys``, read in batches."""
        wanted = list(dict.fromkeys(keys))
        with self.database.engine.connect() as connection:
            for batch in _batches(wanted):
                yield from connection.execute(select(key, value).where(key.in_(batch)))

    def load(self, version: int) -> LoadedVersion:
        """Everything ``version`` serves: its chunks in source order and its catalog."""
        manifest, placed, bodies = self._read_units(version)
        store: StoreProfile | None = None
        products: list[Product] = []
        for key, _, _ in placed:
            body = bodies[key]
            if body.get("store") is not None:
                store = StoreProfile.model_validate(body["store"])
            if body.get("product") is not None:
                products.append(Product.model_validate(body["product"]))
        if store is None:
            raise KnowledgeError(f"index version {version} has no store profile",
                                 problems=[FieldProblem(f"index v{version}", "no store unit")])
        products.sort(key=lambda product: product.sku)
        return LoadedVersion(manifest=manifest, chunks=_placed_chunks(placed, bodies),
                             catalog=Catalog.model_construct(store=store, products=products))

    def chunks(self, version: int) -> list[IndexedChunk]:
        """The chunks of ``version`` alone (a refresh reusing their lexical terms has no use
        for 10k validated products)."""
        _, placed, bodies = self._read_units(version)
        return _placed_chunks(placed, bodies)

    def _read_units(self, version: int) -> tuple[
            Manifest, list[tuple[str, int | None, int]], dict[str, dict[str, Any]]]:
        manifest = self.manifest(version)
        if manifest.layout != LAYOUT:
            raise KnowledgeError(
                f"index version {version} was written by an older replydraft; "
                "run `replydraft kb refresh` to rebuild it (stored embeddings are reused)",
                problems=[FieldProblem(f"index v{version}", "old index layout")])
        placed = list(_placed_units(manifest))
        bodies = self.get_units(key for key, _, _ in placed)
        missing = sorted({key for key, _, _ in placed if key not in bodies})
        if missing:
            raise KnowledgeError(
                f"index version {version} is incomplete ({len(missing)} unit(s) missing); "
                "run `replydraft kb refresh`",
                problems=[FieldProblem(f"index v{version}", f"unit {k} missing")
                          for k in missing[:5]])
        return manifest, placed, bodies

    # ---------------------------------------------------------------- writing

    def write_version(self, manifest: Manifest, units: dict[str, dict[str, Any]],
                      vectors: Mapping[str, np.ndarray] | None = None) -> None:
        """Store the new units, their chunks' vectors (by chunk id) and the manifest in one
        transaction (not yet served)."""
        with self.database.session() as session:
            self._insert_units(session, units)
            self._insert_vectors(session, vectors or {})
            session.execute(delete(IndexVersion).where(IndexVersion.version == manifest.version))
            session.add(IndexVersion(version=manifest.version, created_at=manifest.created_at,
                                     manifest=manifest.model_dump_json()))
            session.commit()
        self._remember_references(manifest)

    @staticmethod
    def _insert_units(session: Any, units: dict[str, dict[str, Any]]) -> None:
        _insert_new(session, IndexUnit.key,
                    {key: {"key": key, "body": _dumps(body)} for key, body in units.items()})

    # ---------------------------------------------------------------- vectors

    @staticmethod
    def _insert_vectors(session: Any, vectors: Mapping[str, np.ndarray]) -> None:
        _insert_new(session, IndexVector.chunk_id, {
            chunk_id: {"chunk_id": chunk_id, "vector": np.asarray(vector, dtype="<f4").tobytes()}
            for chunk_id, vector in vectors.items()})

    def put_vectors(self, vectors: Mapping[str, np.ndarray]) -> None:
        with self.database.session() as session:
            self._insert_vectors(session, vectors)
            session.commit()

    def get_vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``ids`` (those kept)."""
        return {chunk_id: np.frombuffer(blob, dtype="<f4")
                for chunk_id, blob in self._stored(IndexVector.chunk_id, IndexVector.vector, ids)}

    def vector_count(self) -> int:
        with self.database.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(IndexVector))
                       .scalar() or 0)

    def lacking_vectors(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` whose vector is not kept (an index older than kept vectors)."""
        wanted = set(ids)
        with self.database.engine.connect() as connection:
            kept = set(connection.execute(select(IndexVector.chunk_id)).scalars())
        return wanted - kept

    def prune(self, keep: int) -> tuple[list[int], set[str]]:
        """Delete all but the newest ``keep`` versions (never the active one) and the units no
        retained version names. Returns the deleted versions and the chunk ids they referenced."""
        active = self.active()
        retained = self.retained()
        doomed = [v for v in retained[:-keep] if v != active] if keep > 0 else []
        ids: set[str] = set()
        for version in doomed:
            ids |= self.chunk_ids(version)
        with self.database.session() as session:
            if doomed:
                session.execute(delete(IndexVersion).where(IndexVersion.version.in_(doomed)))
            session.commit()
        for version in doomed:
            self._reference_cache.pop(version, None)
        # Also collects the units of a refresh that failed after storing them.
        self.keep_units(self.referenced_units())
        self.keep_vectors(self.referenced_ids())
        return doomed, ids

    def keep_vectors(self, ids: set[str]) -> int:
        """Delete every kept vector whose chunk is not in ``ids``; returns how many went."""
        return self._keep_only(IndexVector.chunk_id, ids)

    def keep_units(self, keys: set[str]) -> int:
        """Delete every unit not in ``keys``; returns how many went."""
        return self._keep_only(IndexUnit.key, keys)

    def _keep_only(self, key: Any, keep: set[str]) -> int:
        with self.database.session() as session:
            doomed = sorted(set(session.scalars(select(key))) - keep)
            for batch in _batches(doomed):
                session.execute(delete(key.class_).where(key.in_(batch)))
            session.commit()
        return len(doomed)

    def chunk_ids(self, version: int) -> set[str]:
        """The chunk ids ``version`` references."""
        return set(self._references(version)[0])

    def referenced_ids(self) -> set[str]:
        """Chunk ids some retained version references."""
        return set().union(*(self._references(v)[0] for v in self.retained()))

    def referenced_units(self) -> set[str]:
        """Unit keys some retained version names."""
        return set().union(*(self._references(v)[1] for v in self.retained()))

    def _references(self, version: int) -> tuple[frozenset[str], frozenset[str]]:
        """(chunk ids, unit keys) of ``version``. Every refresh asks about each retained
        version, and a 10k-product manifest takes ~60 ms to parse even without building models:
        they are kept per version (a written version never changes), read from the raw JSON."""
        cached = self._reference_cache.get(version)
        if cached is not None:
            return cached
        with self.database.session() as session:
            text = session.scalar(select(IndexVersion.manifest)
                                  .where(IndexVersion.version == version))
        if text is None:
            raise NotFound(f"index version {version} does not exist")
        sources = json.loads(text)["sources"].values()
        references = _references_of(
            (entry["chunk_ids"], entry.get("unit", ""),
             [record["key"] for record in entry.get("products", {}).values()])
            for entry in sources)
        self._reference_cache[version] = references
        return references

    def _remember_references(self, manifest: Manifest) -> None:
        self._reference_cache[manifest.version] = _references_of(
            (entry.chunk_ids, entry.unit, [record.key for record in entry.products.values()])
            for entry in manifest.sources.values())

    # ---------------------------------------------------------------- lock

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        """Exclusive across every process and host sharing the database; a second refresh fails
        at once instead of queueing. The holder renews a heartbeat; a holder silent for longer
        than the lease (killed, host lost) no longer blocks."""
        self._state()
        holder = (f"pid {os.getpid()} on {socket.gethostname()} since "
                  f"{datetime.now().isoformat(timespec='seconds')} #{uuid.uuid4().hex[:6]}")
        cutoff = utcnow() - timedelta(seconds=self.lock_lease_s)
        with self.database.session() as session:
            taken = session.execute(
                update(IndexState)
                .where(IndexState.id == STATE_ROW,
                       (IndexState.lock_holder.is_(None))
                       | (IndexState.lock_heartbeat_at < cutoff))
                .values(lock_holder=holder, lock_heartbeat_at=utcnow()))
            session.commit()
            current = None
            if not getattr(taken, "rowcount", 0):
                current = session.scalar(select(IndexState.lock_holder)
                                         .where(IndexState.id == STATE_ROW))
            if current is not None and _died_here(current):
                # A holder on this host that no longer exists needs no lease to run out.
                taken = session.execute(
                    update(IndexState)
                    .where(IndexState.id == STATE_ROW, IndexState.lock_holder == current)
                    .values(lock_holder=holder, lock_heartbeat_at=utcnow()))
                session.commit()
            if not getattr(taken, "rowcount", 0):
                raise RefreshInProgress(
                    "another knowledge refresh is running"
                    + (f" ({current.rsplit(' #', 1)[0]})" if current else "")
                    + "; try again when it finishes")
        done = threading.Event()
        beat = threading.Thread(target=self._renew_lock, args=(holder, done), daemon=True,
                                name="refresh-lock")
        beat.start()
        try:
            yield
        finally:
            done.set()
            beat.join()
            with self.database.session() as session:
                session.execute(update(IndexState)
                                .where(IndexState.id == STATE_ROW,
                                       IndexState.lock_holder == holder)
                                .values(lock_holder=None, lock_heartbeat_at=None))
                session.commit()

    def _renew_lock(self, holder: str, done: threading.Event) -> None:
        while not done.wait(min(LOCK_BEAT_S, self.lock_lease_s / 4)):
            try:
                with self.database.session() as session:
                    session.execute(update(IndexState)
                                    .where(IndexState.id == STATE_ROW,
                                           IndexState.lock_holder == holder)
                                    .values(lock_heartbeat_at=utcnow()))
                    session.commit()
            except DATABASE_ERRORS:  # the next beat tries again, within the lease
                continue
