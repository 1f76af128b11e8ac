"""The LLM reply backend: any server speaking the OpenAI chat-completions protocol (OpenAI, vLLM,
Ollama, llama.cpp, …).

One call is: render the versioned prompt (``prompting``) within the token budget (``budget``), ask
the endpoint through the ``openai`` client with its own retries switched off, and turn the answer
into cited sentences (``llm_output``). Retries with backoff (``llm_retry``) and the circuit breaker
(``breaker``) are ours, so they are visible and testable. Failures raise ``LLMError`` subclasses;
the drafter answers offline then, so no request is lost.

Only standard request fields are sent (model, messages, max_tokens, temperature, stream), so
local servers need no OpenAI-only parameter. Without a configured key the placeholder
``not-needed`` is sent: the client would otherwise pick up ``OPENAI_API_KEY`` from the environment
and hand a real OpenAI key to whatever server REPLYDRAFT_LLM_BASE_URL points at. Keys are never
logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator
from typing import TypeVar
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from replydraft.config import Settings
from replydraft.drafting.backend import CitedSentence, DraftContext, Generated
from replydraft.drafting.llm.breaker import CircuitBreaker
from replydraft.drafting.llm.budget import TokenCounter, encoding_name_for
from replydraft.drafting.llm.output import (
    MarkerStripper,
    bad_output,
    parse_json_reply,
    parse_marked_text,
    space_sentences,
    take_sentences,
)
from replydraft.drafting.llm.prompting import PromptRenderer, RenderedPrompt, load_prompt_set
from replydraft.drafting.llm.retry import RetryPolicy, classify, fallback_reason
from replydraft.errors import (
    CircuitOpen,
    ConfigurationError,
    LLMBadOutput,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
)
from replydraft.languages import Language
from replydraft.offline import ensure_tiktoken_cache

__all__ = ["OpenAIBackend", "fallback_reason"]

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_KEY_PLACEHOLDER = "not-needed"
# What a model call can throw that is the endpoint's or the model's fault (anything else is ours).
_CALL_FAILURES = (openai.OpenAIError, json.JSONDecodeError, LLMError)
# The client's raw-request route (documented for endpoints the SDK has no method for) sends the
# Authorization header only when asked to.
_AUTHENTICATED: openai.RequestOptions = {"security": {"bearer_auth": True}}


class OpenAIBackend:
    """A ``ReplyBackend``; thread-safe, one per process (it owns the breaker and the HTTP pool)."""

    def __init__(self, settings: Settings, *, breaker: CircuitBreaker | None = None) -> None:
        _check_base_url(settings.llm_base_url)
        self.model = settings.llm_model
        self.name = f"openai:{self.model}"
        self._settings = settings
        _ensure_tiktoken_files(settings)
        self.prompts = load_prompt_set(settings.prompts_dir / "llm")
        self.prompt_version = self.prompts.version
        self._renderer = PromptRenderer(
            self.prompts,
            TokenCounter(encoding_name_for(self.model)),
            max_context_tokens=settings.llm_max_context_tokens,
            max_output_tokens=settings.llm_max_output_tokens,
        )
        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        self._client = openai.OpenAI(
            base_url=str(settings.llm_base_url),
            api_key=api_key or NO_KEY_PLACEHOLDER,
            timeout=settings.llm_timeout_s,
            max_retries=0,  # retries are ours: backoff, Retry-After cap, breaker
        )
        self._retry = RetryPolicy(
            max_retries=settings.llm_max_retries,
            backoff_s=settings.llm_backoff_s,
            retry_after_max_s=settings.llm_retry_after_max_s,
        )
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=settings.llm_breaker_failures,
            reset_after_s=settings.llm_breaker_reset_s,
        )

    # ------------------------------------------------------------------ ReplyBackend

    def render(self, context: DraftContext, *, stream: bool = False) -> RenderedPrompt:
        """The exact messages that would be sent (for tests, debugging and benchmarks)."""
        return self._renderer.render(context, stream=stream)

    def generate(self, context: DraftContext) -> Generated:
        prompt = self._renderer.render(context, stream=False)
        deadline = Deadline(self._settings.draft_deadline_s)

        def ask() -> Generated:
            completion = self._client.post(
                "/chat/completions",
                body=self._body(prompt, stream=False),
                cast_to=ChatCompletion,
                options=self._options(deadline),
            )
            if not completion.choices:
                raise bad_output("the completion has no choices", "empty_output")
            content = completion.choices[0].message.content
            self._check_length(len(content or ""))
            sentences = parse_json_reply(
                content,
                known_ids=prompt.known_ids,
                language=context.language,
            )
            return Generated(
                sentences=self._without_leaks(sentences, context.language),
                prompt_version=prompt.prompt_version,
            )

        return self._with_retries(ask, deadline)

    def stream(self, context: DraftContext) -> Generator[str, None, Generated]:
        """Yield the reply as it arrives, one whole sentence at a time, ``[c:id]`` markers
        removed and sentences that repeat the prompt left out.

        The generator's return value (``StopIteration.value``, or ``x = yield from
        backend.stream(ctx)``) is the whole reply as cited sentences. A failure before the first
        delta is retried like ``generate``; after text has been yielded it is raised.
        """
        prompt = self._renderer.render(context, stream=True)
        deadline = Deadline(self._settings.draft_deadline_s)
        error: LLMError | None = None
        for attempt in range(self._retry.max_retries + 1):
            self._wait_before(attempt, error, deadline)
            self._acquire(error)
            emitted: list[bool] = []
            try:
                text = yield from self._stream_once(prompt, emitted, deadline)
            except _CALL_FAILURES as exc:
                error = self._record_failure(exc)
                if emitted or self._retry.delay_before(attempt + 1, error) is None:
                    raise error from exc
                continue
            except BaseException:
                self.breaker.release()  # the consumer stopped listening: no verdict
                raise
            self.breaker.record_success()
            sentences = parse_marked_text(
                text, known_ids=prompt.known_ids, language=context.language
            )
            return Generated(
                sentences=self._without_leaks(sentences, context.language, raise_if_empty=False),
                prompt_version=prompt.prompt_version,
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ one attempt

    def _stream_once(
        self, prompt: RenderedPrompt, emitted: list[bool], deadline: Deadline
    ) -> Generator[str, None, str]:
        stripper = MarkerStripper()
        raw: list[str] = []
        received = 0
        pending = ""  # clean text of the sentence still being written
        finished = False
        with self._client.post(
            "/chat/completions",
            body=self._body(prompt, stream=True),
            cast_to=ChatCompletionChunk,
            options=self._options(deadline),
            stream=True,
            stream_cls=openai.Stream[ChatCompletionChunk],
        ) as chunks:
            for chunk in chunks:
                # The HTTP timeout bounds each read; a model trickling a delta every few
                # seconds would never trip it, so the draft's deadline is checked per delta.
                deadline.check()
                choice = chunk.choices[0] if chunk.choices else None
                finished = finished or bool(choice and choice.finish_reason)
                delta = choice.delta.content if choice else None
                if not delta:
                    continue
                received += len(delta)
                self._check_length(received)  # leaving the block closes the connection
                raw.append(delta)
                # Whole sentences only, each checked for prompt leaks before it leaves.
                sentences, pending = take_sentences(pending + stripper.feed(delta))
                for sentence in sentences:
                    if self._shareable(sentence):
                        emitted.append(True)
                        yield sentence
        if not finished:
            # Every OpenAI-compatible server ends a stream with a finish_reason; without one the
            # answer was cut short (a proxy or the server went away mid-reply).
            raise LLMUnavailable(
                "the stream ended before the model finished its answer",
                extra={"reason": "connection_error"},
            )
        tail = pending + stripper.flush()
        if tail.strip() and self._shareable(tail):
            emitted.append(True)
            yield tail
        text = "".join(raw)
        if not text.strip():
            raise bad_output("the streamed completion has no text", "empty_output")
        if not emitted:
            raise bad_output("every sentence of the reply repeated the prompt", "prompt_leak")
        return text

    def _check_length(self, characters: int) -> None:
        """An endpoint that ignores max_tokens could send without end: past the cap the reply is
        bad output, never parsed, filtered or stored whole."""
        limit = self._settings.llm_max_output_chars
        if characters > limit:
            raise bad_output(f"the model's reply passed {limit} characters "
                             "(REPLYDRAFT_LLM_MAX_OUTPUT_CHARS); it ignored max_tokens",
                             "too_long")

    def _shareable(self, sentence: str) -> bool:
        if self.prompts.leak_guard.leaks(sentence):
            log.warning("LLM reply sentence dropped: it repeated the prompt")
            return False
        return True

    def _without_leaks(
        self, sentences: list[CitedSentence], language: Language, *, raise_if_empty: bool = True
    ) -> list[CitedSentence]:
        kept, dropped = self.prompts.leak_guard.split(sentences)
        if not dropped:
            return sentences
        log.warning("LLM reply: %d sentence(s) dropped for repeating the prompt", len(dropped))
        if not kept and raise_if_empty:
            raise bad_output("every sentence of the reply repeated the prompt", "prompt_leak")
        return space_sentences([CitedSentence(s.text.strip(), s.chunk_ids) for s in kept], language)

    def _body(self, prompt: RenderedPrompt, *, stream: bool) -> dict[str, object]:
        # Sent as is: client.chat.completions.create() would re-validate every message against
        # the SDK's TypedDicts first, which cost more than the rest of our overhead together.
        body: dict[str, object] = {
            "model": self.model,
            "messages": prompt.messages,
            "max_tokens": self._settings.llm_max_output_tokens,
            "temperature": self._settings.llm_temperature,
        }
        if stream:
            body["stream"] = True
        return body

    # ------------------------------------------------------------------ retries and breaker

    def _options(self, deadline: Deadline) -> openai.RequestOptions:
        # No single call may outlive the draft's deadline (connect, each read, write).
        return {**_AUTHENTICATED,
                "timeout": min(self._settings.llm_timeout_s, deadline.check())}

    def _with_retries(self, call: Callable[[], T], deadline: Deadline) -> T:
        error: LLMError | None = None
        for attempt in range(self._retry.max_retries + 1):
            self._wait_before(attempt, error, deadline)
            self._acquire(error)
            try:
                result = call()
            except _CALL_FAILURES as exc:
                error = self._record_failure(exc)
                if self._retry.delay_before(attempt + 1, error) is None:
                    raise error from exc
                continue
            except BaseException:
                self.breaker.release()
                raise
            self.breaker.record_success()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_before(self, attempt: int, error: LLMError | None, deadline: Deadline) -> None:
        if attempt == 0 or error is None:
            return
        delay = self._retry.delay_before(attempt, error)
        if delay:
            if delay >= deadline.check():
                # Waiting would spend the rest of the draft's time: fail now, with the cause.
                raise error
            time.sleep(delay)
        deadline.check()

    def _acquire(self, previous: LLMError | None) -> None:
        """A breaker that opened during our own retries ends them with the real failure."""
        try:
            self.breaker.acquire()
        except CircuitOpen:
            if previous is not None:
                raise previous from None
            raise

    def _record_failure(self, exc: Exception) -> LLMError:
        error = classify(exc)
        if isinstance(error, LLMBadOutput):
            # The endpoint answered; the answer was unusable. Not the breaker's business.
            self.breaker.release()
        else:
            self.breaker.record_failure()
        log.warning(
            "LLM call to %s failed: %s (%s)",
            self.model,
            fallback_reason(error),
            error.detail,
        )
        return error


class Deadline:
    """The time one draft may still spend on the model (REPLYDRAFT_DRAFT_DEADLINE_S)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def check(self) -> float:
        """The seconds left; raises ``LLMTimeout`` (the drafter falls back) when none are."""
        left = self._ends - time.monotonic()
        if left <= 0:
            raise LLMTimeout(f"the draft's {self.seconds:g} s for the model ran out "
                             "(REPLYDRAFT_DRAFT_DEADLINE_S)", extra={"reason": "timeout"})
        return left


def _check_base_url(url: str | None) -> None:
    # A wrong URL would not fail until the first call, and then only as a fallback on every draft.
    if not url:
        raise ConfigurationError("REPLYDRAFT_LLM_BASE_URL is not set; the LLM backend needs it")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"REPLYDRAFT_LLM_BASE_URL={url!r} is not an http(s) URL with a host; "
            "expected e.g. http://127.0.0.1:11434/v1 or https://api.openai.com/v1"
        )


def _ensure_tiktoken_files(settings: Settings) -> None:
    # The CLI and API call prepare_offline() at start-up; a library user may not have.
    ensure_tiktoken_cache(settings.data_dir)
