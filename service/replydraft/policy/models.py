"""What the policy filter and the customer-message scan return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["guarantee", "absolute_claim", "off_platform", "body_insult"]
Action = Literal["removed", "rewritten"]

RiskType = Literal[
    "phishing_link",
    "file_request",
    "off_platform_request",
    "discount_over_authority",
    "abuse",
    "legal_threat",
    "prompt_injection",
]


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: Category
    rule: str  # rule id from the rule pack, e.g. "guarantee.zh.baozheng"
    span: tuple[int, int]  # [start, end) in the *input* text
    match: str  # input[start:end]
    action: Action
    replacement: str | None = None  # the text put in its place; None when removed
    reason: str


class PolicyResult(BaseModel):
    clean: bool  # True when the input had no violation
    text: str  # the filtered text
    violations: list[Violation] = Field(default_factory=list)
    # True when filtering left nothing useful (only a greeting, or nothing): the drafter should
    # regenerate or fall back rather than send this.
    empty_after_filter: bool = False


class RiskFlag(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: RiskType
    span: tuple[int, int]
    match: str
    advice: str  # one line for the agent; never shown to the customer
