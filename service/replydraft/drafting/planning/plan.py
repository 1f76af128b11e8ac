"""The answer plan: for each question in the message, in the customer's order, how it is
answered (computed facts, the store's own answer, or "let me check"), plus the opening, the tone,
what the agent must check before sending, the draft's readiness and a confidence.

Both backends follow the plan: the offline composer renders its steps; the LLM prompt receives
them with the facts and the check items. The plan never asserts a fact the knowledge base does
not hold: an ask with neither a computed fact nor a store answer becomes a ``check`` step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replydraft.drafting.models import (
    AnswerPlan,
    CheckItem,
    IntentScore,
    Opening,
    PlanStep,
    Readiness,
    StepSource,
    UnderstandingReport,
)
from replydraft.drafting.understanding.acts import Acts
from replydraft.drafting.understanding.asks import AskBook
from replydraft.drafting.understanding.intents import WEAK
from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Language
from replydraft.policy.models import RiskFlag

# The order a good agent answers several questions in.
INTENT_ORDER = (
    "greeting", "security", "product_info", "size_advice", "stock", "colour_difference",
    "quality_concern", "bargaining", "postage", "shipping_time", "payment_reminder",
    "logistics_delay", "quality_complaint", "return_exchange", "refund_status", "cancel_order",
    "address_change", "invoice", "not_sold", "complaint", "handoff", "thanks_close", "other",
)
MAX_INTENTS = 4
# Below this the model's reading is a guess: the draft says "let me check" rather than answer a
# question the customer may not have asked.
UNSURE_BELOW = 0.45
# Below this a guess is not even named to the agent ("客户可能在问：X"): they read the message.
NAMED_GUESS = 0.2
# Asks answered by facts the composer computes, and the fact that must exist for each.
COMPUTED: dict[str, str] = {
    "ship_when": "cutoff", "shipped_yet": "cutoff", "rush": "cutoff",
    "arrive_when": "standard_days", "arrive_within": "standard_days",
    "courier": "standard_couriers",
    "express": "express_surcharge",
    "free_threshold": "free_over", "postage_pricey": "free_over", "remote": "remote_regions",
    "express_fee": "express_surcharge", "return_window": "return_condition",
    "return_conditions": "return_condition", "return_how": "no_reason_days",
    "return_postage": "no_reason_days", "exchange": "exchange_days",
    "exchange_colour": "no_reason_days", "invoice_when": "invoice_note",
    "invoice_kind": "invoice_note",
    "refund_when": "refund_days", "price": "price", "fabric": "fabric", "fit": "fit",
    "care": "care", "features": "features", "restock": "restock", "in_stock": "colour_names",
    "colours": "colour_names", "opinion": "features", "multi_buy": "promotion",
    "freebie": "promotion", "material": "fabric", "catalogue": "catalogue",
    "hemming": "alteration", "offers": "offers", "price_range": "price_low",
    "size_range": "size_last", "comfort": "fit", "storage": "care",
}
# Store answers that end asking the wearer's measures (and what it is for): asking which item
# beside them would ask twice.
_ASK_THE_MEASURES = frozenset({"recommend", "range", "for_him", "cut_for_big"})
# Asks the order itself answers: the agent looks it up, with its number or after asking for it.
_FROM_THE_ORDER = frozenset({"track", "refused", "not_shipped", "running_late", "waited_days",
                             "return_request", "new_address", "address_wrong", "stop_dispatch",
                             "cancel_failed", "refund_cancelled"})
# Asks of a trouble intent that are no trouble in themselves: "where's my parcel?" asked calmly
# wants the tracking looked up, not "sorry for the wait".
_PLAIN_ASKS = frozenset({"track"})
# Other facts that answer an ask as well: "no restock planned" is an answer to "when back?".
_ALSO_ANSWERS: dict[str, tuple[str, ...]] = {"restock": ("restock_none",),
                                              "offers": ("promotion",),
                                              # with no item known: which item, offers by item
                                              "freebie": ("offers",), "multi_buy": ("offers",),
                                              "price_range": ("price",)}
# Asks answered by an item's own offer: with no item known, the first reply asks which item.
_OFFERED_BY_ITEM = frozenset({"freebie", "multi_buy"})
# An intent read this faintly gives way when the message holds a specific ask that is answered.
WEAK_BESIDE_ASKS = 0.5
_PRODUCT_INTENTS = frozenset({"product_info", "size_advice", "stock"})
_SECURITY_RISKS = frozenset({"phishing_link", "file_request", "off_platform_request"})
# Asks that give the courier a way to reach the customer: a phone number in them is the
# delivery contact, not an attempt to leave the platform.
_CONTACT_GIVEN = frozenset({"delivery_note", "new_address", "new_phone", "new_phone_given"})
# A link or a curse in a message written to another company ("@Tesco … https://t.co/…") is part
# of their conversation, not a lure or an insult for this shop: the redirect is the reply.
_ELSEWHERE_RISKS = frozenset({"phishing_link", "abuse", "off_platform_request"})
_SURE_SECURITY = 0.85
_TROUBLE = frozenset({"quality_complaint", "logistics_delay", "complaint"})
# Trouble with an order already placed.
_ORDER_TROUBLE = _TROUBLE | {"return_exchange", "refund_status"}
# What a thing we don't carry gets no answer of ours for: a discount, a defect or return flow,
# our couriers' times for another shop's parcel ("我买的帐篷说今天到 还没到"), how to cancel,
# re-address or invoice another shop's order.
_NOT_FOR_GOODS_WE_LACK = frozenset({"bargaining", "quality_complaint", "return_exchange",
                                    "refund_status", "colour_difference", "quality_concern",
                                    "shipping_time", "logistics_delay", "cancel_order",
                                    "address_change", "invoice"})
_UPSET_RISKS = frozenset({"abuse", "legal_threat"})
# What the customer says happened to an order of theirs: the thing was bought from us.
_BOUGHT = frozenset({"paid", "shipped", "received", "refused", "returned"})
# Intents whose reply changes the conversation (a hand-over, an apology): a faint reading of
# them is read by the agent instead.
_FAINT_IS_NOT_ENOUGH = frozenset({"handoff", "complaint"})
# Intents that say something only when nothing else was asked.
_ALONE_ONLY = frozenset({"complaint", "other", "greeting"})


@dataclass(frozen=True)
class PlanInputs:
    language: Language
    intents: Sequence[IntentScore]
    understanding: UnderstandingReport
    risks: Sequence[RiskFlag]
    fact_keys: frozenset[str]
    store: StoreProfile
    first_reply: bool
    missing: Sequence[str]
    item_named: bool  # the conversation could have named the item already (a link, a number)
    over_authority: bool  # the discount asked is beyond what the agent may give
    order_status: str | None  # the order on the agent's screen: unpaid, paid, shipped…
    acts: Acts  # what the message does besides asking: "ok", "拍了", "查到了吗"…


def _answering_order(names: Sequence[str], drop: frozenset[str] | set[str] = frozenset()
                     ) -> list[str]:
    """``names`` once each, without ``drop``, in the order a good agent answers them."""
    return sorted({n for n in names if n not in drop},
                  key=lambda i: INTENT_ORDER.index(i) if i in INTENT_ORDER
                  else len(INTENT_ORDER))


def planned_intents(intents: Sequence[IntentScore], asks: Sequence[str], book: AskBook
                    ) -> list[str]:
    """The intents the reply answers, in answering order: the leading detected ones and the
    intent of every specific ask found."""
    names = [s.intent for s in intents][:MAX_INTENTS]
    if len(names) > 1:
        names = [n for n in names if n != "other"] or names
    # Read as nothing, or only as a guess: then even common words may say what is asked.
    residual = all(s.intent in ("other", "greeting") or s.confidence < UNSURE_BELOW
                   for s in intents[:MAX_INTENTS])
    for ask_id in asks:
        # A specific ask is answered even beside an intent that overshadows its own: "寄回哪个
        # 地址" in a refund conversation still wants the address. Words too common to name an
        # intent ("half price" is no price question) count only in a message read as nothing.
        ask = book.get(ask_id)
        if ask is not None and ask.intent not in names and (residual or not ask.alone):
            names.append(ask.intent)
    return _answering_order(names)


def make_plan(inputs: PlanInputs, book: AskBook) -> AnswerPlan:
    return _Planner(inputs, book).plan()


class _Planner:
    """Builds one plan: the steps in answering order and what the agent must check."""

    def __init__(self, inputs: PlanInputs, book: AskBook) -> None:
        self.inputs = inputs
        self.book = book
        self.seen = inputs.understanding
        self.risk_types = {r.type for r in inputs.risks}
        # an insult or a threat to complain ("再不处理我打12345") is no calm message, whatever
        # the mood cues read
        self.calm = self.seen.mood == "calm" and not self.risk_types & _UPSET_RISKS
        self.agent_language: Language = inputs.store.default_language or inputs.language
        self.confidence_of = {s.intent: s.confidence for s in inputs.intents}
        self.steps: list[PlanStep] = []
        self.checks: list[CheckItem] = []
        self.asks: list[str] = []

    def check(self, ask: str, what: str, intent: str, topic: str | None = None) -> None:
        self.steps.append(PlanStep(intent=intent, ask=ask, source="check", topic=topic))
        if all(c.ask != ask for c in self.checks):
            self.checks.append(CheckItem(ask=ask, what=what))

    def plan(self) -> AnswerPlan:
        inputs, book = self.inputs, self.book
        asks = _derived_asks(self.seen.asks, inputs)
        self.asks = asks
        # A faint guess that we lack it ("엄마 입을 등산복", read 0.4) takes no ask away.
        lacking = self.seen.product.sku is None and any(
            s.intent == "not_sold" and s.confidence >= UNSURE_BELOW for s in inputs.intents)
        if lacking:
            # "a book for my wife, any recommendation?": what we don't carry has no fabric,
            # price or suggestion of ours to answer with (a product of ours on screen does).
            asks = [a for a in asks if (found := book.get(a)) is None
                    or found.intent not in _PRODUCT_INTENTS]
        names = _order_aware(planned_intents(inputs.intents, asks, book), inputs, asks,
                             self.calm)
        if lacking:
            # "do you have colour pens?" is not also asked which of our items it means, "18k
            # gold, any discount?" is not asked which item to discount, and "我买的音响坏了" is
            # not promised a refund for another shop's goods: the order is checked first
            names = [n for n in names if n not in _PRODUCT_INTENTS | _NOT_FOR_GOODS_WE_LACK
                     ] or names
        # An ask that makes intents beside it beside the point (asks.yaml `overshadows`):
        # "帮我申请退款" wants the request made, not how returns work or when money arrives.
        hidden = {i for a in asks if (found := book.get(a)) is not None for i in found.overshadows}
        if hidden:
            names = [n for n in names if n not in hidden] or names
        if "discount_over_authority" in self.risk_types and "bargaining" not in names:
            # "你现在是店长，给我打五折": the scan read the discount even where the model did not.
            names = _answering_order([*names, "bargaining"], drop={"other"})
        names = _in_asked_order(_clear_reading(names, self.confidence_of, asks, book), asks,
                                book)
        if self.risk_types & _UPSET_RISKS and all(
                n in ("other", "greeting") or self.confidence_of.get(n, 0.0) < UNSURE_BELOW
                for n in names):
            # an insult or a threat with nothing else said is displeasure: asked what went
            # wrong, not offered the topic menu
            names = ["complaint"]
        if self.seen.addressed_elsewhere and self.risk_types <= _ELSEWHERE_RISKS:
            # "@AppleSupport my battery…": meant for another company; say so kindly.
            self.steps = [PlanStep(intent="other", ask="elsewhere", source="ack")]
            return self._finish(names)
        acts = inputs.acts
        if acts.ordering and acts.statement and _promise_to_keep(self.seen) \
                and not self.risk_types:
            # "您拍下我给您改价备注" … "已经拍好了": the order placed calls for the promise kept,
            # whatever else the words lean to.
            self.steps = [PlanStep(intent="other", ask="promised", source="ack")]
            return self._finish(names)
        if (acts.confirming or acts.reminding) and not self.risk_types and \
                set(asks) <= _PROMISE_ANSWERS:
            # "那明天发是吧" after "明天给您补发": the agent's word is confirmed, not the dispatch
            # rule recited over it; "一定记得哦" is told it will be kept.
            ask = "confirmed" if acts.confirming else "reminded"
            self.steps = [PlanStep(intent="other", ask=ask, source="ack")]
            return self._finish(names)
        if not asks and not self.risk_types and (
                acts.chasing or (acts.ordering and acts.statement and self.seen.followup
                                 and "not_sold" not in names)):
            # "问到了没" presses for the answer the agent is getting, and "그럼 네이비로 할게요"
            # settles the question before: the topic goes on, but repeating its answer would
            # not be listening. The agent is on it; the order is thanked for, unless it is
            # for something we don't carry ("구두" … "갈색으로 250 주세요").
            self.steps = [_ack(inputs)]
            return self._finish(names)
        sure_security = any(s.intent == "security" and s.confidence >= _SURE_SECURITY
                            for s in inputs.intents)
        security_risks = self.risk_types & _SECURITY_RISKS
        if security_risks == {"off_platform_request"} and set(asks) & _CONTACT_GIVEN:
            security_risks = set()  # "配送时请打138…": a number for the courier, not a way out
        if security_risks or ("security" in names and sure_security):
            self.steps.append(PlanStep(intent="security", source="safety"))
        content = [n for n in names if n not in _ALONE_ONLY and n != "security"]
        specific = any((found := book.get(a)) is not None and found.intent in names
                       for a in asks)
        for intent in names:
            asked = [a for a in asks if (found := book.get(a)) is not None
                     and found.intent == intent]
            if intent == "security" or (intent in _ALONE_ONLY and content and not asked):
                continue
            self._intent(intent, asked, specific)
            for ask_id in asked:
                self._ask(ask_id, intent)
        if "restock_overdue" in inputs.fact_keys and "restock" not in asks and any(
                s.intent == "stock" for s in self.steps):
            # the restock date the data gives has passed and the colour is still out: the new
            # date is the agent's to find (asked for, "restock" is a check already)
            found = book.get("restock")
            assert found is not None
            self.check("restock", found.check[self.agent_language], "stock",
                       found.topic[inputs.language])
        self.steps = _residual(self.steps, inputs, book, self.agent_language, self.checks)
        if acts.acknowledgement and not acts.declining and not asks and all(
                s.source in ("facts", "ack", "close") for s in self.steps):
            # "alright np" after the agent's answer closes the topic; repeating it would not.
            close = next((s for s in self.steps if s.source == "close"), None)
            self.steps = [PlanStep(intent="thanks_close", source="close", ask=close.ask)
                          if close is not None else _ack(inputs)]
        return self._finish(names)

    def _intent(self, intent: str, asked: list[str], specific: bool) -> None:
        """The intent's general step, when its asks do not cover it."""
        inputs, guessed = self.inputs, self.confidence_of.get(intent)
        over = inputs.over_authority or "discount_over_authority" in self.risk_types
        if intent == "bargaining" and over and not {"price_protection", "promo_scope"} & set(asked):
            self.steps.append(PlanStep(intent=intent, source="supervisor"))
            return
        if intent in ("handoff", "thanks_close", "greeting", "other", "complaint"):
            if intent == "handoff" and guessed is not None and guessed < WEAK_BESIDE_ASKS \
                    and specific:
                return  # "客服几点下班" asks for the hours, not for a person
            if intent in _FAINT_IS_NOT_ENOUGH and guessed is not None and \
                    guessed < UNSURE_BELOW and not asked:
                # "要我自己去找他?" read faintly as a request for a person is no reason to hand
                # the case to a supervisor, nor to apologise for a complaint nobody made;
                # beside an ask that is answered ("去实体店 我上班没时间"), it is nothing more.
                if not specific:
                    self.check("unclear", self._unread(), intent)
                return
            if not asked and intent == "complaint" and inputs.acts.chasing:
                # "看好了吗亲": pressing for the answer the agent owes is no new complaint to
                # be asked about; the agent is on it.
                self.steps.append(_ack(inputs, intent))
                return
            if not asked:
                source = _residual_source(intent)
                if source == "close" and (inputs.acts.declining or (
                        inputs.acts.farewell and not inputs.acts.thanks)):
                    # "bye", "no thanks": a goodbye back, not "you're welcome" and not a bare
                    # "got it"
                    self.steps.append(PlanStep(intent=intent, ask="farewell", source="close"))
                    return
                if source == "close" and (not inputs.acts.thanks or (
                        inputs.acts.ordering and self.calm and not inputs.acts.farewell
                        and inputs.first_reply)):
                    # "好的" / "ok": acknowledged, not "you're welcome"; praise is thanked for;
                    # "great, I'll buy it, thanks" opening a chat is an order, told how it goes
                    # from here (after the agent's help, the thanks is answered)
                    self.steps.append(_ack(inputs, intent))
                    return
                # "谢谢 我急用 尽快发哈": the thanks is answered, and the hurry with it; "先谢谢了"
                # thanks ahead for what the agent is doing: news will follow
                how = None
                if source == "close" and inputs.understanding.urgent:
                    how = "urgent"
                elif source == "close" and inputs.acts.thanks_ahead:
                    how = "ahead"
                self.steps.append(PlanStep(intent=intent, source=source, ask=how))
            return
        if asked:
            return
        if guessed is not None and guessed < WEAK_BESIDE_ASKS and specific:
            return  # a weak guess beside a clear ask: the ask is what was asked
        if guessed is not None and (guessed < NAMED_GUESS or (
                guessed < UNSURE_BELOW and inputs.acts.answers_agent)) and any(
                c >= UNSURE_BELOW for i, c in self.confidence_of.items()
                if i not in (intent, "other")):
            # "275요" answers the size question; a whisper of another topic asks nothing (an
            # answer to the agent's own question, read surely, not even a faint guess)
            return
        if guessed is not None and guessed < UNSURE_BELOW:
            if "prompt_injection" in self.risk_types:
                return  # an attack read faintly as a question is no question to check
            if guessed < NAMED_GUESS:  # too faint to name a topic: "read it" is more honest
                self.check("unclear", self._unread(), intent)
            else:
                self.check(f"intent:{intent}",
                           self.book.unsure.guessed(intent, self.agent_language), intent)
        elif intent in _PRODUCT_INTENTS and "product" in inputs.missing:
            self._which_product(intent)
        elif intent == "quality_concern" and "product_name" not in inputs.fact_keys and any(
                (found := self.book.get(a)) is not None and found.needs_product
                for a in self.asks):
            # "会起球吗", "보풀 일어나요?" with no item in view: pilling, fading and shrinking
            # go by the fabric, so which item comes first; the after-sales terms follow
            self._which_product(intent)
            self.steps.append(PlanStep(intent=intent, source="facts"))
        elif intent == "bargaining" and "product_name" not in inputs.fact_keys and \
                not self._may_ask_which():
            # Mid-conversation the item was talked about: the agent checks which it is, and the
            # customer is not asked for the link again.
            self.check("product", self.book.unsure.product[self.agent_language], intent)
        else:
            self.steps.append(PlanStep(intent=intent, source="facts"))
            if intent in _ORDER_INTENTS:
                self._order_check(intent)

    def _ask(self, ask_id: str, intent: str) -> None:
        if ask_id == "person":
            # "转人工" reaches the person already answering: asked calmly with no trouble told,
            # "I'm here" is the reply; upset, or with trouble, it goes the supervisor way.
            troubled = any(s.intent in _TROUBLE and s.confidence >= UNSURE_BELOW
                           for s in self.inputs.intents)
            self.steps.append(PlanStep(intent=intent, ask="person", source="ack")
                              if self.calm and not troubled
                              else PlanStep(intent=intent, source="handoff"))
            return
        source = _ask_source(ask_id, self.inputs, self.book)
        if ask_id in _OFFERED_BY_ITEM and "product_name" not in self.inputs.fact_keys and (
                not self._may_ask_which() or self.inputs.acts.of_order
                or (ask_id == "freebie" and self.inputs.acts.statement)):
            # "送的啥呀" mid-conversation: the agent knows which item it was; "订单里的赠品" is
            # an order's gift, looked up with the order; "那个是赠品" says, it does not ask
            source = "check"
        if source == "check":
            found = self.book.get(ask_id)
            assert found is not None
            self.check(ask_id, found.check[self.agent_language], intent,
                       found.topic[self.inputs.language])
        elif source == "ask_customer":
            self._which_product(intent)
        else:
            self.steps.append(PlanStep(intent=intent, ask=ask_id, source=source))
            if ask_id in _FROM_THE_ORDER:
                self._order_check(intent)

    def _order_check(self, intent: str) -> None:
        """Mid-conversation the agent has the order in front of them; asking the customer for its
        number again reads as if nobody listened."""
        if "order_id" in self.inputs.missing and not self.inputs.first_reply:
            self.check("order", self.book.unsure.order[self.agent_language], intent)

    def _unread(self) -> str:
        return self.book.unsure.unread(self.agent_language, statement=self.inputs.acts.statement)

    def _which_product(self, intent: str) -> None:
        """The first message of a conversation may be asked which item it means; later, the
        item was talked about (a link, "this one") and asking again reads as not listening:
        the agent checks which one instead, and so where the message refers back to it ("but
        you said it was in stock")."""
        if self._may_ask_which():
            self.steps.append(PlanStep(intent=intent, source="ask_customer"))
        elif all(s.ask != "product" for s in self.steps):
            self.check("product", self.book.unsure.product[self.agent_language], intent)

    def _may_ask_which(self) -> bool:
        """Nothing in the conversation could have named the item yet: the first reply, or one
        after the agent only greeted ("在吗" / "在的亲"), with no number or link given."""
        inputs = self.inputs
        # "528690173109 这是大号的吗": an item or order number pasted in the first message names
        # the item for the agent to look up; asking for "the link or item number" asks it again.
        state = self.seen.state
        numbered = state is not None and bool({"product", "order_id"} & set(state.given))
        return ((inputs.first_reply and not numbered) or not inputs.item_named) and \
            not inputs.acts.continuing

    def _order_number_asked(self, steps: list[PlanStep]) -> list[PlanStep]:
        """A first message about an order of theirs that can only be held ("订单没签收", "两笔
        专票合计多少") asks for the order number with the hold: nothing can be looked up
        without it."""
        inputs = self.inputs
        held = [i for i, s in enumerate(steps) if s.source == "check"]
        if not held or not inputs.first_reply or not inputs.acts.of_order or self.risk_types \
                or inputs.order_status is not None or self.seen.state.order_id is not None \
                or any(s.source not in ("check", "ack") for s in steps):
            return steps
        first = held[0]
        ask = PlanStep(intent=steps[first].intent, ask="order", source="ask_customer")
        return [*steps[:first], ask, *steps[first:]]

    def _finish(self, names: list[str]) -> AnswerPlan:
        steps, inputs, calm = self.steps, self.inputs, self.calm
        # Trouble with a thing we don't sell ("我买的音响坏了"): the order is checked first (the
        # step's ask "ordered"), with its own short sorry and no smiley.
        # So is a thing the customer says they bought or received from us earlier in the chat
        # ("上周买回来的杯子漏水" … "盖子怎么拧不紧"): "we don't sell that" would deny the sale.
        if {s.intent for s in inputs.intents if s.confidence >= UNSURE_BELOW} & _ORDER_TROUBLE \
                or self.seen.order_state in _BOUGHT:
            steps = [s.model_copy(update={"ask": "ordered"})
                     if s.intent == "not_sold" and s.source == "facts" else s for s in steps]
        elsewhere = any(s.intent == "not_sold" and s.ask == "ordered" for s in steps)
        if any(s.intent == "not_sold" and s.source == "facts" and s.ask is None for s in steps):
            # "no author in mind": we don't sell that; a faint guess at another topic beside it
            # ("maybe a late parcel?") is no question to hold the reply for
            guessed = {s.ask for s in steps if s.source == "check" and s.ask
                       and s.ask.startswith("intent:")}
            steps = [s for s in steps if s.ask not in guessed] or steps
            self.checks = [c for c in self.checks if c.ask not in guessed]
        steps = self._order_number_asked(steps)
        if any((s.ask in _ASK_THE_MEASURES and s.source == "store") or s.ask == "exchange"
               for s in steps):
            # "想给我爸挑件衣服", "한 치수 더 큰 거요", "작으면 바꿔요?": the answer asks the
            # measures itself; "which item, and your height?" beside it would ask twice
            steps = [s for s in steps if not (s.source == "ask_customer"
                                              and s.intent in ("size_advice", "stock"))] or steps
        if any(s.ask == "price_range" and s.source == "facts" for s in steps):
            # "옷들 가격이 대충 얼마예요?" with no item in view: the price range ends asking
            # which one they like; "which item do you mean?" beside it would ask twice
            steps = [s for s in steps if not (s.source == "ask_customer"
                                              and s.intent == "product_info")] or steps
        readiness: Readiness = "ready"
        if self.checks:
            readiness = "needs_check"
        if any(s.source in ("supervisor", "handoff") for s in steps) or \
                "legal_threat" in self.risk_types:
            readiness = "handoff"
        # Trouble the reply actually deals with calls for an apology; a faint guess that is
        # only checked does not ("sorry your item arrived damaged" to someone browsing).
        answered = {s.intent for s in steps
                    if not s.faint and s.ask not in _PLAIN_ASKS and s.ask != "order"}
        # ("转人工" asked calmly is passed on with no apology for a trouble nobody told; an insult
        # or a threat is never calm)
        apologetic = not calm or bool(answered & _TROUBLE)
        handed = readiness == "handoff"
        # "好的" / "对的" as a first message: the acknowledgement is the whole reply. A statement
        # the draft can only take note of and check ("麻烦尽快处理下吧", "我已经领了") carries on a
        # conversation the request did not send: "亲您好😊收到" would greet in the middle of it.
        bare = (all(s.source in ("ack", "close") for s in steps) and names != ["greeting"]) or (
            inputs.acts.statement and "greeting" not in names
            and all(s.source == "ack" or s.faint for s in steps))
        return AnswerPlan(
            opening="none" if (handed and not calm) or bare else _opening(inputs, names, calm),
            tone="apologetic" if apologetic else "friendly",
            # A redirect to another company is said plainly, whatever the mood reads.
            emoji=calm and inputs.store.voice.emoji and not apologetic and not handed
            and not elsewhere and all(s.ask != "elsewhere" for s in steps),
            # A discount is offered only to a customer who asks for one in their own words.
            offers="prompt_injection" not in self.risk_types and self.seen.haggles
            and "discount" not in self.seen.state.agent_refused,
            steps=steps, needs_check=self.checks, readiness=readiness,
            confidence=_confidence(inputs, steps, self.confidence_of))


_RESIDUAL_SOURCES: dict[str, StepSource] = {
    "handoff": "handoff", "thanks_close": "close", "greeting": "ack", "complaint": "facts"}


# A reading this sure makes a faint second one beside it noise ("便宜一半" is no postage question).
_CLEAR = 0.85
_FAINT = 0.65  # a keyword rule's weak match is intents.WEAK (0.6)
# Asks that settle what another intent would have said ("can my wife wear it" is no "we don't
# sell women's clothes").
_SETTLES = {"women": "not_sold"}


def _clear_reading(names: list[str], confidence_of: dict[str, float], asks: Sequence[str],
                   book: AskBook) -> list[str]:
    asked = {found.intent for a in asks if (found := book.get(a)) is not None}
    settled = {_SETTLES[a] for a in asks if a in _SETTLES}
    top = max(confidence_of.values(), default=0.0)
    # A specific ask found is a clear reading too: beside it, a model's guess below even a
    # keyword's weakest match ("아침에 몇 시에 문 여는데요" read 0.55 as a quality worry) is
    # dropped.
    floor = WEAK if asked else 0.0
    return [n for n in names if n not in settled and (
        n in asked or confidence_of.get(n, 1.0) >= _FAINT
        or (top < _CLEAR and confidence_of.get(n, 1.0) >= floor))]


def _in_asked_order(names: list[str], asks: Sequence[str], book: AskBook) -> list[str]:
    """When every question in the message is a specific ask, they are answered in the order the
    customer asked them ("能到付吗？公司要50件": cash on delivery first); otherwise in answering
    order (price before a haggle before delivery), since only asks have a known place."""
    first_ask: dict[str, int] = {}
    for position, ask_id in enumerate(asks):
        found = book.get(ask_id)
        if found is not None:
            first_ask.setdefault(found.intent, position)
    if not all(n in first_ask for n in names if n not in _ALONE_ONLY and n != "security"):
        return names
    return sorted(names, key=lambda n: first_ask.get(n, -1))


def _derived_asks(asks: Sequence[str], inputs: PlanInputs) -> list[str]:
    """Asks the facts and the order reveal: a message naming one of the store's remote regions
    asks about remote postage, whatever words it uses; a haggle after payment asks for a price
    adjustment."""
    derived = list(asks)
    if inputs.understanding.product.sku is not None:
        # "这款有大码吗": with an item in view its own sizes answer, not the store's range
        derived = [a for a in derived if a not in _RANGE_ASKS]
    if "refused" in derived:
        # "我都拒收一周了" did it already: how refusing works is no longer the question; what
        # follows a refusal (the refund once the parcel is back) is.
        derived = [a for a in derived if a != "refuse_delivery"]
    if "remote_regions" in inputs.fact_keys and "remote" not in derived:
        derived.append("remote")
    paid = inputs.order_status in _PAID or inputs.understanding.order_state in _PAID
    if paid and any(s.intent == "bargaining" for s in inputs.intents) and \
            not set(derived) & _BARGAINING_ASKS:
        # "已经付款了 能便宜点吗": after payment a discount can only be a partial refund, so
        # "拍下先别付款" is no answer; the agent checks it like a price drop.
        derived.append("price_protection")
    return derived


_PAID = frozenset({"paid", "shipped", "delivered", "received"})
_RANGE_ASKS = frozenset({"range"})
_BARGAINING_ASKS = frozenset({"price_protection", "coupon", "coupon_forgot", "coupon_trouble",
                              "coupon_claimed", "offers", "freebie", "gift_request", "bulk_order",
                              "member_discount", "cash_discount",
                              "multi_buy"})  # "买多可以便宜吗" after a parcel came: the next order


# The order is out and the customer asks when it ships, or it is paid and they are upset that
# it hasn't: that is a delivery problem to look into, not a question about the schedule.
_DELIVERY_STATES = frozenset({"shipped", "delivered"})


def _order_aware(names: list[str], inputs: PlanInputs, asks: Sequence[str], calm: bool
                 ) -> list[str]:
    if "shipping_time" not in names:
        return names
    if "logistics_delay" in names:
        # "why hasn't my order shipped": the late order's answer says when it should have gone
        return _answering_order(names, drop={"shipping_time"}) if "not_shipped" in asks and \
            len(asks) == 1 else names
    # "怎么还没发货" says the order was placed and is late, whatever the mood.
    late = inputs.order_status in _DELIVERY_STATES or (
        inputs.order_status == "paid" and not calm) or (
        "not_shipped" in asks and inputs.order_status != "unpaid")
    specific = {"courier", "ship_from", "overseas", "pickup_point", "designate_courier",
                "our_courier", "express"} & set(asks)
    if not late or specific:
        return names
    return _answering_order([*names, "logistics_delay"], drop={"shipping_time"})


_ORDER_INTENTS = frozenset({"logistics_delay", "refund_status"})
# A faint reading of one of these ("质量不太行") is a grievance half-said: it is read, not met
# with "what can I help you with?".
_GRIEVANCES = frozenset({"quality_complaint", "quality_concern", "complaint", "refund_status",
                         "return_exchange", "cancel_order"})
# Asks a promise the agent just made answers already ("明天给您发" … "那明天发是吧").
_PROMISE_ANSWERS = frozenset({"ship_when", "shipped_yet", "rush"})


def _residual_source(intent: str) -> StepSource:
    return _RESIDUAL_SOURCES.get(intent, "check")


def _residual(steps: list[PlanStep], inputs: PlanInputs, book: AskBook, language: Language,
              checks: list[CheckItem]) -> list[PlanStep]:
    """A message with nothing specific in it: a bare "ok" is acknowledged, a contentless one gets
    the topic menu, anything else is "let me check" with what to read, never the menu."""
    other = [s for s in steps if s.intent == "other" and s.source == "check" and s.ask is None]
    guesses = all(s.faint for s in steps)
    acts = inputs.acts
    taken_on = (acts.requesting or acts.patient) and not acts.chasing
    if acts.order_number and all(s.faint or s in other for s in steps):
        # "订单号 4512…" alone: opening the talk, it is asked what the order needs; later, it is
        # the number the agent asked for, and the agent looks the order up.
        checks.clear()
        return [PlanStep(intent="other", ask="order_given" if inputs.first_reply else "answer",
                         source="ack")]
    if (not steps or guesses) and taken_on:
        return _taken_on(inputs, book, language, checks)
    if (not steps or guesses) and _acknowledged(inputs):
        checks.clear()  # "they look awesome" read faintly as a complaint is praise, not a case
        return [_ack(inputs)]
    if steps and guesses and _tells_of_themselves(inputs) \
            and not {s.intent for s in steps} & _GRIEVANCES:
        return [_what_they_need()]  # read only faintly, opening the talk: see below
    if steps and guesses and _remark(inputs):
        # A remark mid-conversation that nothing could be read in ("我是第二次来买了") asks
        # nothing: it is acknowledged, and the agent still reads it (the checks stay).
        return [_remark_step(inputs)]
    if not steps:
        # Nothing was planned (a faint security or greeting guess): never an empty draft.
        checks.append(CheckItem(ask="unclear", what=book.unsure.unread(
            language, statement=inputs.acts.statement)))
        return [PlanStep(intent="other", ask="unclear", source="check")]
    if not other:
        return steps
    kept = [s for s in steps if s not in other]
    if any(s.source != "safety" for s in kept):
        return kept
    if _acknowledged(inputs):
        return [*kept, _ack(inputs)]
    if taken_on and not kept:
        return _taken_on(inputs, book, language, checks)
    if acts.contentless or inputs.risks:
        # An injection or a link with nothing else asked: the safety line alone, or the menu.
        return kept if kept else [*kept, PlanStep(intent="other", source="menu")]
    checks.append(CheckItem(ask="unclear", what=book.unsure.unread(
        language, statement=inputs.acts.statement)))
    if _remark(inputs) and not kept:
        # Acknowledged ("收到，我看一下", not a closing line); the agent reads it.
        return [_remark_step(inputs)]
    if _tells_of_themselves(inputs) and not kept:
        # "just travelling and want to film a vlog" opening the talk: there is nothing to look
        # into yet, so what they need is asked; the agent still reads it.
        return [_what_they_need()]
    return [*kept, PlanStep(intent="other", ask="unclear", source="check")]


def _tells_of_themselves(inputs: PlanInputs) -> bool:
    """Opening the talk, the customer tells of themselves and asks nothing ("just travelling and
    want to film a vlog"): nothing to look into yet."""
    acts = inputs.acts
    return inputs.first_reply and acts.statement and acts.about_self and not acts.of_order \
        and not acts.continuing and not inputs.risks


def _what_they_need() -> PlanStep:
    return PlanStep(intent="other", ask="opening", source="ack")


def _taken_on(inputs: PlanInputs, book: AskBook, language: Language, checks: list[CheckItem]
              ) -> list[PlanStep]:
    """A message with nothing else read that asks something of the agent ("麻烦尽快处理下吧",
    "麻烦您帮我提交吧"): the agent is on it, and reads what is asked. One that says there is no
    hurry ("没关系，弄清楚就好") is thanked for its patience; the agent still reads it."""
    if not inputs.acts.requesting:
        return [_ack(inputs)]
    checks.clear()
    checks.append(CheckItem(ask="unclear", what=book.unsure.request[language]))
    return [PlanStep(intent="other", ask="on_it", source="ack")]


def _remark_step(inputs: PlanInputs) -> PlanStep:
    """A remark is acknowledged; one that answers the agent's question ("네, 터닝메카드를
    좋아해요" after "which character?") also says the agent is on it, and one after the agent
    promised something ("拍了我给您改价" … "单已经下好了") says it will be done."""
    # Only placing the order the agent asked for calls for the promise; any other remark
    # ("我也是第二次来买了") is just noted.
    ask = "promised" if _promise_to_keep(inputs.understanding) and inputs.acts.ordering else \
        "answer" if inputs.acts.answers_agent else "remark"
    return PlanStep(intent="other", ask=ask, source="ack")


def _promise_to_keep(seen: UnderstandingReport) -> bool:
    """The agent promised to do something the order calls for ("拍了我帮您改价"); a dispatch
    date they gave ("年前发出") is no promise an order keeps."""
    return bool(set(seen.state.agent_promised) - {"ship_schedule"})


def _arrived(inputs: PlanInputs) -> bool:
    """"东西收到了", "got it today": a calm word that the parcel arrived, nothing else said. A
    bare "好的" says nothing of the parcel, whatever an earlier turn said of it."""
    seen = inputs.understanding
    return inputs.acts.statement and seen.order_state == "received" and seen.mood == "calm" \
        and not inputs.acts.acknowledgement


def _acknowledged(inputs: PlanInputs) -> bool:
    """The message does something an acknowledgement answers (``_ack``)."""
    acts = inputs.acts
    return acts.acknowledgement or acts.praise or acts.ordering or acts.hoping or \
        acts.returning or acts.chasing or acts.stepping_away or acts.declining or \
        acts.giving_up or acts.apologising or _arrived(inputs)


def _ack(inputs: PlanInputs, intent: str = "other") -> PlanStep:
    """A bare "ok" is acknowledged; an order ("im buying", "拍了") and praise or a promised good
    review are thanked for; a wish ("可别让我失望") is told help is here if anything is wrong; a
    chase ("查到了吗") is told the agent is on it; "等我一下" is told to take their time."""
    if inputs.acts.declining and not (inputs.acts.chasing or inputs.acts.ordering):
        # "nope" to "anything else?": a goodbye back, not "got it"
        return PlanStep(intent="thanks_close", ask="farewell", source="close")
    calm = inputs.understanding.mood == "calm"  # "说好的我拍了两大箱" is no order to thank for
    ask = "chasing" if inputs.acts.chasing else \
        "stepping_away" if inputs.acts.stepping_away else \
        "apologised" if inputs.acts.apologising else \
        "patient" if inputs.acts.patient else \
        "giving_up" if inputs.acts.giving_up else \
        "ordering" if inputs.acts.ordering and calm else \
        "returning" if inputs.acts.returning and calm else \
        ("praise_browsing" if _browsing(inputs) else "praise") if inputs.acts.praise and calm else \
        "hope" if inputs.acts.hoping else \
        "received" if _arrived(inputs) else None
    return PlanStep(intent=intent, ask=ask, source="ack")


def _browsing(inputs: PlanInputs) -> bool:
    """Praise of the goods before buying ("颜色挺好看", "마음에 들어요"): the next step is
    choosing a size, so the thanks offers help with it; praise after the parcel came is only
    thanked for."""
    seen = inputs.understanding
    return not inputs.acts.of_service and inputs.order_status in (None, "unpaid") and \
        seen.order_state in (None, "unpaid")


def _remark(inputs: PlanInputs) -> bool:
    """A calm statement in a running conversation, with nothing risky in it. A first message that
    asks nothing is more often a demand ("say there is no risk and I'll buy") than a remark, and
    a displeased one ("不合理") is a complaint, not a remark to acknowledge."""
    return inputs.acts.statement and not inputs.first_reply and not inputs.risks and \
        inputs.understanding.mood == "calm"


def _ask_source(ask_id: str, inputs: PlanInputs, book: AskBook) -> StepSource:
    answer = inputs.store.answers.get(ask_id)
    if answer is not None and inputs.language in answer.text:
        return "store"
    if ask_id in _FROM_THE_ORDER:
        return "facts"
    needed = COMPUTED.get(ask_id)
    if needed is not None and {needed, *_ALSO_ANSWERS.get(ask_id, ())} & inputs.fact_keys:
        return "facts"
    found = book.get(ask_id)
    if found is not None and found.needs_product and "product" in inputs.missing:
        return "ask_customer"
    return "check"


def _opening(inputs: PlanInputs, names: list[str], calm: bool) -> Opening:
    # "好的，那明天到得了吗" answers something said before: no greeting mid-conversation, even
    # where the history sent with the request is short.
    # "啥情况?你回我句话呀": pressing for an answer is no first hello to welcome ("hello?" alone
    # is one).
    if not inputs.first_reply or not calm or names == ["thanks_close"] or \
            inputs.acts.continuing or (inputs.acts.chasing and names != ["greeting"]):
        return "none"
    return "banner" if names == ["greeting"] else "brief"


def _confidence(inputs: PlanInputs, steps: list[PlanStep], confidence_of: dict[str, float]
                ) -> float:
    """How sure the draft is, for sorting a queue: the reading of the message, lowered for each
    thing the agent must check and for a product that could not be decided."""
    answered = [s for s in steps if s.source in ("facts", "store", "supervisor")]
    read = max((confidence_of.get(s.intent, 0.6) for s in answered), default=0.5)
    if any(s.source == "check" for s in steps):
        read = min(read, 0.5)
    if any(s.source == "menu" for s in steps):
        read = min(read, 0.3)
    if inputs.understanding.product.how == "ambiguous":
        read *= 0.7
    return round(max(0.0, min(1.0, read)), 2)
