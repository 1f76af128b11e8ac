"""Understand a conversation the way an agent would: language and script, the product and why,
intents (with history), slots, mood and urgency, the order state the customer states, and what the
conversation has already settled.

History matters: a follow-up ("那黑色呢?", "what about black?") inherits the intents and product of
the question it follows; slots carry over from earlier customer messages; ids already given and
what the agent said are kept in the dialogue state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from replydraft.drafting.backend import Slots
from replydraft.drafting.models import (
    ConversationState,
    DraftRequest,
    IntentScore,
    Message,
    ProductResolved,
    UnderstandingReport,
)
from replydraft.drafting.understanding.acts import (
    ACK_LEFTOVER,
    Acts,
    agent_asks_outright,
    agent_turn_before,
    is_statement,
    names_size,
    only_words,
    read_acts,
)
from replydraft.drafting.understanding.asks import Ask, AskBook
from replydraft.drafting.understanding.conversation import (
    FOOTWEAR,
    extract_slots,
    message_slots,
)
from replydraft.drafting.understanding.cues import Cues, Mood, StatedOrderState
from replydraft.drafting.understanding.dialogue import (
    DialogueState,
    awaited,
    dialogue_state,
    echoes_agent,
)
from replydraft.drafting.understanding.followup import (
    FOLLOWUP_OWN,
    answers_the_agent,
    continue_the_case,
    is_followup,
    only_names,
    presses,
)
from replydraft.drafting.understanding.intents import (
    FAINT,
    MIN_REST_CHARS,
    RESIDUAL,
    STRONG,
    IntentClassifier,
    family_of,
    is_question,
    letters,
    normalise,
    questions_in,
    with_followup,
)
from replydraft.drafting.understanding.lexicon import Lexicon, word_in
from replydraft.drafting.understanding.mentions import find_colour
from replydraft.drafting.understanding.product import (
    ProductResolution,
    guessed_by_trait,
    resolve_product,
)
from replydraft.drafting.understanding.slots import normalise_measures, says_size_fits
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.languages import Language
from replydraft.text.money import quoted_prices, read_money
from replydraft.text.script import detect_language

# Confidence given to an intent the slots imply ("175 90kg?" is a size question).
IMPLIED = 0.7
# Confidence given to the intent of a specific ask found in a message the model read as `other`.
ASKED = 0.6
# Below this an intent rests on one weak cue; it gives way to a clearer neighbour.
WEAK_ALONE = 0.61
# A model reading this close to its threshold, with no word of the message behind it, is only a
# lean: read at LEANING, the agent is told what it may be about instead of a script being said.
BARELY = 0.55
LEANING = 0.27


# Intents that make another beside them beside the point: someone whose parcel is late does not
# want the dispatch schedule, someone holding a torn jacket does not want its fabric pitched.
OVERSHADOWS = {
    "logistics_delay": ("shipping_time",),
    "cancel_order": ("shipping_time",),
    "refund_status": ("shipping_time", "logistics_delay", "return_exchange"),
    "quality_complaint": ("product_info", "quality_concern"),
}


def tidy_intents(intents: list[IntentScore], *, measured: bool = False) -> list[IntentScore]:
    """Drop intents a clearer neighbour makes beside the point. ``measured``: the latest message
    gives a body measurement, so a size question in it is real."""
    names = {s.intent for s in intents}
    dropped = {d for intent, hidden in OVERSHADOWS.items() if intent in names for d in hidden}
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
    product: ProductResolution = field(default_factory=lambda: ProductResolution(None, "none"))
    mood: Mood = "calm"
    urgent: bool = False
    addressed_elsewhere: bool = False  # written to another company's account
    order_state: StatedOrderState | None = None  # what the customer says happened to the order
    state: DialogueState | None = None
    asks: tuple[str, ...] = ()  # the specific asks, in message order
    acts: Acts = field(default_factory=Acts)  # what the message does besides asking
    # The customer asks for a lower price in their own words ("便宜点吧", "能少10吗", "knock 10
    # off?"), not only mentions prices ("上次买便宜多了") or reads so to the model ("我买东西"):
    # only such a request is offered a discount.
    haggles: bool = False
    waited_unshipped: bool = False  # an earlier customer message said it has not gone out

    def report(self) -> UnderstandingReport:
        """What the API and the workbench show of it."""
        state = self.state
        return UnderstandingReport(
            product=ProductResolved(sku=self.product.sku, how=self.product.how,
                                    candidates=list(self.product.candidates)),
            mood=self.mood, urgent=self.urgent, order_state=self.order_state,
            addressed_elsewhere=self.addressed_elsewhere,
            followup=self.followup,
            state=ConversationState(
                order_id=self.order_id,
                given=list(state.given) if state else [],
                agent_refused=[t for a, t in state.agent_acts if a == "refused"] if state else [],
                agent_promised=[t for a, t in state.agent_acts if a == "promised"]
                if state else [],
                awaiting=list(state.awaiting) if state else [],
                waited_unshipped=self.waited_unshipped),
            asks=list(self.asks), acts=self.acts.names(), haggles=self.haggles)


def _add_intent(intents: list[IntentScore], intent: str, confidence: float) -> list[IntentScore]:
    """``intent`` at ``confidence`` at least: a faint reading of it the words make sure ("265요"
    to "발 사이즈가?" read faintly as a size question) is raised, not left faint."""
    if any(s.intent == intent for s in intents):
        raised = [s if s.intent != intent or s.confidence >= confidence
                  else IntentScore(intent=intent, confidence=confidence) for s in intents]
        return sorted(raised, key=lambda s: -s.confidence)
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
    cues: Cues,
    asks: AskBook,
    rules_only: bool = False,
) -> Understanding:
    """``rules_only``: the keyword rules without the trained model (the eval reports both)."""
    customer = [m.text for m in request.messages if m.role == "customer"]
    language = detect_language(customer, forced=request.language,
                               channel_default=request.default_language,
                               store_default=store.default_language)
    family = family_of(language)
    latest = customer[-1]
    previous = customer[-2] if len(customer) > 1 else None
    earlier = request.messages[:-1]
    product = resolve_product(latest, earlier, on_screen=request.sku, products=products,
                              lexicon=lexicon)
    if _priced_otherwise(product, request, products) or \
            _of_goods_we_lack(product, customer, products, lexicon):
        # "그 재킷은 이십오만 원이에요" … "더 싼 건 없나요?": the agent quoted a price we don't
        # charge, or the chat is about bags and only "가죽" pointed at our belt: the item they
        # talk about is not ours, and which item it is is for the agent.
        product = ProductResolution(None, "none")
    intents = classifier.classify(_without_threats(latest, cues), rules_only=rules_only)
    acts = read_acts(request, lexicon, cues)
    if acts.image:
        # "[图片]" says nothing the model can read; the case it belongs to is the one before.
        intents = [IntentScore(intent="other", confidence=0.5)]
    awaiting = awaited(request, cues)
    bare = only_names(latest, lexicon)
    # "算了 不弄了" drops the matter the last message raised: it does not continue it.
    followup = previous is not None and not acts.giving_up and (
        bare or is_followup(latest, intents, classifier, lexicon)
        or answers_the_agent(latest, awaiting))

    read_before: dict[str, list[IntentScore]] = {}

    def before(previous: str) -> list[IntentScore]:
        # Classified only when the latest message leans on it, and once: a model call each time.
        if previous in read_before:
            return read_before[previous]
        scores = _implied_intents(classifier.classify(previous, rules_only=rules_only),
                                  previous, family, products, lexicon, None, False)
        said = normalise_measures(previous)
        if is_question(said) and cues.mood(said, previous) == "calm":
            # "이건 무슨 소재예요?": a calm question is no grievance for a follow-up to carry on,
            # whatever the model reads in it
            scores = [s for s in scores if s.intent != "complaint"]
        read_before[previous] = scores
        return scores

    if any(s.intent == "thanks_close" and s.confidence >= FOLLOWUP_OWN for s in intents):
        followup = False  # "thanks, ordering now" closes the topic; it does not continue it
    normalised = normalise_measures(latest)
    if acts.ordering and lexicon.cue("check_my_order", normalised):
        followup = False  # "拍好了你看下对不对": the order placed is what to look at now
    names_lack = _names_lack(normalised, lexicon)  # "슬랙스는요?": a thing we don't carry
    measured = message_slots(latest, family, lexicon).measured
    # "do you have running shoes?", "有什么裤子" asks which of a kind we have.
    kind_asked = any(ask is not None and ask.pattern.search(normalised) is not None
                     for ask in (asks.get("catalogue"), asks.get("recommend")))
    # Clothes of a kind we don't make beside one we do, told as what they are looking for
    # ("플리스하고 슬랙스 보러 왔어요"): a kind too. (A hood asked of our fleece is no hat wanted.)
    lacked_kind = product.how in ("category", "named") and acts.answers_agent and \
        lexicon.lacked(normalised, clothing_only=True) is not None
    if (product.kinds or lacked_kind) and product.how != "on_screen" and not measured and \
            _wants_kinds(normalised, kind_asked, acts, lexicon, intents):
        # "有卫衣和牛仔裤吗", "후드티하고 청바지요" to "what are you looking for?": several kinds
        # wanted, so our items of each (and no slacks), not the first kind's fabric.
        kinds = product.kinds or product.candidates
        product = ProductResolution(None, "ambiguous", kinds, kinds)
    # "牛仔褲 腰圍36吋 要買幾號" asks the size of the jeans, not which jeans there are.
    of_a_kind = product.how in ("category", "ambiguous") and bool(product.candidates) and \
        not measured
    # "i'm looking for running shoes", "想找件冲锋衣": a kind of which we make one item, named
    # with nothing on screen, is asked about like any kind: the item, its price, the size.
    # "do you have running shoes?" asks which of the kind we have, whatever is on screen.
    # "jeans", "冲锋衣": a kind named and nothing else, opening the talk, is the kind wanted
    # ("등산화는요?" after a question continues that question).
    # So is the answer to the agent's "what are you looking for?" ("후드티요").
    # ("冲锋衣" after "我185 260斤" … "哪一款?" names the item the size question was about.)
    bare_kind = _bare_kind(normalised, lexicon) and (previous is None or (
        acts.answers_agent and not is_question(normalised)
        and not any(s.intent in _PRESALES and s.confidence >= FAINT
                    for s in before(previous))))
    one_of_a_kind = product.how == "named" and len(product.candidates) == 1 and \
        (request.sku is None or kind_asked) and not measured and \
        (lexicon.cue("wanting", normalised) or kind_asked or bare_kind) and \
        not names_size(normalised) and not lexicon.colour_families(normalised) and \
        not names_lack  # "데님 가방" wants a bag, not our denim
    found = asks.find(normalised, of_a_kind=of_a_kind or one_of_a_kind)
    catalogue = asks.get("catalogue")
    if (of_a_kind or one_of_a_kind) and catalogue is not None and catalogue not in found:
        # "any hiking boots would do", "어르신이 신기 편한 신발 있을까요?": a pick
        # among a kind we sell is answered with our items of that kind, not the whole range.
        found = [catalogue if a.id == "recommend" else a for a in found]
    if (one_of_a_kind or of_a_kind) and not found and catalogue is not None and bare_kind:
        found = [catalogue]  # "cargo pants", the answer to "what are you looking for?"
    if of_a_kind and product.sku is None:
        found = _wanted_kind(_priced_kind(found, asks), asks, acts, lexicon, normalised,
                             intents, bare_kind=bare_kind)
    found = _most_specific(found, kind_described=of_a_kind and product.sku is None)
    if acts.giving_up and acts.statement and all(a.needs_product for a in found):
        # "拉链的事算了 不弄了": the zip names the matter dropped; nothing is asked of an item.
        found = []
    if product.sku is None and any(a.id == "recommend" for a in found):
        # "something warm for winter": with no item in view, "warm" says what to suggest; it
        # asks nothing of an item.
        found = [a for a in found if not a.needs_product]
    if followup and previous is not None:
        # "배송비는요?" asks its own question; "黑色呢", "and the hoodie?", "7033" or "冲锋衣"
        # continue the last one. "색깔은요?" after a size question does not: a specific ask the
        # last question did not have is a question of its own (the product still carries over).
        # "슬랙스는요?" after looking at hoodies names a thing we don't make: its own question.
        own = [s for s in intents if s.intent not in RESIDUAL and (
            s.confidence >= FOLLOWUP_OWN or (s.intent == "not_sold" and names_lack))]
        inherited = with_followup([], before(previous), followup=True)
        asked = {i for ask in found if not ask.alone for i in (ask.intent, *ask.also)}
        if asked and not asked & {s.intent for s in inherited}:
            intents = own or intents
        else:
            intents = (own if not bare else []) or inherited or intents
            if not found and not own and not measured and \
                    not _MEASURES_ASKED & set(awaiting) and \
                    _gives_what_was_asked(acts, awaiting) and (
                    not is_question(normalised) or echoes_agent(request)):
                # "能延长收货吗" … "123456789012": the order number answers the agent, and the
                # question it was asked for is still the one to answer; so does a question
                # about what the agent asked for ("少了一双" … "拍个照片" … "照片要拍哪里").
                # Measurements ("보통 265 신어요" after "발 크기는요?") go to the size advice.
                found = [a for a in _most_specific(asks.find(normalise_measures(previous)))
                         if a.id not in _OPENING_ASKS]
    elif previous is not None and presses(intents):
        intents = continue_the_case(intents, before(previous))
    slots = extract_slots(request, family=family, products=products, lexicon=lexicon,
                          sku=product.sku, currency=store.currency)
    rules = classifier.rules.scores(normalise(latest))
    intents = _implied_intents(intents, latest, family, products, lexicon, slots, followup,
                               read_by_rules=any(i != "other" for i in rules))
    stated = cues.order_state(normalised)  # what the latest message itself says happened
    order_state = stated or _earlier_order_state(cues, customer)
    said = [latest, previous] if followup and previous else [latest]
    intents = _read_in_context(intents, cues, [normalise_measures(t) for t in said],
                               order_state)
    if acts.stepping_away and product.how not in ("category", "ambiguous"):
        # "one sec, asking my wife which colour she wants": nothing is asked of us yet. "신발 좀
        # 볼게요" names a kind we sell: our items of that kind are what they will look at.
        found, rules = [], {}
    sent_back = asks.get("return_sent")
    if sent_back is not None and stated == "returned" and \
            all(a.intent == "shipping_time" for a in found) and \
            not any(s.intent == "refund_status" and s.confidence >= FAINT for s in intents):
        # "我把退货交给快递师傅了", "dropped the return off": it is on its way back, and what
        # happens to it next answers the message, not the returns policy or a defect's apology;
        # a courier named there ("交给顺丰小哥了") is the return's, no question of shipping.
        found = [sent_back]
        intents = _add_intent([s for s in intents if s.intent not in sent_back.overshadows],
                              sent_back.intent, ASKED)
    # "체크는 별로예요 다른 거 있어요?", "그런 색은 별로고 밝은 색 좋아해요": a taste while
    # choosing, another one asked for or a liking told; nothing went wrong.
    taste = lexicon.cue("another_option", normalised) or any(a.id == "recommend" for a in found)
    said_mood = cues.mood(normalised, latest)
    intents = _by_the_words(intents, found, rules, lexicon, normalised, acts,
                            displeased=said_mood != "calm" and not taste,
                            ours=product.sku is not None,
                            sized=slots.clothing_size is not None,
                            mentioned=product.how in ("named", "category"),
                            continued=normalise_measures(previous)
                            if followup and previous is not None else None,
                            stated=stated is not None)
    if acts.thanks and acts.hoping and not (acts.requesting and found):
        # "谢谢!盼着今天能到", "thanks, hope it fits": a thanks with a wish asks nothing; the
        # schedule or the size chart would answer a question nobody asked.
        intents, found = [IntentScore(intent="thanks_close", confidence=ASKED)], []
    wish = acts.hoping and not found
    if wish:
        # "头一回买 可别让我失望", "hope i wont regret this": a wish, not a grievance, whatever
        # words of disappointment it holds; it is met with help if anything is wrong.
        intents = [s for s in intents if s.intent not in ("complaint", "quality_complaint")] \
            or [IntentScore(intent="other", confidence=0.5)]
    supposed = lexicon.cue("hypothetical", normalised) and is_question(normalised) and \
        order_state is None and not lexicon.cue("refers_back", normalised)
    if supposed:
        # "如果洗过之后起球怎么处理", "what if it shrinks?": asked before anything went wrong, a
        # worry about quality answered with the policy, not a defect to apologise for.
        intents = _add_intent([s for s in intents if s.intent != "quality_complaint"],
                              "quality_concern", next((s.confidence for s in intents
                                                       if s.intent == "quality_complaint"), 0.0)) \
            if any(s.intent == "quality_complaint" for s in intents) else intents
    if lexicon.cue("in_general", normalised) and not rules.get("quality_complaint"):
        # "这种一般都能退吧", "returns are normally fine, right?": the rule in general is
        # asked, and no defect named; the model's defect reading is its guess.
        intents = [s for s in intents if s.intent != "quality_complaint"] or [
            IntentScore(intent="other", confidence=0.5)]
    if acts.praise and acts.statement and not found and not measured and \
            stated == "received":
        # "穿上挺合身的", "입어 보니 딱 맞네요": how it fits once it came is praise, not a size
        # question, whatever its words share with one.
        intents = [s for s in intents if s.intent not in _PRESALES] or [
            IntentScore(intent="other", confidence=0.5)]
    intents = tidy_intents(intents, measured=measured)
    if any(s.intent == "size_advice" for s in intents):
        # "牛仔裤要拍几号" asks the size, not which jeans there are; "我200斤最大码能穿吗"
        # gives the measurements, and the size they call for answers it, not the chart's range.
        found = [a for a in found if not a.needs_category
                 and not (measured and a.id == "size_range")]
        # The product question the catalogue brought in (read at ASKED) goes with it.
        intents = [s for s in intents if s.intent != "product_info" or s.confidence != ASKED
                   or any(a.intent == "product_info" for a in found)] or intents
    # Only a plain answer ("8살이요", "M码", "black or tan") or a choice ("갈색으로 250 주세요")
    # goes on with it: praise of what the agent showed, or a question of its own, is about
    # what the agent is talking about.
    told = _lack_told(request.messages[:-1], asks, lexicon) if (
        acts.ordering or (acts.answers_agent and acts.statement and not acts.praise)) and \
        not is_question(normalised) and \
        all(a.id in _CHOOSING for a in found) and product.how not in ("named", "category") and \
        not names_lack and all(
            s.intent in _CHOOSING_INTENTS or s.confidence < FAINT for s in intents) else None
    if told is None and acts.ordering and not names_lack and \
            _agent_went_on(request) and any(s.intent == "not_sold" for s in intents):
        # "정장 구두" … "갈색이랑 검정 있어요" … "검정으로 250 주세요": the agent went on about
        # it as if we had it; the choice is not met with "we don't carry that"
        intents = [s for s in intents if s.intent != "not_sold"] or [
            IntentScore(intent="other", confidence=0.5)]
    if told is not None:
        # "想给儿子买件羽绒服" … "几岁了?" … "7岁": the answer to the agent goes on with a
        # matter already settled by what we don't carry (kids' or women's sizes, bags); the
        # draft says so, instead of looking for a size or an item.
        found = [told] if isinstance(told, Ask) else []
        intents = [IntentScore(intent=told.intent if isinstance(told, Ask) else "not_sold",
                               confidence=ASKED)]
    urgent = cues.is_urgent(normalised)
    arrival = asks.get("arrive_when")
    if urgent and previous is None and not found and arrival is not None and \
            not acts.requesting and not (acts.statement and len(latest) > _URGENT_NOTE) and \
            all(s.intent == "other" or s.confidence < FAINT for s in intents):
        # "着急用，咋办" opening a conversation: how fast it can reach them is the question
        found = [arrival]
        intents = [IntentScore(intent=arrival.intent, confidence=ASKED)]
    place = _place_told(request, normalised, lexicon, asks)
    if place is not None:
        found, intents = [place], [IntentScore(intent=place.intent, confidence=ASKED)]
    # An intent the ask found makes beside the point sets no mood either: "两件一样的为什么分开发"
    # read as a defect by the model reports none, and is asked calmly.
    beside = {i for a in found for i in a.overshadows}
    mood = _mood(cues, customer, said_mood, [s for s in intents if s.intent not in beside],
                 order_state, urgent=urgent)
    forestalled = order_state is None and any(a.id in _FORESTALLED for a in found)
    if (wish or supposed or forestalled) and mood == "upset":
        # "希望不要让我失望", "万一起球怎么办", "别压扁了 包好点": the trouble is only feared
        mood = "calm"
    if mood == "upset" and order_state is None and taste \
            and not {s.intent for s in intents} & _AFTER_SALES:
        mood = "calm"
    if mood != "calm" and [s.intent for s in intents] == ["other"] and not acts.giving_up:
        # Displeasure with nothing else asked is what `complaint` means.
        intents = [IntentScore(intent="complaint", confidence=intents[0].confidence)]
    state = dialogue_state(request, slots=slots,
                           product_given=product.how not in ("on_screen", "none", "ambiguous"),
                           awaiting=awaiting, cues=cues,
                           spoke=any(not _greeting_only(t, classifier) for t in customer[:-1]))
    return Understanding(
        language=language,
        intents=intents,
        slots=slots,
        followup=followup,
        first_reply=state.agent_turns == 0,
        order_id=state.order_id,
        previous_text=previous,
        product=product,
        mood=mood,
        urgent=urgent,
        addressed_elsewhere=_addressed_elsewhere(cues.mentions(normalised), store),
        order_state=order_state,
        state=state,
        asks=tuple(dict.fromkeys(ask.id for ask in found)),
        acts=acts,
        waited_unshipped=_waited_unshipped(intents, customer, asks),
        haggles=not _postage_dear(found, lexicon, normalised) and (
            _haggles(latest, lexicon, classifier.rules.scores, rules) or (
                followup and previous is not None and _haggles(previous, lexicon,
                                                               classifier.rules.scores))),
    )


# Earlier customer messages read for a late order before a cancellation.
_WAIT_LOOKBACK = 6


def _waited_unshipped(intents: Sequence[IntentScore], customer: Sequence[str],
                      asks: AskBook) -> bool:
    """A cancellation after one of the last few messages said the order has not gone out
    ("怎么还没寄" … "那我不要了"). Read only for a cancellation: the earlier messages are not
    searched for every draft."""
    return any(s.intent == "cancel_order" for s in intents) and any(
        ask.id == "not_shipped" for text in customer[-_WAIT_LOOKBACK - 1:-1]
        for ask in asks.find(normalise_measures(text)))


# What the agent asks for to work out a size: the answer goes to the size advice.
_MEASURES_ASKED = frozenset({"size", "height", "weight"})
# "明天要出发" says how soon it is needed; a longer account with no question in it ("…准备送人，
# 结果当天就摔了…") tells a story in which a gift or a trip is only a detail.
_URGENT_NOTE = 20
# A quality worry the model alone reads below this is a lean, checked rather than answered.
_QUALITY_SURE = 0.7
# "better", "嗯嗯好": too few letters to carry a grievance that no word of displeasure names.
_A_WORD_OR_TWO = 6


def _gives_what_was_asked(acts: Acts, awaiting: Sequence[str]) -> bool:
    """The agent asked something and the reply gives it, doing nothing else ("湖南" after "哪个
    省?", "123456789012" after "订单号?"): an "ok", a thanks, praise, an order or a chase is a
    step of its own, not the earlier question asked again."""
    return (acts.answers_agent or bool(awaiting)) and not (
        acts.acknowledgement or acts.thanks or acts.farewell or acts.declining or acts.praise
        or acts.ordering or acts.chasing or acts.requesting or acts.patient
        or acts.stepping_away or acts.contentless or acts.image)


def _priced_otherwise(product: ProductResolution, request: DraftRequest,
                      products: Sequence[Product]) -> bool:
    """The product was only inferred from the history, and the agent quoted a price for the item
    talked about that is not this product's."""
    if product.sku is None or product.how != "history":
        return False
    ours = next((p for p in products if p.sku == product.sku), None)
    if ours is None:
        return False
    prices = {ours.price, *([ours.list_price] if ours.list_price else [])}
    quoted = [q for m in request.messages if m.role == "agent"
              for q in quoted_prices(normalise_measures(m.text))]
    return bool(quoted) and all(won or all(abs(value - p) > 0.5 for p in prices)
                                for value, won in quoted)


def _of_goods_we_lack(product: ProductResolution, customer: Sequence[str],
                      products: Sequence[Product], lexicon: Lexicon) -> bool:
    """The customer speaks of a kind of goods we don't carry ("가방 구경해도 돼요?", "do you have
    backpacks"), never of our item's kind or name, and our item was only guessed from a word it
    shares ("가죽" is the belt's leather, not the bag's): the item they mean is not ours."""
    if product.sku is None or product.how not in ("history", "named", "category"):
        return False
    said = [normalise_measures(text) for text in customer]
    if product.how == "category" and not guessed_by_trait(product.how, said[-1], lexicon):
        return False  # "패딩 조끼": a kind of ours named; only a colour guess ("가방 레드로") is
    ours = next((p for p in products if p.sku == product.sku), None)
    if ours is None or not any(_names_lack(text, lexicon) for text in said):
        return False
    # "冲锋衣里面能穿毛衣不" … "帽子能拆吗": the jacket was named; the sweater is beside it.
    # "패딩조끼" names a vest: a kind word right before a thing we lack only describes it.
    named = [word.lower() for word in (*lexicon.categories.get(ours.category, ()),
                                       *ours.names.values()) if word]
    plain = [lexicon.without_false_friends(text) for text in said]
    return not any(_names_as_head(word, text, lexicon.lacked_words)
                   for text in plain for word in named)


def _names_as_head(word: str, text: str, lacking: Sequence[str]) -> bool:
    """``word`` stands in ``text`` as the thing meant, not as the first half of a compound
    whose head is a thing we don't carry ("패딩조끼", "羽绒马甲", "down vest")."""
    if not word_in(word, text):
        return False
    start = text.find(word)
    while start != -1:
        after = text[start + len(word):].lstrip()
        if not any(after.startswith(thing) for thing in lacking if thing):
            return True
        start = text.find(word, start + 1)
    return False


def _only_names(word: str, normalised: str) -> bool:
    """The message is little more than ``word`` ("helmet", "jeans?", "茶刀吧"), most often the
    answer to "what are you looking for?"; a particle or a form of address may remain."""
    return letters(normalised) <= letters(word) + ACK_LEFTOVER


# Requests made before dispatch so that nothing goes wrong: whatever words of damage they hold,
# nothing has happened yet.
_FORESTALLED = frozenset({"pack_well", "inspect_before_ship"})
# What choosing among goods asks ("black or tan", "M码", "8살이요"): in a talk about something we
# don't carry, it is still about that thing.
_CHOOSING = frozenset({"recommend", "catalogue", "range", "colours", "in_stock", "size_range"})
_CHOOSING_INTENTS = frozenset({"other", "size_advice", "stock", "product_info"})
# What an earlier turn may have said we don't carry, read from the customer's last few turns.
_LACK_ASKS = ("kids", "women")
_LACK_TURNS = 3


def _lack_told(earlier: Sequence[Message], asks: AskBook, lexicon: Lexicon
               ) -> Ask | str | None:
    """The kids' or women's ask, or "not_sold" for a thing we lack, that one of the customer's
    last few turns raised; None when none did, or when the agent has since said more than a
    question (that we don't have it, or something about it as if we had)."""
    customer_turns = 0
    for message in reversed(earlier):
        normalised = normalise_measures(message.text)
        if message.role == "agent":
            if _WE_LACK_IT.search(normalised) or not agent_asks_outright(message.text):
                # said we don't have it, or went on about it ("갈색이랑 검정 있어요"): the
                # draft would contradict the agent; only their questions leave it open
                return None
            continue
        customer_turns += 1
        if customer_turns > _LACK_TURNS:
            return None
        lacking = next((a for a in asks.find(normalised) if a.id in _LACK_ASKS), None)
        if lacking is not None:
            return lacking
        if _names_lack(normalised, lexicon):
            return "not_sold"
    return None


def _agent_went_on(request: DraftRequest) -> bool:
    """The agent's turn just before the latest one said something, not only asked."""
    agent = agent_turn_before(request)
    return agent is not None and not agent_asks_outright(agent)


# The agent saying we don't have it ("我们家没有包哦", "we don't carry bags", "가방은 없어요").
_WE_LACK_IT = re.compile(r"没有|不卖|没得卖|不做|(?:don.?t|do not) (?:have|carry|sell|make)|"
                         r"없어요|없습니다|안 ?팔|판매하지 ?않")


def _names_lack(normalised: str, lexicon: Lexicon) -> bool:
    """The message names a thing we don't carry, goods or clothes ("充电宝", "슬랙스")."""
    return lexicon.lacked(normalised) is not None


def _greeting_only(text: str, classifier: IntentClassifier) -> bool:
    """"在吗", "hello?": the greeting rules match the whole message."""
    return _only_greets(classifier.rules.scores(normalise(text)))


def _only_greets(rules: dict[str, float]) -> bool:
    """The keyword rules read a greeting and nothing else ("在吗", "I'm back", "안녕하세요")."""
    return set(rules) == {"greeting"} and rules["greeting"] >= STRONG


def _postage_dear(found: Sequence[Ask], lexicon: Lexicon, normalised: str) -> bool:
    """"运费好贵", "邮政又贵又慢": the postage or the courier is dear, not the goods, and nothing
    off is asked for (no ``haggle`` word): a remark on the postage, not bargaining."""
    return any(a.id == "postage_pricey" for a in found) and not lexicon.cue("haggle", normalised)


def _haggles(text: str, lexicon: Lexicon, scores: Callable[[str], dict[str, float]],
             rules: dict[str, float] | None = None) -> bool:
    """A bargaining keyword (``scores``: the keyword rules; ``rules``: the text's scores when
    the caller has them), in a question or said as a request; or postage asked off as a request
    ("包个邮吧", not "包邮吗"). A price objection ("现在贵了这么多", "thats expensive") asks for
    nothing off unless a bargaining word besides it does."""
    normalised = normalise_measures(text)
    request = lexicon.cue("haggle", normalised)
    if not request and lexicon.cue("pricey", normalised):
        plain = normalise(text)
        for word in lexicon.words("pricey"):
            plain = plain.replace(word, " ")
        rules = scores(plain)
    elif rules is None:
        rules = scores(normalise(text))
    return (rules.get("bargaining", 0.0) >= STRONG and (
        not is_statement(normalised, lexicon) or request)) or (
        rules.get("postage", 0.0) >= STRONG and request)


# Asks that open a talk by offering the range for someone else ("想给老公买个礼物"): once the
# customer answers the agent's question about him ("喜欢简单点的"), offering the range again would
# not be listening. (A range asked for oneself is offered again when they say who it is for.)
_OPENING_ASKS = frozenset({"for_him"})


# Asks that may stand beside "which of a kind do you have": they ask the same thing.
_LIKE_A_CATALOGUE = frozenset({"range", "recommend", "in_stock"})


# Intents the message must name in words for the model's reading to stand (lexicon cues): a
# postage question names shipping, an address change an address, a safety worry a link, an
# account, a code or contact off the platform, a return sending back or goods that did not suit,
# a hand-over a person or a way to reach one, a colour difference what the colour differs from.
_NAMED_BY = {"postage": "shipping_words", "address_change": "address_words",
             "security": "security_words", "return_exchange": "return_words",
             "handoff": "handoff_words", "colour_difference": "colour_diff_words",
             "greeting": "greeting_words"}


# "多少钱", "价位多少": a price, or the range of our prices
_PRICE_ASKS = frozenset({"price", "price_range"})


# Qualities of an item that, said of a kind, describe the one wanted.
_QUALITIES = frozenset({"fabric", "fit", "comfort", "features", "material"})


def _priced_kind(found: list[Ask], asks: AskBook) -> list[Ask]:
    """"裤子多少钱", "신발 가격대가 어느 정도예요?": the price of a kind with several items of ours
    is the catalogue's answer (each item with its price), not "which one do you mean?"."""
    catalogue = asks.get("catalogue")
    if catalogue is None or not any(a.id in _PRICE_ASKS for a in found):
        return found
    kept = [a for a in found if a.id not in _PRICE_ASKS]
    if any(not a.needs_category and a.id not in _LIKE_A_CATALOGUE for a in kept):
        return found  # "裤子黑色的多少钱" asks about one of them: which one, then
    return kept if catalogue in kept else [catalogue, *kept]


def _wanted_kind(found: list[Ask], asks: AskBook, acts: Acts, lexicon: Lexicon,
                 normalised: str, intents: Sequence[IntentScore], *, bare_kind: bool = False
                 ) -> list[Ask]:
    """"舒服点的鞋子" after "您想看哪种?", "편한 신발", "something comfy for walking, shoes": a kind
    we sell with several items, named as the want (or alone, opening the talk: ``bare_kind``)
    and nothing asked of one item, is answered with our items of that kind; asking "which
    item?" would hand the question back. A trouble with the kind ("鞋码拍错了 想换个43的" to
    "有什么问题?") is no want of it."""
    catalogue = asks.get("catalogue")
    if catalogue is None or catalogue in found or any(
            s.intent not in _PRESALES | {"other", "greeting", "not_sold"} for s in intents):
        return found
    if not found and acts.answers_agent:
        return [catalogue]  # "가벼운 바지요" after "찾으시는 거 있으세요?"
    # "想要一双…的鞋" wants the kind; a statement answering the agent, or the kind alone, too
    wanted = lexicon.cue("wanting", normalised)
    if not (wanted or (acts.statement and (acts.answers_agent or bare_kind))):
        return found
    if any(not (a.needs_product or a.fallback) for a in found):
        return found  # "鞋子要退" names a kind and asks something else of it
    return [catalogue]


def _place_told(request: DraftRequest, normalised: str, lexicon: Lexicon, asks: AskBook
                ) -> Ask | None:
    """"湖南" to the agent's "亲是哪里的呀?": the agent asked where it goes to tell the postage, so
    the postage answers (a remote region named adds its surcharge), not "what do you need?"."""
    agent = agent_turn_before(request)
    if agent is None or not lexicon.cue("where_asked", normalise_measures(agent)):
        return None
    fillers = [*lexicon.words("filler"), *lexicon.words("place_suffix")]
    told = only_words(normalised, lexicon.words("regions"), fillers)
    # a place and nothing else answers the agent, whatever the question before it asked
    # ("还有什么" … "哪里的" … "江西" is not asking what we sell again)
    return asks.get("free_threshold") if told else None


def _wants_kinds(normalised: str, kind_asked: bool, acts: Acts, lexicon: Lexicon,
                 intents: Sequence[IntentScore]) -> bool:
    """Several kinds named as a want ("有卫衣和牛仔裤吗", "想买件冲锋衣和一双登山鞋", the answer
    to "what are you looking for?"), not as a grievance ("登山鞋和袜子都没收到")."""
    if any(s.intent in _TROUBLE and s.confidence >= FAINT for s in intents):
        return False
    return kind_asked or acts.answers_agent or lexicon.cue("wanting", normalised)


def _bare_kind(normalised: str, lexicon: Lexicon) -> bool:
    """The message is little more than a kind we sell ("jeans", "冲锋衣"): the kind is wanted."""
    return any(word_in(word, normalised) and _only_names(word, normalised)
               for words in lexicon.categories.values() for word in words)


def _most_specific(found: list[Ask], *, kind_described: bool = False) -> list[Ask]:
    """"Which of a kind do you have" gives way to anything more specific asked beside it
    ("裤子有黑色的吗" asks the colour), and a general "what do you suggest" gives way to it.
    ``kind_described``: a kind is named with no item in view, so a quality beside it ("도톰한
    긴바지는 없나요?", "有厚一点的裤子吗") says which of the kind is wanted; it asks nothing of one
    item."""
    specific = any(not a.needs_category and a.id not in _LIKE_A_CATALOGUE
                   and not (kind_described and a.id in _QUALITIES) for a in found)
    kept = [a for a in found if not (a.needs_category and specific)]
    if any(a.needs_category for a in kept):
        # "any suggestions for a jacket?" is answered by our jackets, not by the whole range;
        # the quality that picks among them is no question about one of them.
        kept = [a for a in kept if a.id != "recommend"
                and not (kind_described and a.id in _QUALITIES)]
    return kept


def _without_threats(text: str, cues: Cues) -> str:
    """What the customer asks, without the threat attached to it; the threat alone is kept."""
    normalised = normalise_measures(text)
    left = cues.without_threats(normalised)
    if left == normalised.strip() or letters(left) < MIN_REST_CHARS:
        return text
    return left


def _by_the_words(intents: list[IntentScore], found: Sequence[Ask], rules: dict[str, float],
                  lexicon: Lexicon, normalised: str, acts: Acts, *, displeased: bool = False,
                  ours: bool = False, sized: bool = False, mentioned: bool = False,
                  continued: str | None = None, stated: bool = False) -> list[IntentScore]:
    """What the message's own words say where the model reads little or reads past them:

    * a specific ask in a question read as nothing or only faintly names its intent ("从哪里
      发货", "跟谁家快递合作"); beside a clear reading the planner answers it under its own;
    * a pre-sales reading no keyword and no ask of its own supports gives way to a specific ask
      ("生产日期是啥时候的" is not a shipping question);
    * a bare answer or acknowledgement ("아니요", "不用了", "ok") asks nothing of its own;
    * praise with nothing asked is praise, whatever pre-sales question or complaint the model
      imagines in it ("东西不错会再光顾", "OH THIS IS SO CUTE!");
    * a message read as nothing that names a thing the shop does not carry is `not_sold`
      ("三星手机多少钱", "캐릭터 백팩 있어요?"), and so is a question about such a thing when
      none of the shop's products or kinds of product is meant (``ours`` false, no category
      word): "这个湿巾能给宝宝用吗" asks about wipes, not about anything this shop could answer;
      so is a calm remark on such a thing with nothing else read, nothing said of an order of
      theirs and no laughter in it ("we just got a new printer"; "lol my cat walked on the
      keyboard" is small talk);
    * a defect no word names and the model barely reads is only a lean ("我拍了纱布和纸巾" tells
      what was ordered): the defect script would apologise for nothing;
    * a grievance the model alone reads in words with no displeasure in them (``displeased``
      false) is none when another topic is asked or when a word or two is all there is: a
      complaint is displeasure with no other ask ("just followed your shop" asks about
      coupons; "better" complains of nothing);
    * ``continued``: the question a follow-up continues ("运费多少" … "湖南"); its words name
      the intents inherited from it;
    * the model's "we don't sell that" gives way when the customer names one of our products or
      kinds of product and nothing we lack ("running shoes for a marathon?"), when they ask which
      of a kind we have ("do you sell jackets": the catalogue answers), and when they speak of
      what they received from us ("送的湿巾没收到" is a missing gift, ours to deal with).
    """
    question = is_question(normalised)
    named = [ask for ask in found if ask.intent != "other"]
    faint = all(s.intent in ("other", "greeting") for s in intents) or (
        question and all(s.confidence < FAINT for s in intents))
    if named and faint:
        intents = [s for s in intents if s.confidence >= FAINT] or intents
        for ask in named:
            intents = _add_intent(intents, ask.intent, ASKED)
        intents = [s for s in intents if s.confidence >= FAINT] or intents
    elif found and faint:
        # "礼拜天客服上班不" asks the service hours (an ask of no intent of its own): the faint
        # readings beside it are noise.
        intents = [s for s in intents if s.confidence >= FAINT] or [
            IntentScore(intent="other", confidence=ASKED)]
    intents = _outweighed(intents, found, rules)
    asked = {i for ask in found for i in (ask.intent, *ask.also)}
    intents = [IntentScore(intent=s.intent, confidence=min(s.confidence, LEANING))
               if ((s.intent == "quality_complaint" and s.confidence < BARELY)
                   # "이런 색은 다 칙칙한 편인가요?": a worry no word of quality
                   # names is checked, not answered with the returns policy
                   or (s.intent == "quality_concern" and s.confidence < _QUALITY_SURE
                       and not found))
               and not rules.get(s.intent) and s.intent not in asked else s for s in intents]
    # Nothing we lack named: a `not_sold` reading is only the model's guess at the item.
    lacked = lexicon.lacked(normalised)
    named_lack = lacked is not None
    intents = _covered(intents, found, rules, named_lack=named_lack)
    if not named_lack and not rules.get("not_sold") and any(
            s.intent == "stock" and s.confidence >= FAINT for s in intents):
        # "没有吗?", "없나요?": whether what they are looking at is in stock; "we don't sell
        # that" about a thing nobody named would turn the customer away.
        intents = [s for s in intents if s.intent != "not_sold"]
    if says_size_fits(normalised):
        # "사이즈는 잘 맞는데 색은…": the size is settled; whatever follows is the question
        intents = [s for s in intents if s.intent != "size_advice"] or [
            IntentScore(intent="other", confidence=ASKED)]
    if not named_lack and not rules.get("not_sold") and sized:
        # "저기 이거 L 있어요?": a size of ours asked of "this", whatever it is; "we don't sell
        # that" about a thing nobody named would turn the customer away
        intents = [s for s in intents if s.intent != "not_sold"] or [
            IntentScore(intent="stock", confidence=ASKED)]
    if not named_lack and any(a.needs_category for a in found):
        # "do you sell jackets": we do; the catalogue answers it, stock included ("재킷 어떤
        # 종류 있어요?" asks what there is, not whether one item is in stock).
        stock_asked = any(a.intent == "stock" and not a.needs_category for a in found)
        intents = _add_intent([s for s in intents if s.intent != "not_sold"
                               and (s.intent != "stock" or stock_asked)], "product_info", ASKED)
    if not found and acts.giving_up and not displeased:
        # "算了 不修了 太麻烦": the matter dropped; no grievance to be asked about ("太差了 算了
        # 我要投诉" takes it further), nor what the model alone imagines; "算了 不买了" still
        # says in words what they drop.
        intents = [s for s in intents if s.intent not in _DROPPED and rules.get(s.intent)] or [
            IntentScore(intent="other", confidence=0.5)]
    if not found and acts.order_number and not any(r >= STRONG and i not in RESIDUAL
                                                   for i, r in rules.items()):
        # "订单号 4512…": an order to look at; the digits are no size and no item number.
        intents = [IntentScore(intent="other", confidence=0.5)]
    elif not found and not rules and (acts.acknowledgement or acts.stepping_away or (
            acts.patient and not question)):
        # "아니요", "不用了", "i'm not in a hurry": an answer with no topic of its own; a thanks
        # stays a thanks.
        intents = [s for s in intents if s.intent in ("thanks_close", "greeting")] or [
            IntentScore(intent="other", confidence=0.5)]
    elif acts.statement and ((not found and not rules and (acts.farewell or (
            acts.thanks and not acts.requesting
            and all(s.intent == "other" or s.confidence < FAINT for s in intents))))
            or (acts.farewell and not acts.requesting
                and (acts.ordering or acts.praise or acts.thanks))):
        # "BYE!!!", "you too :)", "去别家看看": a goodbye, whatever topic the model imagines;
        # "谢谢送的小礼物" thanks, with nothing else read in it; "great, I'll pay by card,
        # cheers, nice chatting" settles a choice and says goodbye: nothing is asked of us.
        intents = [IntentScore(intent="thanks_close", confidence=max(
            [ASKED] + [s.confidence for s in intents if s.intent == "thanks_close"]))]
    if (question or len(intents) > 1 or named) and not (
            acts.thanks or acts.farewell or acts.declining or acts.acknowledgement):
        # "편하게 신고 다닐 거요?" asks something, and "那我直接拒收了吧" says what they will
        # do: no thanks or goodbye in either to close on.
        intents = [s for s in intents if s.intent != "thanks_close"] or [
            IntentScore(intent="other", confidence=0.5)]
    if acts.requesting and not acts.farewell:
        # "麻烦您帮我提交吧 谢谢" thanks ahead for something to be done: no goodbye in it; and
        # "尽快给我处理下" wants it done, not a supervisor, unless the words ask for a person.
        intents = [s for s in intents if s.intent != "thanks_close" and not (
            s.intent == "handoff" and not rules.get("handoff"))] or [
            IntentScore(intent="other", confidence=0.5)]
    # Readings of the model alone that the words rule out: postage with no word of shipping
    # ("what does the first one cost?" asks the price), an address change with no address
    # ("快递费帮我改下吧"), a defect or a grievance in a message that places an order or wants
    # goods and names no trouble ("ok then i want one pair of the ones you suggested"),
    # a grievance or an account worry in "no rush, take your time".
    # A wish for goods ("no, i'd rather have it in navy") is buying too, unless it speaks of an
    # order ("got the parcel, the socks are missing, and i need a receipt").
    buying = (acts.ordering or (lexicon.cue("wanting", normalised) and not acts.of_order)) and \
        not lexicon.cue("trouble_named", normalised)
    if [s.intent for s in intents] == ["greeting"] and question and not found and \
            rules.get("greeting", 0.0) < STRONG and letters(normalised) > _A_WORD_OR_TWO and \
            not lexicon.cue("presence", normalised):
        # "您好，请问积分怎么换": a greeting opens a question nothing here could read; the agent
        # reads it, rather than the customer being welcomed and left unanswered.
        intents = [IntentScore(intent="other", confidence=0.5)]
    if _only_greets(rules) and not found:
        # The greeting rules match a whole message ("在吗", "I'm back", "안녕하세요"): whatever
        # else the model imagines in it ("我回来了" read as a request for a person) is not there.
        return [IntentScore(intent="greeting", confidence=rules["greeting"])]
    if lexicon.cue("pricey", normalised) and rules.get("bargaining") and \
            not rules.get("complaint"):
        # "好贵啊你们家": a price objection, not a grievance to apologise for
        intents = _add_intent([s for s in intents if s.intent != "complaint"], "bargaining",
                              rules["bargaining"])
    kept = [s for s in intents if rules.get(s.intent) or s.intent in asked or not (
        (s.intent in _NAMED_BY and not any(lexicon.cue(_NAMED_BY[s.intent], text)
                                           for text in (normalised, continued) if text))
        or (s.intent in ("quality_complaint", "complaint", "quality_concern") and buying)
        or (s.intent in ("quality_complaint", "complaint", "security") and acts.patient)
        # "so kind of you, thanks": thanks, whatever grievance the model imagines
        or (s.intent == "complaint" and not displeased and acts.thanks)
        # "ok this is better", "oh, not interested then": an answer, a no or a liking, no grievance
        or (s.intent == "complaint" and not displeased and not question
            and (acts.acknowledgement or acts.declining or acts.praise))
        # "蓝色罐子里是什么茶", "이 가방은 남자용이죠?": a plain question, no displeasure and no
        # trouble named in it, is no grievance whatever the model imagines.
        or (s.intent in ("quality_complaint", "complaint") and question and not displeased
            # "the strap snapped, can i send a pic" asks twice; a tag after the question
            # ("패딩이잖아? 그죠?", "it's waterproof? right?") only asks it again
            and (len(questions_in(normalised)) == 1 or lexicon.cue("confirming", normalised))
            and not lexicon.cue("trouble_named", normalised)
            and not lexicon.cue("rhetorical", normalised) and continued is None)
        # "I'll buy it", "I'll make an order": the choice is made; no haggle is in it.
        or (s.intent == "bargaining" and acts.ordering and not question
            and read_money(normalised) is None)
        or (s.intent == "complaint" and not displeased and (
            any(a.intent not in ("other", "complaint") for a in found)
            or letters(normalised) <= _A_WORD_OR_TWO
            # "i'd like something romantic": a want, whatever grievance the model imagines
            or (lexicon.cue("wanting", normalised) and not rules.get("complaint"))))
        # "有没有深一点的颜色" picks a colour; no word of a colour unlike the photo
        or (s.intent == "colour_difference" and any(a.id in ("colours", "opinion")
                                                     for a in found)))]
    if not kept and len(kept) < len(intents):
        # "快帮我摧摧快递" read by the model as an account worry: with that ruled out, what the
        # words' own strong rule says stands.
        kept = [IntentScore(intent=i, confidence=r) for i, r in rules.items()
                if r >= STRONG and i not in RESIDUAL]
    intents = kept or [IntentScore(intent="other", confidence=0.5)]
    if acts.thanks and acts.statement and not found and not rules and not acts.requesting \
            and [s.intent for s in intents] == ["other"]:
        # "that is very kind of you" once the grievance the model imagined is gone: a thanks
        intents = [IntentScore(intent="thanks_close", confidence=ASKED)]
    if _postage_dear(found, lexicon, normalised):
        intents = [s for s in intents if s.intent != "bargaining"] or [
            IntentScore(intent="postage", confidence=0.6)]
    if acts.ordering and acts.statement:
        # "拍了 黑色XL", "그럼 네이비로 할게요": the choice is made; nothing to look up in it.
        intents = [s for s in intents if s.intent not in ("stock", "size_advice")
                   or s.intent in asked] or [IntentScore(intent="other", confidence=0.5)]
    # "一直用你家纸巾 质量真不错" praises what they had; it asks for nothing we lack.
    praised = acts.praise and not lexicon.cue("wanting", normalised)
    if praised:
        # "good quality" said as praise with nothing asked is no quality worry either; a closing
        # 吧 ("质量不错吧") still asks for a word on it (吗, 么, 嘛 already make it a question)
        tagged = normalised.rstrip(" ~～!！。.").endswith("吧")
        dropped = {"not_sold"} | ({"quality_concern"} if acts.statement and not displeased
                                  and not tagged and "quality_concern" not in asked else set())
        intents = [s for s in intents if s.intent not in dropped] or [
            IntentScore(intent="other", confidence=0.5)]
    if acts.praise and all(s.intent in _PRESALES | {"complaint", "quality_complaint"}
                           and not rules.get(s.intent) and s.intent not in asked
                           for s in intents):
        intents = [IntentScore(intent="other", confidence=0.5)]
    if acts.returning and not displeased and all(
            s.intent in ("complaint", "quality_complaint") and not rules.get(s.intent)
            for s in intents):
        # "i've ordered from you guys before" is a returning customer, not the grievance the
        # model often reads in such words; "老顾客了 送双袜子呗" still asks for its gift
        intents = [IntentScore(intent="other", confidence=0.5)]
    if any(s.intent == "handoff" and not rules.get("handoff") and "handoff" not in asked
           and s.confidence < STRONG for s in intents) and not displeased and \
            acts.statement and not is_question(normalised) and not acts.requesting:
        # "he's kinda a sensitive person": a person named in a calm statement is no person
        # asked for; handing it to a supervisor takes a keyword, an ask or a request
        intents = [s for s in intents if s.intent != "handoff"] or [
            IntentScore(intent="other", confidence=0.5)]
    nothing = all(s.intent in ("other", "greeting") or s.confidence < FAINT for s in intents)
    ours = ours or any(word_in(word, normalised) for words in lexicon.categories.values()
                       for word in words)  # "冲锋衣的帽子" is the jacket's hood, not a hat
    about_it = not ours and all(s.intent in _ABOUT_THE_ITEM for s in intents)
    # "送的湿巾没收到": what a customer received (or did not) from us is our matter, even when
    # it is a gift we do not sell; a thing we don't sell said missing and no gift ("里面没有手机
    # 膜") is most likely another shop's parcel, checked like any trouble with such a thing.
    ordered = any(a.id in _FROM_OUR_PARCEL for a in found) and (
        not named_lack or lexicon.cue("gift", normalised))
    trouble = [s for s in intents if s.intent in _TROUBLE and s.confidence >= FAINT] or [
        IntentScore(intent=i, confidence=c) for i, c in rules.items() if i in _TROUBLE] or [
        # "耳机的维修": a repair asked for a thing we don't sell is trouble with another shop's
        # goods, not our shoes' warranty.
        IntentScore(intent="quality_complaint", confidence=ASKED)
        for a in found if a.id == "warranty"][:1] or [
        # "买的台灯还没发货吗": an order of such a thing that has not gone out is another shop's
        IntentScore(intent="logistics_delay", confidence=ASKED)
        for a in found if a.id in _NOT_GONE_OUT][:1]
    if ordered:
        intents = [s for s in intents if s.intent != "not_sold"] or intents
    elif named_lack and not mentioned and not rules.get("not_sold") and trouble and not praised:
        # "买的耳机声音时有时无", "吸尘器用了两天就不转了": trouble with a thing we do not carry
        # is most likely an order from another shop; the agent checks the order, and no refund
        # is promised for it. It is read as clearly as the trouble, so the planner answers it.
        sure = max([ASKED, *(s.confidence for s in trouble)])
        intents = [IntentScore(intent="not_sold", confidence=sure), *trouble]
    elif named_lack and not praised and (
            ((not acts.statement or (lacked is not None and _only_names(lacked, normalised)))
             and (nothing or about_it))
            # "지갑 색이 사진보다 진하네": a remark on a thing we lack read as about an item
            or (acts.statement and about_it and not nothing and not mentioned
                and not acts.of_order)  # "还有个X的包裹" speaks of a parcel, not of buying X
            # a bare name of a thing we lack ("餐具"), whatever the model reads in it
            or (lacked is not None and _only_names(lacked, normalised) and not rules)
            # a remark on what only another trade's goods have ("no author in mind", "泡茶砖
            #用的"), with nothing else read: it is about goods we don't sell
            or (acts.statement and nothing and not mentioned and not rules
                and lexicon.cue("other_trades", lexicon.without_false_friends(normalised)))
            # "洗发水我只用无硅油的", "we just got a new printer": a calm remark on a thing we lack,
            # with nothing else read and no order of theirs spoken of, is about goods we don't
            # sell; "I'll look into it" would promise a check nothing can answer
            or (acts.statement and nothing and not mentioned and not rules and not found
                and not displeased and not acts.of_order and not acts.ordering and not stated
                and not lexicon.cue("laughing", normalised))
            or ((lexicon.cue("wanting", normalised) or acts.ordering) and not mentioned
                and (not rules or about_it))):
        # "有卖充电宝吗", "想买个睡袋", "interested in a camera", a bare "helmet": asked for,
        # whatever else the model reads in the wish ("정장 보러 왔는데요" is no complaint); "my
        # cat walked on the keyboard" only mentions one.
        intents = [IntentScore(intent="not_sold", confidence=ASKED)]
    elif not named_lack and any(s.intent == "not_sold" for s in intents) and \
            not rules.get("not_sold") and (lexicon.cue("our_range", normalised) or (
                mentioned and len(intents) == 1) or (
                len(intents) > 1 and lexicon.colour_families(normalised))):
        # "큰 치수 옷도 있나요?", "有加大码吗": the store's own range asked for, nothing we lack
        # named; "파란색 계열 있어요?" asks a colour of what they are looking at. The model's "we
        # don't sell that" would turn away a customer we serve.
        intents = [s for s in intents if s.intent != "not_sold"] or [
            IntentScore(intent="product_info" if mentioned else "stock", confidence=ASKED)]
    if not named_lack and not rules.get("not_sold"):
        # "got any other models in that?", "고등학생 아들 옷 사려고요", "이제 없어요?": nothing
        # we lack named, so "we don't sell that" would be a claim nothing backs; the model's
        # guess is a lean the agent confirms.
        intents = [IntentScore(intent=s.intent, confidence=min(s.confidence, LEANING))
                   if s.intent == "not_sold" else s for s in intents]
    return intents


# What a customer letting the matter drop no longer asks us to take up (and `other`, which the
# drop itself replaces).
_GRIEVANCES = frozenset({"complaint", "quality_complaint", "logistics_delay", "other"})
# ... and what the drop itself may name, with no ask of its own: "살짝 끼긴 하는데 그냥 신을게요"
# keeps it, so no return is asked about.
_DROPPED = _GRIEVANCES | {"return_exchange"}
# Intents of an order that reached the customer (or should have).
_AFTER_SALES = frozenset({"quality_complaint", "logistics_delay", "refund_status",
                          "return_exchange"})
# A matter of an order already placed: with a thing we don't carry, the order is checked first
# ("买的台灯能取消吗" is likely another shop's order, not one to cancel here).
_TROUBLE = _AFTER_SALES | {"complaint", "cancel_order", "address_change"}
# Asks whether an order placed has gone out yet.
_NOT_GONE_OUT = frozenset({"not_shipped", "shipped_yet"})
# Asks about what came in (or was missing from) one of our parcels.
_FROM_OUR_PARCEL = frozenset({"missing_item", "wrong_item", "signed_not_received"})
# What is asked about an item itself: of a thing the shop does not carry, nothing it can answer.
# ("a discount if I buy a brooch too" haggles over a thing we do not carry)
_ABOUT_THE_ITEM = frozenset({"product_info", "size_advice", "stock", "quality_concern",
                             "colour_difference", "not_sold", "other", "greeting", "bargaining"})
# Questions before a purchase, where a specific ask is a better guide than the model's general
# reading ("生产日期是啥时候的" asks when it was made, not when it ships).
_PRESALES = frozenset({"shipping_time", "product_info", "postage", "stock", "size_advice",
                       "bargaining", "quality_concern", "payment_reminder", "colour_difference"})


# The model this sure of a pre-sales question reads it on its own, whatever ask stands beside it.
MODEL_CERTAIN = 0.95


def _outweighed(intents: list[IntentScore], found: Sequence[Ask], rules: dict[str, float]
                ) -> list[IntentScore]:
    """A pre-sales reading that neither a keyword nor an ask of its own supports gives way to
    the intent of a specific ask found in the message, unless the model is sure of it on its own
    ("多少钱 有活动没 黑色40码还有不" asks the stock too)."""
    asked = {ask.intent for ask in found if not ask.alone and ask.intent != "other"}
    if not asked:
        return intents
    own = {intent for ask in found for intent in (ask.intent, *ask.also)}
    kept = [s for s in intents
            if s.intent not in _PRESALES or s.intent in own or rules.get(s.intent)
            or s.confidence >= MODEL_CERTAIN]
    if len(kept) == len(intents):
        return intents
    for intent in asked:
        kept = _add_intent(kept, intent, ASKED)
    return kept


# An intent an ask of another intent also belongs to (`also` in asks.yaml) is that ask's matter
# unless it was read this clearly on its own.
SURE_OF_ITS_OWN = 0.9


def _covered(intents: list[IntentScore], found: Sequence[Ask], rules: dict[str, float],
             *, named_lack: bool = True) -> list[IntentScore]:
    """"到时候拒收可以吗" is about refusing the parcel, not the returns policy; "发货前检查一下
    别有瑕疵" asks for a check before shipping, not about a defect: the ask's own intent reads
    the message, and a neighbour the ask also belongs to gives way unless a keyword of its own
    or a very clear reading supports it ("发错颜色了 要换" still asks for the exchange)."""
    kept = intents
    for ask in found:
        if not ask.also or ask.intent == "other":
            continue
        neighbours = {s.intent: s.confidence for s in kept if s.intent in ask.also}
        # "any suggestions for a cold hike?" read firmly as `not_sold` names nothing we lack.
        weaker = {i for i, confidence in neighbours.items()
                  if (confidence < SURE_OF_ITS_OWN or (i == "not_sold" and not named_lack))
                  and not rules.get(i)}
        overshadowed = set(neighbours) & set(OVERSHADOWS.get(ask.intent, ()))
        if weaker or overshadowed:
            # Read clearly, a neighbour stays, unless the ask's intent makes it beside the point
            # (``tidy_intents``): "货到底发哪了" read firmly as a schedule question is the tracking
            # question.
            kept = _add_intent([s for s in kept if s.intent not in weaker], ask.intent, ASKED)
    return kept


_COMPACT = re.compile(r"[\W_]+")
_MIN_HANDLE = 2  # "@O2", "@EE": a short brand handle is still another company's
# How Chinese and Korean customers address the shop's own staff ("@客服小山", "@店主", "@사장님").
_STAFF_WORDS = ("客服", "店主", "老板", "掌柜", "小二", "店家", "卖家", "商家", "상담", "사장",
                "판매자", "매니저")


def _addressed_elsewhere(mentions: Sequence[str], store: StoreProfile) -> bool:
    """An @-mention of an account that is not the shop ("@AppleSupport", "@105860"): the message
    was written to someone else. "@BigTrail", "@小山" or "@客服小山" is the shop or its staff."""
    ours = [name for name in (_COMPACT.sub("", n.lower())
                              for n in [*store.names.values(), *store.agent.nickname.values()])
            if name]
    for handle in mentions:
        compact = _COMPACT.sub("", handle.lower())
        if len(compact) < _MIN_HANDLE and not compact.isdigit():
            continue
        if any(word in compact for word in _STAFF_WORDS):
            continue
        if not any(compact in name or name in compact for name in ours):
            return True
    return False


def _read_in_context(intents: list[IntentScore], cues: Cues, said: Sequence[str],
                     order_state: StatedOrderState | None) -> list[IntentScore]:
    """Apply ``cues.readings``: "已付款还没发货" reads as shipping, not delay; a refund not yet
    under way is a return question."""
    names = {s.intent for s in intents}
    for reading in cues.readings:
        if reading.intent not in names or order_state in reading.unless or \
                (reading.only and order_state not in reading.only):
            continue
        matched = any(reading.pattern.search(text) for text in said)
        if matched != reading.when_matched:
            continue
        replaced: list[IntentScore] = []
        for score in intents:
            if score.intent != reading.intent:
                replaced.append(score)
            elif reading.becomes not in names:
                replaced.append(IntentScore(intent=reading.becomes, confidence=score.confidence))
        intents, names = replaced, {s.intent for s in replaced}
    return intents


# Someone reporting a defect, a wrong item or their displeasure is not calm, whatever the words
# (and a colour that differs from the photos, once the parcel is in their hands).
_UPSETTING = frozenset({"complaint", "quality_complaint"})
# Something late, for someone who needs it by a date, is trouble, not a calm question.
_LATE = frozenset({"logistics_delay", "refund_status"})
_SURE_OF_TROUBLE = 0.5


def _mood(cues: Cues, customer: Sequence[str], said: Mood, intents: Sequence[IntentScore],
          order_state: StatedOrderState | None, *, urgent: bool) -> Mood:
    """The latest message's mood (``said``: what its own words say); anger a message ago still
    colours a terse follow-up, and a complaint is never calm."""
    mood = said
    if len(customer) > 1 and not any(s.intent == "thanks_close" for s in intents):
        before = cues.mood(normalise_measures(customer[-2]), customer[-2])
        if before == "angry" and mood == "calm":
            mood = "upset"
    # A defect report makes a customer upset; a faint guess of one does not.
    names = {s.intent for s in intents if s.confidence >= _SURE_OF_TROUBLE}
    received_wrong = "colour_difference" in names and (
        order_state == "received" or "return_exchange" in names)
    if mood == "calm" and (names & _UPSETTING or received_wrong or (urgent and names & _LATE)):
        mood = "upset"
    return mood


def _earlier_order_state(cues: Cues, customer: Sequence[str]) -> StatedOrderState | None:
    for text in reversed(customer[:-1]):
        state = cues.order_state(normalise_measures(text))
        if state is not None:
            return state
    return None


def _implied_intents(
    intents: list[IntentScore],
    text: str,
    family: str,
    products: Sequence[Product],
    lexicon: Lexicon,
    slots: Slots | None,
    followup: bool,
    *,
    read_by_rules: bool = True,
) -> list[IntentScore]:
    """Measurements in a message ask for a size; a colour named with a size question or in a
    follow-up asks whether that colour is available (in the size discussed), and so does a
    colour wished for goods we sell when no keyword reads anything else (``read_by_rules``), and
    so does a waist size asked of our trousers."""
    product = next((p for p in products if slots is not None and p.sku == slots.sku), None)
    # "46码" is a shoe size only for footwear; for jeans it is the size being asked about.
    footwear = product is not None and product.category in FOOTWEAR
    own = message_slots(text, family, lexicon, footwear=footwear)
    asks_stock = any(s.intent == "stock" for s in intents)
    shoe = own.shoe_size is not None and footwear and not asks_stock
    if shoe or own.measured:
        intents = _add_intent(intents, "size_advice", IMPLIED)
    if slots is None:
        return intents
    asks_size = any(s.intent == "size_advice" for s in intents)
    # "and the black?" after "is the grey true to the photos?" asks the same of black.
    about_colour = any(s.intent == "colour_difference" for s in intents)
    norm = normalise_measures(text)
    if (followup or asks_size) and not about_colour and \
            find_colour(norm, product, lexicon) is not None:
        intents = _add_intent(intents, "stock", IMPLIED)
    elif not asks_stock and not read_by_rules and lexicon.cue("wanting", norm) and \
            lexicon.colour_families(norm) and (product is not None or lexicon.kinds_named(norm)):
        # "I want the boots in brown", "我想要棕色的靴子": a colour wanted of goods we sell, and
        # no keyword reading anything else, asks whether they come in it (the model's faint
        # whispers of other topics beside it ask nothing)
        intents = _add_intent([s for s in intents if s.confidence >= FAINT], "stock", IMPLIED)
    elif slots.waist_sizes and is_question(norm) and not read_by_rules and \
            not any(s.intent in ("stock", "size_advice") and s.confidence >= ASKED
                    for s in intents):
        # "jeans in a 29?", "有36和38的牛仔裤吗": a waist size asked of our trousers is whether
        # we have it, however faintly the model reads the few words
        intents = _add_intent([s for s in intents if s.confidence >= FAINT], "stock", IMPLIED)
    return intents
