"""A circuit breaker, so a dead model endpoint is not hammered by every draft request.

    closed ──(N consecutive failures)──▶ open ──(reset_s later)──▶ half-open
      ▲                                   ▲                          │ one trial call
      └──────────── trial succeeds ───────┴──── trial fails ─────────┘

While open, ``acquire()`` raises ``CircuitOpen`` at once, without touching the network; the
drafter then falls back to the offline composer. In half-open exactly one caller gets a permit for
the trial call; everyone else still gets ``CircuitOpen`` until the trial has an outcome.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

from replydraft.errors import CircuitOpen


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Thread-safe; one instance per endpoint (the LLM backend owns one)."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_after_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current_state()

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def acquire(self) -> None:
        """Ask permission for one call; raises ``CircuitOpen`` when the call must not be made."""
        with self._lock:
            state = self._current_state()
            if state is BreakerState.CLOSED:
                return
            if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._state = BreakerState.HALF_OPEN
                self._trial_in_flight = True
                return
            retry_in = max(0.0, self._opened_at + self._reset_after_s - self._clock())
            raise CircuitOpen(
                f"model endpoint failed {self._failures} times in a row; "
                f"not calling it for another {retry_in:.1f}s",
                extra={"reason": "circuit_open", "retry_in_s": round(retry_in, 3)},
            )

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if was_trial or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()

    def release(self) -> None:
        """The permitted call ended without telling us anything about the endpoint (the caller
        gave up, or the answer was unusable but proved the endpoint alive): free the trial slot."""
        with self._lock:
            self._trial_in_flight = False

    def _current_state(self) -> BreakerState:
        # Open turns half-open lazily, when someone looks after the reset period.
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self._reset_after_s
        ):
            return BreakerState.HALF_OPEN
        return self._state
