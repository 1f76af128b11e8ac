"""Who the caller is: the key's name, role and what that role may do (the console shows only
the views a key can use; the API still checks every request)."""

from __future__ import annotations

from fastapi import APIRouter

from replydraft.api.deps import CurrentPrincipal
from replydraft.api.responses import COMMON
from replydraft.api.schemas import PrincipalPublic

router = APIRouter(prefix="/v1/me", tags=["keys"], responses=COMMON)


@router.get("", response_model=PrincipalPublic)
async def read_me(principal: CurrentPrincipal) -> PrincipalPublic:
    """The caller behind the API key (in dev mode: ``dev``, an admin)."""
    return PrincipalPublic.of(principal)
