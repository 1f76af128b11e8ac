"""The LLM backend through the real openai client against a real (fake) HTTP model server."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeOpenAIServer, Reply
from fakes.contexts import context, hit
from replydraft.drafting.llm.backend import OpenAIBackend, fallback_reason
from replydraft.errors import (
    ConfigurationError,
    LLMBadOutput,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
)

SIZE_CHUNKS = [
    hit("kb-size", "XL：身高170-180cm，体重75-85kg；2XL：身高175-185cm，体重85-95kg", rank=1),
    hit("kb-fabric", "四面弹牛仔布，腰部有弹力", rank=2),
]


@pytest.fixture
def make_backend(llm_settings: Callable[..., Any]) -> Iterator[Callable[..., OpenAIBackend]]:
    made: list[OpenAIBackend] = []

    def factory(**overrides: Any) -> OpenAIBackend:
        backend = OpenAIBackend(llm_settings(**overrides))
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        backend.close()


def _size_context() -> Any:
    return context("你好，178，184斤穿多大？", hits=SIZE_CHUNKS)


def _reason(excinfo: pytest.ExceptionInfo[LLMError]) -> str:
    return fallback_reason(excinfo.value)


def test_a_draft_through_the_real_client(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.sentences(
        ("亲，按您的身高体重建议选2XL。", ["kb-size"]),
        ("这款是四面弹面料，穿着不勒。", ["kb-fabric"]),
        ("还有什么想了解的随时问我哦～", []),
    ))
    backend = make_backend()
    generated = backend.generate(_size_context())

    assert backend.name == "openai:fake-model"
    assert generated.prompt_version == "llm-2026.12.2"
    assert [s.chunk_ids for s in generated.sentences] == [("kb-size",), ("kb-fabric",), ()]
    assert generated.text == (
        "亲，按您的身高体重建议选2XL。这款是四面弹面料，穿着不勒。还有什么想了解的随时问我哦～"
    )

    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    # Only fields every OpenAI-compatible server understands.
    assert set(request.body) == {"model", "messages", "max_tokens", "temperature"}
    assert request.body["model"] == "fake-model"
    assert request.body["max_tokens"] == 400
    user = request.last_user_message
    assert "<customer_message>\n你好，178，184斤穿多大？\n</customer_message>" in user
    assert '<knowledge id="kb-size"' in user and '<knowledge id="kb-fabric"' in user


def test_english_sentences_are_joined_with_spaces(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.sentences(("Hi dear!", []), ("Postage is free over 99 yuan.", ["kb"])))
    generated = make_backend().generate(
        context("Is postage free?", language="en", hits=[hit("kb", "Free over 99")])
    )
    assert generated.text == "Hi dear! Postage is free over 99 yuan."


def test_citations_to_chunks_the_model_was_not_shown_are_dropped(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.sentences(
        ("建议选2XL。", ["kb-size", "kb-invented", "kb-size"]),
        ("面料很舒服。", ["ex-jeans-size"]),  # a few-shot example's id, not this request's
    ))
    generated = make_backend().generate(_size_context())
    assert [s.chunk_ids for s in generated.sentences] == [("kb-size",), ()]


def test_code_fences_and_chatter_around_the_json_are_tolerated(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    payload = json.dumps({"sentences": [{"text": "建议选2XL。", "cites": ["kb-size"]}]},
                         ensure_ascii=False)
    fake_llm.script(Reply(content=f"Here you go:\n```json\n{payload}\n```"))
    generated = make_backend().generate(_size_context())
    assert generated.text == "建议选2XL。"


def test_server_errors_are_retried_then_succeed(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.error(503), Reply.error(500),
                    Reply.sentences(("建议选2XL。", ["kb-size"])))
    generated = make_backend(llm_max_retries=2).generate(_size_context())
    assert generated.text == "建议选2XL。"
    assert len(fake_llm.requests) == 3
    # The same prompt each time.
    assert len({json.dumps(r.body, sort_keys=True) for r in fake_llm.requests}) == 1


def test_persistent_server_errors_end_in_llm_unavailable(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(*[Reply.error(500)] * 3)
    with pytest.raises(LLMUnavailable) as excinfo:
        make_backend(llm_max_retries=2).generate(_size_context())
    assert _reason(excinfo) == "http_500"
    assert len(fake_llm.requests) == 3
    assert fake_llm.unscripted == 0


def test_a_slow_endpoint_times_out(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.sentences(("太慢了。", []), delay_s=3),
                    Reply.sentences(("还是太慢。", []), delay_s=3))
    with pytest.raises(LLMTimeout) as excinfo:
        make_backend(llm_timeout_s=0.3, llm_max_retries=1).generate(_size_context())
    assert _reason(excinfo) == "timeout"
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(content="亲，建议选2XL哦"), "malformed_output"),  # prose, not JSON
        (Reply(content='{"sentences": [{"txt": "x"}]}'), "malformed_output"),
        (Reply(content='{"sentences": [{"text": "建议选2XL。", "cites": ['), "malformed_output"),
        (Reply(content=""), "empty_output"),
        (Reply(content=None), "empty_output"),
        (Reply(content='{"sentences": [{"text": "  "}]}'), "empty_output"),
        (Reply(no_choices=True), "empty_output"),
        (Reply(body="{this is not json"), "malformed_output"),
    ],
)
def test_unusable_output_is_retried_then_reported(
    fake_llm: FakeOpenAIServer,
    make_backend: Callable[..., OpenAIBackend],
    reply: Reply,
    reason: str,
) -> None:
    fake_llm.script(reply, reply)
    with pytest.raises(LLMBadOutput) as excinfo:
        make_backend(llm_max_retries=1).generate(_size_context())
    assert _reason(excinfo) == reason
    assert len(fake_llm.requests) == 2


def test_bad_output_once_then_good_output_succeeds(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply(content="not json"), Reply.sentences(("建议选2XL。", ["kb-size"])))
    assert make_backend().generate(_size_context()).text == "建议选2XL。"


def test_rate_limit_waits_as_long_as_retry_after_says(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.error(429, retry_after="0.4"), Reply.sentences(("好的。", [])))
    generated = make_backend(llm_backoff_s=0.0).generate(_size_context())
    assert generated.text == "好的。"
    first, second = fake_llm.requests
    assert second.received_at - first.received_at >= 0.4


def test_a_retry_after_beyond_the_cap_gives_up_at_once(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.error(429, retry_after="120"))
    with pytest.raises(LLMUnavailable) as excinfo:
        make_backend(llm_retry_after_max_s=5).generate(_size_context())
    assert _reason(excinfo) == "rate_limited"
    assert excinfo.value.extra["retry_after_s"] == 120
    assert len(fake_llm.requests) == 1


def test_client_errors_are_not_retried(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply.error(401))
    with pytest.raises(LLMUnavailable) as excinfo:
        make_backend(llm_max_retries=3).generate(_size_context())
    assert _reason(excinfo) == "http_401"
    assert len(fake_llm.requests) == 1


def test_a_dropped_connection_is_a_connection_error(
    fake_llm: FakeOpenAIServer, make_backend: Callable[..., OpenAIBackend]
) -> None:
    fake_llm.script(Reply(drop=True), Reply(drop=True))
    with pytest.raises(LLMUnavailable) as excinfo:
        make_backend(llm_max_retries=1).generate(_size_context())
    assert _reason(excinfo) == "connection_error"
    assert len(fake_llm.requests) == 2


def test_nothing_listening_is_a_connection_error(
    make_backend: Callable[..., OpenAIBackend],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_backend(llm_base_url=f"http://127.0.0.1:{port}/v1", llm_max_retries=0)
    with pytest.raises(LLMUnavailable) as excinfo:
        backend.generate(_size_context())
    assert _reason(excinfo) == "connection_error"


def test_no_key_sends_a_placeholder_never_the_environment_key(
    fake_llm: FakeOpenAIServer,
    make_backend: Callable[..., OpenAIBackend],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    fake_llm.script(Reply.sentences(("好的。", [])))
    make_backend().generate(_size_context())
    assert fake_llm.requests[0].headers["authorization"] == "Bearer not-needed"


def test_a_configured_key_is_sent_and_never_logged(
    fake_llm: FakeOpenAIServer,
    make_backend: Callable[..., OpenAIBackend],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_llm.script(Reply.error(503), Reply.sentences(("好的。", [])))
    with caplog.at_level(logging.DEBUG):
        make_backend(llm_api_key="sk-test-secret-123").generate(_size_context())
    assert fake_llm.requests[0].headers["authorization"] == "Bearer sk-test-secret-123"
    assert "http_503" in caplog.text  # the retry was logged …
    assert "sk-test-secret-123" not in caplog.text  # … without the key


@pytest.mark.parametrize("url", [None, "", "localhost:11434/v1", "ftp://host/v1", "http:///v1"])
def test_a_base_url_that_cannot_work_is_refused_at_start_up(
    llm_settings: Callable[..., Any], url: str | None
) -> None:
    with pytest.raises(ConfigurationError, match="REPLYDRAFT_LLM_BASE_URL"):
        OpenAIBackend(llm_settings(llm_base_url=url))


def test_prompt_files_are_checked_at_start_up(
    llm_settings: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "llm").mkdir()
    with pytest.raises(ConfigurationError, match=r"manifest\.yaml"):
        OpenAIBackend(llm_settings(prompts_dir=tmp_path))
