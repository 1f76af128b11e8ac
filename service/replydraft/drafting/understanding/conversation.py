"""Slots of the whole conversation: each customer message's measurements, merged newest first.

The product is not decided here: ``product.resolve_product`` decides it (with its reason) and
``extract_slots`` takes its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from replydraft.drafting.backend import Slots
from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.lexicon import Lexicon
from replydraft.drafting.understanding.mentions import find_colour
from replydraft.drafting.understanding.slots import (
    amount_asked,
    asks_korean_size,
    names_footwear,
    normalise_measures,
    parse_bare_height,
    parse_bare_korean_foot,
    parse_clothing_size,
    parse_foot_length,
    parse_height,
    parse_height_weight_pair,
    parse_shoe_size,
    parse_waist,
    parse_weight,
    speaks_of_sizes,
    waist_sizes,
)
from replydraft.knowledge.models import Product
from replydraft.text.money import read_money

# Product categories sized by shoe size.
FOOTWEAR = frozenset({"shoes", "boots", "socks"})
# What a Korean size in mm ("240 주세요") is a size of: socks come in a few ranges instead.
SHOES = FOOTWEAR - {"socks"}
# Kinds worn on the legs, whose sizes a customer may give as a waist number ("28码", "size 40").
BOTTOMS = frozenset({"jeans", "trousers", "shorts"})


@dataclass(frozen=True)
class MessageSlots:
    height_cm: float | None = None
    weight_kg: float | None = None
    foot_length_mm: float | None = None
    shoe_size: str | None = None
    waist_cm: float | None = None

    @property
    def measured(self) -> bool:
        """A body measurement is given (so a size question in the message is real)."""
        return any(v is not None for v in (self.height_cm, self.weight_kg, self.foot_length_mm,
                                           self.waist_cm))


def message_slots(text: str, family: str, lexicon: Lexicon, *, footwear: bool = False
                  ) -> MessageSlots:
    """One message's measures. ``footwear``: the item in view is a shoe, so a bare Korean
    size ("245 주세요") is the foot length in mm."""
    norm = normalise_measures(text)
    height, weight = parse_height(norm), parse_weight(norm, family)
    if height is None or weight is None:
        pair_height, pair_weight = parse_height_weight_pair(norm, family)
        height = height if height is not None else pair_height
        weight = weight if weight is not None else pair_weight
    if height is None and lexicon.cue("size", norm):
        height = parse_bare_height(norm)
    foot = parse_foot_length(norm)
    if foot is not None and height is not None and abs(foot / 10 - height) < 1:
        foot = None
    shoe_size = parse_shoe_size(norm, lexicon.us_to_eu)
    if foot is None and shoe_size is None and height is None and family == "ko" and (
            footwear or names_footwear(norm) or asks_korean_size(norm)):
        foot = parse_bare_korean_foot(norm)  # Korean shoe sizes are the foot length in mm
    return MessageSlots(
        height_cm=height,
        weight_kg=weight,
        foot_length_mm=foot,
        shoe_size=shoe_size,
        waist_cm=parse_waist(norm),
    )


def _one_colour_family(normalised: str, lexicon: Lexicon) -> str | None:
    """The colour family the text names, when it names exactly one ("有红色的吗" → red)."""
    families = lexicon.colour_families(lexicon.without_false_friends(normalised))
    return next(iter(families)) if len(families) == 1 else None


T = TypeVar("T")


def _first(values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v is not None), None)


def extract_slots(
    request: DraftRequest,
    *,
    family: str,
    products: Sequence[Product],
    lexicon: Lexicon,
    sku: str | None,
    currency: str = "CNY",
) -> Slots:
    """Slots of the whole conversation; the newest customer message wins, older ones fill gaps.
    ``sku``: the product ``resolve_product`` settled on."""
    texts = [m.text for m in request.messages if m.role == "customer"][::-1]  # newest first
    product = next((p for p in products if p.sku == sku), None)
    footwear = product is not None and product.category in FOOTWEAR
    per_message = [message_slots(t, family, lexicon, footwear=footwear) for t in texts]
    normalised = [normalise_measures(t) for t in texts]
    colour = _first(find_colour(t, product, lexicon) for t in normalised)
    ask = read_money(normalised[0])
    amount = amount_asked(ask, product.price if product else None, currency)
    shoe_size = _first(m.shoe_size for m in per_message)
    if shoe_size is None and footwear:
        shoe_size = _first(parse_shoe_size(t, lexicon.us_to_eu, footwear=True)
                           for t in normalised)
    return Slots(
        height_cm=_first(m.height_cm for m in per_message),
        weight_kg=_first(m.weight_kg for m in per_message),
        foot_length_mm=_first(m.foot_length_mm for m in per_message),
        shoe_size=shoe_size,
        waist_cm=_first(m.waist_cm for m in per_message),
        sku=sku,
        colour=colour,
        amount_off=amount,
        percent_off=ask.value if ask is not None and ask.kind == "percent" else None,
        order_status=request.order.status if request.order else None,
        clothing_size=parse_clothing_size(normalised[0]),
        # "반지 사이즈" is a size of a thing we don't carry
        sizes_spoken=speaks_of_sizes(normalised[0]) and lexicon.lacked(normalised[0]) is None,
        colour_family=_one_colour_family(normalised[0], lexicon),
        wanted_for=_wanted_for(normalised[0], lexicon),
        waist_sizes=_waists_asked(normalised[0], lexicon, per_message[0].waist_cm),
    )


def _waists_asked(text: str, lexicon: Lexicon, waist_cm: float | None) -> tuple[str, ...]:
    """Waist sizes asked of trousers we sell ("牛仔裤有28码吗"); none where the message names no
    kind worn on the legs, or gives its waist as a measure ("腰围2尺8"), which the size advice
    reads instead."""
    if waist_cm is not None or not lexicon.kinds_named(text) & BOTTOMS:
        return ()
    return waist_sizes(text)



def _wanted_for(text: str, lexicon: Lexicon) -> tuple[str, ...]:
    """Our categories for what the text wants things for, narrowed to the kinds it names: "겨울에
    신을 거" wants winter footwear, not the coats kept for the cold (none, then)."""
    wanted = lexicon.use_categories(text)
    kinds = lexicon.kinds_named(text) | (SHOES if names_footwear(text) else frozenset())
    return tuple(c for c in wanted if c in kinds) if kinds else wanted
