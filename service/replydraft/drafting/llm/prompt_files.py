"""The LLM prompt files in ``prompts/llm/``: loaded once, checked, and made safe to fill.

A missing file, a template that does not parse, a variable the renderer does not provide, or a
data block that does not enclose its data is a ``ConfigurationError`` naming the file, at start-up.
Templates are mustache (langchain-core's renderer), so JSON braces in the prompt text need no
escaping.

Customer text, conversation history and knowledge are data. Before they are inserted, markup
brackets in them are replaced with look-alikes (``<`` → ``‹``, ``>`` → ``›``), so no data can close
its ``<customer_message>`` or ``<knowledge>`` block or open a new one (``neutralise``).
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
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import (
    ChatPromptTemplate,
    HumanMessagePromptTemplate,
    MessagesPlaceholder,
    SystemMessagePromptTemplate,
)
from langchain_core.utils import mustache
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replydraft.drafting.backend import CitedSentence
from replydraft.drafting.llm.leaks import LeakGuard, literal_text
from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES, PLATFORMS, Language, Platform
from replydraft.yamlfile import safe_load

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
            "language_name", "platform_name", "first_reply", "today", "product", "order", "risks",
            "missing", "history_omitted", "customer_message", "latest_truncated",
        ]
    ),
    "intents": dict.fromkeys(["name", "confidence"]),
    "facts": dict.fromkeys(["key", "text", "cite"]),
    "chunks": dict.fromkeys(["id", "source", "section", "text"]),
    "history": dict.fromkeys(["role", "text"]),
    "plan": {**dict.fromkeys(["opening", "tone", "emoji", "offers", "checks"]),
             "steps": dict.fromkeys(["what"])},
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
        return safe_load(path.read_text(encoding="utf-8"))
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
            chunk_variables(c.id, c.source, c.section, c.text) for c in example.chunks
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


# ------------------------------------------------------------------ making data safe to insert


def neutralise(text: str) -> str:
    """Data-safe text: no markup brackets, no invisible control or direction characters."""
    return _INVISIBLE.sub("", text).translate(_OPENERS)


def attribute_value(value: str) -> str:
    return neutralise(value).replace('"', "'").replace("\n", " ")


def chunk_variables(chunk_id: str, source: str, section: str, text: str) -> dict[str, str]:
    return {
        "id": attribute_value(chunk_id),
        "source": attribute_value(source),
        "section": attribute_value(section),
        "text": neutralise(text),
    }
