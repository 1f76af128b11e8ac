"""The knowledge base over HTTP: search for agents; status, versions, scan findings, refresh and
rollback for content staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from replydraft.api.deps import (
    ContentStaff,
    JobsDep,
    KnowledgeDep,
    KnowledgeReaderKey,
    MetricsDep,
)
from replydraft.api.responses import COMMON, problems
from replydraft.api.schemas import KnowledgeHitsPublic, KnowledgeJobPublic, KnowledgeRollback
from replydraft.knowledge.models import Intent
from replydraft.knowledge.reports import KBStatus, VersionInfo
from replydraft.knowledge.scanners import ScanWarning
from replydraft.languages import Language

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"], responses=COMMON)


@router.get("/search", response_model=KnowledgeHitsPublic, responses=problems(503))
def search_knowledge(
    knowledge: KnowledgeDep, principal: KnowledgeReaderKey, metrics: MetricsDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="The query")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    lang: Language | None = None,
    sku: Annotated[str | None, Query(max_length=32)] = None,
    intent: Intent | None = None,
) -> KnowledgeHitsPublic:
    """Hybrid (dense + lexical) search over the serving index version."""
    hits = knowledge.search(q, k=k, language=lang, sku=sku, intent=intent)
    if hits.degraded:
        metrics.search_degraded("search")
    return KnowledgeHitsPublic(version=knowledge.version, data=hits,
                               degraded=hits.degraded is not None,
                               degraded_reason=hits.degraded)


@router.get("/status", response_model=KBStatus)
def read_knowledge_status(knowledge: KnowledgeDep, principal: KnowledgeReaderKey) -> KBStatus:
    """Serving version, counts per source type and language, last refresh."""
    return knowledge.status()


@router.get("/versions", response_model=list[VersionInfo])
def list_knowledge_versions(knowledge: KnowledgeDep, principal: ContentStaff
                            ) -> list[VersionInfo]:
    """The kept index versions, newest first."""
    return knowledge.versions()


@router.get("/findings", response_model=list[ScanWarning])
def list_knowledge_findings(knowledge: KnowledgeDep, principal: ContentStaff
                            ) -> list[ScanWarning]:
    """What the ingestion scan found in the serving version's files (text addressed to a model,
    policy violations inside playbooks), by file and line."""
    return knowledge.findings()


@router.post("/refresh", status_code=202, response_model=KnowledgeJobPublic,
             responses=problems(409))
def refresh_knowledge(jobs: JobsDep, principal: ContentStaff,
                      response: Response) -> KnowledgeJobPublic:
    """Start rebuilding the index from the knowledge files in the background; poll the job.
    A second refresh while one runs is a 409."""
    job = jobs.start_refresh(actor=principal)
    response.headers["Location"] = f"/v1/knowledge/jobs/{job.id}"
    return KnowledgeJobPublic.from_row(job)


@router.get("/jobs/{job_id}", response_model=KnowledgeJobPublic, responses=problems(404))
def read_knowledge_job(job_id: str, jobs: JobsDep, principal: ContentStaff) -> KnowledgeJobPublic:
    """State (queued, running, succeeded, failed), progress while running, the refresh report
    with its diff counts, and the errors that made it fail (file, line, field)."""
    return KnowledgeJobPublic.from_row(jobs.get(job_id=job_id, actor=principal),
                                       progress=jobs.progress(job_id))


@router.post("/rollback", response_model=VersionInfo, responses=problems(404, 409, 503))
def rollback_knowledge(knowledge: KnowledgeDep, principal: ContentStaff,
                       body: KnowledgeRollback | None = None) -> VersionInfo:
    """Serve an earlier index version again (default: the previous one)."""
    return knowledge.rollback(body.version if body else None)
