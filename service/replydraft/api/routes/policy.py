"""The policy filter as a service, for text an agent types outside a draft."""

from __future__ import annotations

from fastapi import APIRouter

from replydraft.api.deps import KnowledgeDep, MetricsDep, PolicyCheckDep, PolicyUser, store_or_none
from replydraft.api.responses import COMMON
from replydraft.api.schemas import PolicyCheckCreate
from replydraft.policy.models import PolicyResult

router = APIRouter(prefix="/v1/policy", tags=["policy"], responses=COMMON)


@router.post("/check", response_model=PolicyResult)
def check_policy(body: PolicyCheckCreate, principal: PolicyUser, knowledge: KnowledgeDep,
                 policy_check: PolicyCheckDep, metrics: MetricsDep) -> PolicyResult:
    """Filter ``text`` as if it were about to be sent: violations and the filtered text."""
    result = policy_check(body.text, language=body.language, platform=body.platform,
                          store=store_or_none(knowledge))
    metrics.text_checked(result, stage="check")
    return result
