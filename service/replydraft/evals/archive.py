"""Every ``replydraft eval run`` keeps a summary of its results in ``<data dir>/eval-reports/`` so
that QA can see the latest runs without passing ``--out`` (the console's QA view reads them
through ``GET /v1/evals/reports``). Only the summary: a full results file is megabytes (``--out``
writes one). The newest ``KEEP`` are kept; a file that is not a summary is skipped, never fatal."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from replydraft.evals.models import RunResults

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
    """Write the summary of ``results`` as ``<finished_at>.json`` in ``folder``; drop all but
    the newest ``keep``."""
    stamp = _STAMP.sub("", results.meta.finished_at.split("+")[0])
    path = folder / f"{stamp}.json"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(summarize_run(stamp, results).model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)
    for old in _kept(folder)[keep:]:
        old.unlink(missing_ok=True)
    return path


def latest_reports(folder: Path, *, limit: int) -> list[EvalReportSummary]:
    """The newest ``limit`` kept summaries, newest first."""
    summaries: list[EvalReportSummary] = []
    for path in _kept(folder):
        if len(summaries) == limit:
            break
        try:
            summaries.append(EvalReportSummary.model_validate_json(
                path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValidationError) as error:
            log.warning("skipping eval report %s: %s", path.name, error)
    return summaries


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []


def summarize_run(report_id: str, results: RunResults) -> EvalReportSummary:
    summary: dict[str, Any] = results.summary
    verdict = summary.get("verdict") or {}
    return EvalReportSummary(
        id=report_id, started_at=results.meta.started_at, finished_at=results.meta.finished_at,
        backend=results.meta.backend, knowledge_version=results.meta.knowledge_version,
        git_commit=results.meta.git_commit, passed=bool(verdict.get("passed")),
        reasons=list(verdict.get("reasons") or []), cases=len(results.cases),
        by_suite={suite: SuiteRate.model_validate(row)
                  for suite, row in (summary.get("by_suite") or {}).items()})
