"""The one place where errors become HTTP responses: RFC 9457 ``application/problem+json``.

Domain exceptions (``replydraft.errors``), request validation, Starlette's 404/405 and anything
unexpected all leave through here with the same shape::

    {"type": "/problems/draft-state-conflict", "title": "...", "status": 409,
     "detail": "...", "instance": "/v1/drafts/dr_…/approve", "request_id": "…",
     "errors": [{"loc": "body.messages[0].text", "msg": "..."}]}      # 422/400 only

Stack traces go to the log, never into a response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from replydraft.api.logs import request_id_var
from replydraft.api.metrics import llm_error_kind
from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS, RETRY_AFTER_S, fault_kind
from replydraft.drafting.llm.retry import fallback_reason
from replydraft.errors import (
    InvalidInput,
    KnowledgeError,
    LLMError,
    PolicyViolation,
    ReplydraftError,
    Unauthorized,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def format_loc(loc: Sequence[str | int]) -> str:
    """("body", "messages", 0, "text") -> "body.messages[0].text"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problem_body(
    *,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description or HTTPStatus(status).phrase,
    }
    if instance:
        body["instance"] = instance
    body["request_id"] = request_id_var.get()
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return body


def problem_response(
    status: int, *, headers: dict[str, str] | None = None, **fields: Any
) -> JSONResponse:
    return JSONResponse(problem_body(status=status, **fields), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


def _field_errors(error: ReplydraftError) -> list[dict[str, str]] | None:
    if isinstance(error, InvalidInput):
        return [{"loc": p.location, "msg": p.message} for p in error.field_errors]
    if isinstance(error, KnowledgeError):
        return [{"loc": p.location, "msg": p.message} for p in error.problems]
    return None


def _domain_extra(error: ReplydraftError) -> dict[str, Any]:
    extra = dict(error.extra)
    if isinstance(error, PolicyViolation):
        extra["violations"] = error.violations
    return extra


async def handle_domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ReplydraftError)
    if isinstance(error, LLMError):
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.llm_error(llm_error_kind(fallback_reason(error)))
    return domain_error_response(error, request.url.path)


def domain_error_response(error: ReplydraftError, path: str) -> JSONResponse:
    """The problem response for a domain error; also used by middleware, outside routing."""
    if error.status >= 500:
        log.error("%s: %s", type(error).__name__, error.detail)
    headers: dict[str, str] | None = None
    if isinstance(error, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    elif "retry_after" in error.extra:
        headers = {"Retry-After": str(error.extra["retry_after"])}
    return problem_response(
        error.status, headers=headers, type_=f"/problems/{_slug(type(error).__name__)}",
        title=error.title, detail=error.detail, instance=path,
        errors=_field_errors(error), extra=_domain_extra(error),
    )


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"loc": format_loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid"))}
              for e in error.errors()]
    detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5]) or "invalid request"
    return problem_response(422, type_="/problems/validation-error", title="Invalid request",
                            detail=detail, instance=request.url.path, errors=errors)


async def handle_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else None
    if error.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no route for {request.method} {request.url.path}"
    return problem_response(error.status_code, headers=dict(error.headers or {}), detail=detail,
                            instance=request.url.path)


async def handle_database_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DATABASE_ERRORS)
    return database_error_response(error, request.url.path,
                                   getattr(request.app.state, "database", None))


def database_error_response(error: BaseException, path: str, database: Database | None
                            ) -> JSONResponse:
    """503 with ``Retry-After`` for a fault of the database (locked, read-only, full, gone),
    recorded for /readyz; the generic 500 for anything else (a bug, logged with its trace)."""
    kind = fault_kind(error)
    if kind is None:
        log.error("database error in %s", path, exc_info=error)
        return internal_error_response(path)
    log.warning("database %s in %s: %s", kind, path, error)
    if database is not None:
        database.faults.record(kind)
    return problem_response(
        503, type_="/problems/database-unavailable", title="Database unavailable",
        detail=f"the database is {kind} at the moment; this request changed nothing; "
               f"retry in {RETRY_AFTER_S} s", instance=path,
        headers={"Retry-After": str(RETRY_AFTER_S)}, extra={"fault": kind})


def internal_error_response(path: str) -> JSONResponse:
    return problem_response(500, type_="/problems/internal-error", title="Internal error",
                            detail="the server failed to handle this request; the error is "
                                   "logged under this request_id", instance=path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReplydraftError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    for error_class in DATABASE_ERRORS:
        app.add_exception_handler(error_class, handle_database_error)
