"""Per-request limits from settings that a static schema cannot express, and the cap on drafts
in progress."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from fastapi.exceptions import RequestValidationError

from replydraft.config import Settings
from replydraft.drafting.models import DraftRequest
from replydraft.errors import Overloaded

# Seconds a client refused for load is told to wait.
OVERLOADED_RETRY_AFTER_S = 2


def enforce_message_limits(request: DraftRequest, settings: Settings) -> None:
    """422 (like any schema error) when the conversation is longer than the service accepts."""
    errors: list[dict[str, Any]] = []
    if len(request.messages) > settings.max_messages:
        errors.append({"loc": ("body", "messages"), "type": "too_long",
                       "msg": f"at most {settings.max_messages} messages "
                              f"(REPLYDRAFT_MAX_MESSAGES); got {len(request.messages)}"})
    for index, message in enumerate(request.messages):
        if len(message.text) > settings.max_message_chars:
            errors.append({"loc": ("body", "messages", index, "text"), "type": "too_long",
                           "msg": f"at most {settings.max_message_chars} characters "
                                  f"(REPLYDRAFT_MAX_MESSAGE_CHARS); got {len(message.text)}"})
    if errors:
        raise RequestValidationError(errors)


class DraftSlots:
    """At most ``capacity`` drafts in progress in this process.

    Drafting runs in the worker thread pool every sync route shares (40 threads by default), and
    a model that trickles its answer holds a thread for the whole draft: 45 such drafts once
    left /healthz waiting 12 s. Taking a slot never waits: a draft over the cap is refused with
    503 and Retry-After at once, and the threads left serve everything else."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)

    def take(self) -> None:
        """Take a slot or raise ``Overloaded``; give it back with ``release``."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded(
                f"{self.capacity} drafts are in progress, the most this server takes at once "
                "(REPLYDRAFT_MAX_CONCURRENT_DRAFTS); retry shortly",
                extra={"retry_after": OVERLOADED_RETRY_AFTER_S})

    def release(self) -> None:
        self._slots.release()

    def held_while(self, events: Iterator[str]) -> Iterator[str]:
        """``events``, giving the (already taken) slot back once when they end, fail, are
        closed, or are dropped unread (a client gone before the body started)."""
        return _HeldEvents(events, self._slots)


class _HeldEvents:
    """An iterator that gives a slot back exactly once: at its end, or when it is discarded."""

    def __init__(self, events: Iterator[str], slots: threading.BoundedSemaphore) -> None:
        self._events = events
        self._slots: threading.BoundedSemaphore | None = slots
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._events)
        except BaseException:  # StopIteration included: the stream is over either way
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            slots, self._slots = self._slots, None
        if slots is not None:
            slots.release()

    def __del__(self) -> None:
        self.close()
