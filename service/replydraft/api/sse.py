"""Server-Sent Events framing for ``POST /v1/drafts/stream``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from replydraft.api.problems import problem_body
from replydraft.api.schemas import DraftPublic
from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS, RETRY_AFTER_S, fault_kind
from replydraft.errors import ReplydraftError
from replydraft.review.approvals import StreamItem

log = logging.getLogger(__name__)

# One event as OpenAPI describes SSE: ``event`` names it, ``data`` is a JSON document.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["sentence", "done", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}


def frame(event: str, data: dict[str, Any]) -> str:
    # One JSON line per data field: JSON escapes newlines, so the frame cannot be broken.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def draft_events(items: Iterator[StreamItem], path: str, database: Database | None = None
                 ) -> Iterator[str]:
    """sentence* then done (the stored draft) or error (a problem object). A fault of
    ``database`` while storing is recorded for /readyz."""
    try:
        for item in items:
            if item.draft is not None:
                public = DraftPublic.from_row(item.draft)
                yield frame("done", public.model_dump(mode="json"))
            elif item.error is not None:
                yield frame("error", problem_body(status=502, title="Drafting failed",
                                                  detail=item.error, instance=path))
            else:
                yield frame("sentence", {"text": item.text})
    except ReplydraftError as error:
        # The 200 and its headers are gone already; the error travels as an event.
        yield frame("error", problem_body(status=error.status, title=error.title,
                                          detail=error.detail, instance=path))
    except DATABASE_ERRORS as error:
        kind = fault_kind(error)
        if kind is None:
            log.exception("stream failed")
            yield _internal_error(path)
            return
        log.warning("database %s while storing a streamed draft: %s", kind, error)
        if database is not None:
            database.faults.record(kind)
        # The sentences sent are not a stored draft: the client discards them and retries.
        yield frame("error", problem_body(
            status=503, type_="/problems/database-unavailable", title="Database unavailable",
            detail=f"the database is {kind} at the moment; the draft was not stored: discard "
                   f"the text above and retry in {RETRY_AFTER_S} s", instance=path,
            extra={"fault": kind, "retry_after": RETRY_AFTER_S}))
    except Exception:
        log.exception("stream failed")
        yield _internal_error(path)


def _internal_error(path: str) -> str:
    return frame("error", problem_body(status=500, title="Internal error",
                                       detail="drafting failed; the error is logged under "
                                              "this request_id", instance=path))
