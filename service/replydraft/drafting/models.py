"""Requests to the drafter and what it returns. The HTTP body of ``POST /v1/drafts`` and the
lines of ``replydraft draft --jsonl`` are ``DraftRequest``; the answer is ``DraftResult``."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from replydraft.languages import Language, Platform
from replydraft.policy.models import PolicyResult, RiskFlag

Role = Literal["customer", "agent"]
OrderStatus = Literal["unpaid", "paid", "shipped", "delivered", "refunding"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    text: str = Field(min_length=1, max_length=4000)


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    status: OrderStatus


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1, max_length=200)
    sku: str | None = Field(None, max_length=32)
    platform: Platform | None = None
    order: Order | None = None
    conversation_id: str | None = Field(None, max_length=128)
    language: Language | None = None  # force the reply language; detected when absent
    # The channel's script when the message does not decide it (a Taiwan storefront: zh-Hant).
    default_language: Language | None = None
    # The store's date for this reply (the workbench's calendar). Absent: the server's clock in
    # the store's timezone. Dates in the knowledge (a restock due) are read against it.
    today: date | None = None

    @field_validator("messages")
    @classmethod
    def _ends_with_customer(cls, messages: list[Message]) -> list[Message]:
        if messages[-1].role != "customer":
            raise ValueError("the last message must be the customer's message being answered")
        return messages

    @property
    def latest(self) -> str:
        return self.messages[-1].text


class IntentScore(BaseModel):
    intent: str
    confidence: float = Field(ge=0, le=1)


ProductHow = Literal["on_screen", "named", "category", "history", "ambiguous", "none"]
Mood = Literal["calm", "upset", "angry"]
StatedOrderState = Literal["unpaid", "paid", "shipped", "received", "refused", "returned"]
# What the message does besides asking (replydraft.drafting.understanding.acts).
DialogueAct = Literal["acknowledgement", "thanks", "farewell", "declining", "praise", "ordering",
                      "chasing", "requesting", "patient", "giving_up", "stepping_away", "statement",
                      "contentless", "image", "answers_agent", "continuing", "hoping",
                      "order_number", "returning", "confirming", "reminding", "apologising"]


class ProductResolved(BaseModel):
    """Which product the draft is about and why: the agent's screen (``on_screen``), named by
    the customer (``named``, ``category``), from earlier turns (``history``), or undecided
    (``ambiguous`` with the ``candidates``, ``none``)."""

    sku: str | None
    how: ProductHow
    candidates: list[str] = Field(default_factory=list)


class ConversationState(BaseModel):
    """What the conversation has settled: never ask for what was given, never contradict the
    agent."""

    order_id: str | None = None
    given: list[str] = Field(default_factory=list)  # "order_id", "product", "height_cm", …
    agent_refused: list[str] = Field(default_factory=list)  # "discount", "refund", …
    agent_promised: list[str] = Field(default_factory=list)  # "ship_today", "check_back", …
    awaiting: list[str] = Field(default_factory=list)  # what the agent last asked for
    # a cancellation after an earlier customer message said the order has not gone out ("怎么还没
    # 寄" … "那我不要了"): it follows a wait. Read only when the message is about cancelling.
    waited_unshipped: bool = False


class UnderstandingReport(BaseModel):
    product: ProductResolved
    mood: Mood = "calm"
    urgent: bool = False
    addressed_elsewhere: bool = False  # written to another company's account ("@AppleSupport")
    order_state: StatedOrderState | None = None  # what the customer says happened
    followup: bool = False
    state: ConversationState = Field(default_factory=ConversationState)
    # The specific asks in the message, in its order ("ship_when", "cod"; prompts/understanding/
    # asks.yaml).
    asks: list[str] = Field(default_factory=list)
    acts: list[DialogueAct] = Field(default_factory=list)
    # The customer asks for a lower price in their own words; only then is a discount offered.
    haggles: bool = False


Opening = Literal["banner", "brief", "none"]
Tone = Literal["friendly", "apologetic"]
# How a step of the reply is answered: computed facts, the store's own answer, "let me check",
# a question back to the customer, a short acknowledgement or close, the topic menu (a message
# with no content), the safety line, the supervisor path, or the hand-over to a person.
StepSource = Literal["facts", "store", "check", "ask_customer", "ack", "close", "menu", "safety",
                     "supervisor", "handoff"]
Readiness = Literal["ready", "needs_check", "handoff"]


class PlanStep(BaseModel):
    intent: str
    # An ask id of prompts/understanding/asks.yaml; None: the intent's general answer. Checks and
    # acknowledgements also use "intent:<name>" (a faint reading), "unclear", "order", "product"
    # (what the conversation refers to but the data lacks) and "remark".
    ask: str | None = None
    source: StepSource
    topic: str | None = None  # a check step: what is being checked, in the reply's language

    @property
    def faint(self) -> bool:
        """A check that stands for a faint reading of the message, not for something asked."""
        return self.source == "check" and (
            (self.ask or "").startswith("intent:") or self.ask == "unclear")


class CheckItem(BaseModel):
    """What the agent should verify before sending, in the agent's language."""

    ask: str
    what: str


class AnswerPlan(BaseModel):
    """What the reply does, decided before any words are written; both backends follow it."""

    opening: Opening = "none"
    tone: Tone = "friendly"
    emoji: bool = True
    offers: bool = True  # False: no discount or gift offers (an injection, a refusal on record)
    steps: list[PlanStep] = Field(default_factory=list)
    needs_check: list[CheckItem] = Field(default_factory=list)
    readiness: Readiness = "ready"
    confidence: float = Field(1.0, ge=0, le=1)


class Citation(BaseModel):
    chunk_id: str
    source: str
    section: str
    snippet: str
    sentence: str  # the sentence of the reply that uses this fact


class DraftResult(BaseModel):
    text: str
    language: Language
    intents: list[IntentScore]
    citations: list[Citation] = Field(default_factory=list)
    policy: PolicyResult
    risks: list[RiskFlag] = Field(default_factory=list)
    backend: str  # "offline" or "openai:<model>"
    fallback_reason: str | None = None
    prompt_version: str
    timings_ms: dict[str, float] = Field(default_factory=dict)  # retrieve, generate, filter, total
    knowledge_version: int | None = None
    # The knowledge was searched by keywords alone: the vector store was failing (see
    # docs/reliability.md). The draft is usable; its facts may be less well chosen.
    degraded: bool = False
    understanding: UnderstandingReport | None = None
    plan: AnswerPlan | None = None
    # "check before sending": what the knowledge base could not back, for the agent to verify.
    needs_check: list[CheckItem] = Field(default_factory=list)
    # ready to send after a read, needs_check (verify the items first) or handoff (a person or a
    # supervisor must take over). Not `status`: on a stored draft that is the review state.
    readiness: Readiness = "ready"
    confidence: float = Field(1.0, ge=0, le=1)
