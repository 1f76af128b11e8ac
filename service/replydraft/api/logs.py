"""Structured JSON logs with the request id on every line.

The request id lives in a context variable set by the request middleware; FastAPI copies the
context into the worker threads that run handlers, so domain code logging with plain
``logging.getLogger(__name__)`` gets the id for free.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("replydraft_request_id", default=None)

# LogRecord attributes that are not user extras.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update({k: v for k, v in record.__dict__.items()
                      if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):
    """Marker class so configuring twice replaces our handler and leaves others alone."""


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # On the handler too: libraries that set their own logger to DEBUG (bm25s does) must not
    # bypass the configured level.
    handler.setLevel(level.upper())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's access log would duplicate ours (which carries the request id).
    logging.getLogger("uvicorn.access").disabled = True
