"""Build a new index version from the knowledge files: validate, chunk, diff, embed, switch.

Order matters for safety: every file is parsed and validated first and *all* problems are raised
together before anything is written; the new version is written completely (one database
transaction) before the serving pointer names it; old records are deleted only after the
switch, and only when no retained version references them.

Incremental by construction: an unchanged file is carried over from the previous manifest
without being read beyond its hash; in a changed CSV file an unchanged row is recognised by its
raw digest and reused without parsing; only new units (see ``units``) are built, stored and
embedded.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from replydraft.config import Settings
from replydraft.errors import FieldProblem, KnowledgeError
from replydraft.knowledge.bulk import collector_paused
from replydraft.knowledge.catalog import (
    PRODUCT_SUFFIXES,
    LocatedProduct,
    StoreFile,
    read_product_file,
    read_store,
)
from replydraft.knowledge.chunking import (
    STORE_FILE,
    IndexedChunk,
    playbook_chunks,
    product_chunks,
    store_chunks,
)
from replydraft.knowledge.csv_products import KnownRow
from replydraft.knowledge.early import EarlyEmbedding
from replydraft.knowledge.embedding import Embedder
from replydraft.knowledge.index import DenseIndex
from replydraft.knowledge.lexical import LEXICAL_VERSION
from replydraft.knowledge.models import StoreProfile
from replydraft.knowledge.playbooks import PLAYBOOK_SUFFIXES, Playbook, read_playbook
from replydraft.knowledge.render import product_headline, templates_fingerprint
from replydraft.knowledge.reports import ChunkDiff, RefreshReport, SourceDiff
from replydraft.knowledge.scanners import ScanWarning, scan_text, scanner_name
from replydraft.knowledge.scanning import ContentScanner
from replydraft.knowledge.units import unit_key
from replydraft.knowledge.versions import (
    LAYOUT,
    Manifest,
    ProductRecord,
    SourceEntry,
    VersionStore,
    product_key,
)
from replydraft.languages import Language

SOURCE_TYPES = ("store", "product", "playbook")

# Called with ("embed", done, total) while embedding, so the CLI can draw a progress bar; while
# the refresh still plans, from the thread embedding early (total: the texts known so far).
Progress = Callable[[str, int, int], None]


@dataclass
class BuiltSource:
    entry: SourceEntry
    # Units this refresh built (key -> chunks, stored body); reused units are only named.
    units: dict[str, tuple[list[IndexedChunk], dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything a refresh would switch to, computed without touching the index."""

    store: StoreProfile
    sources: dict[str, BuiltSource]
    fingerprint: str
    scanner: str
    notices: list[ScanWarning] = field(default_factory=list)  # ignored files and the like

    def chunk_ids(self) -> list[str]:
        return _ids_of(built.entry.chunk_ids for built in self.sources.values())

    def new_chunks(self) -> list[IndexedChunk]:
        chunks: dict[str, IndexedChunk] = {}
        for built in self.sources.values():
            for unit_chunks, _ in built.units.values():
                for chunk in unit_chunks:
                    chunks.setdefault(chunk.id, chunk)
        return list(chunks.values())

    def new_units(self) -> dict[str, dict[str, Any]]:
        return {key: body for b in self.sources.values() for key, (_, body) in b.units.items()}

    def product_count(self) -> int:
        return sum(len(built.entry.skus) for built in self.sources.values())


@dataclass
class Discovered:
    """What ``discover`` found: files to read, files ignored (warnings), files refused."""

    files: dict[str, str]  # relative path -> source type
    ignored: list[ScanWarning]
    refused: list[FieldProblem]


def discover(knowledge_dir: Path) -> Discovered:
    """Knowledge files (relative path -> source type), warnings for ignored files, and
    problems for files refused because their real path lies outside ``knowledge_dir``: a
    symbolic link to ``/etc/...`` or to another folder would otherwise be indexed and served
    by search to anyone allowed to search."""
    found: dict[str, str] = {}
    ignored: list[ScanWarning] = []
    refused: list[FieldProblem] = []
    root = knowledge_dir.resolve()
    if (knowledge_dir / STORE_FILE).is_file() or (knowledge_dir / STORE_FILE).is_symlink():
        found[STORE_FILE] = "store"
    for folder, suffixes, source_type in (("products", PRODUCT_SUFFIXES, "product"),
                                          ("playbooks", PLAYBOOK_SUFFIXES, "playbook")):
        base = knowledge_dir / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.parts[-1:]):
                continue
            rel = path.relative_to(knowledge_dir).as_posix()
            if path.name.lower() == "readme.md":
                continue
            if path.suffix.lower() in suffixes:
                found[rel] = source_type
            else:
                ignored.append(ScanWarning(
                    source=rel, line=1, category="ignored", rule="unsupported_file_type",
                    match=path.suffix or path.name,
                    reason=f"not read: {folder}/ accepts {', '.join(suffixes)}"))
    for rel in list(found):
        problem = _outside(knowledge_dir / rel, rel, root)
        if problem is not None:
            del found[rel]
            refused.append(problem)
    return Discovered(found, ignored, refused)


def _outside(path: Path, rel: str, root: Path) -> FieldProblem | None:
    """A problem when ``path`` resolves (through links in the file or its folders) to a place
    outside ``root``, or to nothing; None when it is a file inside."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a link loop
        return FieldProblem(rel, "refused: a symbolic link that leads nowhere (dangling or "
                                 "looping); remove it or copy the file in")
    if not real.is_relative_to(root):
        return FieldProblem(rel, "refused: a symbolic link to a file outside the knowledge "
                                 "folder; copy the file into the folder instead")
    return None


def _oversized(path: Path, rel: str, limit: int) -> FieldProblem | None:
    """A problem when the file is larger than ``limit`` bytes: checked before it is hashed or
    parsed, because parsing holds many times a file's size in memory (a 50 MB playbook reached
    2.2 GB) while the refresh lock is held."""
    size = path.stat().st_size
    if size <= limit:
        return None
    return FieldProblem(rel, f"refused: {size:,} bytes, over the {limit:,}-byte limit per "
                             "file (REPLYDRAFT_MAX_KNOWLEDGE_FILE_BYTES); split the file")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_fingerprint(settings: Settings, embedder: Embedder, scanner: str,
                      store_hash: str) -> str:
    # Product and playbook chunks do not depend on store.yaml, but their scan warnings do
    # (allowed commitments), so the store hash is part of the reuse guard.
    key = json.dumps([settings.chunk_tokens, settings.chunk_overlap, embedder.name, scanner,
                      templates_fingerprint(), store_hash, PLAN_FORMAT, LEXICAL_VERSION])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


PLAN_FORMAT = 2  # bump when chunking/rendering or the stored Product shape changes


class Planner:
    def __init__(self, settings: Settings, embedder: Embedder, scanner: ContentScanner,
                 versions: VersionStore,
                 want_embedded: Callable[[Iterable[str]], None] | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.scanner = scanner
        self.versions = versions
        # Hears the headlines of the products read from changed files (see knowledge.early).
        self.want_embedded = want_embedded

    def plan(self, previous: Manifest | None) -> Plan:
        """Parse and validate every file (reusing unchanged ones) or raise KnowledgeError."""
        knowledge_dir = self.settings.knowledge_dir
        if not knowledge_dir.is_dir():
            # Named by its setting, not its path: this error reaches API clients (refresh jobs),
            # who have no business learning the server's directory layout.
            raise KnowledgeError(
                f"the knowledge folder {knowledge_dir.name!r} (REPLYDRAFT_KNOWLEDGE_DIR) does "
                "not exist", problems=[FieldProblem("REPLYDRAFT_KNOWLEDGE_DIR",
                                                    "no such directory")])
        discovered = discover(knowledge_dir)
        files, ignored = discovered.files, discovered.ignored
        problems: list[FieldProblem] = list(discovered.refused)
        for rel in list(files):
            problem = _oversized(knowledge_dir / rel, rel, self.settings.max_knowledge_file_bytes)
            if problem is not None:
                del files[rel]
                problems.append(problem)
        if STORE_FILE not in files:
            if not any(p.location == STORE_FILE for p in problems):
                problems.append(FieldProblem(STORE_FILE, "the store profile is missing"))
            raise KnowledgeError(_summary(problems), problems=problems)
        hashes = {rel: file_sha256(knowledge_dir / rel) for rel in files}
        name = scanner_name(self.scanner)
        fingerprint = build_fingerprint(self.settings, self.embedder, name, hashes[STORE_FILE])
        usable = previous if previous is not None and previous.layout == LAYOUT else None
        reusable = usable if usable is not None and usable.fingerprint == fingerprint else None
        # Rebuilding everything (new settings or store profile) still reuses the lexical terms
        # of unchanged chunks; tokenising 10k products is the slow part of chunking.
        known = self._previous_chunks(usable) if reusable is None else {}

        try:
            store_file = read_store(knowledge_dir / STORE_FILE, STORE_FILE)
        except RecursionError:  # see the same guard on the other files below
            store_file = StoreFile(None, [FieldProblem(STORE_FILE, "nested too deeply to read")],
                                   lambda _path: 1)
        problems.extend(store_file.problems)
        if store_file.store is None:
            raise KnowledgeError(_summary(problems), problems=problems)
        store = store_file.store

        sources: dict[str, BuiltSource] = {}
        for rel, source_type in files.items():
            old = reusable.sources.get(rel) if reusable else None
            if old is not None and old.sha256 == hashes[rel]:
                sources[rel] = BuiltSource(entry=old)
                continue
            try:
                built = self._build_source(
                    rel, source_type, hashes[rel], fingerprint, store, store_file, problems,
                    known, old.products if old is not None else {})
            except RecursionError:
                # The readers walk nested values recursively; YAML stops nesting at 1,000
                # levels, which a deep stack may still not hold. The file is named, not the
                # traceback.
                problems.append(FieldProblem(rel, "nested too deeply to read"))
                continue
            if built is not None:
                sources[rel] = built
        problems.extend(_duplicate_skus(sources))
        if problems:
            raise KnowledgeError(_summary(problems), problems=problems)
        return Plan(store, sources, fingerprint, name, ignored)

    def _previous_chunks(self, manifest: Manifest | None) -> dict[str, IndexedChunk]:
        if manifest is None or manifest.lexical_version != LEXICAL_VERSION:
            return {}
        return {chunk.id: chunk for chunk in self.versions.chunks(manifest.version)}

    def _product(self, located: LocatedProduct, position: int, fingerprint: str,
                 store: StoreProfile, known: dict[str, IndexedChunk], old: ProductRecord | None,
                 units: dict[str, tuple[list[IndexedChunk], dict[str, Any]]]) -> ProductRecord:
        """The record of one parsed product; builds its unit unless an identical product of
        the previous version already has one (rendering, tokenising and scanning 10k products
        would dominate an incremental refresh otherwise)."""
        key = unit_key(fingerprint, located.source, product_key(located.product))
        if old is not None and old.key == key:
            return _moved(old, located.line, located.digest)
        chunks = product_chunks(located, position, known)
        units[key] = (chunks, {"line": located.line, "chunks": [c.to_json() for c in chunks],
                               "product": located.product.model_dump(mode="json")})
        return ProductRecord(key=key, line=located.line, chunk_ids=_ids(chunks),
                             warnings=self._scan_product(located, store), row=located.digest)

    def _build_source(self, rel: str, source_type: str, sha: str, fingerprint: str,
                      store: StoreProfile, store_file: StoreFile, problems: list[FieldProblem],
                      known: dict[str, IndexedChunk], before: dict[str, ProductRecord]
                      ) -> BuiltSource | None:
        path = self.settings.knowledge_dir / rel
        key = unit_key(fingerprint, rel, sha)
        if source_type == "store":
            line_of = store_file.field_lines
            chunks = store_chunks(store, rel, line_of, known)
            body = {"line": 0, "chunks": [c.to_json() for c in chunks],
                    "store": store.model_dump(mode="json")}
            return BuiltSource(
                SourceEntry(source_type="store", sha256=sha, chunk_ids=_ids(chunks),
                            warnings=self._scan_store(store, rel, line_of), unit=key),
                {key: (chunks, body)})
        if source_type == "product":
            return self._build_product_source(rel, sha, fingerprint, store, problems, known,
                                              before)
        playbook_file = read_playbook(path, rel,
                                      max_bytes=self.settings.max_knowledge_file_bytes)
        problems.extend(playbook_file.problems)
        if playbook_file.playbook is None:
            return None
        playbook = playbook_file.playbook
        chunks = playbook_chunks(playbook, self.settings.chunk_tokens,
                                 self.settings.chunk_overlap, known)
        return BuiltSource(
            SourceEntry(source_type="playbook", sha256=sha, chunk_ids=_ids(chunks),
                        warnings=self._scan_playbook(playbook, store), unit=key),
            {key: (chunks, {"line": 0, "chunks": [c.to_json() for c in chunks]})})

    def _build_product_source(self, rel: str, sha: str, fingerprint: str, store: StoreProfile,
                              problems: list[FieldProblem], known: dict[str, IndexedChunk],
                              before: dict[str, ProductRecord]) -> BuiltSource | None:
        sku_of_row = {record.row: sku for sku, record in before.items() if record.row}
        parsed = read_product_file(self.settings.knowledge_dir / rel, rel, sku_of_row.keys())
        problems.extend(parsed.problems)
        if parsed.problems:
            return None
        if self.want_embedded is not None and parsed.products:
            self.want_embedded(product_headline(item.product) for item in parsed.products)
        items: list[LocatedProduct | KnownRow] = sorted(
            [*parsed.products, *parsed.known],
            key=lambda item: item.line if isinstance(item, LocatedProduct) else item.number)
        units: dict[str, tuple[list[IndexedChunk], dict[str, Any]]] = {}
        records: dict[str, ProductRecord] = {}
        skus: list[str] = []
        for position, item in enumerate(items):
            if isinstance(item, KnownRow):
                sku = sku_of_row[item.digest]
                record = _moved(before[sku], item.number, item.digest)
            else:
                sku = item.product.sku
                record = self._product(item, position, fingerprint, store, known,
                                       before.get(sku), units)
            skus.append(sku)
            records.setdefault(sku, record)  # a repeated SKU is reported by _duplicate_skus
        chunk_ids = _ids_of(records[sku].chunk_ids for sku in dict.fromkeys(skus))
        warnings = [w for sku in dict.fromkeys(skus) for w in records[sku].warnings]
        return BuiltSource(
            SourceEntry(source_type="product", sha256=sha, chunk_ids=chunk_ids, skus=skus,
                        warnings=warnings, products=records),
            units)

    # ---------------------------------------------------------------- scanning

    def _scan_playbook(self, playbook: Playbook, store: StoreProfile) -> list[ScanWarning]:
        warnings = []
        for section in playbook.sections:
            warnings.extend(scan_text(
                self.scanner, section.text, source=playbook.source, line_at=section.line_at,
                language=playbook.language, store=store))
        return warnings

    def _scan_product(self, located: LocatedProduct, store: StoreProfile) -> list[ScanWarning]:
        product = located.product
        fields: list[tuple[tuple[str | int, ...], Language, str]] = []
        for key in ("names", "promotion", "fabric", "fit", "care", "size_note", "alteration"):
            for language, text in getattr(product, key).items():
                fields.append(((key, language), language, text))
        for index, feature in enumerate(product.features):
            for language, text in feature.items():
                fields.append((("features", index, language), language, text))
        for index, colour in enumerate(product.colours):
            for language, text in colour.names.items():
                fields.append((("colours", index, "names", language), language, text))
        return self._scan_fields(fields, located.source, located.field_lines, store)

    def _scan_store(self, store: StoreProfile, rel: str,
                    line_of: Callable[[tuple[str | int, ...]], int]) -> list[ScanWarning]:
        # Only free text written by staff; allowed_commitments are the store's own whitelist.
        fields: list[tuple[tuple[str | int, ...], Language, str]] = []
        for language, text in store.policies.returns.condition.items():
            fields.append((("policies", "returns", "condition", language), language, text))
        for language, text in (store.policies.returns.footwear_condition or {}).items():
            fields.append((("policies", "returns", "footwear_condition", language), language,
                           text))
        for language, text in store.policies.invoices.note.items():
            fields.append((("policies", "invoices", "note", language), language, text))
        for index, kind in enumerate(store.policies.invoices.kinds):
            for language, text in kind.items():
                fields.append((("policies", "invoices", "kinds", index, language), language,
                               text))
        return self._scan_fields(fields, rel, line_of, store)

    def _scan_fields(self, fields: list[tuple[tuple[str | int, ...], Language, str]],
                     source: str, line_of: Callable[[tuple[str | int, ...]], int],
                     store: StoreProfile) -> list[ScanWarning]:
        """Scan short field values, one scanner call per language (the values joined by blank
        lines, so no match spans two fields); every finding gets the line of its field."""
        warnings = []
        by_language: dict[Language, list[tuple[tuple[str | int, ...], str]]] = {}
        for path, language, text in fields:
            by_language.setdefault(language, []).append((path, text))
        for language, items in by_language.items():
            starts: list[int] = []
            lines: list[int] = []
            offset = 0
            for path, text in items:
                starts.append(offset)
                lines.append(line_of(path))
                offset += len(text) + 2
            joined = "\n\n".join(text for _, text in items)
            warnings.extend(scan_text(
                self.scanner, joined, source=source,
                line_at=_field_line(starts, lines),
                language=language, store=store))
        return warnings


def diff_report(plan: Plan, previous: Manifest | None, previous_ids: set[str],
                *, dry_run: bool) -> RefreshReport:
    sources = {t: SourceDiff() for t in SOURCE_TYPES}
    old_sources = previous.sources if previous else {}
    for rel, built in plan.sources.items():
        diff = sources[built.entry.source_type]
        old = old_sources.get(rel)
        if old is None:
            diff.added.append(rel)
        elif old.sha256 != built.entry.sha256 or set(old.chunk_ids) != set(built.entry.chunk_ids):
            diff.changed.append(rel)
        else:
            diff.unchanged.append(rel)
    for rel, old in old_sources.items():
        if rel not in plan.sources:
            sources[old.source_type].removed.append(rel)
    by_type: dict[str, ChunkDiff] = {t: ChunkDiff() for t in SOURCE_TYPES}
    new_ids: set[str] = set()
    for built in plan.sources.values():
        bucket = by_type[built.entry.source_type]
        for chunk_id in built.entry.chunk_ids:
            if chunk_id in new_ids:
                continue
            new_ids.add(chunk_id)
            if chunk_id in previous_ids:
                bucket.unchanged += 1
            else:
                bucket.added += 1
    for old in old_sources.values():
        for chunk_id in old.chunk_ids:
            if chunk_id not in new_ids:
                by_type[old.source_type].removed += 1
    total = ChunkDiff(added=sum(d.added for d in by_type.values()),
                      removed=sum(d.removed for d in by_type.values()),
                      unchanged=sum(d.unchanged for d in by_type.values()))
    warnings = [w for built in plan.sources.values() for w in built.entry.warnings]
    warnings += plan.notices
    return RefreshReport(
        dry_run=dry_run, version=None, previous_version=previous.version if previous else None,
        switched=False, sources=sources, chunks=total, chunks_by_type=by_type,
        total_chunks=len(new_ids), products=plan.product_count(), warnings=warnings,
        scanner=plan.scanner, duration_s=0.0)


def run_refresh(
    settings: Settings,
    embedder: Embedder,
    scanner: ContentScanner,
    versions: VersionStore,
    dense: Callable[[], DenseIndex],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    vector_writes: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> RefreshReport:
    """``vector_writes`` wraps every write to the vector store (an on-disk store marks itself
    as being written, so a refresh killed meanwhile is noticed: see ``knowledge.healing``)."""
    started = time.perf_counter()
    if dry_run:
        report = _plan_and_diff(settings, embedder, scanner, versions, dry_run=True)[0]
        report.duration_s = round(time.perf_counter() - started, 3)
        return report
    with versions.refresh_lock():
        index = dense()
        early = EarlyEmbedding(index, None if progress is None else
                               lambda done, known: progress("embed", done, known))
        try:
            report, plan, previous = _plan_and_diff(settings, embedder, scanner, versions,
                                                    dry_run=False, early=early)
            stage = _Stages(report.stages_s, started)
            stage.done("plan")
            ready, embedded_early = early.finish()
        finally:
            early.close()
        wanted = plan.chunk_ids()
        new_chunks = plan.new_chunks()
        missing = _chunks_to_add(new_chunks, _absent_ids(index, new_chunks, wanted, versions),
                                 previous, versions)
        total_texts = 0
        done = early.done

        def announce(count: int) -> None:
            nonlocal total_texts
            total_texts = done + count
            if progress is not None:
                progress("embed", done, total_texts)

        def tick(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress("embed", done, total_texts)

        vectors, embedded = index.embed(missing, tick, announce, ready=ready)
        report.chunks.embedded = embedded_early + embedded
        stage.done("embed")
        with vector_writes():
            try:
                index.store(missing, vectors)
            except BaseException:
                # Nothing references the records added so far: take them out again.
                index.delete({chunk.id for chunk in missing})
                raise
        stage.done("index")
        # Kept with the units, so the vector store can be rebuilt without the model.
        kept = {chunk.id: vectors[chunk.embed_text] for chunk in missing}
        kept.update(_vectors_not_kept(index, versions, set(wanted) - kept.keys()))
        version = versions.next_version()
        manifest = Manifest(
            version=version, created_at=datetime.now(UTC), embedder=embedder.name,
            fingerprint=plan.fingerprint, scanner=plan.scanner,
            sources={rel: built.entry for rel, built in plan.sources.items()},
            chunk_count=len(wanted), product_count=plan.product_count(),
            lexical_version=LEXICAL_VERSION, layout=LAYOUT,
            vector_store="server" if settings.chroma_url else "disk")
        try:
            with collector_paused():
                versions.write_version(manifest, plan.new_units(), kept)
        except BaseException:
            with vector_writes():
                index.delete({chunk.id for chunk in missing})
            raise
        versions.activate(version)
        report.version = version
        report.switched = True
        stage.done("write")
        with collector_paused():
            report.pruned_versions, pruned_ids = versions.prune(settings.keep_versions)
            # Candidates: what the pruned versions and the replaced version held. Only ids
            # that no retained version references go; ids this index never wrote are never
            # touched.
            stale = (pruned_ids | _chunk_ids_of(previous)) - versions.referenced_ids()
        if stale:
            with vector_writes():
                index.delete(stale)
        stage.done("prune")
    report.duration_s = round(time.perf_counter() - started, 3)
    return report


class _Stages:
    """Records the seconds since the previous stage ended under each stage's name."""

    def __init__(self, into: dict[str, float], started: float) -> None:
        self._into = into
        self._last = started

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self._into[name] = round(now - self._last, 3)
        self._last = now


def _absent_ids(index: DenseIndex, new_chunks: list[IndexedChunk], wanted: list[str],
                versions: VersionStore) -> set[str]:
    """The chunk ids of the new version that the dense index lacks. Reused chunks are records
    the retained versions hold: looked up one by one (0.2 s at 10k products) only when the
    record count says the index lost or gained records behind our back."""
    intact = index.count() == len(versions.referenced_ids())
    check = [chunk.id for chunk in new_chunks] if intact else wanted
    return set(check) - index.existing_ids(check)


def _vectors_not_kept(index: DenseIndex, versions: VersionStore, ids: set[str]
                      ) -> dict[str, np.ndarray]:
    """Vectors of ``ids`` that the database does not keep yet (an index built before vectors
    were kept beside the units), read back from the vector store once."""
    lacking = versions.lacking_vectors(ids) if ids else set()
    return index.vectors(sorted(lacking)) if lacking else {}


def _chunks_to_add(new_chunks: list[IndexedChunk], absent: set[str],
                   previous: Manifest | None, versions: VersionStore) -> list[IndexedChunk]:
    """The chunks whose records the dense index lacks: new ones, and (rarely: a chroma store
    that lost records) reused ones, read back from the previous version."""
    new = [chunk for chunk in new_chunks if chunk.id in absent]
    lost = absent - {chunk.id for chunk in new}
    if lost and previous is not None and previous.layout == LAYOUT:
        new += [chunk for chunk in versions.chunks(previous.version) if chunk.id in lost]
    return new


def _plan_and_diff(settings: Settings, embedder: Embedder, scanner: ContentScanner,
                   versions: VersionStore, *, dry_run: bool, early: EarlyEmbedding | None = None
                   ) -> tuple[RefreshReport, Plan, Manifest | None]:
    # Only planning: waiting for the embeddings (most of a full refresh) and storing them
    # happen with the collector on.
    with collector_paused():
        active = versions.active()
        previous = versions.manifest(active) if active is not None else None
        planner = Planner(settings, embedder, scanner, versions,
                          want_embedded=early.want if early is not None else None)
        plan = planner.plan(previous)
        report = diff_report(plan, previous, _chunk_ids_of(previous), dry_run=dry_run)
    return report, plan, previous


def _chunk_ids_of(manifest: Manifest | None) -> set[str]:
    return {i for e in manifest.sources.values() for i in e.chunk_ids} if manifest else set()


def _moved(record: ProductRecord, line: int, row: str) -> ProductRecord:
    """An unchanged product at (perhaps) another line of its file."""
    if record.line == line and record.row == row:
        return record
    shift = line - record.line
    return record.model_copy(update={
        "line": line, "row": row,
        "warnings": [w.model_copy(update={"line": w.line + shift}) for w in record.warnings]})


def _field_line(starts: list[int], lines: list[int]) -> Callable[[int], int]:
    """Offset in joined field values -> the line of the field it falls in."""
    return lambda offset: lines[bisect.bisect_right(starts, offset) - 1]


def _ids(chunks: list[IndexedChunk]) -> list[str]:
    return list(dict.fromkeys(chunk.id for chunk in chunks))


def _ids_of(groups: Iterable[list[str]]) -> list[str]:
    return list(dict.fromkeys(i for group in groups for i in group))


def _duplicate_skus(sources: dict[str, BuiltSource]) -> list[FieldProblem]:
    seen: dict[str, str] = {}
    problems = []
    for rel, built in sorted(sources.items()):
        for sku in built.entry.skus:
            if sku in seen:
                problems.append(FieldProblem(
                    f"{rel} sku", f"SKU {sku} is already defined in {seen[sku]}"))
            else:
                seen[sku] = rel
    return problems


def _summary(problems: list[FieldProblem]) -> str:
    files = sorted({p.location.split(":")[0].split(" ")[0] for p in problems})
    return (f"{len(problems)} problem(s) in {len(files)} knowledge file(s): "
            f"{', '.join(files)}; the serving index was not changed")
