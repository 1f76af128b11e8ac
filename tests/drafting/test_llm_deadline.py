"""REPLYDRAFT_DRAFT_DEADLINE_S bounds a draft's whole time on the model: every retry, backoff and
streamed delta, not only each read (a model that trickles deltas never trips a read timeout)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from fakes import FakeOpenAIServer, Reply
from fakes.contexts import context, hit
from replydraft.drafting.llm.backend import OpenAIBackend, fallback_reason
from replydraft.errors import LLMError, LLMTimeout


def _ctx() -> Any:
    return context("运费多少？", language="zh-Hans", hits=[hit("kb-post", "满99包邮", rank=1)])


def test_retries_stop_at_the_deadline(fake_llm: FakeOpenAIServer,
                                      llm_settings: Callable[..., Any]) -> None:
    fake_llm.script(*[Reply.error(500, delay_s=0.8) for _ in range(10)])
    backend = OpenAIBackend(llm_settings(llm_max_retries=10, llm_backoff_s=0.01,
                                         draft_deadline_s=2.0, llm_breaker_failures=100))
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        backend.generate(_ctx())
    assert time.monotonic() - started < 2.0 + 0.8
    assert len(fake_llm.requests) <= 3
    assert fallback_reason(caught.value) in ("timeout", "server_error")


def test_a_trickling_stream_stops_at_the_deadline(fake_llm: FakeOpenAIServer,
                                                  llm_settings: Callable[..., Any]) -> None:
    fake_llm.script(Reply.stream(*(["好"] * 40), chunk_delay_s=0.3))
    backend = OpenAIBackend(llm_settings(llm_timeout_s=5.0, draft_deadline_s=1.5,
                                         llm_max_retries=2))
    started = time.monotonic()
    with pytest.raises(LLMTimeout) as caught:
        list(backend.stream(_ctx()))
    assert time.monotonic() - started < 1.5 + 0.3 + 0.5
    assert "REPLYDRAFT_DRAFT_DEADLINE_S" in caught.value.detail
    assert len(fake_llm.requests) == 1  # no retry once the time is spent
