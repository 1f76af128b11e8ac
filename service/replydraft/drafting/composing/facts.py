"""Retrieve knowledge and compute the facts a reply may state, each tied to the chunk it came from.

Facts are computed, not guessed: the recommended size comes from the size chart (``sizing``),
prices and promotions from the product record, postage, cut-off, couriers, returns, quality steps,
discount authority and invoices from the store profile. Every fact carries the id of a retrieved
chunk that states it (product block, store policy block, or the playbook section whose approved
reply pattern the sentence follows), so the reply's citations point at real text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from replydraft.drafting.backend import Fact, Slots
from replydraft.drafting.composing.sizing import SizeAdvice, range_text, recommend_size
from replydraft.drafting.composing.templates import TemplateSet
from replydraft.drafting.models import IntentScore
from replydraft.drafting.understanding.conversation import FOOTWEAR, SHOES
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.models import LocalizedText, Product, SearchHit, StoreProfile, pick_text
from replydraft.knowledge.reader import KnowledgeReader
from replydraft.knowledge.render import answer_section
from replydraft.languages import Language
from replydraft.text.money import read_budget
from replydraft.text.script import convert_script

# Intents whose reply needs a product to say anything specific.
PRODUCT_INTENTS = frozenset({"product_info", "size_advice", "stock"})
# Facts from the store profile, by the intent tag of the store block that states them.
_STORE_AREA = {
    "postage": "postage",
    "shipping": "shipping_time",
    "returns": "return_exchange",
    "quality": "quality_complaint",
    "discounts": "bargaining",
    "invoices": "invoice",
}
SEARCHED_INTENTS_MAX = 3


def localize(text: LocalizedText, language: Language) -> str:
    """The text in ``language``; Chinese written only in the other script is converted."""
    if language in text:
        return text[language]
    picked = pick_text(text, language)
    source_is_chinese = any(lang in text for lang in ("zh-Hans", "zh-Hant"))
    if language.startswith("zh") and source_is_chinese:
        return convert_script(picked, language)
    return picked


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ---------------------------------------------------------------- retrieval


@dataclass(frozen=True)
class Retrieved:
    hits: list[SearchHit]

    def playbook_for(self, intent: str) -> SearchHit | None:
        return next((h for h in self.hits
                     if h.source_type == "playbook" and h.intent == intent), None)

    def store_block(self, intent: str) -> SearchHit | None:
        return next((h for h in self.hits
                     if h.source_type == "store" and h.intent == intent), None)

    def store_answer(self, ask: str, language: Language) -> SearchHit | None:
        """The store's answer to ``ask`` in the reply's language: a search may also have found
        the same answer in the other Chinese script, and ranked it first."""
        section = answer_section(ask)
        return next((h for h in self.hits if h.source_type == "store"
                     and h.section == section and h.language == language), None)

    def product_block(self, sku: str) -> SearchHit | None:
        return next((h for h in self.hits if h.source_type == "product" and h.sku == sku), None)


def retrieval_query(latest: str, previous: str | None, followup: bool) -> str:
    """A follow-up ("那黑色呢?") says little by itself: search with the question it follows."""
    if followup and previous:
        return f"{previous}\n{latest}"
    return latest


def retrieve(
    knowledge: KnowledgeReader,
    query: str,
    *,
    language: Language,
    intents: Sequence[IntentScore],
    sku: str | None,
    k: int,
) -> Retrieved:
    """One filtered search per leading intent (its playbook sections and store block), one for
    the product; a language with no such section falls back to any language."""
    hits: list[SearchHit] = []
    wanted = [s.intent for s in intents if s.intent not in ("other",)][:SEARCHED_INTENTS_MAX]
    for intent in wanted:
        found = knowledge.search(query, k=k, language=language, intent=intent)
        if not any(h.source_type == "playbook" for h in found):
            found += knowledge.search(query, k=k, intent=intent)
        hits.extend(found)
    if sku:
        found = knowledge.search(query, k=2, language=language, sku=sku)
        hits.extend(found or knowledge.search(query, k=2, sku=sku))
    if not wanted:
        hits.extend(knowledge.search(query, k=k, language=language))
    unique = list({h.chunk_id: h for h in hits}.values())
    return Retrieved(unique)


# ---------------------------------------------------------------- facts


class FactSheet:
    """Facts collected for one reply; ``add`` ignores empty values so templates never see gaps."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, key: str, text: str | None, chunk: SearchHit | None = None,
            value: str | None = None) -> None:
        if text is None or text == "":
            return
        self.facts.append(Fact(key=key, text=text, value=value,
                               chunk_id=chunk.chunk_id if chunk else None))

    def has(self, key: str) -> bool:
        return any(f.key == key for f in self.facts)


@dataclass(frozen=True)
class FactInputs:
    language: Language
    intents: Sequence[IntentScore]
    slots: Slots
    store: StoreProfile
    product: Product | None
    retrieved: Retrieved
    templates: TemplateSet
    latest_text: str
    order_id: str | None
    # the specific asks read, and "our_range" beside a "we don't sell that" (what we make instead)
    asks: Sequence[str] = ()
    # Our items of the kind the customer names ("有什么裤子", "这条牛仔裤"): listed for a
    # "which do you have" question, and they say whether shoes are the matter.
    candidates: Sequence[Product] = ()
    # Every item of ours, for "有什么活动" or "价位多少" with no item in view.
    whole_catalogue: Sequence[Product] = ()
    # Our shoes, for a Korean foot length given with no item in view ("240 주세요").
    shoes: Sequence[Product] = ()
    # Our items in the colour named with no item in view ("有红色的吗"), with those colours' ids.
    in_colour: Sequence[tuple[Product, Sequence[str]]] = ()
    # Our items for what the customer wants things for, with no item in view ("跑步穿什么").
    for_use: Sequence[Product] = ()
    # Every item, for the sizes the shop makes, when sizes are spoken of with no item in view;
    # and the letter size the message asks for ("M 있나요").
    sizes: Sequence[Product] = ()
    size_label: tuple[str, str] | None = None  # the letter size, and how it was said ("S", "90")
    # The reply may say when it ships: the customer is buying ("拍了", "I'll take it") or in a
    # hurry ("谢谢 我急用").
    dispatch: bool = False
    # The store's date: a restock date already past is no longer told as expected.
    today: date | None = None


def listing(t: TemplateSet, items: Sequence[str]) -> str:
    """"Heather grey and Navy", "麻灰、藏青": a short list as the language writes one."""
    if len(items) < 2:
        return "".join(items)
    return t.fragment("list_sep").join(items[:-1]) + t.fragment("list_last") + items[-1]


def money(t: TemplateSet, amount: float) -> str:
    return t.fragment("money", amount=number(amount))


def build_facts(inputs: FactInputs) -> tuple[list[Fact], list[str]]:
    """The facts for the intents at hand, and what we still need to ask (at most one thing)."""
    sheet = FactSheet()
    missing: list[str] = []
    names = {s.intent for s in inputs.intents}
    for intent in names:
        pattern = inputs.retrieved.playbook_for(intent)
        if pattern is not None:
            sheet.add(f"playbook:{intent}", f"approved reply pattern for {intent}: "
                      f"{pattern.section}", pattern)
    if inputs.product is not None:
        _product_facts(sheet, inputs)
    elif names & PRODUCT_INTENTS:
        missing.append("product")
    if "size_advice" in names and inputs.product is not None:
        missing.extend(_size_facts(sheet, inputs, recommend_size(inputs.product, inputs.slots)))
    if names & {"stock", "size_advice"} and inputs.product is not None:
        _stock_facts(sheet, inputs)
    if names & {"postage", "bargaining"}:
        _postage_facts(sheet, inputs)
    if names & {"shipping_time", "logistics_delay", "payment_reminder", "postage"} or \
            inputs.dispatch:
        _shipping_facts(sheet, inputs)
    if names & {"return_exchange", "quality_concern", "quality_complaint", "colour_difference",
                "refund_status", "cancel_order"}:
        _returns_facts(sheet, inputs)
    if "bargaining" in names:
        _discount_facts(sheet, inputs)
    if "invoice" in names:
        _invoice_facts(sheet, inputs)
    _order_facts(sheet, inputs)
    if "catalogue" in inputs.asks:
        _catalogue_facts(sheet, inputs)
    if inputs.slots.colour_family is not None and inputs.candidates:
        _kind_colour_facts(sheet, inputs)
    if inputs.for_use:
        sheet.add("use_items", _priced_list(inputs, inputs.for_use),
                  inputs.retrieved.product_block(inputs.for_use[0].sku))
    if inputs.whole_catalogue:
        _offers_facts(sheet, inputs)
        _price_range_facts(sheet, inputs)
        _smallest_fit_facts(sheet, inputs)
    if inputs.slots.foot_length_mm is not None:
        _foot_facts(sheet, inputs)
    if inputs.in_colour and names & {"stock", "product_info"}:
        _colour_items_facts(sheet, inputs)
    if inputs.sizes:
        _sizes_facts(sheet, inputs)
    elif inputs.product is not None and inputs.size_label is not None:
        _size_label_facts(sheet, inputs, [r.label for r in inputs.product.size_chart],
                          inputs.retrieved.product_block(inputs.product.sku))
    for ask in inputs.asks:
        hit = inputs.retrieved.store_answer(ask, inputs.language)
        if hit is not None:
            sheet.add(f"answer:{ask}", hit.text, hit)
    if names & {"logistics_delay", "refund_status"} and inputs.order_id is None:
        missing.append("order_id")
    return sheet.facts, missing[:1]


def _product_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    product, lang, t = inputs.product, inputs.language, inputs.templates
    assert product is not None
    chunk = inputs.retrieved.product_block(product.sku)
    sheet.add("sku", product.sku, chunk, product.sku)
    sheet.add("product_name", localize(product.names, lang), chunk)
    sheet.add("price", money(t, product.price), chunk, number(product.price))
    if product.list_price and product.list_price > product.price:
        sheet.add("list_price", money(t, product.list_price), chunk, number(product.list_price))
    sheet.add("promotion", localize(product.promotion, lang), chunk)
    sheet.add("fabric", _without_label(localize(product.fabric, lang)), chunk)
    sheet.add("fit", localize(product.fit, lang), chunk)
    sheet.add("care", localize(product.care, lang), chunk)
    sheet.add("alteration", localize(product.alteration, lang), chunk)
    features = [localize(f, lang).rstrip("。.") for f in product.features]
    sheet.add("features", t.fragment("item_sep").join(f for f in features if f), chunk)
    sheet.add("colour_names", listing(t, [localize(c.names, lang) for c in product.colours]),
              chunk)
    sheet.add("size_note", localize(product.size_note, lang), chunk)
    sheet.add("size_first", product.size_chart[0].label, chunk)
    sheet.add("size_last", product.size_chart[-1].label, chunk)


def _priced(t: TemplateSet, product: Product, lang: Language) -> str:
    """"大码速干圆领T恤（69元）": an item named with its price."""
    return t.fragment("catalogue_item", item=localize(product.names, lang),
                      price=money(t, product.price))


def _priced_list(inputs: FactInputs, products: Sequence[Product]) -> str:
    """"A（69元）、B（99元）": items named with their prices, in the order given."""
    t = inputs.templates
    return t.fragment("list_sep").join(_priced(t, p, inputs.language) for p in products)


def _catalogue_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """The items of the kind asked about, with their prices, in the catalogue's order; with a
    colour named ("有红色的外套吗"), those that come in it (none does: `_kind_colour_facts`)."""
    products = list(inputs.candidates)
    if inputs.slots.colour_family is not None:
        coloured = {p.sku for p, _ in inputs.in_colour}
        products = [p for p in products if p.sku in coloured] or products
    first = products[0].sku if products else None
    sheet.add("catalogue", _priced_list(inputs, products),
              inputs.retrieved.product_block(first) if first else None)


def _sizes_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """"사이즈 뭐뭐 나와요?", "M 있나요?" with no item in view: the sizes the shop makes, by
    kind (clothes by letter, jeans by waist, shoes by EU size), and where the letter size asked
    stands among them (`size_label_fit`: below, within or above)."""
    letters = [p for p in inputs.sizes if p.category not in FOOTWEAR and p.size_chart
               and not any(r.label.isdigit() for r in p.size_chart)]
    waists = [p for p in inputs.sizes if p.category not in FOOTWEAR | {"accessory"}
              and p.size_chart and all(r.label.isdigit() for r in p.size_chart)]
    shoes = [p for p in inputs.sizes if p.category in SHOES and p.size_chart]
    if not (letters and waists and shoes):
        return
    chart = max(letters, key=lambda p: len(p.size_chart)).size_chart
    labels = [r.label for r in chart]
    first = inputs.retrieved.product_block(letters[0].sku)
    ranges: dict[str, tuple[str, str]] = {}
    for key, group in (("clothes", letters), ("jeans", waists), ("shoes", shoes)):
        low = min((p.size_chart[0].label for p in group), key=_size_order(labels))
        high = max((p.size_chart[-1].label for p in group), key=_size_order(labels))
        sheet.add(f"{key}_first", low, first)
        sheet.add(f"{key}_last", high, first)
        ranges[key] = (low, high)
    _size_label_facts(sheet, inputs, labels, first)
    _waist_facts(sheet, inputs, waists)
    _waists_asked_facts(sheet, inputs, waists)
    _shoe_size_facts(sheet, inputs, shoes[0], ranges["shoes"])


def _shoe_size_facts(sheet: FactSheet, inputs: FactInputs, shoe: Product,
                     our_range: tuple[str, str]) -> None:
    """"i wear a us 9", "平时穿42码" with no item in view: the size on our EU charts (a US
    size converted) and where it stands against the shoe sizes we make (`shoe_size_eu`,
    `shoe_size_fit`: below, within or above ``our_range``)."""
    size = inputs.slots.shoe_size
    low, high = our_range
    if size is None or not (size.isdigit() and low.isdigit() and high.isdigit()):
        return
    chunk = inputs.retrieved.product_block(shoe.sku)
    sheet.add("shoe_size_eu", size, chunk, size)
    fit = "below" if int(size) < int(low) else "above" if int(size) > int(high) else "within"
    sheet.add("shoe_size_fit", fit, chunk, fit)


def _waists_asked_facts(sheet: FactSheet, inputs: FactInputs,
                        waists: Sequence[Product]) -> None:
    """"牛仔裤有28码吗", "이 바지 40, 28 사이즈 있나요?" with no item in view: which of the waist
    sizes asked our waist-sized trousers come in (`waists_made`) and which none does
    (`waists_missing`)."""
    asked = inputs.slots.waist_sizes
    if not asked or not waists:
        return
    made = {row.label for p in waists for row in p.size_chart}
    chunk = inputs.retrieved.product_block(waists[0].sku)
    t = inputs.templates
    for key, group in (("waists_made", [w for w in asked if w in made]),
                       ("waists_missing", [w for w in asked if w not in made])):
        if group:
            sheet.add(key, listing(t, group), chunk, ",".join(group))


def _waist_facts(sheet: FactSheet, inputs: FactInputs, waists: Sequence[Product]) -> None:
    """"허리 38인데 청바지 있어요?" with no item in view: the size of our waist-sized trousers that
    waist is, where their charts agree (`waist_jeans`, with the chart's waist for it)."""
    waist = inputs.slots.waist_cm
    if waist is None:
        return
    charts = {tuple((r.label, range_text(r, "waist_cm")) for r in p.size_chart) for p in waists}
    if len(charts) != 1:
        return
    row = next((r for r in waists[0].size_chart
                if r.waist_cm is not None and r.waist_cm.min <= waist < r.waist_cm.max), None)
    text = range_text(row, "waist_cm") if row is not None else None
    if row is None or text is None:
        return
    chunk = inputs.retrieved.product_block(waists[0].sku)
    sheet.add("waist_jeans", row.label, chunk)
    sheet.add("waist_row", text, chunk)


def _size_label_facts(sheet: FactSheet, inputs: FactInputs, labels: Sequence[str],
                      chunk: SearchHit | None) -> None:
    """Where the letter size asked stands among ``labels``: below, within or above (``as``: within,
    said as a Korean chest size that is one of our letters)."""
    if inputs.size_label is None or any(label.isdigit() for label in labels):
        return  # none asked, or an item sized by waist or foot
    asked, said = inputs.size_label
    where = "within" if asked in labels else "below" if asked in ("XS", "S", "M") else "above"
    sheet.add("size_label", said, None)
    if said != asked:  # a Korean chest size (110) is our letter size (2XL)
        sheet.add("size_ours", asked, chunk)
        where = "as" if where == "within" else where
    sheet.add("size_label_fit", where, chunk, where)
    if labels and not sheet.has("clothes_first"):  # the item's own range (none in view: ours)
        sheet.add("clothes_first", labels[0], chunk)
        sheet.add("clothes_last", labels[-1], chunk)


def _size_order(labels: Sequence[str]) -> Callable[[str], float]:
    """Sort key for size labels: a letter size by its place in the chart, a number by itself."""
    return lambda label: float(label) if label.isdigit() else float(
        labels.index(label) if label in labels else -1)


# More items than this in one colour are no answer to "有黑色的吗": which item comes first.
_COLOUR_ITEMS_LISTED = 4


def _kind_colour_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """"有红色的鞋子吗" where none of our shoes comes in red: every item of the kind with the
    colours it does come in (`catalogue_colours`)."""
    coloured = {p.sku for p, _ in inputs.in_colour}
    if any(p.sku in coloured for p in inputs.candidates):
        return
    t, lang = inputs.templates, inputs.language
    sheet.add("catalogue_colours", listing(t, [t.fragment(
        "named_colour", item=localize(p.names, lang),
        colours=listing(t, [localize(c.names, lang) for c in p.colours]))
        for p in inputs.candidates]), inputs.retrieved.product_block(inputs.candidates[0].sku))


def _colour_items_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """"有红色的吗", "anything in red?" with no item in view: our items in that colour, each
    with the colour's own name ("冲锋衣（红色）、POLO衫（酒红）")."""
    if len(inputs.in_colour) > _COLOUR_ITEMS_LISTED:
        return
    t, lang = inputs.templates, inputs.language
    items = []
    for product, ids in inputs.in_colour:
        names = [localize(c.names, lang) for c in product.colours if c.id in ids]
        items.append(t.fragment("named_colour", item=localize(product.names, lang),
                                colours=listing(t, names)))
    first = inputs.in_colour[0][0].sku
    sheet.add("colour_items", listing(t, items), inputs.retrieved.product_block(first))


def _offers_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """Each item with an offer on and its offer, in the catalogue's order."""
    t, lang = inputs.templates, inputs.language
    on_offer = [p for p in inputs.whole_catalogue if localize(p.promotion, lang)]
    offers = [t.fragment("offer_item", item=localize(p.names, lang),
                         offer=localize(p.promotion, lang).rstrip("。."))
              for p in on_offer]
    if on_offer:
        sheet.add("offers", t.fragment("offer_sep").join(offers),
                  inputs.retrieved.product_block(on_offer[0].sku))


CHEAPEST_NAMED = 3  # items named beside the price range
BUDGET_NAMED = 4  # the dearest items within a budget, named

def _price_range_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """The cheapest and the dearest of our items ("가격대가 어느 정도예요?")."""
    t = inputs.templates
    by_price = sorted(inputs.whole_catalogue, key=lambda p: p.price)  # stable: ties keep order
    cheapest = by_price[0]
    dearest = max(inputs.whole_catalogue, key=lambda p: p.price)
    sheet.add("price_low", money(t, cheapest.price), inputs.retrieved.product_block(cheapest.sku),
              number(cheapest.price))
    sheet.add("price_high", money(t, dearest.price), inputs.retrieved.product_block(dearest.sku),
              number(dearest.price))
    # "anything cheaper?", "under 20 bucks": the range alone leaves them to search; the three
    # most affordable items are named with it
    sheet.add("price_cheapest", listing(t, [_priced(t, p, inputs.language)
                                            for p in by_price[:CHEAPEST_NAMED]]),
              inputs.retrieved.product_block(cheapest.sku))
    # "预算500左右", "budget of 1000 yuan": everything fits it, or the items within it
    budget = read_budget(normalise_measures(inputs.latest_text))
    if budget is None or budget < cheapest.price:
        return
    sheet.add("budget", money(t, budget), None, number(budget))
    if budget >= dearest.price:
        sheet.add("budget_all", money(t, budget), None, number(budget))
        return
    within = [p for p in by_price if p.price <= budget][-BUDGET_NAMED:]
    sheet.add("budget_items", listing(t, [_priced(t, p, inputs.language) for p in within]),
              inputs.retrieved.product_block(within[-1].sku))


def _smallest_fit_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """Where our smallest sizes start (for a petite woman asking): the lowest height and weight
    any clothing chart starts at, and the shortest foot any shoe chart fits."""
    def lowest(measure: str) -> tuple[float, Product] | None:
        starts = [(getattr(row, measure).min, product) for product in inputs.whole_catalogue
                  for row in product.size_chart if getattr(row, measure) is not None]
        return min(starts, key=lambda pair: pair[0]) if starts else None

    for key, measure in (("smallest_height", "height_cm"), ("smallest_weight", "weight_kg"),
                         ("smallest_foot", "foot_length_mm")):
        found = lowest(measure)
        if found is not None:
            sheet.add(key, number(found[0]), inputs.retrieved.product_block(found[1].sku))


_LABEL = re.compile(r"^(?:面料|材质|面料為|材質)(?:为|為|是|：|:)\s*|^(?:fabric|material)\s*:\s*",
                    re.IGNORECASE)


def _without_label(text: str) -> str:
    """"面料为尼龙…" after our own "面料是" would say 面料 twice."""
    return _LABEL.sub("", text)


def _measures_text(t: TemplateSet, slots: Slots, advice: SizeAdvice) -> str:
    parts = []
    if advice.basis == "foot_length" and slots.foot_length_mm is not None:
        parts.append(t.fragment("foot", value=number(slots.foot_length_mm)))
    if advice.basis == "shoe_size" and slots.shoe_size is not None:
        parts.append(t.fragment("shoe_size", value=slots.shoe_size))
    if slots.height_cm is not None and advice.basis in ("weight", "waist", "height"):
        parts.append(t.fragment("height", value=number(round(slots.height_cm))))
    if slots.weight_kg is not None and advice.basis in ("weight", "height"):
        parts.append(t.fragment("weight", value=number(round(slots.weight_kg))))
    if slots.waist_cm is not None and advice.basis == "waist":
        parts.append(t.fragment("waist", value=number(round(slots.waist_cm))))
    return t.fragment("list_sep").join(parts)


def _row_text(t: TemplateSet, advice: SizeAdvice) -> str:
    row = advice.row
    if row is None:
        return ""
    parts = []
    for measure, fragment in (("height_cm", "row_height"), ("weight_kg", "row_weight"),
                              ("waist_cm", "row_waist"), ("foot_length_mm", "row_foot")):
        text = range_text(row, measure)  # type: ignore[arg-type]
        if text is not None:
            low, high = text.split("-")
            parts.append(t.fragment(fragment, min=low, max=high))
    return t.fragment("list_sep").join(parts)


_BASIS_FRAGMENT = {"weight": "weight", "waist": "waist", "height": "height"}
_BASIS_WORD = {
    "zh-Hans": {"weight": "体重", "waist": "腰围", "height": "身高"},
    "zh-Hant": {"weight": "體重", "waist": "腰圍", "height": "身高"},
    "en": {"weight": "weight", "waist": "waist", "height": "height"},
    "ko": {"weight": "몸무게", "waist": "허리", "height": "키"},
}


def _size_facts(sheet: FactSheet, inputs: FactInputs, advice: SizeAdvice) -> list[str]:
    t, product = inputs.templates, inputs.product
    assert product is not None
    chunk = inputs.retrieved.product_block(product.sku)
    situation: str = advice.situation
    if situation == "between" and not _larger(product, advice):
        situation = "between_smaller"  # the size note asked for the smaller one
    elif situation == "below_chart" and "far_below_chart" in advice.notes:
        situation = "below_chart_far"  # even the smallest is too big, not "a bit loose"
    sheet.add("size_situation", f"size advice situation: {situation}", chunk, situation)
    if not advice.recommended:
        return [f"size:{'+'.join(advice.missing)}"]
    assert advice.label is not None
    sheet.add("recommended_size", t.fragment("size", label=advice.label), chunk, advice.label)
    if advice.alternative:
        sheet.add("alternative_size", t.fragment("size", label=advice.alternative), chunk,
                  advice.alternative)
    sheet.add("size_row", _row_text(t, advice), chunk)
    sheet.add("customer_measures", _measures_text(t, inputs.slots, advice), None)
    # Which measure drove a "differ" choice: the word for the one that is not height.
    basis = advice.basis if advice.basis != "height" else (
        "waist" if inputs.slots.waist_cm is not None else "weight")
    sheet.add("basis_measure", _BASIS_WORD[inputs.language].get(basis), None, advice.basis)
    if inputs.slots.shoe_size:
        sheet.add("shoe_size", t.fragment("shoe_size", value=inputs.slots.shoe_size), None,
                  inputs.slots.shoe_size)
    for note in advice.notes:
        sheet.add("size_note_code", f"size remark: {note}", chunk, note)
    return []


def _foot_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    """"240 주세요", "사이즈 235로": the size of ours a foot length is, on the chart of the shoe
    in view or of all our shoes where they share one (`foot_fit`: the label, or "below" /
    "above" when no size of ours fits)."""
    shoes = [p for p in ([inputs.product] if inputs.product else inputs.shoes)
             if p.category in SHOES]
    charts = {tuple((row.label, row.foot_length_mm) for row in p.size_chart) for p in shoes}
    if len(charts) != 1:
        return  # none, or charts that differ: which pair decides it
    shoe, t = shoes[0], inputs.templates
    advice = recommend_size(shoe, inputs.slots)
    chunk = inputs.retrieved.product_block(shoe.sku)
    assert inputs.slots.foot_length_mm is not None
    sheet.add("foot_mm", number(inputs.slots.foot_length_mm), None)
    first = shoe.size_chart[0]
    row = range_text(first, "foot_length_mm")
    sheet.add("foot_first", first.label, chunk)
    if row is not None:
        sheet.add("foot_first_row", row, chunk)
    if advice.situation in ("fits", "between") and advice.label is not None:
        sheet.add("foot_size", advice.label, chunk)
        sheet.add("foot_fit", t.fragment("size", label=advice.label), chunk, advice.label)
    elif advice.situation in ("below_chart", "above_chart"):
        sheet.add("foot_fit", advice.situation, chunk, advice.situation.split("_")[0])


def _larger(product: Product, advice: SizeAdvice) -> bool:
    labels = [row.label for row in product.size_chart]
    if advice.label is None or advice.alternative is None:
        return True
    return labels.index(advice.label) > labels.index(advice.alternative)


def _stock_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    product, lang, t = inputs.product, inputs.language, inputs.templates
    assert product is not None
    chunk = inputs.retrieved.product_block(product.sku)
    sold_out = [t.fragment("sold_out_item", colour=localize(c.names, lang),
                           sizes=listing(t, [t.fragment("size", label=s)
                                             for s in c.sold_out_sizes]))
                for c in product.colours if c.sold_out_sizes]
    sheet.add("sold_out_list", listing(t, sold_out), chunk)
    colour = product.colour(inputs.slots.colour) if inputs.slots.colour else None
    if colour is None:
        return
    sheet.add("colour_name", localize(colour.names, lang), chunk, colour.id)
    sheet.add("sold_out_sizes", listing(t, [t.fragment("size", label=s)
                                         for s in colour.sold_out_sizes]), chunk)
    named = size_named(product, normalise_measures(inputs.latest_text))
    if colour.restock and _overdue(colour.restock, inputs.today) and (
            named is None or named in colour.sold_out_sizes):
        # due and not back: the date the data gives is no answer now; the agent checks it
        sheet.add("restock_overdue", _restock_text(colour.restock, lang), chunk, colour.restock)
    elif colour.restock and _names_a_time(colour.restock):
        sheet.add("restock", _restock_text(colour.restock, lang), chunk, colour.restock)
    elif colour.restock:  # "暂无补货计划 / no restock planned": known, and said as such
        sheet.add("restock_none", "no restock planned", chunk, "none")
    others = [localize(c.names, lang) for c in product.colours
              if c.id != colour.id and not c.sold_out_sizes]
    sheet.add("other_colours", listing(t, others), chunk)


_TIME_WORDS = re.compile(
    r"\d|月|旬|週|周|week|month|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|mid|late|early|soon|주|월", re.IGNORECASE)


def size_named(product: Product, normalised: str) -> str | None:
    """The size label of this product that the (``normalise_measures``d) message names
    ("5xl还有吗")."""
    for label in sorted((row.label for row in product.size_chart), key=len, reverse=True):
        if re.search(rf"(?<![0-9a-z]){re.escape(label.lower())}(?![0-9a-z])", normalised):
            return label
    return None


def _overdue(restock: str, today: date | None) -> bool:
    """A calendar date ("2026-12-05") before today. Free text ("mid-December") is not compared:
    its end is the content's to say."""
    try:
        return today is not None and date.fromisoformat(restock.strip()) < today
    except ValueError:
        return False


def _names_a_time(restock: str) -> bool:
    """"2026-12-05" and "12月中旬 / mid-December" do; "暂无补货计划 / no restock planned" does
    not, and must not be read out as "restock expected no restock planned"."""
    return _TIME_WORDS.search(restock) is not None and not re.search(
        r"暂无|暫無|no restock|not planned|계획 없", restock, re.IGNORECASE)


def _restock_text(restock: str, language: Language) -> str:
    """"12月中旬 / mid-December / 12월 중순" holds Chinese, English and (optionally) Korean: keep
    the part in the reply's language (English where the Korean part is missing)."""
    parts = [p.strip() for p in restock.split(" / ")]
    if len(parts) in (2, 3):
        if language.startswith("zh"):
            return convert_script(parts[0], language)
        return parts[2] if language == "ko" and len(parts) == 3 else parts[1]
    return convert_script(restock, language) if language.startswith("zh") else restock


def _postage_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    t, lang = inputs.templates, inputs.language
    postage = inputs.store.policies.postage
    chunk = inputs.retrieved.store_block("postage") or inputs.retrieved.playbook_for("postage")
    sheet.add("free_over", money(t, postage.free_over), chunk, number(postage.free_over))
    sheet.add("standard_fee", money(t, postage.standard_fee), chunk, number(postage.standard_fee))
    latest = normalise_measures(inputs.latest_text)
    named = [localize(r, lang) for r in postage.remote_regions
             if any(normalise_measures(name) in latest for name in r.values())]
    if named:
        sheet.add("remote_regions", t.fragment("list_sep").join(named), chunk)
        sheet.add("remote_surcharge", money(t, postage.remote_surcharge), chunk,
                  number(postage.remote_surcharge))
    if inputs.product is not None and inputs.product.price >= postage.free_over:
        sheet.add("product_ships_free", "this product alone qualifies for free postage", chunk,
                  "yes")


def _shipping_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    t, lang = inputs.templates, inputs.language
    shipping = inputs.store.policies.shipping
    chunk = inputs.retrieved.store_block("shipping_time") or \
        inputs.retrieved.playbook_for("shipping_time") or \
        inputs.retrieved.playbook_for("logistics_delay")
    sheet.add("cutoff", shipping.cutoff_time, chunk, shipping.cutoff_time)
    sheet.add("dispatch_hours", str(shipping.dispatch_within_hours), chunk)
    standard = [c for c in shipping.couriers if not c.express]
    express = [c for c in shipping.couriers if c.express]
    if standard:
        sheet.add("standard_couriers", t.fragment("or_sep").join(
            localize(c.name, lang) for c in standard), chunk)
        low = min(c.typical_days.min for c in standard)
        high = max(c.typical_days.max for c in standard)
        sheet.add("standard_days", t.fragment("days", min=number(low), max=number(high)), chunk)
    if express:
        fastest = express[0]
        sheet.add("express_courier", localize(fastest.name, lang), chunk)
        sheet.add("express_surcharge", money(t, fastest.surcharge), chunk,
                  number(fastest.surcharge))
        sheet.add("express_days", t.fragment("days", min=number(fastest.typical_days.min),
                                             max=number(fastest.typical_days.max)), chunk)


def _about_footwear(inputs: FactInputs) -> bool:
    """Shoes are the matter: the product, or one of the items the customer's words leave, is
    footwear. With nothing known the soles are not mentioned: most of what we sell is clothing,
    and the agent adds them where the order holds shoes."""
    kinds = [p.category for p in ([inputs.product] if inputs.product else inputs.candidates)]
    return any(kind in FOOTWEAR for kind in kinds)


def _returns_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    policies, lang = inputs.store.policies, inputs.language
    returns = policies.returns
    chunk = inputs.retrieved.store_block("return_exchange") or \
        inputs.retrieved.playbook_for("return_exchange")
    quality_chunk = inputs.retrieved.store_block("quality_complaint") or \
        inputs.retrieved.playbook_for("quality_complaint") or chunk
    sheet.add("no_reason_days", str(returns.no_reason_days), chunk)
    sheet.add("return_condition", returns.condition_text(
        lang, footwear=_about_footwear(inputs), pick=localize), chunk)
    sheet.add("exchange_days", str(returns.exchange_days), chunk)
    sheet.add("refund_days", str(returns.refund_within_days), chunk)
    sheet.add("report_days", str(policies.quality.report_within_days), quality_chunk)
    if policies.postage.freight_insurance:
        sheet.add("freight_insurance", "orders include freight insurance for return postage",
                  inputs.retrieved.store_block("postage") or chunk, "yes")


def _discount_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    t = inputs.templates
    authority = inputs.store.policies.discounts.agent_max
    chunk = inputs.retrieved.store_block("bargaining") or inputs.retrieved.playbook_for(
        "bargaining")
    sheet.add("agent_max", money(t, authority), chunk, number(authority))
    amount = inputs.slots.amount_off
    if amount is not None:
        decision = "within" if amount <= authority else "over"
        sheet.add("amount", money(t, amount), None, number(amount))
        sheet.add("discount_decision", f"the discount asked is {decision} the agent's authority",
                  chunk, decision)


def _invoice_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    invoices, lang, t = inputs.store.policies.invoices, inputs.language, inputs.templates
    chunk = inputs.retrieved.store_block("invoice") or inputs.retrieved.playbook_for("invoice")
    available = "yes" if invoices.available else "no"
    sheet.add("invoice_available", f"invoices available: {available}", chunk, available)
    sheet.add("invoice_kinds", t.fragment("list_sep").join(
        localize(kind, lang) for kind in invoices.kinds), chunk)
    sheet.add("invoice_note", localize(invoices.note, lang), chunk)


def _order_facts(sheet: FactSheet, inputs: FactInputs) -> None:
    if inputs.order_id:
        sheet.add("order_id", inputs.order_id, None, inputs.order_id)
    if inputs.slots.order_status:
        sheet.add("order_status", inputs.slots.order_status, None, inputs.slots.order_status)


def fact_values(facts: Iterable[Fact]) -> dict[str, Fact]:
    """Facts by key (the first of a key wins)."""
    found: dict[str, Fact] = {}
    for fact in facts:
        found.setdefault(fact.key, fact)
    return found
