"""The offline composer: a grounded reply from template files, no model and no network.

For each intent it follows the store's approved reply pattern (the playbook section it cites) and
fills the sentence templates of ``prompts/offline/<language>.yaml`` with computed facts: the size
from the chart, the price and promotion, the postage rule, the cut-off and couriers, the return and
quality-complaint steps. The reply is ordered the way a good agent answers (greeting → feelings →
product and size → price → postage → shipping → after-sales), asks at most one precise question
when a needed fact is missing, and never invents anything a template and a fact don't say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from replydraft.drafting.backend import CitedSentence, DraftContext, Fact, Generated
from replydraft.drafting.composing.facts import fact_values, localize
from replydraft.drafting.composing.templates import TemplateSet, template_library
from replydraft.drafting.understanding.lexicon import Lexicon, load_lexicon
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.models import pick_text
from replydraft.text.korean import fix_particles

# The order a good agent answers several questions in.
INTENT_ORDER = (
    "greeting", "security", "product_info", "size_advice", "stock", "colour_difference",
    "quality_concern", "bargaining", "postage", "shipping_time", "payment_reminder",
    "logistics_delay", "quality_complaint", "return_exchange", "refund_status", "cancel_order",
    "address_change", "invoice", "not_sold", "complaint", "handoff", "thanks_close", "other",
)
MAX_INTENTS = 4
# Sentences whose whole point is one fact: skipped when that fact was already stated.
_ONCE = {
    "product_info.promotion": frozenset({"promotion"}),
    "bargaining.promotion": frozenset({"promotion"}),
    "quality_concern.fabric": frozenset({"fabric"}),
    "product_info.fabric": frozenset({"fabric"}),
    "bargaining.value": frozenset({"price"}),
    "product_info.care": frozenset({"care"}),
}
_EMPATHY_FIRST = ("quality_complaint", "logistics_delay", "refund_status", "colour_difference")
# Sentences that already promise to report back; the after-sales closing would repeat them.
_PROMISES_UPDATE = frozenset({"logistics_delay.check_order", "refund_status.check_order"})
# Replies about a problem in progress end with "I'll keep you posted", not "anything else?".
_AFTER_SALES = frozenset({"logistics_delay", "quality_complaint", "refund_status", "complaint"})
# Replies that are themselves a closing line: nothing to add after them.
_SELF_CLOSING = frozenset({"thanks_close", "handoff"})
_SECURITY_RISKS = frozenset({"phishing_link", "file_request", "off_platform_request"})
_SURE_SECURITY = 0.85
_UPSET_RISKS = frozenset({"abuse", "legal_threat"})
_TERMINAL = re.compile(r"[。！？!?.~～…）)\U0001F300-\U0001FAFF\u2600-\u27BF]$")


class Composer:
    """Builds one reply; each ``say`` renders one template key into a cited sentence."""

    def __init__(self, context: DraftContext, templates: TemplateSet, lexicon: Lexicon) -> None:
        self.ctx = context
        self.t = templates
        self.lexicon = lexicon
        self.facts = fact_values(context.facts)
        # The size templates say {size}/{alternative}; the facts are named for what they are.
        for alias, key in (("size", "recommended_size"), ("alternative", "alternative_size")):
            if key in self.facts:
                self.facts.setdefault(alias, self.facts[key])
        self.sentences: list[CitedSentence] = []
        self.asked = False
        self._stated: set[str] = set()  # facts already put into words
        self._keys: set[str] = set()  # templates used so far
        self.latest = normalise_measures(context.request.latest)
        self.intent_names = {s.intent for s in context.intents}
        self._common = self._voice_values()

    # ------------------------------------------------------------ plumbing

    def _voice_values(self) -> dict[str, str]:
        store, lang = self.ctx.store, self.ctx.language
        emoji = store.voice.emoji_set[0] if store.voice.emoji and store.voice.emoji_set else ""
        return {
            "honorific": pick_text(store.voice.honorific, lang),
            "store_name": pick_text(store.names, lang),
            "nickname": pick_text(store.agent.nickname, lang),
            "emoji": emoji,
        }

    def fact(self, key: str) -> Fact | None:
        return self.facts.get(key)

    def value(self, key: str) -> str | None:
        found = self.facts.get(key)
        return None if found is None else (found.value or found.text)

    def cue(self, name: str) -> bool:
        return self.lexicon.cue(name, self.latest)

    def can_say(self, key: str) -> bool:
        return all(p in self._common or p in self.facts for p in self.t.placeholders(key))

    def say(self, key: str, intent: str | None = None, *, ask: bool = False) -> bool:
        """Render ``key`` if every fact it needs is known; at most one question per reply."""
        if ask and self.asked:
            return False
        if not self.can_say(key):
            return False
        used = self.t.placeholders(key)
        if key in _ONCE and _ONCE[key] & self._stated:
            return False  # "现在的活动：…" already said by another intent's sentence
        values = dict(self._common)
        values.update({k: f.text for k, f in self.facts.items() if k in used})
        text = _finish(self.t.render(key, values).strip(), self.ctx.language)
        chunk_ids = [self.facts[p].chunk_id for p in sorted(used) if p in self.facts]
        pattern = self.facts.get(f"playbook:{intent}") if intent else None
        if pattern is not None:
            chunk_ids.insert(0, pattern.chunk_id)
        ids = tuple(dict.fromkeys(c for c in chunk_ids if c))
        self.sentences.append(CitedSentence(text=text, chunk_ids=ids))
        self._stated |= used
        self._keys.add(key)
        self.asked = self.asked or ask
        return True

    # ------------------------------------------------------------ the reply

    def compose(self) -> list[CitedSentence]:
        intents = self._ordered_intents()
        self._greeting(intents)
        self._security(intents)
        self._empathy(intents)
        content_start = len(self.sentences)
        for intent in intents:
            handler = _HANDLERS.get(intent)
            if handler is not None:
                handler(self)
        self._missing()
        if len(self.sentences) == content_start and intents != ["greeting"]:
            # Nothing we could answer (an injection attempt, chit-chat we did not catch): one
            # precise question beats a greeting alone.
            self.say("ask.clarify", "other", ask=True)
        self._closing(intents)
        if not self.ctx.first_reply:
            self._address_first_sentence()
        return self._spaced()

    def _ordered_intents(self) -> list[str]:
        ranked = [s.intent for s in self.ctx.intents][:MAX_INTENTS]
        if any(r.type in _SECURITY_RISKS for r in self.ctx.risks) and "security" not in ranked:
            ranked.append("security")
        return sorted(set(ranked), key=lambda i: INTENT_ORDER.index(i)
                      if i in INTENT_ORDER else len(INTENT_ORDER))

    def _greeting(self, intents: list[str]) -> bool:
        """The welcome banner only for a calm customer's first message: someone upset or angry
        gets the apology and the next step first, and a thanks gets a short close."""
        if self.ctx.first_reply and self._calm() and intents != ["thanks_close"]:
            return self.say("greeting.first", "greeting")
        if intents == ["greeting"]:
            return self.say("greeting.again", "greeting")
        return False

    def _security(self, intents: list[str]) -> None:
        """The safety line follows the customer risk scan (a link, a file, another app asked
        for) or a clear security intent; a faint guess of the model does not earn a warning."""
        flagged = any(r.type in _SECURITY_RISKS for r in self.ctx.risks)
        sure = any(s.intent == "security" and s.confidence >= _SURE_SECURITY
                   for s in self.ctx.intents)
        if "security" in intents and (flagged or sure):
            self.say("security.warning", "security")

    def _calm(self) -> bool:
        seen = self.ctx.understanding
        return seen is None or seen.mood == "calm"

    def _empathy(self, intents: list[str]) -> None:
        if any(r.type in _UPSET_RISKS for r in self.ctx.risks) or self.cue("upset") or \
                "complaint" in intents or (not self._calm() and not set(intents) & set(
                    _EMPATHY_FIRST)):
            self.say("empathy.other_upset", "other")
            return
        for intent in _EMPATHY_FIRST:
            if intent in intents:
                self.say(f"empathy.{intent}", intent)
                return

    def _missing(self) -> None:
        for need in self.ctx.missing:
            key = _ASK_FOR.get(need)
            if key is not None:
                self.say(key, "size_advice" if need.startswith("size") else None, ask=True)

    def _closing(self, intents: list[str]) -> None:
        if self.asked:
            return  # the question ends the turn; a closing line would bury it
        if set(intents) & _SELF_CLOSING:
            return
        if set(intents) & _AFTER_SALES:
            if not self._keys & _PROMISES_UPDATE:
                self.say("closing.after_sales")
        elif intents != ["greeting"] and intents != ["other"] and self._calm():
            self.say("closing.default")

    def _address_first_sentence(self) -> None:
        if not self.sentences:
            return
        first = self.sentences[0]
        honorific = self._common["honorific"]
        if honorific and first.text.startswith(honorific):
            return
        prefix = self.t.fragment("address", honorific=honorific)
        body = first.text
        if self.ctx.language == "en" and re.match(r"[A-Z][a-z]", body) and not \
                body.startswith("I "):
            body = body[0].lower() + body[1:]
        self.sentences[0] = CitedSentence(prefix + body, first.chunk_ids)

    def _spaced(self) -> list[CitedSentence]:
        """Latin and Korean sentences need a space between them; Chinese ones don't."""
        if self.ctx.language.startswith("zh"):
            return self.sentences
        spaced = [CitedSentence(s.text + " ", s.chunk_ids) for s in self.sentences[:-1]]
        return spaced + self.sentences[-1:]


def _finish(text: str, language: str) -> str:
    if language == "ko":
        text = fix_particles(text)
    if text and not _TERMINAL.search(text):
        text += "。" if language.startswith("zh") else "."
    return text


# ---------------------------------------------------------------- per intent

_ASK_FOR = {
    "product": "ask.product",
    "size:weight": "size_advice.ask_weight",
    "size:height+weight": "size_advice.ask_height_weight",
    "size:foot_length": "size_advice.ask_foot",
    "size:waist": "size_advice.ask_waist",
    "size:height": "size_advice.ask_height_weight",
}


def _product_info(c: Composer) -> None:
    if c.fact("product_name") is None:
        return  # the missing-product question covers it
    asked = [aspect for aspect in ("price", "fabric", "fit", "care", "features") if c.cue(aspect)]
    if not asked:
        asked = ["fabric", "features"]
    for aspect in asked:
        if aspect == "price":
            c.say("product_info.price_list" if c.fact("list_price") else "product_info.price",
                  "product_info")
            c.say("product_info.promotion", "product_info")
        else:
            c.say(f"product_info.{aspect}", "product_info")


def _size_advice(c: Composer) -> None:
    situation = c.value("size_situation")
    if situation is None or situation == "missing":
        return  # asked for in _missing
    if situation in ("fits", "between", "between_smaller", "above_chart", "below_chart",
                     "by_shoe_size"):
        c.say(f"size_advice.{situation}", "size_advice")
    elif situation == "differ":
        basis = c.value("basis_measure")
        c.say("size_advice.differ_height" if basis == "height" else "size_advice.differ_girth",
              "size_advice")
    if situation == "above_chart":
        c.say("size_advice.above_chart_advice", "size_advice")
    for fact in c.ctx.facts:
        if fact.key == "size_note_code" and fact.value in ("height_above_chart",
                                                          "height_below_chart"):
            c.say(f"size_advice.{fact.value}", "size_advice")
    if situation in ("between", "between_smaller", "differ"):
        c.say("size_advice.size_note", "size_advice")


def _asked_size(c: Composer) -> str | None:
    """A size label of the product named in the message ("5XL还有吗"), else the recommended one."""
    product = c.ctx.product
    if product is None:
        return None
    labels = sorted((row.label for row in product.size_chart), key=len, reverse=True)
    for label in labels:
        if re.search(rf"(?<![0-9a-z]){re.escape(label.lower())}(?![0-9a-z])", c.latest):
            return label
    recommended = c.fact("recommended_size")
    return recommended.value if recommended else None


def _stock(c: Composer) -> None:
    product = c.ctx.product
    if product is None:
        return
    colour = product.colour(c.ctx.slots.colour) if c.ctx.slots.colour else None
    size = _asked_size(c)
    chunk = c.facts["sku"].chunk_id if "sku" in c.facts else None
    if size is not None:
        c.facts["size"] = Fact("size", c.t.fragment("size", label=size), chunk, size)
    if colour is not None and size is not None:
        if size in colour.sold_out_sizes:
            if not c.say("stock.sold_out", "stock"):
                c.say("stock.sold_out_no_date", "stock")
        else:
            c.say("stock.in_stock", "stock")
    elif colour is not None:
        if colour.sold_out_sizes:
            if not c.say("stock.colour_partial", "stock"):
                c.say("stock.colour_partial_no_date", "stock")
        else:
            c.say("stock.colour_all", "stock")
    elif size is not None:
        short = [localize(col.names, c.ctx.language) for col in product.colours
                 if size in col.sold_out_sizes]
        if short:
            c.facts["sold_out_colours"] = Fact(
                "sold_out_colours", c.t.fragment("list_sep").join(short), chunk)
            c.say("stock.size_partial", "stock")
        else:
            c.say("stock.size_available", "stock")
    elif "stock" in c.intent_names:
        c.say("stock.overview", "stock")
        if not c.say("stock.overview_sold_out", "stock"):
            c.say("stock.overview_all", "stock")


def _colour_difference(c: Composer) -> None:
    c.say("colour_difference.explain", "colour_difference")
    c.say("colour_difference.colour", "colour_difference")
    c.say("colour_difference.return", "colour_difference")


def _quality_concern(c: Composer) -> None:
    c.say("quality_concern.fabric", "quality_concern")
    if c.cue("care"):  # "洗了会不会褪色": the care instructions are the honest answer
        c.say("product_info.care", "quality_concern")
    if c.fact("product_name") is not None:
        c.say("quality_concern.assurance", "quality_concern")
    else:
        c.say("quality_concern.assurance_no_product", "quality_concern")


def _bargaining(c: Composer) -> None:
    seen = c.ctx.understanding
    if seen is not None and "discount" in seen.state.agent_refused:
        # The agent already said no: a new offer would contradict them in front of the customer.
        c.say("bargaining.held", "bargaining")
        return
    decision = c.value("discount_decision")
    if not c.say("bargaining.promotion", "bargaining") and decision is None:
        c.say("bargaining.value", "bargaining")
    if decision == "within":
        c.say("bargaining.within", "bargaining")
    elif decision == "over":
        c.say("bargaining.over", "bargaining")
    else:
        c.say("bargaining.general", "bargaining")


def _postage(c: Composer) -> None:
    if "return_exchange" in c.intent_names and not c.cue("free_shipping"):
        return  # "退货运费谁出" is about return postage, which the return answer covers
    if c.fact("product_ships_free") is not None:
        c.say("postage.product_free", "postage")
    else:
        c.say("postage.rule", "postage")
    c.say("postage.remote", "postage")
    if c.cue("express"):
        c.say("postage.express", "postage")


def _shipping_time(c: Composer) -> None:
    c.say("shipping_time.dispatch", "shipping_time")
    c.say("shipping_time.couriers", "shipping_time")
    if c.cue("express") or c.cue("arrival"):
        c.say("shipping_time.express", "shipping_time")
    if c.cue("arrival"):
        c.say("shipping_time.honest", "shipping_time")


def _logistics_delay(c: Composer) -> None:
    status = c.value("order_status")
    if status in ("unpaid", "paid"):
        c.say("logistics_delay.not_shipped", "logistics_delay")
    elif not c.say("logistics_delay.check_order", "logistics_delay"):
        c.say("logistics_delay.ask_order", "logistics_delay", ask=True)
    if c.cue("lost"):
        c.say("logistics_delay.lost", "logistics_delay")


def _payment_reminder(c: Composer) -> None:
    if c.value("order_status") == "unpaid" and not c.cue("payment_problem"):
        c.say("payment_reminder.unpaid", "payment_reminder")
    else:
        c.say("payment_reminder.help", "payment_reminder")


def _quality_complaint(c: Composer) -> None:
    c.say("quality_complaint.steps", "quality_complaint")
    c.say("quality_complaint.window", "quality_complaint")
    c.say("quality_complaint.order", "quality_complaint")


def _return_exchange(c: Composer) -> None:
    c.say("return_exchange.policy", "return_exchange")
    if c.cue("exchange"):
        c.say("return_exchange.exchange", "return_exchange")
    else:
        c.say("return_exchange.steps", "return_exchange")
    c.say("return_exchange.postage", "return_exchange")


def _refund_status(c: Composer) -> None:
    if c.value("order_status") == "refunding":
        c.say("refund_status.refunding", "refund_status")
    else:
        c.say("refund_status.timing", "refund_status")
    if not c.say("refund_status.check_order", "refund_status"):
        c.say("refund_status.ask_order", "refund_status", ask=True)


def _invoice(c: Composer) -> None:
    if c.value("invoice_available") == "no":
        c.say("invoice.unavailable", "invoice")
        return
    c.say("invoice.available", "invoice")
    c.say("invoice.note", "invoice")


def _cancel_order(c: Composer) -> None:
    status = c.value("order_status")
    if status in ("unpaid", "paid", "shipped", "delivered", "refunding"):
        c.say(f"cancel_order.{status}", "cancel_order")
    else:
        c.say("cancel_order.unknown", "cancel_order", ask=True)


def _address_change(c: Composer) -> None:
    status = c.value("order_status")
    if status in ("unpaid", "paid"):
        c.say("address_change.before_ship", "address_change")
    elif status in ("shipped", "delivered"):
        c.say(f"address_change.{status}", "address_change")
    else:
        c.say("address_change.unknown", "address_change", ask=True)


def _other(c: Composer) -> None:
    if c.cue("courtesy"):
        c.say("other.thanks", "other")


def _thanks_close(c: Composer) -> None:
    c.say("thanks_close.close", "other")


def _handoff(c: Composer) -> None:
    c.say("handoff.ack", "other")


def _not_sold(c: Composer) -> None:
    c.say("not_sold.line", "other")


def _complaint(c: Composer) -> None:
    """Displeasure with nothing else asked: the apology is said; the next step follows, on the
    order the customer already named rather than asking for it again."""
    if not c.say("complaint.next_known", "other"):
        c.say("complaint.next", "other", ask=True)


_HANDLERS: dict[str, Callable[[Composer], None]] = {
    "product_info": _product_info,
    "size_advice": _size_advice,
    "stock": _stock,
    "colour_difference": _colour_difference,
    "quality_concern": _quality_concern,
    "bargaining": _bargaining,
    "postage": _postage,
    "shipping_time": _shipping_time,
    "payment_reminder": _payment_reminder,
    "logistics_delay": _logistics_delay,
    "quality_complaint": _quality_complaint,
    "return_exchange": _return_exchange,
    "refund_status": _refund_status,
    "invoice": _invoice,
    "cancel_order": _cancel_order,
    "address_change": _address_change,
    "thanks_close": _thanks_close,
    "handoff": _handoff,
    "not_sold": _not_sold,
    "complaint": _complaint,
    "other": _other,
}


class OfflineBackend:
    """A ``ReplyBackend`` that needs nothing but files: templates from ``prompts/offline/``."""

    name = "offline"

    def __init__(self, prompts_dir: Path) -> None:
        self._prompts_dir = prompts_dir
        # Load and validate now: a broken template file is a start-up error, not a bad reply.
        template_library(prompts_dir)
        self._lexicon = load_lexicon(prompts_dir / "offline" / "lexicon.yaml")

    def generate(self, context: DraftContext) -> Generated:
        library = template_library(self._prompts_dir, context.store.voice.korean_speech_level)
        composer = Composer(context, library[context.language], self._lexicon)
        return Generated(sentences=composer.compose(), prompt_version=library.version)

    def stream(self, context: DraftContext) -> Iterator[str]:
        for sentence in self.generate(context).sentences:
            yield sentence.text
