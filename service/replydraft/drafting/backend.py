"""The narrow seam between "what we know about this conversation" and "who writes the words".

The drafter (``replydraft.drafting.drafter``) understands the message, retrieves knowledge and
computes facts into a ``DraftContext``; a ``ReplyBackend`` turns that context into text. Two
backends ship: the offline composer (templates from ``prompts/offline/``, no network) and the
OpenAI-compatible LLM backend. Tests add a fake *server*, never a fake backend class: the real LLM
backend talks to it over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from replydraft.drafting.models import (
    AnswerPlan,
    DraftRequest,
    DraftResult,
    IntentScore,
    UnderstandingReport,
)
from replydraft.knowledge.models import Product, SearchHit, StoreProfile
from replydraft.languages import Language, Platform
from replydraft.policy.models import RiskFlag


@dataclass(frozen=True)
class Slots:
    """What the customer told us, normalised (kg, cm, mm, store currency)."""

    height_cm: float | None = None
    weight_kg: float | None = None
    foot_length_mm: float | None = None
    shoe_size: str | None = None
    waist_cm: float | None = None
    sku: str | None = None
    colour: str | None = None  # colour id of the product when recognised
    amount_off: float | None = None  # what the customer asks off in bargaining
    percent_off: float | None = None  # 打85折 = 15: the share asked off, when asked as one
    order_status: str | None = None
    # the letter size the latest message asks for, and how it was said ("S", "90"); and whether
    # it speaks of sizes at all ("사이즈 뭐뭐 나와요?"), the size not said to fit already
    clothing_size: tuple[str, str] | None = None
    sizes_spoken: bool = False
    # the one colour family the latest message names ("有红色的吗" → "red"), product or none
    colour_family: str | None = None
    # the categories of what the latest message wants things for ("跑步穿什么": shoes, tees…)
    wanted_for: tuple[str, ...] = ()
    # waist sizes the latest message asks of trousers or jeans ("牛仔裤有28码吗", "jeans in 40
    # and 28?"), as written
    waist_sizes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fact:
    """A fact the reply may state, with the chunk it comes from (for citations)."""

    key: str  # "recommended_size", "price", "postage", "cutoff", "return_window", …
    text: str  # the fact in the reply language, ready to use
    chunk_id: str | None = None
    value: str | None = None  # machine-readable value, e.g. "2XL"


@dataclass(frozen=True)
class DraftContext:
    request: DraftRequest
    language: Language
    platform: Platform
    intents: list[IntentScore]
    slots: Slots
    store: StoreProfile
    product: Product | None
    hits: list[SearchHit]  # retrieved chunks, best first
    facts: list[Fact]
    risks: list[RiskFlag]
    first_reply: bool  # no agent message yet in this conversation: greet with store and nickname
    missing: list[str] = field(default_factory=list)  # facts we need to ask for, e.g. ["weight"]
    understanding: UnderstandingReport | None = None  # product and why, mood, dialogue state
    plan: AnswerPlan = field(default_factory=AnswerPlan)  # what the reply does, step by step
    today: date | None = None  # the store's date; None: not known (dates are not compared)


@dataclass(frozen=True)
class CitedSentence:
    text: str
    chunk_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Generated:
    sentences: list[CitedSentence]
    prompt_version: str

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


class ReplyBackend(Protocol):
    name: str  # "offline" or "openai:<model>"

    def generate(self, context: DraftContext) -> Generated:
        """Write the reply. Raises ``replydraft.errors.LLMError`` subclasses on failure."""
        ...

    def stream(self, context: DraftContext) -> Iterator[str]:
        """Yield raw text deltas as they are produced (unfiltered; the drafter filters)."""
        ...


@dataclass(frozen=True)
class StreamEvent:
    """What ``Drafter.stream`` yields: filtered sentences, then the final result."""

    kind: Literal["sentence", "done", "error"]
    text: str | None = None
    result: DraftResult | None = None
    error: str | None = None
