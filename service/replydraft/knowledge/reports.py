"""What refresh, status and versions report (JSON-serialisable, shown by the CLI and the API)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from replydraft.knowledge.scanners import ScanWarning


class SourceDiff(BaseModel):
    """Files of one source type (store, product, playbook) compared with the serving version."""

    added: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)


class ChunkDiff(BaseModel):
    added: int = 0  # chunk ids in the new version that the serving version lacks
    removed: int = 0  # chunk ids of the serving version that the new version drops
    unchanged: int = 0
    embedded: int = 0  # texts actually sent to the embedder (0 on a dry run)


class RefreshReport(BaseModel):
    dry_run: bool
    version: int | None  # the new serving version; None on a dry run
    previous_version: int | None
    switched: bool  # False on a dry run
    sources: dict[str, SourceDiff]  # by source type
    chunks: ChunkDiff
    chunks_by_type: dict[str, ChunkDiff] = Field(default_factory=dict)
    total_chunks: int
    products: int
    warnings: list[ScanWarning] = Field(default_factory=list)
    scanner: str
    duration_s: float
    pruned_versions: list[int] = Field(default_factory=list)
    # Where the time went: plan (read, validate, chunk, scan), index (embed and store new
    # records), write (units and manifest, switch), prune (old versions and their records).
    stages_s: dict[str, float] = Field(default_factory=dict)


class VersionInfo(BaseModel):
    version: int
    created_at: datetime
    active: bool
    chunks: int
    products: int
    sources: int
    warnings: int
    embedder: str


class KBStatus(BaseModel):
    ready: bool
    version: int | None
    last_refresh: datetime | None
    chunks: int
    products: int
    counts_by_source_type: dict[str, int] = Field(default_factory=dict)
    counts_by_language: dict[str, int] = Field(default_factory=dict)
    sources: int = 0
    warnings: int = 0
    embedder: str
    knowledge_dir: str  # the folder's name, never its absolute path
    versions: list[int] = Field(default_factory=list)
