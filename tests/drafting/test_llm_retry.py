"""When to retry a failed model call, and for how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from replydraft.drafting.llm.retry import RetryPolicy, fallback_reason, parse_retry_after
from replydraft.errors import CircuitOpen, LLMBadOutput, LLMTimeout, LLMUnavailable


def test_retry_after_in_seconds_milliseconds_or_as_a_date() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= (parse_retry_after({"retry-after": in_a_minute}) or 0) <= 60
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_backoff_doubles_with_jitter_and_stops_after_the_last_retry() -> None:
    policy = RetryPolicy(max_retries=3, backoff_s=1.0, retry_after_max_s=10)
    error = LLMTimeout("slow", extra={"reason": "timeout"})
    for retry, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0)):
        delays = [policy.delay_before(retry, error) for _ in range(50)]
        assert all(d is not None and ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered, so clients do not retry in lockstep
    assert policy.delay_before(4, error) is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (LLMUnavailable("429", extra={"reason": "rate_limited", "retryable": True,
                                      "retry_after_s": 4.0}), 4.0),
        (LLMUnavailable("429", extra={"reason": "rate_limited", "retryable": True,
                                      "retry_after_s": 30.0}), None),  # beyond the cap: give up
        (LLMUnavailable("401", extra={"reason": "http_401", "retryable": False}), None),
        (CircuitOpen("open", extra={"reason": "circuit_open"}), None),
    ],
)
def test_what_the_server_says_decides_the_wait(
    error: LLMUnavailable | CircuitOpen, expected: float | None
) -> None:
    policy = RetryPolicy(max_retries=2, backoff_s=0.01, retry_after_max_s=10)
    assert policy.delay_before(1, error) == expected


def test_fallback_reason_prefers_the_recorded_reason() -> None:
    assert fallback_reason(LLMUnavailable("x", extra={"reason": "http_503"})) == "http_503"
    assert fallback_reason(LLMTimeout("x")) == "timeout"
    assert fallback_reason(LLMBadOutput("x")) == "malformed_output"
    assert fallback_reason(CircuitOpen("x")) == "circuit_open"
