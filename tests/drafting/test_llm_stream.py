"""Streaming: text deltas as they arrive, citation markers removed, citations in the result."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

from fakes import FakeOpenAIServer, Reply
from fakes.contexts import context, hit
from replydraft.drafting.backend import Generated
from replydraft.drafting.llm.backend import OpenAIBackend, fallback_reason
from replydraft.drafting.llm.breaker import BreakerState, CircuitBreaker
from replydraft.errors import LLMBadOutput, LLMUnavailable


@pytest.fixture
def backend(llm_settings: Callable[..., Any]) -> OpenAIBackend:
    return OpenAIBackend(llm_settings(llm_breaker_failures=5, llm_breaker_reset_s=30))


def _ctx(language: Any = "zh-Hans") -> Any:
    return context(
        "运费多少？几天到？",
        language=language,
        hits=[hit("kb-post", "满99包邮", rank=1), hit("kb-ship", "中通2-5天", rank=2)],
    )


def _drain(stream: Generator[str, None, Generated]) -> tuple[list[str], Generated]:
    deltas: list[str] = []
    while True:
        try:
            deltas.append(next(stream))
        except StopIteration as done:
            return deltas, done.value


def test_deltas_arrive_without_markers_and_citations_come_back_at_the_end(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    fake_llm.script(Reply.stream(
        "亲，满99元", "包邮哦。[c:kb", "-post] 中通一般2-5天", "送到。[c:kb-ship][c:kb-",
        "made-up]", "有问题随时找我～",
    ))
    deltas, generated = _drain(backend.stream(_ctx()))

    # Whole sentences (each checked before it leaves), markers gone even when cut in two.
    assert deltas == ["亲，满99元包邮哦。", " 中通一般2-5天送到。", "有问题随时找我～"]
    assert [(s.text, s.chunk_ids) for s in generated.sentences] == [
        ("亲，满99元包邮哦。", ("kb-post",)),
        ("中通一般2-5天送到。", ("kb-ship",)),
        ("有问题随时找我～", ()),
    ]
    assert generated.prompt_version == "llm-2026.12.2"
    (request,) = fake_llm.requests
    assert request.body["stream"] is True
    assert "[c:<knowledge id>]" in request.messages[0]["content"]


def test_sentences_are_passed_on_while_the_model_is_still_writing(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    # Paced widely: the first sentence arrives ~0.3 s in, the reply ends ~1.5 s in, so a
    # loaded CI machine would have to stall this client for over a second to fail it wrongly.
    fake_llm.script(Reply.stream("满99元包邮。", "中通", "一般", "2-5天", "送到。",
                                 chunk_delay_s=0.3))
    stream = backend.stream(_ctx())
    started = time.monotonic()
    first = next(stream)
    first_at = time.monotonic() - started
    rest, _ = _drain(stream)
    total = time.monotonic() - started
    assert first == "满99元包邮。" and rest == ["中通一般2-5天送到。"]
    assert total >= 1.45  # five paced deltas
    assert first_at < total - 0.9  # the first sentence did not wait for the rest


def test_english_stream_keeps_its_spacing(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    fake_llm.script(Reply.stream("Postage is free over 99 yuan.", " [c:kb-post]", " ZTO takes ",
                                 "2-5 days. [c:kb-ship]"))
    deltas, generated = _drain(backend.stream(_ctx("en")))
    assert "".join(deltas) == "Postage is free over 99 yuan. ZTO takes 2-5 days."
    assert generated.text == "Postage is free over 99 yuan. ZTO takes 2-5 days."
    assert [s.chunk_ids for s in generated.sentences] == [("kb-post",), ("kb-ship",)]


def test_a_failure_before_the_first_delta_is_retried(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    fake_llm.script(Reply.error(503), Reply.stream("满99元包邮。[c:kb-post]"))
    deltas, generated = _drain(backend.stream(_ctx()))
    assert "".join(deltas) == "满99元包邮。"
    assert generated.sentences[0].chunk_ids == ("kb-post",)
    assert len(fake_llm.requests) == 2


def test_a_connection_cut_mid_stream_is_raised_not_retried(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    fake_llm.script(Reply.stream("亲，满99元", "包邮哦。", "中通", drop_after_chunks=2),
                    Reply.stream("不该被请求。"))
    stream = backend.stream(_ctx())
    assert next(stream) == "亲，满99元包邮哦。"
    with pytest.raises(LLMUnavailable) as excinfo:
        next(stream)
    assert fallback_reason(excinfo.value) == "connection_error"
    assert len(fake_llm.requests) == 1  # text was already out: a retry would repeat it


def test_an_empty_stream_is_bad_output(fake_llm: FakeOpenAIServer, backend: OpenAIBackend) -> None:
    fake_llm.script(*[Reply.stream()] * 3)
    with pytest.raises(LLMBadOutput) as excinfo:
        _drain(backend.stream(_ctx()))
    assert fallback_reason(excinfo.value) == "empty_output"
    assert len(fake_llm.requests) == 3


def test_a_consumer_that_stops_listening_does_not_wedge_the_breaker(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    backend.breaker = CircuitBreaker(failure_threshold=1, reset_after_s=0.01)
    fake_llm.default = Reply.error(500)
    with pytest.raises(LLMUnavailable):
        _drain(backend.stream(_ctx()))
    fake_llm.default = None
    time.sleep(0.02)
    fake_llm.script(Reply.stream("满99", "元包邮。", "中通2-5天。"), Reply.stream("好的。"))
    stream = backend.stream(_ctx())  # the half-open trial …
    next(stream)
    stream.close()  # … abandoned by its consumer
    assert backend.breaker.state is BreakerState.HALF_OPEN
    deltas, _ = _drain(backend.stream(_ctx()))  # the next caller gets the trial slot
    assert "".join(deltas) == "好的。"
    assert backend.breaker.state is BreakerState.CLOSED


def test_a_stream_that_ends_without_a_finish_reason_is_incomplete(
    fake_llm: FakeOpenAIServer, backend: OpenAIBackend
) -> None:
    cut = Reply.stream("亲，满99元", "包邮", no_finish=True)
    fake_llm.script(cut, cut, cut)
    with pytest.raises(LLMUnavailable, match="before the model finished"):
        _drain(backend.stream(_ctx()))
    # No whole sentence had gone out yet, so each attempt could be retried.
    assert len(fake_llm.requests) == 3
