"""Write products and store policies out as readable text blocks, one per language.

A product becomes one block per language it is named in (SKU, name, price, fabric, fit, care,
features, colours and stock, size-chart rows), so a hit can be quoted in the customer's language
and filtered by language. The store profile becomes one block per policy area and language, each
tagged with the intent it answers. Wording lives in ``templates/render.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from replydraft.knowledge.models import (
    LocalizedText,
    Product,
    SizeRow,
    StoreProfile,
    pick_text,
)
from replydraft.languages import LANGUAGES, Language
from replydraft.yamlfile import safe_load

TEMPLATES_PATH = Path(__file__).parent / "templates" / "render.yaml"

# Policy area -> the intent it answers (fees ride along with postage: both are about charges).
STORE_AREAS: dict[str, str] = {
    "postage": "postage",
    "returns": "return_exchange",
    "quality": "quality_complaint",
    "shipping": "shipping_time",
    "discounts": "bargaining",
    "invoices": "invoice",
}


@dataclass(frozen=True)
class RenderedBlock:
    language: Language
    section: str
    intent: str
    text: str
    # Short text for the dense embedding: what the block is about, without the numbers.
    headline: str
    # Field path (inside the source record) the block mostly comes from, for warning lines.
    field_path: tuple[str | int, ...] = ()


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    data = safe_load(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return dict(data)


def templates_fingerprint() -> str:
    import hashlib

    return hashlib.sha256(TEMPLATES_PATH.read_bytes()).hexdigest()[:16]


def number(value: float) -> str:
    """189.0 -> "189", 12.5 -> "12.5"."""
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------ products


def product_languages(product: Product) -> list[Language]:
    return [lang for lang in LANGUAGES if lang in product.names]


def render_product(product: Product, language: Language) -> RenderedBlock:
    t = templates()[language]
    p = t["product"]
    name = pick_text(product.names, language)
    category = t["categories"].get(product.category, product.category)
    lines = [p["heading"].format(sku=product.sku, name=name, category=category)]
    price = p["price"].format(price=number(product.price))
    if product.list_price:
        price += p["list_price"].format(list_price=number(product.list_price))
    lines.append(price)
    for key in ("promotion", "fabric", "fit", "care", "alteration"):
        text = _localized(getattr(product, key), language)
        if text:
            lines.append(p[key].format(text=text))
    features = [pick_text(item, language) for item in product.features]
    if features:
        lines.append(p["features"].format(items=p["item_sep"].join(f for f in features if f)))
    lines.append(p["colours"].format(items=p["item_sep"].join(
        _colour(colour_names, sold_out, restock, language)
        for colour_names, sold_out, restock in (
            (c.names, c.sold_out_sizes, c.restock) for c in product.colours))))
    lines.append(p["size_chart"])
    for row in product.size_chart:
        lines.append(p["size_row"].format(label=row.label, measures=_measures(row, language)))
    note = _localized(product.size_note, language)
    if note:
        lines.append(p["size_note"].format(text=note))
    return RenderedBlock(language, name, "product_info", "\n".join(lines),
                         product_headline(product), ("names",))


def product_headline(product: Product) -> str:
    """What a product is, in every language it is named in plus its features in the first
    one. Language-neutral on purpose: all language blocks of a product share this one
    embedding (the model is multilingual), so a product costs one embedding, not four.
    No SKU (exact SKU lookups are lexical; the code means nothing to the model) and no category
    word a name already says: every token costs embedding time on each product change."""
    primary = product_languages(product)[0]
    names = [product.names[lang] for lang in product_languages(product)]
    category = templates()[primary]["categories"].get(product.category, product.category)
    if any(category.lower() in name.lower() for name in names):
        category = ""
    features = [pick_text(item, primary) for item in product.features[:4]]
    return " ".join(part for part in [*names, category, *features] if part)


def _localized(text: LocalizedText, language: Language) -> str:
    return pick_text(text, language) if text else ""


def _colour(names: LocalizedText, sold_out: list[str], restock: str | None,
            language: Language) -> str:
    p = templates()[language]["product"]
    text = pick_text(names, language)
    details = []
    if sold_out:
        details.append(p["sold_out"].format(sizes="/".join(sold_out)))
    if restock:
        details.append(p["restock"].format(text=restock))
    if details:
        text += p["detail"].format(text=p["measure_sep"].join(details))
    return text


def _measures(row: SizeRow, language: Language) -> str:
    p = templates()[language]["product"]
    parts = []
    for key in ("height_cm", "weight_kg", "waist_cm", "chest_cm", "foot_length_mm"):
        value = getattr(row, key)
        if value is None:
            continue
        parts.append(p["measures"][key].format(
            min=number(value.min), max=number(value.max),
            # Chinese customers usually give their weight in 斤 (half a kilogram).
            jin_min=number(value.min * 2), jin_max=number(value.max * 2)))
    if row.length_cm is not None:
        parts.append(p["measures"]["length_cm"].format(value=number(row.length_cm)))
    return p["measure_sep"].join(parts)


# ------------------------------------------------------------------------------ store


def store_languages(store: StoreProfile) -> list[Language]:
    return [lang for lang in LANGUAGES if lang in store.names]


def render_store(store: StoreProfile, language: Language) -> list[RenderedBlock]:
    """One block per policy area, each tagged with the intent it answers."""
    t = templates()[language]["store"]
    policies = store.policies
    payer = t["payer"]
    postage = policies.postage
    texts = {
        "postage": t["postage"].format(
            free_over=number(postage.free_over), standard_fee=number(postage.standard_fee),
            regions=_join([pick_text(r, language) for r in postage.remote_regions], language),
            remote_surcharge=number(postage.remote_surcharge),
            insurance=t["insurance"] if postage.freight_insurance else "",
            fee_pct=number(policies.fees.max_extra_ratio * 100),
            **{case: payer[who] for case, who in postage.return_postage.items()},
            **{case: "-" for case in ("quality_issue", "wrong_item", "no_reason",
                                      "size_exchange") if case not in postage.return_postage},
        ),
        "returns": t["returns"].format(
            no_reason_days=policies.returns.no_reason_days,
            condition=policies.returns.condition_text(language),
            exchange_days=policies.returns.exchange_days,
            refund_within_days=policies.returns.refund_within_days),
        "quality": t["quality"].format(
            report_within_days=policies.quality.report_within_days,
            photos=t["photos"] if policies.quality.photos_required else ""),
        "shipping": t["shipping"].format(
            cutoff_time=policies.shipping.cutoff_time,
            dispatch_within_hours=policies.shipping.dispatch_within_hours,
            couriers=_join([t["courier"].format(
                name=pick_text(c.name, language), min_days=number(c.typical_days.min),
                max_days=number(c.typical_days.max),
                surcharge=t["surcharge"].format(amount=number(c.surcharge))
                if c.surcharge else "") for c in policies.shipping.couriers], language)),
        "discounts": t["discounts"].format(agent_max=number(policies.discounts.agent_max)),
        "invoices": t["invoices"].format(
            availability=t["invoice_yes"] if policies.invoices.available else t["invoice_no"],
            kinds=t["invoice_kinds"].format(items=_join(
                [pick_text(k, language) for k in policies.invoices.kinds], language))
            if policies.invoices.kinds else "",
            note=pick_text(policies.invoices.note, language) if policies.invoices.note else ""),
    }
    store_name = pick_text(store.names, language)
    blocks = []
    for area, intent in STORE_AREAS.items():
        text = " ".join(texts[area].split())
        if language.startswith("zh"):
            text = re.sub(r"(?<=[。；，：）])\s+", "", text)
        section = text.split("：" if language.startswith("zh") else ":", 1)[0]
        blocks.append(RenderedBlock(language, section, intent, text, f"{store_name} {text}",
                                    ("policies", area)))
    blocks.extend(block for ask in store.answers
                  if (block := render_store_answer(store, ask, language)) is not None)
    return blocks


def render_store_answer(store: StoreProfile, ask: str, language: Language
                        ) -> RenderedBlock | None:
    """The block of the store's answer to ``ask``; None when it is not written in ``language``
    (a store answer is said in the languages it was written in, never guessed)."""
    answer = store.answers.get(ask)
    if answer is None or language not in answer.text:
        return None
    text = " ".join(answer.text[language].split())
    return RenderedBlock(language, answer_section(ask), answer.intent, text,
                         f"{pick_text(store.names, language)} {text}", ("answers", ask))


# The section titles of the store's answers to single asks ("answers.cod").
ANSWER_SECTION_PREFIX = "answers."


def answer_section(ask: str) -> str:
    """The section title of the store block holding the answer to ``ask``."""
    return f"{ANSWER_SECTION_PREFIX}{ask}"


def is_answer_section(section: str) -> bool:
    """Whether ``section`` holds the store's answer to one ask."""
    return section.startswith(ANSWER_SECTION_PREFIX)


def _join(items: list[str], language: Language) -> str:
    return ("、" if language.startswith("zh") else ", ").join(i for i in items if i)
