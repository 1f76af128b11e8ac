"""What the rest of replydraft may ask of the knowledge base.

The drafter, the API and the evals depend on this protocol, not on how the index is stored.
``replydraft.knowledge.base.KnowledgeBase`` is the implementation.
"""

from __future__ import annotations

from typing import Protocol

from replydraft.knowledge.models import Product, SearchHits, StoreProfile
from replydraft.knowledge.reports import KBStatus, RefreshReport, VersionInfo
from replydraft.knowledge.scanners import ScanWarning
from replydraft.languages import Language


class KnowledgeReader(Protocol):
    @property
    def store(self) -> StoreProfile:
        """The store profile of the serving index version."""
        ...

    @property
    def version(self) -> int | None:
        """The serving index version, ``None`` before the first refresh."""
        ...

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        language: Language | None = None,
        sku: str | None = None,
        intent: str | None = None,
    ) -> SearchHits:
        """Best chunks first. Filters narrow the candidates; they never widen them. While the
        vector store fails, keyword results only, with ``degraded`` saying why."""
        ...

    @property
    def degraded(self) -> str | None:
        """Why searches are keyword only right now (the vector store is failing), or None."""
        ...

    def product(self, sku: str) -> Product | None: ...

    def products(self) -> list[Product]: ...


class KnowledgeAdmin(KnowledgeReader, Protocol):
    """The reader plus what content staff do through the API: status, versions, scan findings,
    refresh, rollback. ``KnowledgeBase`` implements both; the API is typed against this."""

    def status(self) -> KBStatus: ...

    def configuration_problem(self) -> str | None:
        """What in the settings does not fit the serving index (see KnowledgeBase), or None."""
        ...

    def check_vectors(self) -> str | None:
        """None when the vector store answers now, else what is wrong (for readiness)."""
        ...

    def versions(self) -> list[VersionInfo]: ...

    def findings(self) -> list[ScanWarning]: ...

    def refresh(self, *, dry_run: bool = False) -> RefreshReport: ...

    def rollback(self, version: int | None = None) -> VersionInfo: ...

