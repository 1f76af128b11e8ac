"""The latest offline eval runs, as ``replydraft eval run`` kept them (for QA)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from replydraft.api.deps import SettingsDep, StatsReader
from replydraft.api.responses import COMMON
from replydraft.api.schemas import EvalReportsPublic
from replydraft.evals.archive import latest_reports

router = APIRouter(prefix="/v1/evals", tags=["evals"], responses=COMMON)


@router.get("/reports", response_model=EvalReportsPublic)
def list_eval_reports(settings: SettingsDep, principal: StatsReader,
                      limit: Annotated[int, Query(ge=1, le=20)] = 5) -> EvalReportsPublic:
    """The newest kept runs first: when, backend, knowledge version, verdict and each suite's
    pass rate."""
    return EvalReportsPublic(data=latest_reports(settings.eval_reports_dir, limit=limit))
