"""Every ``replydraft eval run`` keeps its results in ``<data dir>/eval-reports/`` so that QA can
see the latest runs without passing ``--out`` (the console's QA view reads them through
``GET /v1/evals/reports``). The newest ``KEEP`` files are kept; a file that is not a results
file is skipped, never fatal."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from replydraft.errors import InvalidInput
from replydraft.evals.models import RunResults
from replydraft.evals.results import read_results, write_results

log = logging.getLogger(__name__)

KEEP = 20
_STAMP = re.compile(r"[^0-9T]")


class SuiteRate(BaseModel):
    pass_rate: float | None
    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0


class EvalReportSummary(BaseModel):
    """One kept run: when, on what, and each suite's pass rate."""

    id: str = Field(description="The file's name without .json")
    started_at: str
    finished_at: str
    backend: str
    knowledge_version: int | None = None
    git_commit: str | None = None
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    cases: int
    by_suite: dict[str, SuiteRate]


def keep_results(results: RunResults, folder: Path, *, keep: int = KEEP) -> Path:
    """Write ``results`` as ``<finished_at>.json`` in ``folder``; drop all but the newest
    ``keep`` files."""
    stamp = _STAMP.sub("", results.meta.finished_at.split("+")[0])
    path = folder / f"{stamp}.json"
    write_results(results, path)
    for old in _kept(folder)[keep:]:
        old.unlink(missing_ok=True)
    return path


def latest_reports(folder: Path, *, limit: int) -> list[EvalReportSummary]:
    """Summaries of the newest ``limit`` kept runs, newest first."""
    summaries: list[EvalReportSummary] = []
    for path in _kept(folder):
        if len(summaries) == limit:
            break
        try:
            summaries.append(_summary(path.stem, read_results(path)))
        except InvalidInput as error:
            log.warning("skipping eval report %s: %s", path.name, error.detail)
    return summaries


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []


def _summary(report_id: str, results: RunResults) -> EvalReportSummary:
    summary: dict[str, Any] = results.summary
    verdict = summary.get("verdict") or {}
    return EvalReportSummary(
        id=report_id, started_at=results.meta.started_at, finished_at=results.meta.finished_at,
        backend=results.meta.backend, knowledge_version=results.meta.knowledge_version,
        git_commit=results.meta.git_commit, passed=bool(verdict.get("passed")),
        reasons=list(verdict.get("reasons") or []), cases=len(results.cases),
        by_suite={suite: SuiteRate.model_validate(row)
                  for suite, row in (summary.get("by_suite") or {}).items()})
