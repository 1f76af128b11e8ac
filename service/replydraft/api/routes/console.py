"""The agent console: ``/console`` and its files, with a strict Content-Security-Policy (scripts,
styles and requests from this origin only; no inline script or style, no frames)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from replydraft import console
from replydraft.errors import NotFound

router = APIRouter(prefix="/console", include_in_schema=False)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@router.get("")
@router.get("/")
async def read_console() -> Response:
    return await read_console_file("index.html")


@router.get("/{name}")
async def read_console_file(name: str) -> Response:
    found = console.asset(name)
    if found is None:
        raise NotFound(f"the console has no file {name!r}")
    return Response(found.body, media_type=found.media_type, headers=_HEADERS)
