"""The shapes of the store's knowledge: the store profile, products, chunks and search hits.

These models are the contract between content staff's files (``knowledge/``), the index, the
policy filter (allowed commitments, platform, discount authority) and the drafter (size charts,
postage rules, cut-off times). They forbid unknown fields so a typo in a file is an error, not a
silently ignored setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from replydraft.languages import Language, Platform

SourceType = Literal["product", "playbook", "store"]

# Intents a playbook section can be tagged with (the drafter's intent names).
Intent = Literal[
    "greeting",
    "product_info",
    "size_advice",
    "bargaining",
    "postage",
    "stock",
    "shipping_time",
    "logistics_delay",
    "payment_reminder",
    "quality_concern",
    "quality_complaint",
    "colour_difference",
    "return_exchange",
    "refund_status",
    "invoice",
    "cancel_order",
    "address_change",
    "security",
    "thanks_close",
    "complaint",
    "handoff",
    "not_sold",
    "other",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LocalizedText = dict[Language, str]
"""Text per language; any subset of zh-Hans, zh-Hant, en, ko. Readers fall back sensibly."""


def pick_text(text: LocalizedText, language: Language) -> str:
    """The text in ``language``, else the same script family, else English, else anything."""
    if language in text:
        return text[language]
    fallbacks: dict[Language, tuple[Language, ...]] = {
        "zh-Hans": ("zh-Hant", "en", "ko"),
        "zh-Hant": ("zh-Hans", "en", "ko"),
        "en": ("zh-Hans", "zh-Hant", "ko"),
        "ko": ("en", "zh-Hans", "zh-Hant"),
    }
    for other in fallbacks[language]:
        if other in text:
            return text[other]
    return ""


class Range(Strict):
    """An inclusive numeric range, written ``[min, max]`` in files."""

    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


# ---------------------------------------------------------------- store profile (store.yaml)


class Voice(Strict):
    honorific: LocalizedText  # 亲 / 親 / dear / 고객님
    emoji: bool = True
    emoji_set: list[str] = Field(default_factory=lambda: ["😊"])
    korean_speech_level: Literal["haeyo", "hamnida"] = "haeyo"


class Agent(Strict):
    nickname: LocalizedText


class Courier(Strict):
    name: LocalizedText
    express: bool = False
    surcharge: float = Field(0, ge=0)  # extra cost paid by the customer, in store currency
    typical_days: Range  # door to door, working days


class PostagePolicy(Strict):
    free_over: float = Field(ge=0)  # order value from which standard postage is free
    standard_fee: float = Field(ge=0)
    remote_regions: list[LocalizedText] = Field(default_factory=list)
    remote_surcharge: float = Field(0, ge=0)
    # Who pays return postage in each case: "store" or "customer".
    return_postage: dict[Literal["quality_issue", "wrong_item", "no_reason", "size_exchange"],
                         Literal["store", "customer"]]
    freight_insurance: bool = False  # 运费险 included with orders


class ReturnPolicy(Strict):
    no_reason_days: int = Field(ge=0)  # 7-day no-reason returns
    condition: LocalizedText  # tags on, unworn, unwashed …
    # What shoes need besides ("soles clean"): said only where shoes are the matter, so a
    # question about a shirt is not told about soles.
    footwear_condition: LocalizedText | None = None
    exchange_days: int = Field(ge=0)
    refund_within_days: int = Field(ge=0)  # after the parcel is received back

    def condition_text(self, language: Language, *, footwear: bool = True,
                       pick: Callable[[LocalizedText, Language], str] = pick_text) -> str:
        """The conditions in ``language`` (read with ``pick``), with the footwear ones when
        ``footwear``."""
        text = pick(self.condition, language)
        if footwear and self.footwear_condition:
            space = " " if language in ("en", "ko") else ""
            text = f"{text}{space}{pick(self.footwear_condition, language)}"
        return text


class QualityPolicy(Strict):
    report_within_days: int = Field(ge=0)  # after signing for the parcel
    photos_required: bool = True


class ShippingPolicy(Strict):
    cutoff_time: str = Field(pattern=r"^\d{2}:\d{2}$")  # orders paid before this ship the same day
    dispatch_within_hours: int = Field(ge=1)
    couriers: list[Courier] = Field(min_length=1)


class DiscountPolicy(Strict):
    agent_max: float = Field(ge=0)  # agents may take this much off on their own
    # Above agent_max, a supervisor decides.


class InvoicePolicy(Strict):
    available: bool = True
    kinds: list[LocalizedText] = Field(default_factory=list)
    note: LocalizedText = Field(default_factory=dict)


class FeePolicy(Strict):
    max_extra_ratio: float = Field(0.2, ge=0, le=1)  # extra fees never above this share
    must_disclose: bool = True


class Policies(Strict):
    postage: PostagePolicy
    returns: ReturnPolicy
    quality: QualityPolicy
    shipping: ShippingPolicy
    discounts: DiscountPolicy
    invoices: InvoicePolicy
    fees: FeePolicy


class AllowedCommitment(Strict):
    """A statement the store really stands behind; the policy filter leaves these alone."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str
    phrases: dict[Language, list[str]]  # the wordings agents use, per language


class StoreAnswer(Strict):
    """What the store says to one specific ask that no computed fact covers (where parcels ship
    from, cash on delivery, Taiwan company invoices…). ``ask`` ids are listed in
    ``prompts/understanding/asks.yaml``; ``intent`` decides which searches find it."""

    intent: Intent
    text: LocalizedText

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: LocalizedText) -> LocalizedText:
        if not value or not all(v.strip() for v in value.values()):
            raise ValueError("must give the answer in at least one language, none empty")
        return value


class StoreProfile(Strict):
    store_id: str = Field(pattern=r"^[a-z0-9_-]+$")
    platform: Platform
    currency: str = "CNY"
    timezone: str = "Asia/Shanghai"  # an IANA name: the store's calendar ("today") is read in it
    # The script to answer in when a Chinese message's characters, the history and the channel
    # do not decide it (a short message of characters both scripts share).
    default_language: Language | None = None
    names: LocalizedText
    agent: Agent
    voice: Voice
    policies: Policies
    allowed_commitments: list[AllowedCommitment] = Field(default_factory=list)
    # Domains links may point to (the platform's own); everything else is "outside".
    allowed_domains: list[str] = Field(default_factory=list)
    # Platform names agents must not mention, per platform (defaults live in the policy rules).
    forbidden_platform_names: dict[Platform, list[str]] = Field(default_factory=dict)
    # Answers to specific asks, keyed by ask id (``answers.cod``, ``answers.ship_from``…). An
    # ask with neither a computed fact nor an answer here is drafted as "let me check".
    answers: dict[str, StoreAnswer] = Field(default_factory=dict)

    @field_validator("names", "agent")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        if isinstance(value, dict) and not value:
            raise ValueError("must name at least one language")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a timezone name (e.g. Asia/Shanghai, "
                             "Asia/Taipei, Asia/Seoul)") from None
        return value

    def today(self) -> date:
        """The store's date now, on its own calendar."""
        return datetime.now(ZoneInfo(self.timezone)).date()


# ---------------------------------------------------------------- products (knowledge/products/)

Category = Literal[
    "jeans", "trousers", "shorts", "shirt", "tshirt", "polo", "jacket", "coat", "fleece",
    "hoodie", "shoes", "boots", "socks", "accessory",
]


class SizeRow(Strict):
    """One line of a size chart. Clothes use height/weight, shoes use foot length."""

    label: str  # "XL", "3XL", "42", "36码"
    height_cm: Range | None = None
    weight_kg: Range | None = None
    waist_cm: Range | None = None
    chest_cm: Range | None = None
    foot_length_mm: Range | None = None
    length_cm: float | None = None  # garment length, informational

    @model_validator(mode="after")
    def _has_a_measure(self) -> SizeRow:
        if not any((self.height_cm, self.weight_kg, self.waist_cm, self.chest_cm,
                    self.foot_length_mm)):
            raise ValueError(f"size {self.label!r} needs at least one measurement range")
        return self


class Colour(Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    names: LocalizedText
    sold_out_sizes: list[str] = Field(default_factory=list)
    restock: str | None = None  # "2026-12-05" or "12月中旬 / mid-December / 12월 중순"


class Product(Strict):
    sku: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$")
    names: LocalizedText
    category: Category
    price: float = Field(gt=0)
    list_price: float | None = Field(None, gt=0)
    promotion: LocalizedText = Field(default_factory=dict)
    fabric: LocalizedText
    fit: LocalizedText = Field(default_factory=dict)
    care: LocalizedText = Field(default_factory=dict)
    features: list[LocalizedText] = Field(default_factory=list)
    colours: list[Colour] = Field(min_length=1)
    size_chart: list[SizeRow] = Field(min_length=1)
    size_note: LocalizedText = Field(default_factory=dict)  # e.g. "between sizes take the larger"
    # What we alter on this item, e.g. "legs shortened free with a note on the order"; an item
    # without it gets "let me check" when a customer asks for an alteration.
    alteration: LocalizedText = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_labels(self) -> Product:
        labels = [row.label for row in self.size_chart]
        if len(labels) != len(set(labels)):
            raise ValueError("size_chart labels must be unique")
        return self

    def colour(self, colour_id: str) -> Colour | None:
        return next((c for c in self.colours if c.id == colour_id), None)


# ---------------------------------------------------------------- index records


class ChunkMeta(Strict):
    source: str  # path relative to the knowledge dir, "products/jeans.yaml"
    source_type: SourceType
    section: str = ""  # playbook section title or product field group
    intent: str = ""  # "" when untagged
    language: Language
    sku: str = ""
    content_hash: str
    position: int = 0  # order within the source


class Chunk(Strict):
    id: str  # content-addressed: same text + metadata -> same id
    text: str
    meta: ChunkMeta


class SearchHits(list["SearchHit"]):
    """Search results, best first, and whether they are keyword only because the vector store
    is failing (``degraded``: what failed; None when both halves answered)."""

    def __init__(self, hits: Iterable[SearchHit] = (), *, degraded: str | None = None) -> None:
        super().__init__(hits)
        self.degraded = degraded


class SearchHit(Strict):
    chunk_id: str
    text: str
    source: str
    source_type: SourceType
    section: str
    intent: str
    language: Language
    sku: str
    score: float  # reciprocal-rank fused score, higher is better
    dense_rank: int | None = None
    lexical_rank: int | None = None
