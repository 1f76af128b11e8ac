"""The circuit breaker: on its own with a hand-driven clock, and in front of a failing server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fakes import FakeOpenAIServer, Reply
from fakes.contexts import context, hit
from replydraft.drafting.llm.backend import OpenAIBackend, fallback_reason
from replydraft.drafting.llm.breaker import BreakerState, CircuitBreaker
from replydraft.errors import CircuitOpen, LLMBadOutput, LLMUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker(clock: Clock, failures: int = 3, reset_s: float = 30) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=failures, reset_after_s=reset_s, clock=clock)


def test_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    for _ in range(2):
        breaker.acquire()
        breaker.record_failure()
    breaker.acquire()
    breaker.record_success()  # a success in between resets the count
    for _ in range(2):
        breaker.acquire()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.acquire()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as excinfo:
        breaker.acquire()
    assert excinfo.value.extra["reason"] == "circuit_open"
    assert excinfo.value.extra["retry_in_s"] == 30


def test_half_open_lets_exactly_one_trial_through() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=1, reset_s=10)
    breaker.acquire()
    breaker.record_failure()
    clock.now += 9.9
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.acquire()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.acquire()  # everyone else waits for its outcome
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.acquire()


def test_a_failed_trial_opens_again_for_a_full_period() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=2, reset_s=10)
    for _ in range(2):
        breaker.acquire()
        breaker.record_failure()
    clock.now += 10
    breaker.acquire()
    breaker.record_failure()  # one failure is enough in half-open
    assert breaker.state is BreakerState.OPEN
    clock.now += 9
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    clock.now += 1
    breaker.acquire()


def test_a_released_trial_frees_the_slot_for_the_next_caller() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=1, reset_s=1)
    breaker.acquire()
    breaker.record_failure()
    clock.now += 1
    breaker.acquire()
    breaker.release()  # e.g. the stream's consumer hung up
    breaker.acquire()  # the next caller may try


# ------------------------------------------------------------------ against the fake server


@pytest.fixture
def make_backend(llm_settings: Callable[..., Any]) -> Callable[..., OpenAIBackend]:
    return lambda **overrides: OpenAIBackend(llm_settings(**overrides))


def _ctx() -> Any:
    return context("运费多少？", hits=[hit("kb-post", "满99包邮")])


def test_an_open_breaker_stops_calling_the_endpoint_then_half_opens(
    fake_llm: FakeOpenAIServer, llm_settings: Callable[..., Any]
) -> None:
    # A hand-driven clock: on a loaded CI machine the open period must not lapse mid-test.
    clock = Clock()
    backend = OpenAIBackend(
        llm_settings(llm_max_retries=0), breaker=_breaker(clock, failures=3, reset_s=30)
    )
    fake_llm.script(*[Reply.error(503)] * 3)
    for _ in range(3):
        with pytest.raises(LLMUnavailable):
            backend.generate(_ctx())
    assert len(fake_llm.requests) == 3

    clock.now += 29.9
    for _ in range(5):
        with pytest.raises(CircuitOpen) as excinfo:
            backend.generate(_ctx())
        assert fallback_reason(excinfo.value) == "circuit_open"
    assert len(fake_llm.requests) == 3  # the dead endpoint was left alone

    clock.now += 0.1
    fake_llm.script(Reply.sentences(("满99元包邮哦。", ["kb-post"])))
    assert backend.generate(_ctx()).text == "满99元包邮哦。"  # the half-open trial
    assert len(fake_llm.requests) == 4
    assert backend.breaker.state is BreakerState.CLOSED


def test_the_breaker_opening_mid_retries_ends_them(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    backend = make_backend(llm_max_retries=5, llm_breaker_failures=2)
    fake_llm.default = Reply.error(502)
    with pytest.raises(LLMUnavailable) as excinfo:
        backend.generate(_ctx())
    assert fallback_reason(excinfo.value) == "http_502"  # the real failure, not "circuit_open"
    assert len(fake_llm.requests) == 2
    with pytest.raises(CircuitOpen):
        backend.generate(_ctx())
    assert len(fake_llm.requests) == 2


def test_unusable_output_does_not_open_the_breaker(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    backend = make_backend(llm_max_retries=0, llm_breaker_failures=1)
    fake_llm.script(Reply(content="no json here"), Reply.sentences(("好的。", [])))
    with pytest.raises(LLMBadOutput):
        backend.generate(_ctx())
    assert backend.breaker.state is BreakerState.CLOSED
    assert backend.generate(_ctx()).text == "好的。"
