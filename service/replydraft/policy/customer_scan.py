"""``scan_customer``: risk flags on a customer's message, for the agent's eyes only.

Flags come from ``customer_risk.yaml`` (phishing wording, file traps, contact requests, discount
asks, abuse, legal threats, prompt injection) and from the off-platform rules re-read from the
customer's side: a link outside the platform is a ``phishing_link``, a chat app, phone number or
e-mail address an ``off_platform_request``. A discount ask is flagged only when the amount is
above the store's agent authority (``policies.discounts.agent_max``, default 20); a percentage
or 折 ask is turned into money when the product price is known, and otherwise flagged only when
deep (``deep_discount_percent`` in customer_risk.yaml, 20 %: 打8折, 30% off, 五折).
"""

from __future__ import annotations

from typing import cast

from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Language, Platform
from replydraft.policy.engine import PolicyEngine, default_engine
from replydraft.policy.matcher import Hit
from replydraft.policy.models import RiskFlag, RiskType
from replydraft.policy.normalize import TextViews, normalize
from replydraft.text.money import read_money


def scan_customer(
    text: str,
    *,
    language: Language | None = None,
    platform: Platform | None = None,
    store: StoreProfile | None = None,
    price: float | None = None,
    engine: PolicyEngine | None = None,
) -> list[RiskFlag]:
    """Risk flags in ``text``, in order of appearance (one per type and span).

    ``language`` is accepted for symmetry with ``check``; rules for every language always run.
    ``price`` (the product's price, store currency) lets a percentage ask be judged.
    """
    del language  # every language's rules run; the advice is in English for the agent UI
    engine = engine or default_engine()
    context = engine.context(store, platform)
    flags: dict[tuple[str, int, int], RiskFlag] = {}
    for hit in _without_nested(engine.detect_risks(TextViews(text), context)):
        risk_type, advice = _risk_of(hit)
        if risk_type == "discount_over_authority" and not _over_authority(
            hit, text, context.agent_max, price, engine.rules.deep_discount_percent
        ):
            continue
        key = (risk_type, hit.start, hit.end)
        flags.setdefault(key, RiskFlag(type=cast(RiskType, risk_type), span=(hit.start, hit.end),
                                       match=hit.match, advice=advice))
    return sorted(flags.values(), key=lambda f: (f.span[0], -f.span[1], f.type))


def _risk_of(hit: Hit) -> tuple[str, str]:
    spec = hit.rule.spec
    risk_type = getattr(spec, "type", None) or getattr(spec, "customer_risk", None)
    if risk_type is None:  # pragma: no cover - the engine only passes rules that have one
        raise ValueError(f"rule {spec.id} has no risk type")
    advice = getattr(spec, "advice", None) or _OFF_PLATFORM_ADVICE[risk_type]
    return risk_type, advice


_OFF_PLATFORM_ADVICE = {
    "phishing_link": "Link outside the platform: do not open it or log in through it; ask the "
                     "customer to send the product or order from the platform instead.",
    "off_platform_request": "Contact details outside the platform: keep the conversation and any "
                            "payment in the platform chat; never send your own.",
}


def _over_authority(hit: Hit, text: str, agent_max: float, price: float | None,
                    deep_percent: float) -> bool:
    # The rule found the ask; the money reader drafting uses says how much it is, reading the
    # normalised words (５０ → 50, 對折 → 对折, 一百八 → 180).
    ask = read_money(normalize(text[hit.start:hit.end]))
    if ask is None or read_money(normalize(text)) is None:
        # Nothing asked, or only the shop's own offer quoted or asked about ("满99减30的券",
        # "is this 50% off?"): the whole message asks nothing off.
        return False
    if ask.kind == "amount":
        return ask.value > agent_max
    if ask.kind == "percent":
        if price is None:
            return ask.value >= deep_percent
        return price * ask.value / 100 > agent_max
    return price is not None and price - ask.value > agent_max


def _without_nested(hits: list[Hit]) -> list[Hit]:
    """A hit inside another hit of the same rule adds nothing (``微信`` inside ``微信号``)."""
    return [
        hit for hit in hits
        if not any(other is not hit and other.rule.id == hit.rule.id
                   and other.start <= hit.start and hit.end <= other.end
                   and (other.start, other.end) != (hit.start, hit.end)
                   for other in hits)
    ]
