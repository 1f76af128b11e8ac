"""The LLM prompt: loading the versioned files in ``prompts/llm/`` and rendering a ``DraftContext``
into chat messages.

The files are loaded once and checked at start-up: a missing file, a template that does not parse,
a variable the renderer does not provide, or a data block that does not enclose its data is a
``ConfigurationError`` naming the file. Rendering is langchain-core prompt templates in mustache
format (JSON braces in the prompt text need no escaping).

Customer text, conversation history and knowledge are data. Before they are inserted, markup
brackets in them are replaced with look-alikes (``<`` → ``‹``, ``>`` → ``›``), so no data can close
its ``<customer_message>`` or ``<knowledge>`` block or open a new one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import (
    ChatPromptTemplate,
    HumanMessagePromptTemplate,
    MessagesPlaceholder,
    SystemMessagePromptTemplate,
)
from langchain_core.utils import mustache
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replydraft.drafting.backend import CitedSentence, DraftContext
from replydraft.drafting.budget import (
    TOKENS_PER_MESSAGE,
    TOKENS_REPLY_PRIMING,
    Allocation,
    Costs,
    TokenCounter,
    allocate,
    prompt_budget,
)
from replydraft.drafting.llm_leaks import LeakGuard, literal_text
from replydraft.drafting.models import Message
from replydraft.errors import ConfigurationError
from replydraft.knowledge.models import SearchHit, StoreProfile, pick_text
from replydraft.languages import LANGUAGES, PLATFORMS, Language, Platform

ChatMessage = dict[str, str]  # {"role": ..., "content": ...}, the OpenAI wire shape

_OPENERS = str.maketrans({"<": "‹", "＜": "‹", "﹤": "‹", ">": "›", "＞": "›", "﹥": "›"})
# C0 controls other than tab and newline, and the bidi overrides that can hide text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

# ------------------------------------------------------------------ the variables each template
# may use. A dict is an object (or a list of objects, iterated by a section); None is a value.
_Schema = Mapping[str, "_Schema | None"]

SYSTEM_VARIABLES: _Schema = dict.fromkeys(
    [
        "agent_name", "store_name", "platform_name", "language_name", "language_code",
        "traditional", "simplified", "korean", "korean_formal", "honorific", "emoji",
        "emoji_set", "currency", "agent_max_discount", "stream",
    ]
)
SYSTEM_REQUIRED = frozenset({"language_name", "stream"})

STORE_VARIABLES: _Schema = {
    **dict.fromkeys(
        [
            "name", "platform_name", "agent_name", "currency", "free_over", "standard_fee",
            "remote_regions", "remote_surcharge", "freight_insurance", "no_reason_days",
            "return_condition", "exchange_days", "refund_within_days", "quality_report_days",
            "photos_required", "cutoff_time", "dispatch_hours", "agent_max_discount",
            "invoice_available", "invoice_kinds", "invoice_note", "commitments",
        ]
    ),
    "return_postage": dict.fromkeys(["case", "payer"]),
    "couriers": dict.fromkeys(["name", "days_min", "days_max", "surcharge", "express"]),
}
CONTEXT_VARIABLES: _Schema = {
    "store": STORE_VARIABLES,
    **dict.fromkeys(
        [
            "language_name", "platform_name", "first_reply", "product", "order", "risks",
            "missing", "history_omitted", "customer_message", "latest_truncated",
        ]
    ),
    "intents": dict.fromkeys(["name", "confidence"]),
    "facts": dict.fromkeys(["key", "text", "cite"]),
    "chunks": dict.fromkeys(["id", "source", "section", "text"]),
    "history": dict.fromkeys(["role", "text"]),
}
CONTEXT_REQUIRED = frozenset({"customer_message", "chunks", "history", "facts"})

_PROBE = "\u2063probe\u2063"  # a value no template contains, to see where data lands


# ------------------------------------------------------------------ the files


class _Files(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str
    context: str
    fewshot: str


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    template_format: str
    files: _Files
    output: dict[str, str] = Field(default_factory=dict)
    languages: dict[Language, str]
    platforms: dict[Platform, str]


class _ExampleTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern="^(customer|agent)$")
    text: str = Field(min_length=1)


class _ExampleSentence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    cites: list[str] = Field(default_factory=list)


class _ExampleFact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    cite: str = ""


class _ExampleChunk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    source: str
    section: str = ""
    text: str = Field(min_length=1)


class _ExampleIntent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    confidence: float = Field(ge=0, le=1)


class _Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    language: Language
    platform: Platform = "taobao"
    first_reply: bool = False
    intents: list[_ExampleIntent] = Field(default_factory=list)
    product: str = ""
    order: str = ""
    risks: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    facts: list[_ExampleFact] = Field(default_factory=list)
    chunks: list[_ExampleChunk] = Field(default_factory=list)
    history: list[_ExampleTurn] = Field(default_factory=list)
    customer_message: str = Field(min_length=1)
    output: list[_ExampleSentence] = Field(min_length=1)


class _Fewshot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    examples: list[_Example]


@dataclass(frozen=True)
class PromptSet:
    """The validated prompt files of one version."""

    version: str
    directory: Path
    system: SystemMessagePromptTemplate
    context: HumanMessagePromptTemplate
    language_names: Mapping[Language, str]
    platform_names: Mapping[Platform, str]
    leak_guard: LeakGuard
    # Per mode ("json", "stream"): each example as a (user, assistant) message pair.
    examples: Mapping[str, tuple[tuple[HumanMessage, AIMessage], ...]] = field(
        default_factory=dict
    )

    @property
    def chat(self) -> ChatPromptTemplate:
        """The whole prompt as one langchain-core template (for inspection and tooling)."""
        return ChatPromptTemplate.from_messages(
            [self.system, MessagesPlaceholder("examples", optional=True), self.context]
        )


def load_prompt_set(directory: Path) -> PromptSet:
    """Read and check ``manifest.yaml`` and the files it names; cached per directory."""
    return _load_cached(directory.resolve())


@lru_cache(maxsize=8)
def _load_cached(directory: Path) -> PromptSet:
    manifest = _read_manifest(directory)
    system_text = _read_text(directory, manifest.files.system)
    context_text = _read_text(directory, manifest.files.context)
    _check_template(manifest.files.system, system_text, SYSTEM_VARIABLES, SYSTEM_REQUIRED)
    _check_template(manifest.files.context, context_text, CONTEXT_VARIABLES, CONTEXT_REQUIRED)
    _check_data_is_delimited(manifest.files.context, context_text)
    _check_names(manifest)
    system_tokens = _tokenise_once(system_text)
    context_tokens = _tokenise_once(context_text)
    prompts = PromptSet(
        version=manifest.version,
        directory=directory,
        system=SystemMessagePromptTemplate.from_template(system_text, template_format="mustache"),
        context=HumanMessagePromptTemplate.from_template(
            context_text, template_format="mustache"
        ),
        language_names=manifest.languages,
        platform_names=manifest.platforms,
        leak_guard=LeakGuard(
            literal_text([*system_tokens, *context_tokens]), literal_text(context_tokens)
        ),
    )
    examples = _read_examples(directory, manifest.files.fewshot)
    rendered = {
        mode: tuple(
            _render_example(prompts, example, stream=mode == "stream") for example in examples
        )
        for mode in ("json", "stream")
    }
    return replace(prompts, examples=rendered)


def _tokenise_once(template: str) -> list[tuple[str, str]]:
    # langchain-core's mustache renderer tokenises the template on every call unless the text is
    # in its token cache; prompt files do not change after loading, so do it once (it was most
    # of the rendering time).
    tokens = list(mustache.tokenize(template))
    cache = getattr(mustache, "g_token_cache", None)
    if isinstance(cache, dict):
        cache[template] = tokens
    return tokens


def _read_manifest(directory: Path) -> _Manifest:
    path = directory / "manifest.yaml"
    data = _read_yaml(path)
    try:
        return _Manifest.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {_first_problem(exc)}") from exc


def _read_text(directory: Path, name: str) -> str:
    path = directory / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(f"prompt file {path} is missing (named in manifest.yaml)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"prompt file {path} cannot be read: {exc}") from exc
    if not text.strip():
        raise ConfigurationError(f"prompt file {path} is empty")
    return text


def _read_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigurationError(f"prompt file {path} is missing")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}") from exc


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}" if location else error["msg"]


def _check_names(manifest: _Manifest) -> None:
    for kind, names, expected in (
        ("languages", manifest.languages, LANGUAGES),
        ("platforms", manifest.platforms, PLATFORMS),
    ):
        missing = [key for key in expected if key not in names]
        if missing:
            raise ConfigurationError(f"manifest.yaml {kind}: no name for {', '.join(missing)}")


def _check_template(
    name: str, text: str, schema: _Schema, required: frozenset[str]
) -> None:
    try:
        tokens = list(mustache.tokenize(text))
    except mustache.ChevronError as exc:
        raise ConfigurationError(f"prompt file {name}: template does not parse: {exc}") from exc
    used: set[str] = set()
    scopes: list[_Schema] = [schema]
    for kind, key in tokens:
        if kind == "partial":
            raise ConfigurationError(f"prompt file {name}: partials ({{{{> {key}}}}}) unsupported")
        if kind == "end":
            scopes.pop()
            continue
        if kind not in ("variable", "no escape", "section", "inverted section"):
            continue
        node = _resolve(key, scopes)
        if node is _UNKNOWN:
            raise ConfigurationError(f"prompt file {name}: unknown variable {key!r}")
        if len(scopes) == 1:
            used.add(key.split(".")[0])
        if kind in ("section", "inverted section"):
            scopes.append(node if isinstance(node, Mapping) else {})
    missing = sorted(required - used)
    if missing:
        raise ConfigurationError(
            f"prompt file {name}: required variable(s) not used: {', '.join(missing)}"
        )


_UNKNOWN = object()


def _resolve(key: str, scopes: Sequence[_Schema]) -> object:
    if key == ".":
        return None
    head, *rest = key.split(".")
    for scope in reversed(scopes):
        if head in scope:
            node: object = scope[head]
            for part in rest:
                if part.isdigit():
                    continue  # list index: same item schema
                if not isinstance(node, Mapping) or part not in node:
                    return _UNKNOWN
                node = node[part]
            return node
    return _UNKNOWN


def _check_data_is_delimited(name: str, text: str) -> None:
    """Render with probe values: the customer text and each chunk must sit inside their tags."""
    rendered = mustache.render(
        text,
        {
            "customer_message": _PROBE,
            "chunks": [{"id": "c1", "source": "s", "section": "t", "text": _PROBE}],
            "facts": [],
            "history": [],
        },
    )
    for tag in ("customer_message", "knowledge"):
        pattern = re.compile(rf"<{tag}(\s[^>]*)?>\s*{_PROBE}\s*</{tag}>")
        if not pattern.search(rendered):
            raise ConfigurationError(
                f"prompt file {name}: the {tag} data must be enclosed in <{tag}>…</{tag}>"
            )


def _read_examples(directory: Path, name: str) -> list[_Example]:
    path = directory / name
    try:
        fewshot = _Fewshot.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {_first_problem(exc)}") from exc
    for index, example in enumerate(fewshot.examples):
        known = {chunk.id for chunk in example.chunks}
        cited = {c for s in example.output for c in s.cites} | {
            f.cite for f in example.facts if f.cite
        }
        unknown = sorted(cited - known)
        if unknown:
            raise ConfigurationError(
                f"{path}: examples[{index}] ({example.name}) cites ids not in its chunks: "
                + ", ".join(unknown)
            )
    return fewshot.examples


def _render_example(
    prompts: PromptSet, example: _Example, *, stream: bool
) -> tuple[HumanMessage, AIMessage]:
    variables: dict[str, Any] = {
        "language_name": prompts.language_names[example.language],
        "platform_name": prompts.platform_names[example.platform],
        "first_reply": example.first_reply,
        "intents": [
            {"name": i.name, "confidence": f"{i.confidence:.2f}"} for i in example.intents
        ],
        "product": neutralise(example.product),
        "order": neutralise(example.order),
        "risks": example.risks,
        "missing": example.missing,
        "facts": [{"text": neutralise(f.text), "cite": f.cite} for f in example.facts],
        "chunks": [
            _chunk_variables(c.id, c.source, c.section, c.text) for c in example.chunks
        ],
        "history": [{"role": t.role, "text": neutralise(t.text)} for t in example.history],
        "history_omitted": 0,
        "customer_message": neutralise(example.customer_message),
        "latest_truncated": False,
    }
    user = prompts.context.format(**variables)
    sentences = [CitedSentence(s.text.strip(), tuple(s.cites)) for s in example.output]
    answer = format_answer(sentences, language=example.language, stream=stream)
    return HumanMessage(content=user.content), AIMessage(content=answer)


def format_answer(sentences: Sequence[CitedSentence], *, language: Language, stream: bool) -> str:
    """An answer in the format the model is asked for (used for the few-shot examples)."""
    if not stream:
        payload = {"sentences": [{"text": s.text, "cites": list(s.chunk_ids)} for s in sentences]}
        return json.dumps(payload, ensure_ascii=False)
    separator = " " if language in ("en", "ko") else ""
    return separator.join(
        s.text + "".join(f"[c:{chunk_id}]" for chunk_id in s.chunk_ids) for s in sentences
    )


# ------------------------------------------------------------------ rendering a request


def neutralise(text: str) -> str:
    """Data-safe text: no markup brackets, no invisible control or direction characters."""
    return _INVISIBLE.sub("", text).translate(_OPENERS)


def _attribute(value: str) -> str:
    return neutralise(value).replace('"', "'").replace("\n", " ")


def _chunk_variables(chunk_id: str, source: str, section: str, text: str) -> dict[str, str]:
    return {
        "id": _attribute(chunk_id),
        "source": _attribute(source),
        "section": _attribute(section),
        "text": neutralise(text),
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class _Parts:
    """What one request's prompt is made of, before choosing what fits."""

    system: str
    mode: str
    base: dict[str, Any]
    context: DraftContext
    history: Sequence[Message]


@dataclass(frozen=True)
class RenderedPrompt:
    messages: list[ChatMessage]
    known_ids: frozenset[str]  # chunk ids the model may cite (context.hits)
    allocation: Allocation
    tokens: int  # counted with tiktoken, framing included
    prompt_version: str


class PromptRenderer:
    """Renders contexts with one prompt set within one token budget."""

    def __init__(
        self,
        prompts: PromptSet,
        counter: TokenCounter,
        *,
        max_context_tokens: int,
        max_output_tokens: int,
    ) -> None:
        self.prompts = prompts
        self.counter = counter
        self.budget = prompt_budget(max_context_tokens, max_output_tokens)
        if self.budget < 200:
            raise ConfigurationError(
                f"REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS={max_context_tokens} leaves only "
                f"{self.budget} prompt tokens after {max_output_tokens} output tokens"
            )
        self._example_costs = {
            mode: tuple(
                counter.count(str(user.content)) + counter.count(str(ai.content))
                + 2 * TOKENS_PER_MESSAGE
                for user, ai in pairs
            )
            for mode, pairs in prompts.examples.items()
        }

    def render(self, context: DraftContext, *, stream: bool) -> RenderedPrompt:
        mode = "stream" if stream else "json"
        system = self.prompts.system.format(**self._system_variables(context, stream=stream))
        parts = _Parts(
            system=str(system.content),
            mode=mode,
            base=self._context_variables(context),
            context=context,
            history=context.request.messages[:-1],
        )
        latest = neutralise(context.request.latest)
        # Usually everything fits: one render and one count. Only a long conversation or a big
        # retrieval pays for measuring the parts and choosing.
        allocation = Allocation(
            chunks=tuple(range(len(context.hits))),
            history_from=0,
            fewshot=len(self._example_costs[mode]),
            latest_max_tokens=None,
            used=0,
        )
        messages, tokens = self._assemble(parts, latest, allocation)
        if tokens > self.budget:
            allocation = allocate(self._costs(parts, latest), self.budget)
            if allocation.latest_max_tokens is not None:
                latest = self.counter.truncate_middle(latest, allocation.latest_max_tokens)
            messages, tokens = self._assemble(parts, latest, allocation)
        while tokens > self.budget:
            if _can_drop_more(allocation, len(parts.history)):
                allocation = _drop_one_more(allocation, len(parts.history))
            else:
                latest, allocation = self._shorten_latest(latest, allocation, tokens)
            messages, tokens = self._assemble(parts, latest, allocation)
        return RenderedPrompt(
            messages=messages,
            known_ids=frozenset(hit.chunk_id for hit in context.hits),
            allocation=replace(allocation, used=tokens),
            tokens=tokens,
            prompt_version=self.prompts.version,
        )

    def _costs(self, parts: _Parts, latest: str) -> Costs:
        skeleton = self._format_context(
            {**parts.base, "chunks": [], "history": [], "customer_message": ""}
        )
        return Costs(
            fixed=self._count_cached(parts.system) + self.counter.count(skeleton)
            + 2 * TOKENS_PER_MESSAGE + TOKENS_REPLY_PRIMING,
            latest=self.counter.count(latest),
            chunks=tuple(self._chunk_cost(hit) for hit in parts.context.hits),
            history=tuple(self._message_cost(message) for message in parts.history),
            fewshot=self._example_costs[parts.mode],
        )

    def _assemble(
        self, parts: _Parts, latest: str, allocation: Allocation
    ) -> tuple[list[ChatMessage], int]:
        """The messages for one allocation, and their token count (framing included)."""
        hits = parts.context.hits
        user = self._format_context(
            {
                **parts.base,
                "chunks": [self._hit_variables(hits[i]) for i in allocation.chunks],
                "history": [
                    self._message_variables(m) for m in parts.history[allocation.history_from :]
                ],
                "history_omitted": allocation.history_from,
                "customer_message": latest,
                "latest_truncated": allocation.latest_max_tokens is not None,
            }
        )
        messages: list[ChatMessage] = [{"role": "system", "content": parts.system}]
        for example_user, example_ai in self.prompts.examples[parts.mode][: allocation.fewshot]:
            messages.append(_wire(example_user))
            messages.append(_wire(example_ai))
        messages.append({"role": "user", "content": user})
        # The system prompt and the examples repeat across requests: their counts are cached.
        tokens = (
            self._count_cached(parts.system)
            + sum(self._example_costs[parts.mode][: allocation.fewshot])
            + self.counter.count(user)
            + 2 * TOKENS_PER_MESSAGE
            + TOKENS_REPLY_PRIMING
        )
        return messages, tokens

    def _shorten_latest(
        self, latest: str, allocation: Allocation, tokens: int
    ) -> tuple[str, Allocation]:
        keep = self.counter.count(latest) - (tokens - self.budget) - 4
        if keep < 16:
            raise ConfigurationError(
                "the prompt does not fit REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS even with no history, "
                "knowledge or examples; raise it or lower REPLYDRAFT_LLM_MAX_OUTPUT_TOKENS"
            )
        return self.counter.truncate_middle(latest, keep), replace(
            allocation, latest_max_tokens=keep
        )

    def _format_context(self, variables: dict[str, Any]) -> str:
        return str(self.prompts.context.format(**variables).content)

    def _count_cached(self, text: str) -> int:
        return _count_with(self.counter, text)

    def _chunk_cost(self, hit: SearchHit) -> int:
        return self.counter.count(
            " ".join((hit.chunk_id, hit.source, hit.section, neutralise(hit.text)))
        ) + 16  # the <knowledge id="" source="" section=""> … </knowledge> markup

    def _message_cost(self, message: Message) -> int:
        return self.counter.count(neutralise(message.text)) + 10  # <message role=""> … </message>

    def _hit_variables(self, hit: SearchHit) -> dict[str, str]:
        return _chunk_variables(hit.chunk_id, hit.source, hit.section, hit.text)

    @staticmethod
    def _message_variables(message: Message) -> dict[str, str]:
        return {"role": message.role, "text": neutralise(message.text)}

    # -------------------------------------------------------------- variables

    def _system_variables(self, context: DraftContext, *, stream: bool) -> dict[str, Any]:
        store, language = context.store, context.language
        return {
            "agent_name": neutralise(pick_text(store.agent.nickname, language)),
            "store_name": neutralise(pick_text(store.names, language)),
            "platform_name": self.prompts.platform_names[context.platform],
            "language_name": self.prompts.language_names[language],
            "language_code": language,
            "traditional": language == "zh-Hant",
            "simplified": language == "zh-Hans",
            "korean": language == "ko",
            "korean_formal": store.voice.korean_speech_level == "hamnida",
            "honorific": neutralise(pick_text(store.voice.honorific, language)),
            "emoji": store.voice.emoji,
            "emoji_set": " ".join(store.voice.emoji_set),
            "currency": store.currency,
            "agent_max_discount": _number(store.policies.discounts.agent_max),
            "stream": stream,
        }

    def _context_variables(self, context: DraftContext) -> dict[str, Any]:
        language = context.language
        hit_ids = {hit.chunk_id for hit in context.hits}
        order = context.request.order
        product = context.product
        return {
            "store": self._store_variables(context.store, language, context.platform),
            "language_name": self.prompts.language_names[language],
            "platform_name": self.prompts.platform_names[context.platform],
            "first_reply": context.first_reply,
            "intents": [
                {"name": i.intent, "confidence": f"{i.confidence:.2f}"} for i in context.intents
            ],
            "product": neutralise(f"{pick_text(product.names, language)} ({product.sku})")
            if product
            else "",
            "order": neutralise(f"{order.id} ({order.status})") if order else "",
            "risks": sorted({risk.type for risk in context.risks}),
            "missing": [neutralise(item) for item in context.missing],
            "facts": [
                {
                    "key": fact.key,
                    "text": neutralise(fact.text),
                    "cite": _attribute(fact.chunk_id) if fact.chunk_id in hit_ids else "",
                }
                for fact in context.facts
            ],
            "history_omitted": 0,
            "latest_truncated": False,
        }

    def _store_variables(
        self, store: StoreProfile, language: Language, platform: Platform
    ) -> dict[str, Any]:
        policies = store.policies
        postage, returns, shipping = policies.postage, policies.returns, policies.shipping
        return {
            "name": neutralise(pick_text(store.names, language)),
            "platform_name": self.prompts.platform_names[platform],
            "agent_name": neutralise(pick_text(store.agent.nickname, language)),
            "currency": store.currency,
            "free_over": _number(postage.free_over),
            "standard_fee": _number(postage.standard_fee),
            "remote_regions": neutralise(
                ", ".join(pick_text(region, language) for region in postage.remote_regions)
            ),
            "remote_surcharge": _number(postage.remote_surcharge),
            "freight_insurance": postage.freight_insurance,
            "return_postage": [
                {"case": case.replace("_", " "), "payer": payer}
                for case, payer in postage.return_postage.items()
            ],
            "no_reason_days": returns.no_reason_days,
            "return_condition": neutralise(pick_text(returns.condition, language)),
            "exchange_days": returns.exchange_days,
            "refund_within_days": returns.refund_within_days,
            "quality_report_days": policies.quality.report_within_days,
            "photos_required": policies.quality.photos_required,
            "cutoff_time": shipping.cutoff_time,
            "dispatch_hours": shipping.dispatch_within_hours,
            "couriers": [
                {
                    "name": neutralise(pick_text(courier.name, language)),
                    "days_min": _number(courier.typical_days.min),
                    "days_max": _number(courier.typical_days.max),
                    "surcharge": _number(courier.surcharge) if courier.surcharge else "",
                    "express": courier.express,
                }
                for courier in shipping.couriers
            ],
            "agent_max_discount": _number(policies.discounts.agent_max),
            "invoice_available": policies.invoices.available,
            "invoice_kinds": neutralise(
                "; ".join(pick_text(kind, language) for kind in policies.invoices.kinds)
            ),
            "invoice_note": neutralise(pick_text(policies.invoices.note, language)),
            "commitments": [
                neutralise(_commitment_wording(c.phrases, c.description, language))
                for c in store.allowed_commitments
            ],
        }


def _commitment_wording(
    phrases: Mapping[Language, list[str]], description: str, language: Language
) -> str:
    wordings = phrases.get(language) or []
    return wordings[0] if wordings else description


def _wire(message: BaseMessage) -> ChatMessage:
    role = {"human": "user", "ai": "assistant", "system": "system"}[message.type]
    return {"role": role, "content": str(message.content)}


def _can_drop_more(allocation: Allocation, history_len: int) -> bool:
    return bool(
        allocation.fewshot or allocation.history_from < history_len or allocation.chunks
    )


def _drop_one_more(allocation: Allocation, history_len: int) -> Allocation:
    """The estimate was a little short: give up the least valuable remaining part."""
    if allocation.fewshot:
        return replace(allocation, fewshot=allocation.fewshot - 1)
    if allocation.history_from < history_len:
        return replace(allocation, history_from=allocation.history_from + 1)
    return replace(allocation, chunks=allocation.chunks[:-1])


@lru_cache(maxsize=64)
def _count_cached_text(encoding_name: str, text: str) -> int:
    return TokenCounter(encoding_name).count(text)


def _count_with(counter: TokenCounter, text: str) -> int:
    # The system prompt only varies by store and language: count each variant once.
    return _count_cached_text(counter.encoding_name, text)
