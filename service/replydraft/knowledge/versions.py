"""Index versions on disk: manifests, the active-version pointer, and the refresh lock.

Layout under ``settings.index_dir``::

    state.json        {"active": N, "last": M}  - replaced atomically, only after v{N} is complete
    refresh.lock      flock'ed by the one refresh allowed at a time
    v{N}/manifest.json  sources (file hash, chunk ids, SKUs, warnings), counts, created_at
    v{N}/chunks.json    chunk ids, texts, metadata, pre-tokenised lexical terms
    v{N}/catalog.json   the store profile and products exactly as this version serves them

A version directory is built under a temporary name and renamed into place, so a reader never
sees half a version, and a crash mid-build leaves the serving version untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from replydraft.errors import NotFound, RefreshInProgress
from replydraft.knowledge.chunking import IndexedChunk
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.knowledge.scanners import ScanWarning
from replydraft.processes import process_alive


class ProductRecord(BaseModel):
    """One product of a product file, so an unchanged product in a changed file is reused."""

    key: str  # product_key(): hash of the validated product
    line: int
    chunk_ids: list[str]
    warnings: list[ScanWarning] = Field(default_factory=list)


def product_key(product: Product) -> str:
    return hashlib.sha256(product.model_dump_json().encode("utf-8")).hexdigest()[:24]


class SourceEntry(BaseModel):
    source_type: str
    sha256: str
    chunk_ids: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    warnings: list[ScanWarning] = Field(default_factory=list)
    products: dict[str, ProductRecord] = Field(default_factory=dict)  # by SKU


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


class Catalog(BaseModel):
    store: StoreProfile
    products: list[Product]


def _write_json(path: Path, data: Any) -> None:
    # json.dumps, not json.dump: only the one-shot call uses the C encoder (10x faster on the
    # 10k-product chunk list, which dominated an incremental refresh).
    _write_text(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class VersionStore:
    def __init__(self, index_dir: Path) -> None:
        self.root = index_dir

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
            stat = self.state_path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_ino)

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
            return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"index version {version} does not exist") from None

    def chunks(self, version: int) -> list[IndexedChunk]:
        path = self.version_dir(version) / "chunks.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        return [IndexedChunk.from_json(item) for item in data]

    def catalog(self, version: int) -> Catalog:
        path = self.version_dir(version) / "catalog.json"
        return Catalog.model_validate_json(path.read_text(encoding="utf-8"))

    def catalog_products_raw(self, version: int) -> dict[str, dict[str, Any]]:
        """SKU -> the product exactly as ``version`` stored it, unvalidated: a refresh carries
        the products of unchanged files over as they are (validating 10k products again would
        take seconds, and they were valid when written)."""
        path = self.version_dir(version) / "catalog.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        return {item["sku"]: item for item in data["products"]}

    # ---------------------------------------------------------------- writing

    def write_version(self, manifest: Manifest, chunks: list[IndexedChunk],
                      store: StoreProfile, products: list[Product | dict[str, Any]]) -> None:
        """Write v{N} completely under a temporary name, then rename it into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.version_dir(manifest.version)
        building = self.root / f".building-v{manifest.version}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        try:
            _write_json(building / "chunks.json", [chunk.to_json() for chunk in chunks])
            _write_json(building / "catalog.json", {
                "store": store.model_dump(mode="json"),
                "products": [p if isinstance(p, dict) else p.model_dump(mode="json")
                             for p in products]})
            _write_text(building / "manifest.json", manifest.model_dump_json())
            if final.exists():  # leftover of a build that crashed after renaming
                shutil.rmtree(final)
            os.rename(building, final)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise

    def prune(self, keep: int) -> tuple[list[int], set[str]]:
        """Delete all but the newest ``keep`` versions (never the active one). Returns the
        deleted versions and the chunk ids they referenced."""
        active = self.active()
        retained = self.retained()
        doomed = [v for v in retained[:-keep] if v != active] if keep > 0 else []
        ids: set[str] = set()
        for version in doomed:
            ids |= self.chunk_ids(version)
            shutil.rmtree(self.version_dir(version), ignore_errors=True)
        for leftover in self.root.glob(".building-v*"):
            pid = leftover.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)
        return doomed, ids

    def chunk_ids(self, version: int) -> set[str]:
        """The chunk ids ``version`` references (raw JSON: no model building for 10k products)."""
        path = self.version_dir(version) / "manifest.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        return {i for entry in data["sources"].values() for i in entry["chunk_ids"]}

    def referenced_ids(self) -> set[str]:
        ids: set[str] = set()
        for version in self.retained():
            ids |= self.chunk_ids(version)
        return ids

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
                    + f"; try again when it finishes (lock: {path})") from None
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
