"""The offline composer: a grounded reply from template files, no model and no network.

It renders the answer plan (``drafting.planning``): the opening, the apology when the tone calls
for one, then each step in the plan's order: the sentence that answers the ask from computed facts
(the size from the chart, the price and promotion, the postage rule, the cut-off and couriers, the
return and quality-complaint steps), the store's own answer as content staff wrote it, or "let me
check" naming what is checked. Each sentence cites the chunks of the facts it uses and the
playbook section whose approved pattern it follows. It asks at most one precise question when a
needed fact is missing, and never says anything a template and a fact don't.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from replydraft.drafting.backend import CitedSentence, DraftContext, Fact, Generated
from replydraft.drafting.composing.facts import fact_values, localize, size_named
from replydraft.drafting.composing.templates import TemplateSet, template_library
from replydraft.drafting.models import PlanStep
from replydraft.drafting.understanding.acts import names_size
from replydraft.drafting.understanding.conversation import SHOES
from replydraft.drafting.understanding.intents import is_question
from replydraft.drafting.understanding.lexicon import Lexicon, load_lexicon, word_in
from replydraft.drafting.understanding.mentions import family_colours
from replydraft.drafting.understanding.product import guessed_by_trait
from replydraft.drafting.understanding.slots import names_footwear, normalise_measures
from replydraft.knowledge.models import Product, pick_text
from replydraft.languages import Language
from replydraft.text.emoji import EMOJI_CLASS
from replydraft.text.korean import fix_particles
from replydraft.text.links import without_links
from replydraft.text.script import to_traditional

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
_APOLOGISING = frozenset({"quality_complaint", "logistics_delay"})
# Asks whose trouble has its own apology.
_OWN_EMPATHY = ("missing_item", "wrong_item", "signed_not_received")
# Sentences that already promise to report back; the after-sales closing would repeat them.
_PROMISES_UPDATE = frozenset({"ask.order_check", "return_exchange.request_check_order",
                              "address_change.given_check_order",
                              "address_change.given_look_into",
                              "return_exchange.request_look_into",
                              "logistics_delay.check_order", "refund_status.check_order",
                              "logistics_delay.look_into", "refund_status.look_into",
                              "logistics_delay.track_check_order",
                              "logistics_delay.track_look_into",
                              "logistics_delay.unshipped_ask_order",
                              "logistics_delay.unshipped_look_into",
                              "complaint.next_known", "complaint.noted", "check.later",
                              "check.topic",
                              "check.noted"})
# Replies about a problem in progress end with "I'll keep you posted", not "anything else?".
_AFTER_SALES = frozenset({"logistics_delay", "quality_complaint", "refund_status", "complaint"})
_TERMINAL = re.compile(rf"[。！？!?.~～…）){EMOJI_CLASS}]$")


# Order states in which "it ships the same day if paid before the cut-off" still holds.
_NOT_SENT = frozenset({None, "unpaid", "paid"})
# What each kind of acknowledgement says (a plan step with source "ack", by its ask).
ACK_TEMPLATES = {
    "remark": "other.noted", "answer": "other.answered", "promised": "other.promised",
    "confirmed": "other.confirmed", "reminded": "other.reminded", "opening": "other.opening",
    "praise": "other.praised", "praise_browsing": "other.praised_browsing",
    "returning": "other.returning",
    "ordering": "other.ordering", "elsewhere": "other.elsewhere",
    "chasing": "other.chasing", "on_it": "other.on_it", "patient": "other.patient",
    "giving_up": "other.giving_up", "stepping_away": "other.stepping_away",
    "received": "other.received", "person": "handoff.person", "hope": "other.hope",
    "order_given": "other.order_given", "apologised": "other.apologised"}

# Intents that name no trouble with the store: an upset customer asking one of them is met with
# understanding, not "sorry for the bad experience".
_NO_GRIEVANCE = frozenset({"product_info", "size_advice", "stock", "bargaining", "postage",
                           "shipping_time", "not_sold", "invoice", "greeting", "other",
                           "quality_concern"})  # a worry before buying ("怕买到假的")


# Our three size systems and the categories sized by each (socks and the belt by none of them).
_SIZE_FAMILY = {**{kind: "clothes" for kind in ("trousers", "shorts", "shirt", "tshirt", "polo",
                                               "jacket", "coat", "fleece", "hoodie")},
                "jeans": "jeans", **{kind: "shoes" for kind in SHOES}}

# Which of the waist sizes asked our jeans come in: some, none, all (each names our range).
_WAISTS_ASKED = ("size_advice.waists_mixed", "size_advice.waists_missing",
                 "size_advice.waists_made")

# A shoe size given with no item in view, on our EU charts: made, or smaller or larger than ours.
_SHOE_SIZE_TOLD = ("size_advice.shoe_size_within", "size_advice.shoe_size_below",
                   "size_advice.shoe_size_above")


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
        self.asks = set(context.understanding.asks) if context.understanding else set()
        self._stated: set[str] = set()  # facts already put into words
        self._keys: set[str] = set()  # templates used so far
        self.latest = normalise_measures(context.request.latest)
        self.plan = context.plan
        self.intent_names = {s.intent for s in self.plan.steps} | {
            s.intent for s in context.intents}
        self._common = self._voice_values()

    # ------------------------------------------------------------ plumbing

    def _voice_values(self) -> dict[str, str]:
        store, lang = self.ctx.store, self.ctx.language
        # An upset customer gets no chirpy emoji (the plan decides).
        emoji = store.voice.emoji_set[0] if self.plan.emoji and store.voice.emoji and \
            store.voice.emoji_set else ""
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

    def in_script(self, word: str) -> str:
        """A word taken from the (Simplified-normalised) message, in the reply's script."""
        return to_traditional(word) if self.ctx.language == "zh-Hant" else word

    def can_say(self, key: str) -> bool:
        return all(p in self._common or p in self.facts for p in self.t.placeholders(key))

    def say(self, key: str, intent: str | None = None, *, ask: bool = False) -> bool:
        """Render ``key`` if every fact it needs is known; at most one question per reply."""
        if ask and self.asked:
            return False
        if key in self._keys or not self.can_say(key):
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

    def say_sizes(self, key: str, intent: str) -> bool:
        """The sizes an item or the shop comes in; asked "是均码吗?", told first that they are not
        one-size (the sizes alone leave the yes-or-no to be guessed)."""
        if key in ("product_info.size_range", "size_advice.sizes_overview") and \
                self.can_say(key) and self.cue("one_size"):
            self.say("size_advice.not_one_size", intent)
        if key == "size_advice.sizes_overview" and self.can_say(key):
            # "鞋子最大多大码", "바지 L 있어요?": the sizes of the kinds named, not all three
            named = [f"size_advice.sizes_{family}" for family in self._size_families()]
            if named:
                self._keys.add(key)  # said, in part: the whole overview would repeat it
                return any([self.say(one, intent) for one in named])
        return self.say(key, intent)

    def _size_families(self) -> list[str]:
        """Which of our three size systems (clothes, jeans, shoes) the message speaks of, in
        that order; empty when it names none (the overview gives all three)."""
        kinds = self.lexicon.kinds_named(self.latest)
        families = {_SIZE_FAMILY[kind] for kind in kinds if kind in _SIZE_FAMILY}
        if names_footwear(self.latest):
            families.add("shoes")
        return [family for family in ("clothes", "jeans", "shoes") if family in families]

    def _offer_our_sizes(self, label: str | None) -> None:
        """"M 하나 주세요", "66이요": a size smaller than we make is no dead end; the customer is
        offered a size of ours from their height and weight (a size too big has no way on)."""
        slots = self.ctx.slots
        if label == "below" and (slots.height_cm is None or slots.weight_kg is None):
            self.say("size_advice.label_offer", "size_advice", ask=True)

    def say_first(self, keys: Sequence[str], intent: str | None = None) -> bool:
        """The first of ``keys`` that can be said, unless one of them already was: a second step
        on the same topic must not add the alternative ("…sold out in 5XL" then "all in
        stock")."""
        if any(key in self._keys for key in keys):
            return True
        return any(self.say(key, intent) for key in keys)

    # ------------------------------------------------------------ the reply

    def compose(self) -> list[CitedSentence]:
        plan = self.plan
        if plan.opening == "banner":
            self.say("greeting.first", "greeting")
        elif plan.opening == "brief" and self.say("greeting.brief", "greeting"):
            self._join_brief_greeting()
        safety = any(step.source == "safety" for step in plan.steps)
        if safety and not any(ch.isalnum() for ch in without_links(self.ctx.request.latest)):
            # a bare product link ("https://item.…"): we don't open it and ask which item it
            # is; no lecture on account safety, and no "send me the link" after it
            self.say("security.link_only", "security")
            self._closing()
            return self._finish()
        aside = safety and not self._about_safety()
        if safety and not aside:
            self.say("security.warning", "security")
        self._empathy()
        for step in plan.steps:
            self._step(step)
        self._missing()
        if aside:
            self.say("security.aside", "security")
        else:
            self._closing()
        return self._finish()

    def _finish(self) -> list[CitedSentence]:
        if self.plan.opening == "none" and not self.ctx.first_reply:
            self._address_first_sentence()
        return self._spaced()

    def _about_safety(self) -> bool:
        """The link, file or contact is what the message is about ("加我微信聊", "click this to
        claim your refund"), or nothing else is asked: the safety line leads. A link pasted
        beside a question of its own ("rescheduled again https://…") is a side note: the
        question is answered first and the safety line closes the reply."""
        others = [s for s in self.plan.steps if s.source != "safety"]
        return not others or self.lexicon.cue("security_words", without_links(self.latest))

    def _join_brief_greeting(self) -> None:
        """"亲您好" with no emoji after it is a lead-in, not a sentence: "亲您好，让您久等了"
        rather than "亲您好。让您久等了"."""
        hello = self.sentences[-1]
        if self.ctx.language.startswith("zh") and hello.text.endswith("。"):
            self.sentences[-1] = CitedSentence(hello.text[:-1] + "，", hello.chunk_ids)

    def _for_use(self, step: PlanStep) -> bool:
        """"跑步穿什么", "For running", "비 올 때 입을 거" with no item in view: our items for
        that, then which one; said once, in place of a hold, a which-item question or a general
        recommendation."""
        if self.fact("use_items") is None or "product_info.for_use" in self._keys:
            return False
        guess = step.source == "check" and (step.ask == "unclear" or (
            step.ask or "").startswith("intent:"))
        if step.intent not in ("product_info", "size_advice", "stock", "other") and not guess:
            return False  # a topic read from the words (a late parcel, a thing we lack) stays
        if not (step.source in ("check", "ask_customer")
                or (step.source == "store" and step.ask in ("recommend", "catalogue"))):
            return False  # "我平时跑马拉松的" opening a chat is met with what they need
        self.say("product_info.for_use", step.intent)
        self.say("product_info.catalogue_pick", step.intent, ask=True)
        return True

    def _step(self, step: PlanStep) -> None:
        source, intent = step.source, step.intent
        if self._for_use(step):
            return
        if source == "facts":
            handler = _HANDLERS.get(intent)
            if handler is not None:
                handler(self, step.ask)
        elif source == "store" and step.ask is not None:
            self.say_store_answer(step.ask, intent)
            if intent == "stock":
                self.say("size_advice.waist_ours", intent)  # "허리 38, 빅사이즈 있나요?"
            label = self.value("size_label_fit")
            if intent in ("stock", "other") and label is not None and \
                    self.say(f"size_advice.label_{label}", intent):
                # "105보다 큰 사이즈 있어요?", "88로 하나 갖다 주세요": the size they named, in ours
                self._offer_our_sizes(label)
            if intent == "size_advice":  # "can my wife wear it? 165/58": the chart answers too
                if step.ask == "women" and self.cue("petite"):
                    # "she's tiny", with no item in view: where our smallest sizes start
                    self.say("size_advice.smallest", "size_advice")
                fit = self.value("foot_fit")
                if fit is not None:  # "여자 250 신발": the size of ours that foot is, or none
                    self.say("size_advice.foot_ours" if fit not in ("below", "above")
                             else f"size_advice.foot_{fit}", "size_advice")
                _size_advice(self, None)
            if intent == "bargaining":  # "老顾客有券吗" on a product with an offer: the offer
                self.say("bargaining.promotion", "bargaining")
        elif source == "check":
            label = self.value("size_label_fit")
            if intent in ("size_advice", "stock", "product_info") and \
                    label in ("below", "above") and self.say(f"size_advice.label_{label}", intent):
                # "스몰로요" about an item the agent knows: we make none that small, which
                # answers it whichever item it is (the agent still checks)
                self._offer_our_sizes(label)
                return
            if intent == "stock" and step.ask == "restock":
                _stock(self, None)  # what is sold out is known; only the date is not
            if intent == "not_sold":
                # "do you have mules?", a thing the lexicon does not name: most likely not ours
                # (the agent checks), and what we do make said beside it; "I'll check" before
                # "we make jackets…" would contradict itself
                self.say("not_sold.likely", intent)
                self.say_store_answer("our_range", "product_info")
            else:
                self._check_line(intent)
        elif source == "ask_customer":
            fit = self.value("foot_fit")
            if step.ask == "order":
                self._order_check(intent)
            elif intent in ("stock", "size_advice") and fit in ("below", "above"):
                # "220 있어요?" with no item in view: none of our shoes comes that small (or
                # big), so asking which pair would only lead there
                self.say(f"size_advice.foot_{fit}", intent)
            else:
                if intent in ("stock", "size_advice") and fit is not None:
                    # "검정 275 있나요?": the size that foot is in our shoes, then which pair
                    self.say("size_advice.foot_ours", intent)
                elif intent in ("stock", "size_advice"):
                    # "허리 38인데 청바지 있어요?": the size that waist is in our jeans
                    self.say("size_advice.waist_ours", intent)
                if intent in ("stock", "size_advice", "product_info"):
                    # "牛仔裤有28码吗", "jeans in 40 and 28?": which of those waists we make
                    self.say_first(_WAISTS_ASKED, intent)
                shoe_fit = self.value("shoe_size_fit")
                if intent in ("stock", "size_advice") and fit is None and shoe_fit is not None:
                    # "i wear a us 9 in shoes": that size on our EU charts, and whether we make it
                    self.say(f"size_advice.shoe_size_{shoe_fit}", intent)
                if intent in ("stock", "product_info") and self.say(
                        "product_info.catalogue_no_colour", intent):
                    # "鞋子有粉色的吗": none of our shoes is pink; the colours they come in
                    self.say("product_info.catalogue_pick", intent, ask=True)
                    return
                if intent in ("stock", "product_info") and self.say("stock.colour_items", intent):
                    # "有红色的吗" with no item in view: our items in that colour, then which
                    self.say("ask.which_listed", intent, ask=True)
                answered = any(s.source in ("store", "facts") for s in self.plan.steps)
                if intent in ("stock", "size_advice", "product_info") and fit is None:
                    # "M 있나요?", "사이즈 뭐뭐 나와요?" with no item in view: where the size
                    # asked stands (said beside another answer too: "55 입어볼게요" is told we
                    # make none so small before it is told there is no shop), the sizes we make
                    # when nothing else answers, then which item; a restock date waits for
                    # the item, so the sizes would only be in its way
                    label = self.value("size_label_fit")
                    if label is not None:
                        self.say(f"size_advice.label_{label}", intent)
                    if "fit" in self.asks and intent == "size_advice":
                        # "이거 작게 나오죠?" with no item in view: how it fits is the item's
                        self.say("size_advice.fit_varies", intent)
                    elif label not in ("below", "above") and not answered and \
                            "restock" not in self.asks and \
                            not {"size_advice.waist_ours", *_WAISTS_ASKED, *_SHOE_SIZE_TOLD
                                 } & self._keys:
                        # a size we don't make already says where ours start; a waist told in
                        # our jeans' size needs no list of every range
                        self.say_sizes("size_advice.sizes_overview", intent)
                self.say(self._which_item(intent), intent, ask=True)
        elif source == "ack":
            if intent == "greeting":
                if self.plan.opening != "banner":
                    self.say("greeting.again", "greeting")
            else:
                # a remark the agent will read gets no sign-off; an answer to the agent's
                # question is taken up; a bare "ok" is acknowledged
                key = ACK_TEMPLATES.get(step.ask or "", "other.ack")
                if step.ask == "opening" and self.cue("worried"):
                    key = "other.opening_worried"  # "有点紧张": the worry met first
                if step.ask == "person" and len(self.plan.steps) > 1:
                    key = "handoff.person_also"  # the question answered, then "I'm a person"
                if step.ask == "ordering" and self.value("order_status") in _NOT_SENT:
                    # "拍了": thanked, and told when it ships; "그럼 이거로 할게요", with nothing
                    # placed yet: told to pick it on the product page and place the order
                    placed = self.cue("placed") or self.value("order_status") is not None
                    choice = "other.ordering_dispatch" if placed else "other.ordering_choice"
                    if placed and self.cue("check_my_order"):
                        choice = "other.ordering_check"  # "拍好了你看下": looked over, not told
                    elif placed and self._agent_told_cutoff():
                        # the agent gave the cut-off a turn ago: "paid" is told it goes out as
                        # said, not the rule again
                        choice = "other.ordering_as_told"
                    if self.can_say(choice):
                        key = choice
                    fit = self.value("foot_fit")
                    label = self.value("size_label_fit")
                    if fit is not None and not placed:
                        # "240 주세요": the size of ours that foot length is, or that we have
                        # none so small (or so big); not "pick the option you want"
                        key = "other.ordering_foot" if fit not in ("below", "above") \
                            else f"size_advice.foot_{fit}"
                    elif label is not None and not placed:
                        # "L 사이즈로 살게요": that size picked on the page, or that we don't
                        # make it
                        key = {"within": "other.ordering_size",
                               "as": "other.ordering_size_as"}.get(
                                   label, f"size_advice.label_{label}")
                if step.ask == "answer":
                    # "M码" to "您要哪个码": a size we don't make is said so, not "noted"
                    fit, label = self.value("foot_fit"), self.value("size_label_fit")
                    if fit in ("below", "above"):
                        key = f"size_advice.foot_{fit}"
                    elif label in ("below", "above"):
                        key = f"size_advice.label_{label}"
                self.say(key, "other")
                if key == "size_advice.label_below":
                    self._offer_our_sizes("below")
        elif source == "close":
            if step.ask == "farewell":
                self.say("thanks_close.farewell", "other")
            elif step.ask == "ahead":
                self.say("thanks_close.close_ahead", "other")
            elif not (step.ask == "urgent" and self.value("order_status") in _NOT_SENT
                      and self.say("thanks_close.close_urgent", "other")):
                self.say("thanks_close.close", "other")
        elif source == "menu":
            self.say("ask.clarify", "other", ask=True)
        elif source == "supervisor":
            self.say_first(["bargaining.over", "bargaining.supervisor"], "bargaining")
        elif source == "handoff":
            self.say("handoff.ack", "other")

    def _agent_told_cutoff(self) -> bool:
        """An agent's turn names the dispatch cut-off hour ("16点前付款当天发")."""
        cutoff = self.value("cutoff")
        if cutoff is None:
            return False
        h = int(cutoff.split(":")[0])
        # "16点", and past noon also "下午4点", "오후 4시", "4pm"
        afternoon = rf"|(?:下午|오후\s*){h - 12}|{h - 12}\s*p\.?m" if h > 12 else ""
        hour = re.compile(rf"(?<!\d)(?:{h}{afternoon})(?!\d)", re.IGNORECASE)
        return any(m.role == "agent" and hour.search(m.text) is not None
                   for m in self.ctx.request.messages[:-1])

    def _which_item(self, intent: str) -> str:
        """Which item, asked for a size: the measures the chart needs come with the question
        ("哪一款？再告诉我身高体重"), or are said to be in hand. Shoes go by foot length, so a
        size question about shoes asks only which pair."""
        if intent != "size_advice" or names_footwear(self.latest):
            return "ask.product"
        slots = self.ctx.slots
        if slots.foot_length_mm is not None or slots.shoe_size is not None or \
                "size_advice.waist_ours" in self._keys:
            return "ask.product"  # the foot, or the waist in our jeans' size, is in hand
        if slots.height_cm is not None and slots.weight_kg is not None:
            return "ask.product_size_measured"
        if slots.weight_kg is not None:
            return "ask.product_size_height"
        if slots.height_cm is not None:
            return "ask.product_size_weight"
        return "ask.product_size"

    def _order_check(self, intent: str) -> None:
        """The hold with what it needs: the order number, and what is checked when the asks
        name it ("麻烦发一下订单号，撤回申请的办法我帮您确认一下…")."""
        if self._checked_topics() and self.say("ask.order_topic", intent, ask=True):
            self._keys.add("check.topic")
            return
        self.say("ask.order_check", intent, ask=True)

    def _checked_topics(self) -> bool:
        """What the check steps name, joined into the ``topic`` fact; False when none names
        anything."""
        topics = [s.topic for s in self.plan.steps if s.source == "check" and s.topic]
        if topics:
            self.facts["topic"] = Fact("topic", self.t.fragment("list_sep").join(
                dict.fromkeys(topics)))
        return bool(topics)

    def _check_line(self, intent: str) -> None:
        """One "let me check" for everything the knowledge base is silent on, naming it when
        the asks say what it is ("批量订单的价格我帮您确认一下"), plainly when nothing could be
        read."""
        if "check.topic" in self._keys or "check.later" in self._keys:
            return
        topics = self._checked_topics()
        if not topics and self._keys & _PROMISES_UPDATE:
            return  # "我马上帮您查一下物流…有进展告诉您" already says it will look and come back
        if topics and self.say("check.topic", intent):
            return
        statement = not is_question(self.latest) and not self.ctx.risks
        # Nothing could be read of a short remark or fragment ("有啊", "really?", "错了"): a
        # promise to look into it would have nothing to do, so what it is about is asked. A line
        # with words in it ("6袋是不是47元", a wish said in full) is clear to the agent and gets
        # the hold, and so does one that said what it is about (_said_enough).
        if self._unread_only() and _brief(self.latest) and not self._said_enough() and self.say(
                    "check.unclear_noted" if statement else "check.unclear", intent, ask=True):
            return
        # after an empathy line, "收到，…" would read as two replies stuck together
        felt = any(key.startswith("empathy.") for key in self._keys)
        if statement and not felt and self.say("check.noted", intent):
            return  # "提交了", "I applied for price protection": acknowledged, then looked into
        self.say("check.later", intent)

    def _said_enough(self) -> bool:
        """The message says what it is about, though nothing in it could be read: a kind of goods
        ("봄 신발"), a thing we don't carry ("printers"), an order number or card, or waiting on
        the agent ("ok, I'm waiting"); asking "which item or order?" would ask it back."""
        seen = self.ctx.understanding
        acts = set(seen.acts) if seen is not None else set()
        given = seen is not None and "order_id" in seen.state.given
        return names_footwear(self.latest) or self.lexicon.names_kind(self.latest) or \
            self.lexicon.lacked(self.latest) is not None or given or \
            bool(acts & {"order_number", "patient", "chasing", "stepping_away"}) or \
            self.cue("patient")

    def _unread_only(self) -> bool:
        """The message could not be read at all ("什么短信", "that one then"): every check is the
        unread one and nothing else is answered, so the customer is asked what it is about."""
        checks = [s for s in self.plan.steps if s.source == "check"]
        return bool(checks) and all(s.ask == "unclear" for s in checks) and all(
            s.source in ("check", "ack") for s in self.plan.steps)

    def say_store_answer(self, ask: str, intent: str) -> None:
        """The store's own answer, as content staff wrote it, cited to its store block."""
        fact = self.facts.get(f"answer:{ask}")
        if fact is None or f"answer:{ask}" in self._keys:
            return
        pattern = self.facts.get(f"playbook:{intent}")
        ids = tuple(dict.fromkeys(c for c in (fact.chunk_id, pattern.chunk_id if pattern else None)
                                  if c))
        self.sentences.append(CitedSentence(_finish(fact.text.strip(), self.ctx.language), ids))
        self._keys.add(f"answer:{ask}")

    def _empathy(self) -> None:
        if self.plan.tone != "apologetic":
            return
        acks = {s.ask for s in self.plan.steps if s.source == "ack"}
        if "chasing" in acks:
            return  # "sorry to keep you waiting" is the chase's own first words
        if any(s.intent == "not_sold" and s.ask == "ordered" for s in self.plan.steps):
            return  # trouble with a thing we don't sell: not_sold.ordered says its own sorry
        if "elsewhere" in acks:
            # Their trouble is with another company: sympathy, not "sorry for the bad experience"
            self.say("empathy.elsewhere", "other")
            return
        names = [s.intent for s in self.plan.steps]
        seen = self.ctx.understanding
        # A reading too faint to answer ("unclear", only guessed) names no trouble to be sorry
        # for: "sorry you received a faulty item" to someone upset about a wait is wrong.
        read = [s.intent for s in self.plan.steps if not s.faint]
        specific = next((i for i in _EMPATHY_FIRST if i in read), None)
        # The refund and colour lines explain; an upset customer is owed an apology first.
        if specific is not None and (self._calm() or specific in _APOLOGISING):
            # "少发了一件": sorry for what is missing, not for "an item with a problem"
            asked = {s.ask for s in self.plan.steps if s.intent == specific}
            own = next((f"empathy.{a}" for a in _OWN_EMPATHY if a in asked), None)
            self.say(own or f"empathy.{specific}", specific)
        elif specific is None and seen is not None and seen.urgent and not set(names) & {
                "complaint", "quality_complaint"}:
            self.say("empathy.urgent", "other")  # in a hurry is not "a bad experience"
        elif specific is None and set(names) <= _NO_GRIEVANCE:
            # "free shipping pls :(": a wish, sad; nothing went wrong to be sorry for
            self.say("empathy.understood", "other")
        else:
            self.say("empathy.other_upset", "other")

    def _calm(self) -> bool:
        seen = self.ctx.understanding
        return seen is None or seen.mood == "calm"

    def _missing(self) -> None:
        asking_product = any(s.source == "ask_customer" for s in self.plan.steps)
        # a size question the store's own answer takes ("脚宽能穿吗") asks for the measure itself
        sized = any(s.intent == "size_advice" and s.source == "store" for s in self.plan.steps)
        for need in self.ctx.missing:
            if need == "product" and not asking_product:
                continue  # the plan checks which item instead of asking the customer again
            if need.startswith("size") and sized:
                continue
            key = _ASK_FOR.get(need)
            if key is not None:
                self.say(key, "size_advice" if need.startswith("size") else None, ask=True)

    def _closing(self) -> None:
        """No "anything else?" boilerplate: a reply about a problem in progress says it will
        keep the customer posted, unless a sentence already promised that or asked something."""
        if self.asked or self._keys & _PROMISES_UPDATE or self.cue("hypothetical"):
            return  # "退货的话…" asks what would happen: there is nothing in progress yet
        if any(s.intent in _AFTER_SALES and s.source == "facts" for s in self.plan.steps):
            self.say("closing.after_sales")

    def _address_first_sentence(self) -> None:
        if not self.sentences:
            return
        first = self.sentences[0]
        honorific = self._common["honorific"]
        if honorific and first.text.startswith(honorific):
            return
        prefix = self.t.fragment("address", honorific=honorific)
        if not prefix:
            return
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


_ASPECTS = ("price", "fabric", "fit", "care", "features", "alteration", "size_range")
# Asks another aspect of the record answers: "是真皮吗" is what it is made of, "裤长能改短吗"
# the item's alteration service, "穿着舒服吗" its cut and what it is made of.
_ANSWERED_AS: dict[str, tuple[str, ...]] = {"material": ("fabric",), "hemming": ("alteration",),
                                            "comfort": ("fit", "fabric"), "storage": ("care",)}


def _product_info(c: Composer, ask: str | None) -> None:
    if ask == "catalogue":  # "有什么裤子": our items of that kind, then which one and the size
        if c.lexicon.lacked(c.latest, clothing_only=True):
            c.say("not_sold.clothing", "other")  # "패딩 조끼 있어요?": no vest; the coats we have
        # "청바지 30 있어요?": which of those waists we make, before the items
        c.say_first(_WAISTS_ASKED, "product_info")
        # "有红色的鞋子吗": none of that kind comes in red; the colours they do come in
        c.say_first(["product_info.catalogue_no_colour", "product_info.catalogue"], "product_info")
        several = len(c.ctx.understanding.product.candidates) > 1 if c.ctx.understanding else True
        if not several:
            c.say("product_info.features", "product_info")  # what the one item is good at
        c.say("product_info.catalogue_pick" if several else "product_info.catalogue_size",
              "product_info")
        return
    # "价位多少": our range with no item in view, else the item's price
    if ask == "price_range" and not c.say_first(
            ["product_info.budget_all", "product_info.budget_within", "product_info.price_range"],
            "product_info"):
        ask = "price"
    if c.fact("product_name") is None:
        return  # the missing-product question covers it
    aspects = _ANSWERED_AS.get(ask or "") or ((ask,) if ask in _ASPECTS
                                              else ("fabric", "features"))
    for aspect in aspects:
        if aspect == "price":
            c.say("product_info.price_list" if c.fact("list_price") else "product_info.price",
                  "product_info")
            c.say("product_info.promotion", "product_info")
        else:
            c.say_sizes(f"product_info.{aspect}", "product_info")


def _size_advice(c: Composer, ask: str | None) -> None:
    if "fit" in c.asks and "product_info" not in {s.intent for s in c.plan.steps}:
        # "does it run small?": the cut and the product's own sizing note answer it
        c.say("product_info.fit", "size_advice")
        c.say("size_advice.size_note", "size_advice")
    situation = c.value("size_situation")
    if situation == "missing" and "fit" not in c.asks and c.value("size_label_fit") is None:
        # "这件有什么码", "이 셔츠는 무슨 사이즈 있어요?": the item's sizes, then the measures
        c.say_sizes("product_info.size_range", "size_advice")
    if situation is None or situation == "missing":
        return  # asked for in _missing
    if situation in ("fits", "between", "between_smaller", "above_chart", "below_chart",
                     "below_chart_far", "by_shoe_size"):
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
    below = any(f.key == "size_note_code" and f.value == "height_below_chart"
                for f in c.ctx.facts)
    if situation in ("between_smaller", "differ") or below:
        # the product's own note says why; "between" already follows it to the larger size
        c.say("size_advice.size_note", "size_advice")
    if below:
        c.say("product_info.alteration", "size_advice")  # legs too long: free shortening


def _asked_size(c: Composer) -> str | None:
    """A size label of the product named in the message ("5XL还有吗"), else the recommended one."""
    product = c.ctx.product
    if product is None:
        return None
    named = size_named(product, c.latest)
    if named is not None:
        return named
    recommended = c.fact("recommended_size")
    return recommended.value if recommended else None


def _stock(c: Composer, ask: str | None) -> None:
    product = c.ctx.product
    if product is None:
        return
    colour = product.colour(c.ctx.slots.colour) if c.ctx.slots.colour else None
    label = c.value("size_label_fit")
    if label in ("below", "above") and colour is None:
        # "이 후드티 90 있나요?": none of this item's sizes is that small (or big)
        c.say(f"size_advice.label_{label}", "stock")
        return
    fit = c.value("foot_fit")
    if fit in ("below", "above") and colour is None:
        # "225 운동화 재고 있어요?": no size of ours fits that foot; its stock would not help
        # (said once: the size advice may have said it already)
        if c.fact("size_situation") is None:
            c.say(f"size_advice.foot_{fit}", "stock")
        return
    if c.value("size_situation") == "below_chart_far" and colour is None:
        return  # "230 있어요?": even our smallest is too big; its stock would not help
    seen = c.ctx.understanding
    if seen is not None and c.ctx.request.sku is None and \
            guessed_by_trait(seen.product.how, c.latest, c.lexicon):
        # "卡其色有吗" with nothing on screen: only the colour pointed at the item; it is named
        # before its stock, or the agent sends stock of an item the customer never saw named
        c.say("stock.item_named", "stock")
    size = _asked_size(c)
    chunk = c.facts["sku"].chunk_id if "sku" in c.facts else None
    if size is not None:
        c.facts["size"] = Fact("size", c.t.fragment("size", label=size), chunk, size)
    if ask == "colours" and colour is not None:
        # "只有黑色吗", "any other than black?": the range answers; the named colour's stock follows
        c.say("stock.overview", "stock")
    if colour is not None and size is not None:
        if size in colour.sold_out_sizes:
            no_restock = ["stock.sold_out_no_restock"] if c.fact("restock_none") else []
            c.say_first(["stock.sold_out", *no_restock, "stock.sold_out_overdue",
                         "stock.sold_out_no_date"], "stock")
        else:
            c.say("stock.in_stock", "stock")
    elif colour is not None:
        if colour.sold_out_sizes:
            c.say_first(["stock.colour_partial", "stock.colour_partial_overdue",
                         "stock.colour_partial_no_date"], "stock")
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
        absent = _absent_colour(c, product)
        if absent is not None:
            # "有蓝色吗", "i'd prefer navy": the colour it doesn't come in is said plainly
            c.facts["asked_colour"] = Fact("asked_colour", c.in_script(absent), chunk)
            c.say("stock.no_colour", "stock")
        c.say("stock.overview", "stock")
        c.say_first(["stock.overview_sold_out", "stock.overview_all"], "stock")


def _absent_colour(c: Composer, product: Product) -> str | None:
    """The customer's word for a colour family none of the product's colours belongs to."""
    for family in sorted(c.lexicon.colour_families(c.latest)):
        words = c.lexicon.colours[family]
        if not family_colours(product, words):
            return max((word for word in words if word_in(word, c.latest)), key=len)
    return None


def _colour_difference(c: Composer, ask: str | None) -> None:
    c.say("colour_difference.explain", "colour_difference")
    c.say("colour_difference.colour", "colour_difference")
    c.say("colour_difference.return", "colour_difference")


def _quality_concern(c: Composer, ask: str | None) -> None:
    c.say("quality_concern.fabric", "quality_concern")
    if "care" in c.asks:  # "洗了会不会褪色": the care instructions are the honest answer
        c.say("product_info.care", "quality_concern")
    if c.fact("product_name") is not None:
        c.say("quality_concern.assurance", "quality_concern")
    else:
        c.say("quality_concern.assurance_no_product", "quality_concern")


def _bargaining(c: Composer, ask: str | None) -> None:
    seen = c.ctx.understanding
    if seen is not None and "discount" in seen.state.agent_refused:
        # The agent already said no: a new offer would contradict them in front of the customer.
        c.say("bargaining.held", "bargaining")
        return
    if ask in ("multi_buy", "freebie"):  # "买3件有优惠不", "送什么": the item's own offer
        if not c.say("bargaining.promotion", "bargaining") and c.fact("product_name") is None:
            # "有赠品吗" with no item known: gifts come with an item's offer; which item
            c.say("bargaining.which_offers", "bargaining", ask=True)
        return
    if ask == "offers":  # "有什么活动": the item's offer, or with no item every offer on
        if c.say("bargaining.promotion", "bargaining"):
            return
        if c.fact("product_name") is None and c.cue("this_item"):
            # "这款有活动吗" about an item we can't see: which one, not the store's every offer
            c.say("bargaining.which_offers", "bargaining", ask=True)
        else:
            c.say("bargaining.offers", "bargaining")
        return
    decision = c.value("discount_decision")
    if not c.say("bargaining.promotion", "bargaining") and decision != "within":
        c.say("bargaining.value", "bargaining")
    known = c.fact("product_name") is not None
    if not c.plan.offers:
        # A price remark ("上次买便宜多了"), an injected "give me a coupon": the price is stated,
        # nothing is offered; with no product known, the customer is asked which item it is.
        if not known:
            # "太贵了吧": the objection is heard, then which item, and its offers looked at
            pricey = c.cue("pricey") and c._calm()
            c.say("bargaining.which_pricey" if pricey else "bargaining.which", "bargaining",
                  ask=True)
        return
    if decision == "within":
        c.say("bargaining.within", "bargaining")
    elif decision == "over":
        c.say("bargaining.over", "bargaining")
    elif known:
        c.say("bargaining.general", "bargaining")
    else:
        # No product known: "it's already the sale price" would be a claim nothing backs, and
        # promising a discount on an item nobody has named is a promise about anything.
        c.say("bargaining.try", "bargaining", ask=True)


def _postage(c: Composer, ask: str | None) -> None:
    if ask == "express_fee":
        c.say("postage.express", "postage")
        return
    if "return_exchange" in c.intent_names and ask is None:
        return  # "退货运费谁出" is about return postage, which the return answer covers
    if ask != "remote" or c.fact("remote_regions") is None:
        if c.fact("product_ships_free") is not None:
            c.say("postage.product_free", "postage")
        else:
            c.say("postage.rule", "postage")
            seen = c.ctx.understanding
            if c.plan.offers and seen is not None and seen.haggles:
                # "包个邮吧": the playbook lets the agent take the postage off within their
                # discount authority.
                c.say("postage.waive", "postage")
    c.say("postage.remote", "postage")


def _shipping_time(c: Composer, ask: str | None) -> None:
    """When it ships, when it arrives, or which courier: the sentence asked for, not all three."""
    urgent = c.ctx.understanding is not None and c.ctx.understanding.urgent
    if ask == "shipped_yet":
        # "发了吗": this order's state is looked up; the rule says when it should go out
        _order_lookup(c, "shipping_time.shipped_", "shipping_time")
        c.say("shipping_time.dispatch", "shipping_time")
        return
    if ask == "rush":
        # "请尽快安排发货": on it first, then when it goes out and the faster courier; "已付好
        # 早点发" has paid for its courier already, and is not sold another one
        paid = c.value("order_status") == "paid" or (
            c.ctx.understanding is not None and c.ctx.understanding.order_state == "paid")
        c.say("shipping_time.rush", "shipping_time")
        ask, urgent = "ship_when", not paid
    within = ask == "arrive_within"
    if within:  # "3天能到吗": a deadline in days, answered as any date is
        ask = "arrive_when"
    if "express" in c.asks and ask == "arrive_when":
        ask = "express"  # "顺丰几天到": the express courier's days, not the standard schedule
    dated = urgent or within or c.cue("exact_date")
    # The agent already gave this order's dispatch date ("年前发出", "15号左右发"): the usual
    # cutoff would contradict them; the road time still answers "几天能到".
    scheduled = c.ctx.understanding is not None and \
        "ship_schedule" in c.ctx.understanding.state.agent_promised
    if dated and ask == "arrive_when":
        # "今天能到吗 急用", "具体几号送到": the honest answer first (no date can be promised), then
        # the options
        c.say("shipping_time.honest", "shipping_time")
    elif dated and ask == "ship_when" and c.cue("exact_date") and not scheduled:
        # "后天上午能发走吗": no day of dispatch can be promised either; the rule follows
        c.say("shipping_time.honest_ship", "shipping_time")
    placed = "track" in c.asks  # "我这个快递多久能到": the order is placed; its parcel is looked up
    if scheduled and ask == "ship_when":
        # "今天付款什么时候发" after the agent's holiday schedule: it goes by that schedule
        c.say("shipping_time.as_scheduled", "shipping_time")
    elif not scheduled and (
            ask in (None, "ship_when") or (ask == "arrive_when" and not dated and not placed)):
        # "明天能到吗" asks about the road, not the warehouse: the dispatch schedule would
        # bury the answer.
        c.say("shipping_time.dispatch", "shipping_time")
    if ask in (None, "courier", "arrive_when"):
        c.say("shipping_time.couriers", "shipping_time")
    # "which courier?" is also told the faster one: the choice is what they are weighing
    if (urgent or ask in ("arrive_when", "express", "courier")) and "express_fee" not in c.asks \
            and not (placed and ask == "arrive_when"):
        # an order already placed and on its way cannot be switched to the faster courier
        c.say("shipping_time.express", "shipping_time")


def _logistics_delay(c: Composer, ask: str | None) -> None:
    status = c.value("order_status")
    # "where's my parcel?" asked plainly is looked up; a late one is also chased with the courier
    way = "logistics_delay.track_" if ask == "track" else "logistics_delay."
    if status is None and "not_shipped" in c.asks:
        # "怎么还没发货啊" with no order on screen: it is the warehouse to chase, not a courier
        c.say("logistics_delay.unshipped_ask_order" if c.ctx.first_reply and
              not c.can_say("logistics_delay.check_order") else
              "logistics_delay.unshipped_look_into", "logistics_delay",
              ask=c.ctx.first_reply)
    elif status in ("unpaid", "paid"):
        c.say("logistics_delay.not_shipped", "logistics_delay")
    else:
        _order_lookup(c, way, "logistics_delay")
    if ask != "track" and c.cue("lost"):
        c.say("logistics_delay.lost", "logistics_delay")


def _payment_reminder(c: Composer, ask: str | None) -> None:
    seen = c.ctx.understanding
    if seen is not None and {"ordering", "statement"} <= set(seen.acts) and ask is None \
            and not c.cue("payment_problem"):
        # "定金已经付过了", "결제했어요": paid, with no trouble: thanked for, not told how to pay.
        c.say("payment_reminder.paid", "payment_reminder")
        return
    if c.value("order_status") == "unpaid" and not c.cue("payment_problem"):
        c.say("payment_reminder.unpaid", "payment_reminder")
    else:
        c.say("payment_reminder.help", "payment_reminder")


def _quality_complaint(c: Composer, ask: str | None) -> None:
    seen = c.ctx.understanding
    if seen is not None and "photo" in seen.state.awaiting and "will_send" in seen.asks:
        # "行 我拍好了发你" after the agent asked for photos: they are coming; "go ahead"
        # (answers.will_send) is the reply, neither the steps again nor "received".
        return
    if seen is not None and "photo" in seen.state.awaiting and (
            "statement" in seen.acts or c.cue("sent")):
        # The agent asked for photos last and the customer answers without asking anything,
        # or says they sent them: asking again is what makes people angry. "照片要拍哪里" asks
        # which photos: the steps below say it.
        c.say("quality_complaint.photos_received", "quality_complaint")
        return
    c.say("quality_complaint.steps", "quality_complaint")
    c.say("quality_complaint.window", "quality_complaint")
    c.say("quality_complaint.order", "quality_complaint")


_RETURN_SENTENCES = {
    "return_window": ("return_exchange.window",),
    "return_conditions": ("return_exchange.policy",),
    "return_how": ("return_exchange.steps",),
    "return_postage": ("return_exchange.postage",),
    "exchange": ("return_exchange.exchange",),
    "exchange_colour": ("return_exchange.exchange_colour",),
}


def _return_exchange(c: Composer, ask: str | None) -> None:
    """The window, the conditions, the steps, the postage or the exchange: what was asked; a
    general question gets the policy and the steps."""
    if ask == "return_request":  # a request already made: looked up on the order
        _order_lookup(c, "return_exchange.request_", "return_exchange")
        return
    if ask == "exchange" and names_size(c.latest):
        # "想换个43的": the new size is chosen; asking height and weight again would not listen
        c.say("return_exchange.exchange_named", "return_exchange")
        return
    for key in _RETURN_SENTENCES.get(ask or "", ("return_exchange.policy",
                                                  "return_exchange.steps")):
        c.say(key, "return_exchange")


def _refund_status(c: Composer, ask: str | None) -> None:
    if c.value("order_status") == "refunding":
        c.say("refund_status.refunding", "refund_status")
    elif "refund_cancelled" in c.asks:  # no parcel came back: the money goes straight back
        c.say("refund_status.cancelled", "refund_status")
    else:
        c.say("refund_status.timing", "refund_status")
    _order_lookup(c, "refund_status.", "refund_status")


def _order_lookup(c: Composer, way: str, intent: str) -> None:
    """The order looked up: by its number when known, else asked for in a first reply;
    mid-conversation the agent has it. A question about what might happen ("退货的话…") has
    no order to look up."""
    if c.cue("hypothetical"):
        return
    if not c.say(way + "check_order", intent):
        if c.ctx.first_reply:
            c.say(way + "ask_order", intent, ask=True)
        else:
            c.say(way + "look_into", intent)


def _invoice(c: Composer, ask: str | None) -> None:
    if c.value("invoice_available") == "no":
        c.say("invoice.unavailable", "invoice")
        return
    if ask not in ("invoice_when", "invoice_kind"):
        # "when does the invoice come" or "the electronic one then" is not asking which kinds
        c.say("invoice.available", "invoice")
    c.say("invoice.note", "invoice")


def _cancel_order(c: Composer, ask: str | None) -> None:
    status = c.value("order_status")
    if ask == "refused":
        # "我都拒收一周了": told they can refuse it would not be listening; the refund follows
        # the parcel back, and the agent looks where it is.
        c.say("cancel_order.refused", "cancel_order")
        return
    waited = c.ctx.understanding is not None and \
        c.ctx.understanding.state.waited_unshipped and ask is None
    if status is None and waited and c.can_say("cancel_order.after_wait"):
        # "那我不要了" after "怎么还没寄…四五天了": sorry for the wait, and the paid-unshipped
        # way out, approved at once; not every state's steps
        c.say("cancel_order.after_wait", "cancel_order")
    elif status in ("unpaid", "paid", "shipped", "delivered", "refunding"):
        c.say(f"cancel_order.{status}", "cancel_order")
    elif not c.say("cancel_order.known_order", "cancel_order"):  # the id given earlier
        # "取消不了": why, and what to do instead, with the order asked for
        c.say("cancel_order.failed" if ask == "cancel_failed" else "cancel_order.unknown",
              "cancel_order", ask=True)


def _address_change(c: Composer, ask: str | None) -> None:
    status = c.value("order_status")
    if ask == "new_address" and status not in ("shipped", "delivered"):
        # the new address is in the message: asking for it again would not be listening
        if status in ("unpaid", "paid"):
            c.say("address_change.given_before_ship", "address_change")
        else:
            _order_lookup(c, "address_change.given_", "address_change")
        return
    if status in ("unpaid", "paid"):
        c.say("address_change.before_ship", "address_change")
    elif status in ("shipped", "delivered"):
        c.say(f"address_change.{status}", "address_change")
    elif not c.say("address_change.known_order", "address_change"):  # the id given earlier
        c.say("address_change.unknown", "address_change", ask=True)


def _thanks_close(c: Composer, ask: str | None) -> None:
    c.say("thanks_close.close", "other")


def _handoff(c: Composer, ask: str | None) -> None:
    c.say("handoff.ack", "other")


def _not_sold(c: Composer, ask: str | None) -> None:
    if ask == "ordered":
        # trouble with a thing we don't sell: which order it is, before any promise
        c.say("not_sold.ordered", "other", ask=True)
        return
    clothing = c.lexicon.lacked(c.latest, clothing_only=True)
    thing = c.lexicon.lacked(c.latest)
    if thing is not None and thing not in c.lexicon.cues.get("other_trades", ()):
        # "没有卖手机壳哦" is plainer than "这个没有"; a flavour or a page count is no thing
        c.facts["thing"] = Fact("thing", c.in_script(thing))
    if clothing:
        # "有西装吗", "조끼 있어요?": clothes we don't make; what we do make in a line (the whole
        # range and a height-and-weight question read as a pitch nobody asked for)
        c.say_first(["not_sold.clothing_named", "not_sold.clothing"], "other")
        c.say_store_answer("our_range", "product_info")
        return
    c.say_first(["not_sold.line_named", "not_sold.line"], "other")


def _complaint(c: Composer, ask: str | None) -> None:
    """Displeasure with nothing else asked: the apology is said; the next step follows, on the
    order the customer already named rather than asking for it again, and mid-conversation
    without asking them to tell the trouble again."""
    if c.say("complaint.next_known", "other"):
        return
    seen = c.ctx.understanding
    told = seen is not None and "statement" in seen.acts and c.lexicon.cue(
        "trouble_named", c.latest)
    if told:
        # "包装换了不好看", "等了三天也没人来电话": the trouble is told; asking for it again
        # would not be listening. It is noted and taken up.
        c.say("complaint.noted", "other")
    elif (c.ctx.first_reply and not (seen is not None and "continuing" in seen.acts)) or (
            seen is not None and "answers_agent" in seen.acts):
        c.say("complaint.next", "other", ask=True)  # nothing told yet: what went wrong?
    else:
        # Mid-conversation the trouble was told in the turns before: asking the customer to
        # describe it again reads as if nobody listened (the closing line says news follows).
        c.say("complaint.next_in_conversation", "other")


_LATIN_WORD = re.compile(r"[a-z]+")
_NOT_WORD = re.compile(r"[\W_]+")


def _brief(normalised: str) -> bool:
    """A short message: six English words or fewer, or six characters of Chinese or Korean
    ("send me the details", "什么短信", "왜 그래요?")."""
    latin = _LATIN_WORD.findall(normalised)
    if latin and sum(map(len, latin)) * 2 > len(_NOT_WORD.sub("", normalised)):
        return len(latin) <= 6
    return len(_NOT_WORD.sub("", normalised)) <= 6


_HANDLERS: dict[str, Callable[[Composer, str | None], None]] = {
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

    def check_back(self, context: DraftContext, language: Language) -> str:
        """"Let me check that and get back to you" in ``language``: a reply cut short is closed
        with it rather than answered a second time."""
        library = template_library(self._prompts_dir, context.store.voice.korean_speech_level)
        return library[language].render("check.later", {})

    def stream(self, context: DraftContext) -> Iterator[str]:
        for sentence in self.generate(context).sentences:
            yield sentence.text
