"""The offline composer's reply templates: YAML files per language under ``prompts/offline/``.

A template file maps ``section.key`` to one sentence with ``{placeholders}``. What each key must
and may contain is declared here (``TEMPLATE_SPEC``), so a typo in a template file — a missing
key, a missing required placeholder, an unknown one — stops start-up with a ``ConfigurationError``
naming the file and the key, instead of producing a broken reply to a customer later.
"""

from __future__ import annotations

import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES, Language

# Placeholders every sentence may use: the store's voice.
COMMON = frozenset({"honorific", "store_name", "nickname", "emoji", "product_name"})


def _spec(required: str = "", optional: str = "") -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(required.split()), frozenset(optional.split())


TEMPLATE_SPEC: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # how a later reply addresses the customer; empty where the language doesn't (English
    # agents don't open each message mid-chat with "Hi there,")
    "fragments.address": _spec(optional="honorific"),
    "fragments.money": _spec("amount"),
    "fragments.size": _spec("label"),
    "fragments.height": _spec("value"),
    "fragments.weight": _spec("value"),
    "fragments.waist": _spec("value"),
    "fragments.foot": _spec("value"),
    "fragments.shoe_size": _spec("value"),
    "fragments.row_height": _spec("min max"),
    "fragments.row_weight": _spec("min max"),
    "fragments.row_waist": _spec("min max"),
    "fragments.row_chest": _spec("min max"),
    "fragments.row_foot": _spec("min max"),
    "fragments.days": _spec("min max"),
    "fragments.list_sep": _spec(),
    "fragments.named_colour": _spec("item colours"),
    "fragments.list_last": _spec(),
    "fragments.or_sep": _spec(),
    "fragments.item_sep": _spec(),
    "fragments.sold_out_item": _spec("colour sizes"),
    "fragments.catalogue_item": _spec("item price"),
    "fragments.offer_item": _spec("item offer"),
    "fragments.offer_sep": _spec(),
    "greeting.first": _spec("store_name nickname"),
    "greeting.again": _spec(),
    "greeting.brief": _spec(),
    "closing.after_sales": _spec(),
    "empathy.quality_complaint": _spec(),
    "empathy.missing_item": _spec(),
    "empathy.wrong_item": _spec(),
    "empathy.signed_not_received": _spec(),
    "empathy.logistics_delay": _spec(),
    "empathy.colour_difference": _spec(),
    "empathy.refund_status": _spec(),
    "empathy.other_upset": _spec(),
    "empathy.understood": _spec(),
    "empathy.urgent": _spec(),
    "empathy.elsewhere": _spec(),
    "ask.which_listed": _spec(),
    "ask.product": _spec(),
    "ask.product_size": _spec(),
    "ask.product_size_measured": _spec(),
    "ask.product_size_height": _spec(),
    "ask.product_size_weight": _spec(),
    "ask.clarify": _spec(),
    "ask.order_check": _spec(),
    "ask.order_topic": _spec("topic"),
    "check.later": _spec(),
    "check.noted": _spec(),
    "check.topic": _spec("topic"),
    "check.unclear": _spec(),
    "check.unclear_noted": _spec(),
    "product_info.price": _spec("price"),
    "product_info.price_list": _spec("price list_price"),
    "product_info.promotion": _spec("promotion"),
    "product_info.fabric": _spec("fabric"),
    "product_info.fit": _spec("fit"),
    "product_info.care": _spec("care"),
    "product_info.alteration": _spec("alteration"),
    "product_info.price_range": _spec("price_low price_high price_cheapest"),
    "product_info.budget_all": _spec("price_low price_high budget_all"),
    "product_info.budget_within": _spec("budget budget_items"),
    "product_info.features": _spec("features"),
    "product_info.size_range": _spec("size_first size_last"),
    "product_info.catalogue": _spec("catalogue"),
    "product_info.catalogue_no_colour": _spec("catalogue_colours"),
    "product_info.for_use": _spec("use_items"),
    "product_info.catalogue_pick": _spec(),
    "product_info.catalogue_size": _spec(),
    "size_advice.smallest": _spec("smallest_height smallest_weight smallest_foot"),
    "size_advice.foot_ours": _spec("foot_mm foot_size"),
    "size_advice.shoe_size_within": _spec("shoe_size_eu shoes_first shoes_last"),
    "size_advice.shoe_size_below": _spec("shoe_size_eu shoes_first"),
    "size_advice.shoe_size_above": _spec("shoe_size_eu shoes_last"),
    "size_advice.foot_below": _spec("foot_first foot_first_row foot_mm"),
    "size_advice.foot_above": _spec("foot_mm"),
    "size_advice.not_one_size": _spec(),
    "size_advice.fit_varies": _spec(),
    "size_advice.waist_ours": _spec("waist_jeans waist_row"),
    "size_advice.sizes_overview": _spec(
        "clothes_first clothes_last jeans_first jeans_last shoes_first shoes_last"),
    # the sizes of the one kind the customer named ("鞋子最大多大码", "바지 L 있어요?")
    "size_advice.sizes_clothes": _spec("clothes_first clothes_last"),
    "size_advice.sizes_jeans": _spec("jeans_first jeans_last"),
    "size_advice.waists_mixed": _spec("jeans_first jeans_last waists_made waists_missing"),
    "size_advice.waists_missing": _spec("jeans_first jeans_last waists_missing"),
    "size_advice.waists_made": _spec("jeans_first jeans_last waists_made"),
    "size_advice.sizes_shoes": _spec("shoes_first shoes_last"),
    "size_advice.label_below": _spec("size_label clothes_first"),
    "size_advice.label_offer": _spec("clothes_first"),
    "size_advice.label_within": _spec("size_label"),
    "size_advice.label_as": _spec("size_label size_ours"),
    "size_advice.label_above": _spec("size_label clothes_last"),
    "size_advice.fits": _spec("size", "customer_measures size_row"),
    "size_advice.between": _spec("size alternative", "customer_measures size_row"),
    "size_advice.between_smaller": _spec("size alternative", "customer_measures size_row"),
    "size_advice.differ_girth": _spec("size alternative", "basis_measure customer_measures"),
    "size_advice.differ_height": _spec("size alternative", "basis_measure customer_measures"),
    "size_advice.above_chart": _spec("size", "customer_measures size_row"),
    "size_advice.above_chart_advice": _spec(),
    "size_advice.below_chart": _spec("size", "customer_measures size_row"),
    "size_advice.below_chart_far": _spec("size", "customer_measures size_row"),
    "size_advice.by_shoe_size": _spec("size shoe_size", "size_row"),
    "size_advice.size_note": _spec("size_note"),
    "size_advice.height_above_chart": _spec(),
    "size_advice.height_below_chart": _spec(),
    "size_advice.ask_weight": _spec(),
    "size_advice.ask_height_weight": _spec(),
    "size_advice.ask_foot": _spec(),
    "size_advice.ask_waist": _spec(),
    "stock.in_stock": _spec("colour_name size"),
    "stock.sold_out": _spec("colour_name size restock"),
    "stock.sold_out_overdue": _spec("colour_name size restock_overdue"),
    "stock.sold_out_no_date": _spec("colour_name size", "other_colours"),
    "stock.sold_out_no_restock": _spec("colour_name size", "other_colours"),
    "stock.colour_partial": _spec("colour_name sold_out_sizes restock"),
    "stock.colour_partial_overdue": _spec("colour_name sold_out_sizes restock_overdue"),
    "stock.colour_partial_no_date": _spec("colour_name sold_out_sizes"),
    "stock.colour_all": _spec("colour_name"),
    "stock.no_colour": _spec("asked_colour"),
    "stock.colour_items": _spec("colour_items"),
    "stock.overview": _spec("colour_names"),
    "stock.overview_sold_out": _spec("sold_out_list"),
    "stock.overview_all": _spec(),
    "stock.size_available": _spec("size"),
    "stock.size_partial": _spec("size sold_out_colours"),
    "bargaining.promotion": _spec("promotion"),
    "bargaining.offers": _spec("offers"),
    "bargaining.value": _spec("", "price"),
    "bargaining.within": _spec("amount"),
    "bargaining.over": _spec("amount"),
    "bargaining.general": _spec(),
    "bargaining.try": _spec(),
    "bargaining.which": _spec(),
    "bargaining.which_pricey": _spec(),
    "bargaining.which_offers": _spec(),
    "bargaining.supervisor": _spec(),
    "postage.rule": _spec("free_over standard_fee"),
    "postage.waive": _spec("standard_fee"),
    "postage.product_free": _spec("price free_over"),
    "postage.remote": _spec("remote_regions remote_surcharge"),
    "postage.express": _spec("express_courier express_surcharge"),
    "shipping_time.dispatch": _spec("cutoff dispatch_hours"),
    "shipping_time.couriers": _spec("standard_couriers standard_days"),
    "shipping_time.express": _spec("express_courier express_surcharge", "express_days"),
    "shipping_time.honest": _spec(),
    "shipping_time.rush": _spec(),
    "shipping_time.honest_ship": _spec(),
    "shipping_time.as_scheduled": _spec(),
    "shipping_time.shipped_check_order": _spec("order_id"),
    "shipping_time.shipped_ask_order": _spec(),
    "shipping_time.shipped_look_into": _spec(),
    "logistics_delay.check_order": _spec("order_id"),
    "logistics_delay.ask_order": _spec(),
    "logistics_delay.look_into": _spec(),
    "logistics_delay.not_shipped": _spec("dispatch_hours"),
    "logistics_delay.unshipped_ask_order": _spec("dispatch_hours"),
    "logistics_delay.unshipped_look_into": _spec(),
    "logistics_delay.lost": _spec(),
    "logistics_delay.track_check_order": _spec("order_id"),
    "logistics_delay.track_ask_order": _spec(),
    "logistics_delay.track_look_into": _spec(),
    "payment_reminder.paid": _spec(),
    "payment_reminder.unpaid": _spec("cutoff"),
    "payment_reminder.help": _spec(),
    "quality_concern.fabric": _spec("fabric"),
    "quality_concern.assurance": _spec("report_days"),
    "quality_concern.assurance_no_product": _spec("report_days"),
    "quality_complaint.steps": _spec(),
    "quality_complaint.window": _spec("report_days"),
    "quality_complaint.order": _spec("order_id"),
    "quality_complaint.photos_received": _spec(),
    "colour_difference.explain": _spec(),
    "colour_difference.colour": _spec("colour_name"),
    "colour_difference.return": _spec("no_reason_days"),
    "return_exchange.policy": _spec("return_condition", "no_reason_days"),
    "return_exchange.window": _spec("no_reason_days return_condition"),
    "return_exchange.request_check_order": _spec("order_id"),
    "return_exchange.request_ask_order": _spec(),
    "return_exchange.request_look_into": _spec(),
    "return_exchange.steps": _spec(),
    "return_exchange.postage": _spec(),
    "return_exchange.exchange": _spec("exchange_days"),
    "return_exchange.exchange_named": _spec("exchange_days"),
    "return_exchange.exchange_colour": _spec("no_reason_days"),
    "return_exchange.refund_time": _spec("refund_days"),
    "refund_status.timing": _spec("refund_days"),
    "refund_status.cancelled": _spec(),
    "refund_status.refunding": _spec(),
    "refund_status.check_order": _spec("order_id"),
    "refund_status.ask_order": _spec(),
    "refund_status.look_into": _spec(),
    "invoice.available": _spec("invoice_kinds"),
    "invoice.note": _spec("invoice_note"),
    "invoice.unavailable": _spec(),
    "cancel_order.after_wait": _spec(),
    "cancel_order.unpaid": _spec(),
    "cancel_order.paid": _spec(),
    "cancel_order.shipped": _spec(),
    "cancel_order.delivered": _spec(),
    "cancel_order.refunding": _spec(),
    "cancel_order.refused": _spec(),
    "cancel_order.unknown": _spec(),
    "cancel_order.failed": _spec(),
    "cancel_order.known_order": _spec("order_id"),
    "cancel_order.reason": _spec(),
    "address_change.before_ship": _spec(),
    "address_change.shipped": _spec(),
    "address_change.delivered": _spec(),
    "address_change.unknown": _spec(),
    "address_change.given_before_ship": _spec(),
    "address_change.given_check_order": _spec("order_id"),
    "address_change.given_ask_order": _spec(),
    "address_change.given_look_into": _spec(),
    "address_change.known_order": _spec("order_id"),
    "address_change.confirm": _spec(),
    "security.warning": _spec(),
    "security.link_only": _spec(),
    "security.aside": _spec(),
    "other.ack": _spec(),
    "other.noted": _spec(),
    "other.answered": _spec(),
    "other.promised": _spec(),
    "other.confirmed": _spec(),
    "other.reminded": _spec(),
    "other.opening": _spec(),
    "other.opening_worried": _spec(),
    "other.praised": _spec(),
    "other.returning": _spec(),
    "other.praised_browsing": _spec(),
    "other.hope": _spec(),
    "other.ordering": _spec(),
    "other.ordering_dispatch": _spec("cutoff"),
    "other.ordering_check": _spec(),
    "stock.item_named": _spec("product_name"),
    "other.ordering_as_told": _spec(),
    "other.ordering_choice": _spec("cutoff"),
    "other.ordering_size": _spec("size_label cutoff"),
    "other.ordering_size_as": _spec("size_label size_ours"),
    "other.ordering_foot": _spec("foot_mm foot_size"),
    "thanks_close.close_urgent": _spec("cutoff"),
    "thanks_close.close_ahead": _spec(),
    "other.chasing": _spec(),
    "other.on_it": _spec(),
    "other.patient": _spec(),
    "other.giving_up": _spec(),
    "other.stepping_away": _spec(),
    "other.received": _spec("nickname"),
    "other.elsewhere": _spec("store_name"),
    "other.order_given": _spec(),
    "other.apologised": _spec(),
    "thanks_close.close": _spec(),
    "thanks_close.farewell": _spec(),
    "bargaining.held": _spec(),
    "handoff.ack": _spec(),
    "handoff.person": _spec(),
    "handoff.person_also": _spec(),
    "not_sold.line": _spec(),
    "not_sold.likely": _spec(),
    # {thing}: the thing named; English leaves it out (its plural and article are not known)
    "not_sold.line_named": _spec(optional="thing"),
    "not_sold.clothing_named": _spec(optional="thing"),
    "not_sold.clothing": _spec(),
    "not_sold.ordered": _spec(),
    "complaint.next": _spec(),
    "complaint.next_known": _spec("order_id"),
    "complaint.next_in_conversation": _spec(),
    "complaint.noted": _spec(),
}


@dataclass(frozen=True)
class TemplateSet:
    language: Language
    path: Path
    entries: dict[str, str]
    version: str

    def render(self, key: str, values: dict[str, str]) -> str:
        template = self.entries[key]
        try:
            return template.format_map(values)
        except KeyError as error:
            # Validation at load makes this a programming error in the composer, not in the file.
            raise ConfigurationError(
                f"{self.path}: {key}: no value for placeholder {error.args[0]!r}"
            ) from None

    def fragment(self, name: str, **values: object) -> str:
        return self.render(f"fragments.{name}", {k: str(v) for k, v in values.items()})

    def placeholders(self, key: str) -> set[str]:
        return placeholders_of(self.entries[key])


def placeholders_of(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _flatten(path: Path, data: dict[str, Any]) -> dict[str, str]:
    entries: dict[str, str] = {}
    for section, keys in data.items():
        if section in ("language", "version"):
            continue
        if not isinstance(keys, dict):
            raise ConfigurationError(f"{path}: {section}: expected a mapping of keys to text")
        for key, text in keys.items():
            if not isinstance(text, str):
                raise ConfigurationError(f"{path}: {section}.{key}: expected text")
            entries[f"{section}.{key}"] = text
    return entries


def validate_entries(path: Path, entries: dict[str, str]) -> None:
    """Every declared key present, every required placeholder used, no unknown placeholder."""
    for key, (required, optional) in TEMPLATE_SPEC.items():
        if key not in entries:
            raise ConfigurationError(f"{path}: missing template {key}")
        try:
            used = placeholders_of(entries[key])
        except ValueError as error:
            raise ConfigurationError(f"{path}: {key}: malformed template: {error}") from None
        if missing := required - used:
            raise ConfigurationError(
                f"{path}: {key}: missing placeholder {{{sorted(missing)[0]}}}"
            )
        if unknown := used - required - optional - COMMON:
            raise ConfigurationError(
                f"{path}: {key}: unknown placeholder {{{sorted(unknown)[0]}}}"
            )
    for key in entries:
        if key not in TEMPLATE_SPEC:
            raise ConfigurationError(f"{path}: {key}: unknown template key")


def read_version(offline_dir: Path) -> str:
    path = offline_dir / "VERSION"
    try:
        version = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: file not found (the offline prompt version)") from None
    if not version:
        raise ConfigurationError(f"{path}: empty")
    return version


def template_file(offline_dir: Path, language: Language, speech_level: str = "haeyo") -> Path:
    """Korean stores that speak 합니다체 may add ``ko.hamnida.yaml``; 해요체 is ``ko.yaml``."""
    if language == "ko" and speech_level != "haeyo":
        special = offline_dir / f"ko.{speech_level}.yaml"
        if special.exists():
            return special
    return offline_dir / f"{language}.yaml"


def load_template_set(offline_dir: Path, language: Language, speech_level: str = "haeyo"
                      ) -> TemplateSet:
    path = template_file(offline_dir, language, speech_level)
    data = load_yaml_mapping(path, "template file")
    if data.get("language") != language:
        raise ConfigurationError(f"{path}: language: expected {language!r}")
    entries = _flatten(path, data)
    validate_entries(path, entries)
    return TemplateSet(language, path, entries, read_version(offline_dir))


class TemplateLibrary:
    """All languages' template sets, validated together at construction."""

    def __init__(self, prompts_dir: Path, speech_level: str = "haeyo") -> None:
        offline = prompts_dir / "offline"
        self.version = read_version(offline)
        self.sets = {lang: load_template_set(offline, lang, speech_level) for lang in LANGUAGES}

    def __getitem__(self, language: Language) -> TemplateSet:
        return self.sets[language]


_libraries: dict[tuple[str, str, str], TemplateLibrary] = {}
_lock = threading.Lock()


def template_library(prompts_dir: Path, speech_level: str = "haeyo") -> TemplateLibrary:
    """Cached per folder and file state: editing a template takes effect on the next draft."""
    offline = prompts_dir / "offline"
    stamp = "|".join(
        f"{p.name}:{p.stat().st_mtime_ns}" for p in sorted(offline.glob("*.yaml"))
    ) if offline.is_dir() else ""
    key = (str(offline.resolve()), speech_level, stamp)
    with _lock:
        library = _libraries.get(key)
        if library is None:
            library = TemplateLibrary(prompts_dir, speech_level)
            _libraries[key] = library
        return library
