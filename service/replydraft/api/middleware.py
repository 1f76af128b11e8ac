"""Pure ASGI middleware (no BaseHTTPMiddleware, so streaming responses pass straight through).

``RequestContextMiddleware`` (outermost): request id, access log line, request metrics, and the
catch-all that turns an unexpected exception into a generic 500 problem.
``BodyLimitMiddleware``: refuses bodies over ``max_body_bytes`` with 413 before any parsing,
whether the client sent a Content-Length or a chunked body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from replydraft.api.logs import request_id_var
from replydraft.api.problems import internal_error_response, problem_response

if TYPE_CHECKING:
    from replydraft.api.metrics import Metrics

log = logging.getLogger("replydraft.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


def scope_header(scope: Scope, name: bytes) -> str | None:
    """A request header straight from the ASGI scope (``name`` lower-case), before any routing."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "<unmatched>"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = scope_header(scope, b"x-request-id")
        request_id = incoming if incoming and _CLIENT_REQUEST_ID.match(incoming) else (
            uuid.uuid4().hex)
        request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False
        begin = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if started:
                raise
            await internal_error_response(scope["path"])(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - begin)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        self.metrics.request_done(method=scope["method"], route=route, status=status,
                                  seconds=seconds)
        log.info("%s %s %s", scope["method"], scope["path"], status, extra={
            "method": scope["method"], "path": scope["path"], "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "actor": scope.get("state", {}).get("actor"),
        })


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        declared = scope_header(scope, b"content-length")
        if declared is not None and (not declared.isdigit()):
            await problem_response(400, detail="Content-Length must be a non-negative integer",
                                   instance=scope["path"])(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        await self.app(scope, self._replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        # Buffer the (small, bounded) body so an oversized chunked upload is refused before the
        # application parses a single byte of it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as usual

        return replay

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(
            413, type_="/problems/content-too-large", title="Request body too large",
            detail=f"the request body is over the {self.max_body_bytes}-byte limit "
                   f"(REPLYDRAFT_MAX_BODY_BYTES)", instance=scope["path"],
            headers={"Connection": "close"},
        )(scope, receive, send)
