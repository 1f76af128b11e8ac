"""Understand a conversation: reply language, intents (with history), slots, what is first.

History matters in two ways: a follow-up ("那黑色呢?", "what about black?") inherits the intents
of the question it follows, and slots (height, weight, the product) carry over from earlier
customer messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replydraft.drafting.backend import Slots
from replydraft.drafting.composing.facts import order_id_in
from replydraft.drafting.language import detect_language
from replydraft.drafting.models import DraftRequest, IntentScore
from replydraft.drafting.understanding.conversation import extract_slots, message_slots
from replydraft.drafting.understanding.intents import IntentClassifier, family_of, with_followup
from replydraft.drafting.understanding.lexicon import Lexicon
from replydraft.drafting.understanding.mentions import find_colour
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.languages import Language

# Confidence given to an intent the slots imply ("175 90kg?" is a size question).
IMPLIED = 0.7
_FOOTWEAR = frozenset({"shoes", "boots", "socks"})
# Below this an intent rests on one weak cue; it gives way to a clearer neighbour.
WEAK_ALONE = 0.61

# Intents that make another beside them beside the point: someone whose parcel is late does not
# want the dispatch schedule, someone holding a torn jacket does not want its fabric pitched.
_OVERSHADOWS = {
    "logistics_delay": ("shipping_time",),
    "cancel_order": ("shipping_time",),
    "address_change": ("shipping_time",),
    "refund_status": ("shipping_time", "logistics_delay", "return_exchange"),
    "quality_complaint": ("product_info", "quality_concern"),
    "security": ("bargaining",),
}


def tidy_intents(intents: list[IntentScore], *, measured: bool = False) -> list[IntentScore]:
    """Drop intents a clearer neighbour makes beside the point. ``measured``: the latest message
    gives a body measurement, so a size question in it is real."""
    names = {s.intent for s in intents}
    dropped = {d for intent, hidden in _OVERSHADOWS.items() if intent in names for d in hidden}
    if "stock" in names:  # "6XL有吗" is about stock; a lone size word is no size question
        dropped |= {s.intent for s in intents
                    if s.intent == "size_advice" and s.confidence < WEAK_ALONE}
    if "return_exchange" in names and not measured:
        dropped.add("size_advice")  # "换大一码" asks how to exchange, not which size fits
    kept = [s for s in intents if s.intent not in dropped]
    return kept or intents


@dataclass(frozen=True)
class Understanding:
    language: Language
    intents: list[IntentScore]
    slots: Slots
    followup: bool
    first_reply: bool
    order_id: str | None
    previous_text: str | None  # the customer message before the latest, if any


def _add_intent(intents: list[IntentScore], intent: str, confidence: float) -> list[IntentScore]:
    if any(s.intent == intent for s in intents):
        return intents
    kept = [s for s in intents if s.intent != "other"]
    kept.append(IntentScore(intent=intent, confidence=confidence))
    return sorted(kept, key=lambda s: -s.confidence)


def understand(
    request: DraftRequest,
    *,
    store: StoreProfile,
    products: Sequence[Product],
    classifier: IntentClassifier,
    lexicon: Lexicon,
) -> Understanding:
    language = detect_language(request.messages, forced=request.language)
    family = family_of(language)
    customer = [m.text for m in request.messages if m.role == "customer"]
    latest = customer[-1]
    previous = customer[-2] if len(customer) > 1 else None
    intents = classifier.classify(latest)
    followup = previous is not None and _is_followup(latest, intents, classifier, lexicon)
    if followup and previous is not None:
        earlier = _implied_intents(classifier.classify(previous), previous, family, products,
                                   lexicon, None, False)
        # In an answer like "冲锋衣", only the question it answers counts, not a faint guess.
        clear = [s for s in intents if s.confidence >= WEAK_ALONE]
        intents = with_followup(clear, earlier, followup=True) or intents
    slots = extract_slots(request, family=family, products=products, lexicon=lexicon,
                          currency=store.currency)
    intents = _implied_intents(intents, latest, family, products, lexicon, slots, followup)
    given = message_slots(latest, family, products, lexicon)
    measured = any(v is not None for v in (given.height_cm, given.weight_kg,
                                           given.foot_length_mm, given.waist_cm))
    intents = tidy_intents(intents, measured=measured)
    return Understanding(
        language=language,
        intents=intents,
        slots=slots,
        followup=followup,
        first_reply=not any(m.role == "agent" for m in request.messages),
        order_id=request.order.id if request.order else order_id_in(customer[::-1]),
        previous_text=previous,
    )


# A reply this short that carries no clear question of its own answers the agent or continues
# the previous question: "冲锋衣" after "which item?", "200斤" after "your weight?", "44?".
SHORT_ANSWER_CHARS = 12


def _is_followup(latest: str, intents: Sequence[IntentScore], classifier: IntentClassifier,
                 lexicon: Lexicon) -> bool:
    if classifier.is_followup(latest):
        return True
    norm = normalise_measures(latest)
    if lexicon.cue("courtesy", norm):
        return False  # "好的谢谢" closes a topic; it does not reopen the last one
    compact = "".join(ch for ch in norm if ch.isalnum())
    clear = any(s.confidence >= 0.9 and s.intent not in ("greeting", "other") for s in intents)
    return len(compact) <= SHORT_ANSWER_CHARS and not clear


def _implied_intents(
    intents: list[IntentScore],
    text: str,
    family: str,
    products: Sequence[Product],
    lexicon: Lexicon,
    slots: Slots | None,
    followup: bool,
) -> list[IntentScore]:
    """Measurements in a message ask for a size; a colour named with a size question or in a
    follow-up asks whether that colour is available (in the size discussed)."""
    own = message_slots(text, family, products, lexicon)
    product = next((p for p in products if slots is not None and p.sku == slots.sku), None)
    # "46码" is a shoe size only for footwear; for jeans it is the size being asked about.
    footwear = product is not None and product.category in _FOOTWEAR
    asks_stock = any(s.intent == "stock" for s in intents)
    shoe = own.shoe_size is not None and footwear and not asks_stock
    if shoe or any(v is not None for v in (own.height_cm, own.weight_kg, own.foot_length_mm,
                                           own.waist_cm)):
        intents = _add_intent(intents, "size_advice", IMPLIED)
    if slots is None:
        return intents
    asks_size = any(s.intent == "size_advice" for s in intents)
    if (followup or asks_size) and \
            find_colour(normalise_measures(text), product, lexicon) is not None:
        intents = _add_intent(intents, "stock", IMPLIED)
    return intents
