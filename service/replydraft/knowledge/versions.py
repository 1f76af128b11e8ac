"""Index versions on disk: manifests, the active-version pointer, and the refresh lock.

Layout under ``settings.index_dir``::

    state.json        {"active": N, "last": M}  - replaced atomically, only after v{N} is complete
    refresh.lock      flock'ed by the one refresh allowed at a time
    units.sqlite      content-addressed units: chunks (texts, metadata, lexical terms) and the
                      stored product or store profile, shared by the versions that contain them
    v{N}/manifest.json  sources (file hash, units, chunk ids, SKUs, warnings), counts, created_at

A version's units are stored before its manifest; the manifest is built under a temporary
directory name and renamed into place, so a reader never sees half a version, and a crash
mid-build leaves the serving version untouched. Pruning a version deletes the units no retained
version names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from replydraft.errors import FieldProblem, KnowledgeError, NotFound, RefreshInProgress
from replydraft.knowledge.chunking import IndexedChunk
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.knowledge.scanners import ScanWarning
from replydraft.knowledge.units import UnitStore
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


def _write_json(path: Path, data: Any) -> None:
    _write_text(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _file_stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_ino)


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


class VersionStore:
    def __init__(self, index_dir: Path) -> None:
        self.root = index_dir
        self._reference_cache: dict[
            int, tuple[tuple[int, int], tuple[frozenset[str], frozenset[str]]]] = {}

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def index_id(self) -> str:
        """A random id made once per index dir: it names this index's chroma collection, so two
        indexes sharing one chroma (a server, or in-process clients) never touch each other's
        records."""
        path = self.root / "index_id"
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # another process won the race: use its id
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(uuid.uuid4().hex[:12])
        return path.read_text(encoding="utf-8").strip()

    def version_dir(self, version: int) -> Path:
        return self.root / f"v{version}"

    # ---------------------------------------------------------------- state

    def read_state(self) -> dict[str, int]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {key: int(value) for key, value in data.items() if value is not None}

    def state_stamp(self) -> tuple[int, int] | None:
        """Cheap change detector for readers: (mtime_ns, inode) of state.json."""
        try:
            return _file_stamp(self.state_path)
        except FileNotFoundError:
            return None

    def active(self) -> int | None:
        return self.read_state().get("active")

    def activate(self, version: int) -> None:
        if not (self.version_dir(version) / "manifest.json").is_file():
            raise NotFound(f"index version {version} does not exist")
        state = self.read_state()
        last = max(state.get("last", 0), version)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_json(self.state_path, {"active": version, "last": last})

    def next_version(self) -> int:
        existing = self.retained()
        return max([self.read_state().get("last", 0), *existing]) + 1

    def retained(self) -> list[int]:
        if not self.root.is_dir():
            return []
        versions = []
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("v") and child.name[1:].isdigit() \
                    and (child / "manifest.json").is_file():
                versions.append(int(child.name[1:]))
        return sorted(versions)

    # ---------------------------------------------------------------- reading

    def manifest(self, version: int) -> Manifest:
        path = self.version_dir(version) / "manifest.json"
        try:
            stamp = _file_stamp(path)
            manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"index version {version} does not exist") from None
        self._remember_references(version, stamp, manifest)
        return manifest

    @property
    def units(self) -> UnitStore:
        return UnitStore(self.root / "units.sqlite")

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
        bodies = self.units.get(key for key, _, _ in placed)
        missing = sorted({key for key, _, _ in placed if key not in bodies})
        if missing:
            raise KnowledgeError(
                f"index version {version} is incomplete ({len(missing)} unit(s) missing); "
                "run `replydraft kb refresh`",
                problems=[FieldProblem(f"index v{version}", f"unit {k} missing")
                          for k in missing[:5]])
        return manifest, placed, bodies

    # ---------------------------------------------------------------- writing

    def write_version(self, manifest: Manifest, units: dict[str, dict[str, Any]]) -> None:
        """Store the new units, then write v{N} under a temporary name and rename it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.units.put(units)
        final = self.version_dir(manifest.version)
        building = self.root / f".building-v{manifest.version}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        try:
            _write_text(building / "manifest.json", manifest.model_dump_json())
            if final.exists():  # leftover of a build that crashed after renaming
                shutil.rmtree(final)
            os.rename(building, final)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        self._remember_references(manifest.version, _file_stamp(final / "manifest.json"),
                                  manifest)

    def prune(self, keep: int) -> tuple[list[int], set[str]]:
        """Delete all but the newest ``keep`` versions (never the active one) and the units no
        retained version names. Returns the deleted versions and the chunk ids they referenced."""
        active = self.active()
        retained = self.retained()
        doomed = [v for v in retained[:-keep] if v != active] if keep > 0 else []
        ids: set[str] = set()
        for version in doomed:
            ids |= self.chunk_ids(version)
            shutil.rmtree(self.version_dir(version), ignore_errors=True)
            self._reference_cache.pop(version, None)
        for leftover in self.root.glob(".building-v*"):
            pid = leftover.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)
        # Also collects the units of a refresh that failed after storing them.
        self.units.keep_only(self.referenced_units())
        return doomed, ids

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
        they are kept per version (a written manifest never changes), taken from the models
        when a manifest was just parsed or written, else read from the raw JSON."""
        path = self.version_dir(version) / "manifest.json"
        stamp = _file_stamp(path)
        cached = self._reference_cache.get(version)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        sources = json.loads(path.read_text(encoding="utf-8"))["sources"].values()
        references = _references_of(
            (entry["chunk_ids"], entry.get("unit", ""),
             [record["key"] for record in entry.get("products", {}).values()])
            for entry in sources)
        self._reference_cache[version] = (stamp, references)
        return references

    def _remember_references(self, version: int, stamp: tuple[int, int],
                             manifest: Manifest) -> None:
        self._reference_cache[version] = (stamp, _references_of(
            (entry.chunk_ids, entry.unit, [record.key for record in entry.products.values()])
            for entry in manifest.sources.values()))

    # ---------------------------------------------------------------- lock

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        """Non-blocking exclusive lock: a second refresh fails at once instead of queueing."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "refresh.lock"
        handle = path.open("a+")
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip()
                raise RefreshInProgress(
                    "another knowledge refresh is running"
                    + (f" ({holder})" if holder else "")
                    + "; try again when it finishes (lock: index/refresh.lock in the data "
                    "folder)") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {datetime.now().isoformat(timespec='seconds')}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()
