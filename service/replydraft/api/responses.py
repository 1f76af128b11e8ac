"""OpenAPI documentation of the problem responses each route can give."""

from __future__ import annotations

from typing import Any

from replydraft.api.problems import PROBLEM_JSON
from replydraft.api.schemas import Problem

_DESCRIPTIONS = {
    400: "Malformed input (bad cursor, bad header)",
    401: "Missing or unknown API key",
    403: "The key's role may not do this",
    404: "No such resource",
    409: "The current state does not allow this",
    413: "Request body too large",
    422: "Validation failed (field errors) or policy violation",
    500: "Internal error (details in the log, under the request id)",
    502: "Language model failed",
    503: "Knowledge index not ready",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status],
                     "content": {PROBLEM_JSON: {}}}
            for status in statuses}


# What any authenticated route may answer.
COMMON = problems(400, 401, 403, 413, 422, 500)
