"""What a failed model call means, and whether and when to try again.

Every failure becomes one of the ``LLMError`` classes with a short machine-readable ``reason`` in
``error.extra["reason"]`` (the drafter reports it as ``fallback_reason``):

    timeout            the endpoint did not answer within REPLYDRAFT_LLM_TIMEOUT_S
    connection_error   refused, reset, dropped mid-answer
    rate_limited       HTTP 429
    http_<status>      any other HTTP error status (http_503, http_401, …)
    stream_error       the server reported an error inside a stream
    malformed_output   the completion is not the agreed format
    empty_output       the completion has no text
    prompt_leak        every sentence repeated the prompt (see ``llm_leaks``)
    too_long           the reply passed REPLYDRAFT_LLM_MAX_OUTPUT_CHARS (max_tokens ignored)
    circuit_open       too many recent failures; the endpoint is not being called

Retries: timeouts, connection errors, 408/429/5xx and unusable output are retried with exponential
backoff and jitter. A 429 with ``Retry-After`` waits as long as the server asks, unless that is
longer than REPLYDRAFT_LLM_RETRY_AFTER_MAX_S: then waiting would keep the agent too long, so we
give up at once and the drafter answers offline.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import openai

from replydraft.errors import (
    CircuitOpen,
    LLMBadOutput,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
)

_RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def classify(exc: Exception) -> LLMError:
    """The ``LLMError`` for an exception from the openai client (or from decoding its output)."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeout("the model endpoint timed out", extra={"reason": "timeout"})
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(
            f"cannot reach the model endpoint: {_cause(exc)}", extra={"reason": "connection_error"}
        )
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc)
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
        return LLMBadOutput(
            f"the model endpoint sent a response that does not decode: {exc}",
            extra={"reason": "malformed_output"},
        )
    if isinstance(exc, openai.APIError):
        return LLMUnavailable(
            f"the model endpoint reported an error: {exc}", extra={"reason": "stream_error"}
        )
    raise TypeError(f"not a model-call failure: {exc!r}") from exc


# Every reason above, plus the defaults below (``http_<status>`` is a family, not listed).
FALLBACK_REASONS = frozenset({
    "timeout", "connection_error", "rate_limited", "stream_error", "malformed_output",
    "empty_output", "prompt_leak", "too_long", "circuit_open", "unavailable", "llm_error",
})


def fallback_reason(error: LLMError) -> str:
    """The short reason the drafter records when it answers offline instead."""
    reason = error.extra.get("reason")
    if isinstance(reason, str):
        return reason
    defaults: list[tuple[type[LLMError], str]] = [
        (CircuitOpen, "circuit_open"),
        (LLMTimeout, "timeout"),
        (LLMBadOutput, "malformed_output"),
        (LLMUnavailable, "unavailable"),
    ]
    return next((name for cls, name in defaults if isinstance(error, cls)), "llm_error")


def is_retryable(error: LLMError) -> bool:
    return bool(error.extra.get("retryable", not isinstance(error, CircuitOpen)))


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    backoff_s: float
    retry_after_max_s: float

    def delay_before(self, retry: int, error: LLMError) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based); None: do not retry."""
        if retry > self.max_retries or not is_retryable(error):
            return None
        backoff = self.backoff_s * 2 ** (retry - 1) * random.uniform(0.5, 1.0)
        retry_after = error.extra.get("retry_after_s")
        if isinstance(retry_after, int | float):
            if retry_after > self.retry_after_max_s:
                return None
            return max(backoff, float(retry_after))
        return backoff


def _from_status(exc: openai.APIStatusError) -> LLMUnavailable:
    status = exc.status_code
    retryable = status >= 500 or status in _RETRYABLE_STATUS
    extra: dict[str, object] = {
        "reason": "rate_limited" if status == 429 else f"http_{status}",
        "status": status,
        "retryable": retryable,
    }
    retry_after = parse_retry_after(exc.response.headers)
    if retry_after is not None:
        extra["retry_after_s"] = retry_after
    return LLMUnavailable(f"the model endpoint answered HTTP {status}", extra=extra)


def parse_retry_after(headers: object) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, as seconds."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    milliseconds = get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass  # malformed: fall through to Retry-After
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass  # not a number: an HTTP date
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{type(cause).__name__}: {cause}" if cause else str(exc)
