"""What a customer asks off the price, read once for drafting and for the risk scan.

``read_money`` finds the first ask in a text, in this order: an amount off (便宜30, 少算我80元,
减五十, knock 30 off, 20 dollars off, 20위안 깎아, 5만원 할인), a percentage off (打85折, 九折,
30% off, 10프로 할인, half price, 半价, 对折, 반값), a small amount in a haggle without a money
word (come on, 10 then?; 그럼 10이라도; 那10块行不行), a target price (150卖吗, sell it for 150).

``read_budget`` finds the most a customer means to spend, in yuan (预算500左右, 500元以内,
budget of 300 yuan); a budget in another currency (20만원, $150, 800 kroner) is not read as yuan.

N折 means "pay N tenths": 9折 is 10 % off, 85折 (8.5折, 八五折) 15 % off, 五折 50 % off. A bare
digit before 折 is never read out of a longer number: 打85折 is not 5折.

Texts are expected lower-case and Simplified (drafting's ``normalise_measures``, the policy
``normalize``); numerals are rewritten to digits here, so 一百八 reads 180 in both callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from replydraft.text.numbers import arabic_numerals

AskKind = Literal["amount", "percent", "target"]


@dataclass(frozen=True)
class MoneyAsk:
    """``amount``: money off; ``percent``: percent off (0-100); ``target``: the price wanted.

    ``won`` is true when the amount is written in Korean won, which a store selling in another
    currency must not read as its own money.
    """

    kind: AskKind
    value: float
    won: bool = False


_NUM = r"(\d+(?:\.\d+)?)"
_MAGNITUDE = r"(万|千|k|만|천)?"
_MAGNITUDES = {"万": 10_000, "만": 10_000, "千": 1000, "천": 1000, "k": 1000}

_AMOUNT_PATTERNS = (
    # 便宜30, 少算我80元, 返6元, 便宜个十块, 砍个三十块, 减50; not 少2件, 减5斤 (not money), and not
    # 便宜了5元 (the price came down: told, not asked) or 没减20 (a discount that did not apply).
    re.compile(r"(?<!没)(?<!没有)(?:便宜|少算|少|减|优惠|让|降|砍|抹|返)\s*(?:个|点儿?|一点|些|算|收)?\s*"
               r"(?:给我|我|下|掉|价)?\s*" + _NUM + r"\s*" + _MAGNITUDE
               + r"\s*(?:块钱|块|元|rmb|¥|米)?(?![\d件个码号天次斤厘公%折条双套]|cm|kg)"),
    # knock 30 off, take $20 off, give me 10 bucks off, shave 15 off.
    re.compile(r"\b(?:knock|take|shave|give me|cut)\s+(?:it\s+|the price\s+)?(?:by\s+)?"
               r"(?:[$¥]|rmb\s?|usd\s?|yuan\s?)?" + _NUM
               + r"\s*(?:dollars?|bucks|yuan|rmb|usd|quid)?\s*off\b"),
    # lower it by 30, drop the price by 20.
    re.compile(r"\b(?:cut|drop|lower|reduce)\s+(?:it|the price)\s+by\s+(?:[$¥]|rmb\s?|usd\s?)?"
               + _NUM + r"\b(?!\s*(?:%|percent))"),
    # 25 off, $20 discount.
    re.compile(r"(?<![\d.])[$¥]?" + _NUM
               + r"\s*(?:yuan|rmb|bucks|dollars?|usd)?\s*(?:off|discount)\b(?![-\w])"),
    re.compile(r"\bdiscount of\s*[$¥]?" + _NUM + r"\b(?!\s*(?:%|percent))"),
    # 20위안 깎아, 5만원 할인, 5000원만 빼 주세요.
    re.compile(r"(?<![\d.])" + _NUM + r"\s*" + _MAGNITUDE + r"\s*(?:위안|元|원|달러|불)?"
               r"\s*(?:만|정도|쯤|이라도|만큼)?\s*(?:더\s*)?(?:안\s*)?(?:깎|할인|빼|디씨|dc|에누리)"),
)
_ZHE = re.compile(r"(?<![\d.])(\d{1,2}(?:\.\d)?)\s*折(?!叠)")
_HALF = re.compile(r"对折|半价|半折|(便宜|减|少|砍)一半|half price|half off|반값")
_PERCENT_PATTERNS = (
    # 30% off, 10 percent off, 10프로만 할인, 10퍼센트 정도 깎아, 15퍼 dc.
    re.compile(r"(?<![\d.])" + _NUM + r"\s*(?:%|percent|per cent|퍼센트|프로|퍼)\s*"
               r"(?:만|정도|쯤|이라도|라도|만큼)?\s*(?:더\s*)?"
               r"(?:off|discount|할인|깎|빼|디씨|dc|세일|에누리|的?折扣|优惠)"),
    re.compile(r"\b(?:discount|reduction) of\s+" + _NUM + r"\s*(?:%|percent)"),
    re.compile(r"(?:优惠|便宜|减|打)\s*" + _NUM + r"\s*%"),
)
# A bare small number in a haggle, the money word left out: "come on, 10 then?", "그럼 10이라도",
# "那10块行不行". Only one or two digits, and only after a haggling word (a lone "44?" is a size;
# "150行不行" and "150卖吗" ask a price, below). Group 1 or 3 is the money word, if any; without
# one the number must fall outside the sizes it could also be (the range after each pattern):
# "ok 10 then" picks a US shoe size, "那44行不行" a size 44, "66이라도" a Korean size 66.
_ANY = (0, 99)
_HAGGLE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[int, int] | None], ...] = (
    (re.compile(r"\b(?:come on|at least|(?:can|could|would) you (?:do|go|make it)|meet me at)"
                r"\s*,?\s*(?:like\s+)?([$¥]?)(\d{1,2})\s*(bucks|dollars?|yuan|rmb|usd)?"
                r"\s*(?:off\s*)?then\b"), None),
    (re.compile(r"(?<![\d.])([$¥]?)(\d{1,2})\s*(bucks|dollars?|yuan|rmb|usd)?\s*(?:off\s*)?"
                r"then\b"), _ANY),
    (re.compile(r"(?<![\d.])()(\d{1,2})\s*(위안|달러|불)?\s*(?:만이라도|이라도)"
                r"(?!\s*(?:사이즈|size|있|입|맞|재고))"), (26, 99)),
    (re.compile(r"(?:那|那就|那么|再|最少|至少)\s*()(\d{1,2})\s*(块钱|块|元)?\s*"
                r"(?:行不行|行吗|行不|可以吗|可以不|能不能|成不成|好不好)"), (26, 50)),
)
_TARGET_PATTERNS = (
    re.compile(r"(?<![\d.])(\d{2,5})\s*(?:块|元)?\s*(?:卖|出|行|可以|能卖)\s*(?:吗|不|么|嘛)"),
    re.compile(r"(?:sell it|let it go|do it)\s*for\s*[$¥]?(\d{2,5})"),
    re.compile(r"(\d{2,5})\s*(?:위안|元|원)?\s*에\s*(?:주세요|안 될까|안될까|되나요|돼요)"),
)
_WON = re.compile(r"\d+\s*(?:천|만)?\s*원")


def zhe_percent_off(zhe: str) -> float | None:
    """"9" → 10.0, "85" → 15.0, "8.5" → 15.0, "5" → 50.0; None outside 0.1-9.9 tenths.

    Two digits are tenths and hundredths (85折 = 8.5折); "10", "20" are no such form.
    """
    value = float(zhe)
    if value >= 10 and "." not in zhe:
        if value % 10 == 0:
            return None
        value /= 10
    if not 0 < value < 10:
        return None
    return round(100 - value * 10, 6)


# A promotion's own terms quoted ("满99减30", "每满200减20", "任选3件减30") or asked about ("这个是
# 五折吗", "is this 50% off?", "50프로 할인하는 거에요?"): the shop's offer, not an amount the
# customer asks off.
_PROMOTION_TERMS = re.compile(
    r"(?:每)?满\s*\d+\s*(?:元|块)?\s*(?:立)?(?:减|送|返)\s*\d+\s*(?:元|块)?"
    r"|(?:任选|任意|买|拍)\s*\d+\s*(?:件|条|双|个)\s*(?:立)?减\s*\d+\s*(?:元|块)?"
    r"|(?:是|有)\s*(?:打)?\s*\d+(?:\.\d+)?\s*折\s*(?:的)?\s*(?:吗|么|嘛|呢)"
    r"|\bis (?:it|this|that|everything|the \w+) (?:now |really |still )?(?:\d+\s*%|half)\s*"
    r"(?:off|price)"
    r"|\d+\s*(?:%|프로|퍼센트)\s*할인\s*(?:하는|되는|인)\s*(?:거|건)|반값\s*(?:이에요|인가요|이죠)",
    re.IGNORECASE)


def read_money(text: str) -> MoneyAsk | None:
    """The first discount ask in ``text`` (see the module docstring), or None."""
    text = _PROMOTION_TERMS.sub(" ", arabic_numerals(text))
    won = _WON.search(text) is not None
    return _amount(text, won) or _percent(text) or _haggle(text) or _target(text, won)


def _amount(text: str, won: bool) -> MoneyAsk | None:
    for pattern in _AMOUNT_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        value = float(match.group(1))
        if pattern.groups >= 2 and match.group(2):
            value *= _MAGNITUDES[match.group(2)]
        if value > 0:
            return MoneyAsk("amount", value, won)
    return None


def _percent(text: str) -> MoneyAsk | None:
    match = _ZHE.search(text)
    if match:
        percent = zhe_percent_off(match.group(1))
        if percent is not None:
            return MoneyAsk("percent", percent)
    if _HALF.search(text):
        return MoneyAsk("percent", 50.0)
    for pattern in _PERCENT_PATTERNS:
        match = pattern.search(text)
        if match and 0 < float(match.group(1)) < 100:
            return MoneyAsk("percent", float(match.group(1)))
    return None


def _haggle(text: str) -> MoneyAsk | None:
    for pattern, sizes in _HAGGLE_PATTERNS:
        for match in pattern.finditer(text):
            value = float(match.group(2))
            money_word = bool(match.group(1) or match.group(3))
            if value > 0 and (money_word or sizes is None or not sizes[0] <= value <= sizes[1]):
                return MoneyAsk("amount", value)
    return None


def _target(text: str, won: bool) -> MoneyAsk | None:
    for pattern in _TARGET_PATTERNS:
        match = pattern.search(text)
        if match:
            return MoneyAsk("target", float(match.group(1)), won)
    return None


# A price stated: "300000 원", "49元", "189 yuan", "5만 9천 원" (numerals already digits).
_QUOTED = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万|千|만|천)?\s*(?:(\d+)\s*(千|천))?\s*"
                     r"(원|元|块|위안|yuan|rmb)")


def quoted_prices(text: str) -> list[tuple[float, bool]]:
    """Every price stated in ``text`` as (value, in won), in order: what an agent quoted."""
    found = []
    for match in _QUOTED.finditer(arabic_numerals(text)):
        value = float(match.group(1)) * _MAGNITUDES.get(match.group(2) or "", 1)
        if match.group(3):
            value += float(match.group(3)) * _MAGNITUDES[match.group(4)]
        found.append((value, match.group(5) == "원"))
    return found


def amount_off(ask: MoneyAsk, price: float | None) -> float | None:
    """The ask as money off ``price``; None when that needs a price we do not know."""
    if ask.kind == "amount":
        return ask.value
    if price is None:
        return None
    if ask.kind == "percent":
        return round(price * ask.value / 100, 2)
    return round(price - ask.value, 2) if 0 < ask.value < price else None


# 预算500, 预算在五百左右, budget is about 300, 예산 500위안; 500元以内, 300块以下, under 400 yuan.
_BUDGET = (
    re.compile(r"(?:预算|budget|예산)[^\d$¥]{0,12}" + _NUM + r"\s*" + _MAGNITUDE),
    re.compile(_NUM + r"\s*" + _MAGNITUDE + r"\s*(?:块钱|块|元|rmb|yuan|위안)\s*"
               r"(?:以内|以下|之内|左右|上下|内)"),
    re.compile(r"\b(?:under|below|less than|up to|within)\s+(?:¥|rmb\s?)?" + _NUM
               + r"\s*(?:yuan|rmb)\b"),
)
# Money that is not yuan (won: ``_WON``): a budget in it says nothing about our yuan prices.
# ("pounds" is left out: a big customer gives his weight in them.)
_FOREIGN_MONEY = re.compile(r"[$€£]|dollars?|bucks|usd|euros?|gbp|"
                            r"nok|kr\b|krone|美元|美金|韩元|欧元|日元")


def read_budget(text: str) -> float | None:
    """The budget in ``text`` in yuan, or None (none said, or said in another currency)."""
    text = arabic_numerals(text)
    if _WON.search(text) or _FOREIGN_MONEY.search(text):
        return None
    for pattern in _BUDGET:
        match = pattern.search(text)
        if match is None:
            continue
        magnitude = match.group(2) if pattern.groups >= 2 else None
        value = float(match.group(1)) * _MAGNITUDES.get(magnitude or "", 1)
        if value > 0:
            return value
    return None
