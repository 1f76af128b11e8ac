"""What the message does besides asking: the dialogue acts an agent reads before the topic.

"好的" acknowledges, "谢谢" thanks, "拍了" / "요걸로 주세요" orders, "看好了吗" chases an answer the
agent is working on, "不错" praises, "我是老顾客了" states something, "等我一下" asks the agent
to wait, "7033" may answer the agent's question, "?" says nothing. These decide the shape of a
reply as much as the intents do ("ok" is acknowledged, not answered with the returns policy),
so they are read here, once, from the lexicon's cue words (prompts/offline/lexicon.yaml `cues`;
chasing from prompts/understanding/cues.yaml `chasing`), and reported with the intents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

from replydraft.drafting.models import DialogueAct, DraftRequest
from replydraft.drafting.understanding.cues import Cues
from replydraft.drafting.understanding.dialogue import (
    ORDER_LABEL,
    REDACTED_NUMBER,
    echoes_agent,
    order_id_in,
)
from replydraft.drafting.understanding.intents import asks_outright, is_question, letters
from replydraft.drafting.understanding.lexicon import Lexicon
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.text.script import han_characters

# What chat exports put where a picture was sent ("[图片]", "[image]", "[사진]").
_IMAGE_ONLY = re.compile(
    r"^\s*(?:[\[【<(（]\s*(?:图片|圖片|照片|image|img|photo|picture|사진|이미지)\s*[\]】>)）]\s*)+$",
    re.IGNORECASE)

# A question put to the agent, by its mark, a closing particle or a closing question word
# ("电话多少", "在哪看"); "asking my wife which colour" asks someone else.
_ASKED_OF_US = re.compile(r"[?？]|[吗呢嘛么](?:$|[\s，。!！~～]|[啊呀哈])|[想请]问"
                          r"|(多少|在哪[里儿]?[看查找]?|怎么[查看弄办])[\s。.!！~～]*$")
# "이 신발 신어 볼게요": trying it on, which an online shop answers (no fitting room), not a
# customer stepping away to look
_TRYING_ON = re.compile(r"(입어|신어|착용해) ?(볼게|보겠)")

# "好的", "ok thx", "네 알겠어요": short enough that a courtesy word is the whole message.
_ACK_MAX_CHARS = 14
ACK_LEFTOVER = 2  # "好的亲", "ok man": a particle or a form of address may remain


# Details of other acts, not acts of their own.
_DETAILS = frozenset({"of_service", "of_order", "thanks_ahead", "about_self"})


@dataclass(frozen=True)
class Acts:
    acknowledgement: bool = False  # a bare "ok / 好的 / 네"
    thanks: bool = False  # it thanks (a "you're welcome" fits; an "ok" alone does not)
    farewell: bool = False  # it says goodbye ("bye", "拜拜", "수고하세요")
    declining: bool = False  # declines with thanks ("no thanks", "不用了谢谢")
    praise: bool = False  # a pleased remark with no question ("looks great", "예쁘네요")
    # a wish with nothing asked ("头一回买 可别让我失望", "hope it fits", "잘 맞았으면 좋겠어요")
    hoping: bool = False
    returning: bool = False  # has bought here before and says so ("我是老顾客了"), nothing asked
    ordering: bool = False  # says they are buying, with no question ("拍了", "요걸로 주세요")
    chasing: bool = False  # presses for the answer the agent is working on ("查到了吗")
    requesting: bool = False  # asks the agent to do something ("麻烦尽快处理下吧", "pls submit it")
    patient: bool = False  # says there is no hurry ("没关系，弄清楚就好", "take your time")
    giving_up: bool = False  # lets the matter drop ("算了 不弄了", "forget it", "그냥 안 할게요")
    # asks the agent to wait while they check or ask someone ("等我一下", "hold on", "잠시만요")
    stepping_away: bool = False
    # says sorry and nothing else ("不好意思 打错了", "my bad", "죄송해요"): no harm done
    apologising: bool = False
    statement: bool = False  # no question in it at all ("我是老顾客了")
    # checks that what the agent just promised stands, in the agent's words ("那明天发是吧" after
    # "明天给您补发", "so tomorrow right?", "내일 보내 주시는 거죠?")
    confirming: bool = False
    # asks the agent to keep what they just promised ("一定记得备注哦", "don't forget")
    reminding: bool = False
    contentless: bool = False  # nothing to read in it ("?", an emoji)
    image: bool = False  # only a picture ("[图片]"): what it shows is for the agent to see
    # only an order number, perhaps labelled ("订单号 4512…", "order no. 4512…"): the order to look
    # at, with nothing yet said about it
    order_number: bool = False
    answers_agent: bool = False  # the agent's last turn asked something; this may answer it
    # opens as a reply to something said before ("好的，那明天到得了吗", "ok so…", "그럼…"): a
    # conversation is going on even where the history sent is short
    continuing: bool = False
    # the praise is for the service ("效率真高", "so helpful"), not for the goods: no size offer
    # follows it. A detail of `praise`, not an act of its own.
    of_service: bool = False
    # it is about an order of theirs ("订单没签收", "my parcel"): a first message held for a check
    # asks for the order number with it. A detail, not an act of its own.
    of_order: bool = False
    # the thanks is given ahead ("先谢谢了", "thanks in advance"): something is being done for
    # them. A detail of `thanks`.
    thanks_ahead: bool = False
    # it tells of the customer themselves ("我平时跑步", "i'm going camping", "저는 학생이에요"):
    # opening the talk, what they need is asked. A detail of `statement`.
    about_self: bool = False

    def names(self) -> list[DialogueAct]:
        return [f.name for f in fields(self)  # type: ignore[misc]
                if getattr(self, f.name) and f.name not in _DETAILS]


def read_acts(request: DraftRequest, lexicon: Lexicon, cues: Cues) -> Acts:
    normalised = normalise_measures(request.latest)
    question = is_question(normalised)
    returning = _returning(normalised, lexicon)
    promised = _agent_just_promised(request, cues)
    return Acts(
        acknowledgement=acknowledgement(normalised, lexicon),
        thanks=lexicon.cue("thanks", normalised),
        farewell=lexicon.cue("farewell", normalised) and not question,
        declining=(lexicon.cue("declining", normalised) and not question) or (
            _no_more(normalised, request, lexicon)) or _no_thanks(normalised, lexicon),
        # "red is nice but I don't like those options" turns the choice down, however kind
        praise=lexicon.cue_affirmed("praise", normalised) and not asks_outright(normalised)
        and not lexicon.cue("another_option", normalised),
        hoping=lexicon.cue("hoping", normalised) and not question,
        returning=returning,
        # "i've ordered from you before" tells of a returning customer, not of an order now
        # ("拍好了你看下对不对" asks only that the order placed be looked over)
        ordering=(lexicon.cue("ordering", normalised) or _chooses(normalised, lexicon))
        and (not question or lexicon.cue("check_my_order", normalised))
        and not lexicon.cue("picture_taken", normalised) and not returning,
        chasing=cues.chases(normalised),
        requesting=lexicon.cue("requesting", normalised),
        patient=lexicon.cue("patient", normalised) and not question,
        giving_up=lexicon.cue("giving_up", normalised) and not question,
        # "你帮我问问仓库看…" asks us to act, and "我先联系快递 电话多少" asks something on
        # the way out: nobody steps away
        stepping_away=lexicon.cue("stepping_away", normalised) and not _ASKED_OF_US.search(
            normalised) and not lexicon.cue("requesting", normalised)
        and not _TRYING_ON.search(normalised),
        apologising=not question and lexicon.cue("apologising", normalised) and only_words(
            normalised, [*lexicon.words("apologising"), *lexicon.words("courtesy")],
            lexicon.words("filler")),
        statement=is_statement(normalised, lexicon),
        confirming=promised and lexicon.cue("confirming", normalised) and echoes_agent(request),
        reminding=promised and lexicon.cue("reminding", normalised)
        and not asks_outright(normalised),
        contentless=contentless(normalised),
        image=image_only(request.latest),
        order_number=only_an_order_number(normalised),
        answers_agent=_agent_asked(request),
        continuing=continues(normalised, lexicon) or lexicon.cue("refers_back", normalised),
        of_service=lexicon.cue("service_words", normalised),
        of_order=lexicon.cue("order_words", normalised),
        thanks_ahead=lexicon.cue("thanks_ahead", normalised),
        # "我是钻石会员", "i'm a gold member": an account standing told is a claim to be looked
        # at, not a customer opening the talk about themselves
        about_self=lexicon.cue("about_self", normalised)
        and not lexicon.cue("standing", normalised))


# A size label standing alone: "2XL", "xl", "m", "42", "260" (a Korean shoe size in mm).
_SIZE = r"(?:[2-7]?x{1,4}l|xs|[sml]|\d{2,3})"
# "i'm", "it's": a letter after an apostrophe is no size M or S.
_SIZE_LABEL = re.compile(rf"(?<![0-9a-z.'’]){_SIZE}(?![0-9a-z.%])")
# Korean orders a choice with the choice right before the verb: "245 주세요", "블랙으로 할게요",
# "3XL로 하나 주세요", "L 사이즈로 살게요"; "사이즈 좀 봐주세요 183 105" asks for advice.
_KOREAN_CHOICE = re.compile(rf"(?:(?<![0-9a-z.]){_SIZE}|색|[가-힣]+)\s*(?:사이즈)?\s*"
                            r"(?:으로|로)?\s*(?:하나|한 개|두 개|한 벌|한 켤레)?\s*"
                            r"(?:포장해\s*)?(?:주세요|줘요|할게요|살게요|사겠습니다|사겠어요|"
                            r"부탁드립니다|부탁드려요|부탁해요)")


# The words around an order number ("我的订单号:", "my order no. is", "주문번호는"): the label the
# dialogue state reads ids by, or a bare "order".
_ORDER_LABEL = re.compile(
    r"(?:我的|这是|这个是|my|the|here.?s|here is|this is)?\s*"
    rf"(?:{ORDER_LABEL}|order)\s*(?:is|是|는|은|이에요|예요|입니다)?")


_COPULA = re.compile(r"(?:이에요|예요|입니다|이요)[.!~]*$")

# An order card the chat platform sends when the customer taps an order: the order number with
# the order's total and time, and the platform's lead-in ("…信息发送:"). The card says which order;
# it asks nothing yet. A field's value is a sum, a date or a time, or one redacted in brackets.
_CARD_FIELD = re.compile(
    r"(?:订单金额|订单总额|实付金额|下单时间|付款时间|订单状态|商品名称|商品ID|商品编号|訂單金額|下單時間"
    r"|order (?:total|amount|date|time|status)|주문 ?(?:금액|일시|날짜))\s*[:：]"
    r"(?:\[[^\]]{0,8}\]|[\s\d.:/$¥￥元원-])*")
_CARD_LEAD = re.compile(r"^[^:：]{0,40}(?:信息发送|訊息發送|发送了?订单|sent an order)\s*[:：]?")


# A date and time pasted with an order number ("2026-12-05 14:32 订单号: …"), and the HTML
# space some chat windows paste with it.
_STAMP = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}:\d{2}(?::\d{2})?|&nbsp;?")


# The chat export's redacted numbers: an item id beside the order number says no more than it.
_REDACTED = re.compile(REDACTED_NUMBER)


def only_an_order_number(normalised: str) -> bool:
    """The message is an order number and at most the words that label it."""
    found = order_id_in([normalised])
    if found is None:
        return False
    rest = _CARD_LEAD.sub("", _CARD_FIELD.sub("", normalised.replace(found, "", 1)))
    rest = _STAMP.sub("", rest)  # pasted from the order page with its date and time
    rest = _ORDER_LABEL.sub("", _REDACTED.sub("", rest))
    rest = _COPULA.sub("", rest.strip())  # "…이에요", "…입니다"
    return letters(rest) <= ACK_LEFTOVER


def _returning(normalised: str, lexicon: Lexicon) -> bool:
    """"我是老顾客了", "저 여기서 몇 번 샀어요": bought here before, and nothing asked. The count in
    "好几次" or "몇 번" is no question word; a question elsewhere in the message is."""
    word = lexicon.cue_word("returning", normalised)
    return word is not None and not asks_outright(normalised.replace(word, " "))


def names_size(normalised: str) -> bool:
    """A size label stands in the (normalised) text ("换个43的", "xl还有吗", "250으로 주세요")."""
    return _SIZE_LABEL.search(normalised) is not None


def _chooses(normalised: str, lexicon: Lexicon) -> bool:
    """"2XL来一件", "검은색으로 245 주세요", "ill take a 3XL": a choice of size or colour with a
    word that orders it; "검은색 보여 주세요" asks to be shown, and orders nothing."""
    if lexicon.cue("wanting", normalised):
        return False
    colour = bool(lexicon.colour_families(normalised))
    size = names_size(normalised)
    if lexicon.cue("choosing", normalised):
        return colour or size
    korean = _KOREAN_CHOICE.search(normalised)
    return korean is not None and (colour or _SIZE_LABEL.search(korean.group(0)) is not None)


def is_statement(normalised: str, lexicon: Lexicon) -> bool:
    """No question in the (normalised) text and no wish either ("想买个双肩包" asks for one)."""
    return not is_question(normalised) and not lexicon.cue("wanting", normalised)


def acknowledgement(normalised: str, lexicon: Lexicon) -> bool:
    """A bare acknowledgement: courtesy words and next to nothing else, no question ("好的谢谢",
    "alright np", "네 기다릴게요"; not "收到的裤子开线了", not "没有签收")."""
    if is_question(normalised.strip()):
        return False
    return only_words(normalised, [*lexicon.words("courtesy"), *lexicon.words("acknowledge")],
                      lexicon.words("filler"))


def only_words(normalised: str, words: Sequence[str], fillers: Sequence[str] = ()) -> bool:
    """The short text is some of ``words`` and next to nothing else: a particle or a form of
    address (``fillers``: "好的亲", "嗯嗯好的哈"), or a letter or two; never a Chinese word of
    its own ("没有签收" says what did not happen)."""
    text = normalised.strip()
    # English spends about twice the characters on the same words ("alright i can wait").
    if len(text) > (_ACK_MAX_CHARS * 2 if text.isascii() else _ACK_MAX_CHARS):
        return False
    rest = text
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, " ")
    if rest == text:
        return False
    for filler in sorted(fillers, key=len, reverse=True):
        rest = rest.replace(filler, " ")
    return letters(rest) <= ACK_LEFTOVER and not han_characters(rest)


def continues(normalised: str, lexicon: Lexicon) -> bool:
    """The message opens with a word that answers something said before, and goes on."""
    text = normalised.strip()
    for word in lexicon.words("continues"):
        if text.startswith(word):
            rest = text[len(word):]
            if word.isascii() and rest[:1].isalpha():
                continue  # "okay" is not "ok" + "ay"; "so" is not "sorry"
            if letters(rest) >= ACK_LEFTOVER + 1:
                return True
    return False


def image_only(text: str) -> bool:
    """The message is only a picture's placeholder."""
    return _IMAGE_ONLY.match(text) is not None


def contentless(normalised: str) -> bool:
    """Nothing to read: punctuation, an emoji, a single character."""
    return letters(normalised) <= 1


def agent_turn_before(request: DraftRequest) -> str | None:
    """The agent's turn just before the latest message; None when the customer spoke last."""
    before = request.messages[:-1]
    return before[-1].text if before and before[-1].role == "agent" else None


def _no_more(normalised: str, request: DraftRequest, lexicon: Lexicon) -> bool:
    """"Nope", "没有了", "아니요 없어요" to the agent's "anything else?": a goodbye, not an "ok"."""
    agent = agent_turn_before(request)
    if agent is None or asks_outright(normalised) or \
            not lexicon.cue("more_help", normalise_measures(agent)):
        return False
    return only_words(normalised, [*lexicon.words("negation"), *lexicon.words("courtesy"),
                                   *lexicon.words("acknowledge")], lexicon.words("filler"))


def _no_thanks(normalised: str, lexicon: Lexicon) -> bool:
    """"不需要了 谢谢哈", "nope, thanks": a no with thanks and nothing else turns an offer down."""
    return lexicon.cue("thanks", normalised) and lexicon.cue("negation", normalised) and \
        not asks_outright(normalised) and only_words(
            normalised, [*lexicon.words("negation"), *lexicon.words("courtesy")],
            lexicon.words("filler"))


def _agent_asked(request: DraftRequest) -> bool:
    """The agent's turn just before the latest message asked the customer something."""
    agent = agent_turn_before(request)
    return agent is not None and _agent_asks(agent, is_question)


def _agent_just_promised(request: DraftRequest, cues: Cues) -> bool:
    """The agent's turn just before the latest message commits to something ("明天给您补发",
    "we'll resend it tomorrow")."""
    agent = agent_turn_before(request)
    return agent is not None and any(
        act == "promised" for act, _ in cues.agent_acts(normalise_measures(agent)))


def agent_asks_outright(text: str) -> bool:
    """An agent's turn asks by a mark or a question word ("您穿多大码呢", "몇 살이에요?"), not
    only by a sentence ending that also states ("검정 있어요", "这款很耐穿呢")."""
    return _agent_asks(text, asks_outright)


def _agent_asks(text: str, asks: Callable[[str], bool]) -> bool:
    """An agent's turn read by ``asks``, once its stating 呢 is set aside."""
    said = normalise_measures(text)
    return asks(_STATING_NE.sub("", said)) or _HOW_BIG.search(said) is not None


# "您穿多大码呢", "上衣还是裤子": asked with words the question reader does not count as asking.
_HOW_BIG = re.compile(r"多大|多高|多重|多长|多宽|还是")
# Agents end statements with 呢 ("这款很耐穿呢", "这个要问下仓库呢亲"): before 亲 or 哦, or at
# the end of a sentence, it asks nothing; "您穿多大码呢" still asks by its question word.
_STATING_NE = re.compile(r"呢(?=亲|哦|哈|呀|(?:~|～|\s)*(?:[。.!！,，]|$))")
