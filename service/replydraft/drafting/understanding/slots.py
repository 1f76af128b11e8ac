"""What the customer told us, in numbers: height, weight, feet, waist, product, colour, bargain.

Customers write measurements every way there is: 175cm, 175, 1米75, 一米七五, 1.75m, 5'10",
180斤 (a jin is half a kilo), 90公斤, 200 lbs, 키 175에 80키로, 腰围2尺8, 26.5cm feet, 42码, US 10.
Each parser below turns one family of forms into metric values; ``extract_slots`` runs them over
the conversation, newest customer message first, so "那黑色呢?" still knows the height and weight
given two messages earlier and stays on the product discussed.
"""

from __future__ import annotations

import re
import unicodedata

from replydraft.drafting.language import to_simplified

JIN_KG = 0.5
POUND_KG = 0.45359237
STONE_KG = 6.35029
INCH_CM = 2.54
CHI_CM = 100 / 3  # one 市尺 (the waist unit in 腰围2尺8)

HEIGHT_CM = (130.0, 230.0)
WEIGHT_KG = (35.0, 250.0)
FOOT_MM = (200.0, 330.0)
WAIST_CM = (55.0, 180.0)

# ---------------------------------------------------------------- normalising


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
# A single numeral is only a number before a unit ("一米", "五斤") or after 米/尺 ("一米七").
_UNIT_AFTER = ("米", "斤", "公斤", "千克", "块", "元", "码", "尺", "号", "厘米", "公分", "折", "寸")
_KO_UNITS = {"천": 1000, "만": 10000}


def chinese_number(run: str) -> int | None:
    """一百八十 → 180, 一百八 → 180 (spoken short form), 七五 → 75, 两百 → 200, 十五 → 15."""
    if not any(ch in _CN_UNITS for ch in run):
        if all(ch in _CN_DIGITS for ch in run):
            return int("".join(str(_CN_DIGITS[ch]) for ch in run))
        return None
    total, digit, last_unit = 0, None, 1
    for ch in run:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (digit if digit is not None else 1) * unit
            digit, last_unit = None, unit
    if digit is not None:
        # "一百八" means 180: a trailing digit after 百 counts in tens.
        total += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return total


def _replace_chinese_numerals(text: str) -> str:
    def convert(match: re.Match[str]) -> str:
        run = match.group(0)
        after = text[match.end():match.end() + 2]
        before = text[max(match.start() - 1, 0):match.start()]
        if len(run) == 1 and not after.startswith(_UNIT_AFTER) and before not in ("米", "尺"):
            return run  # 一点, 一定, 看一下: words, not numbers
        value = chinese_number(run)
        return run if value is None else str(value)

    return _CN_RUN.sub(convert, text)


def normalise_measures(text: str) -> str:
    """Full-width → ASCII, Simplified script, Chinese numerals → digits, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("′", "'").replace("″", '"').replace("”", '"')
    return _replace_chinese_numerals(to_simplified(text)).lower()


def _num(value: str) -> float:
    return float(value)


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


# ---------------------------------------------------------------- height

_WAIST_CHEST = r"(腰围|腰|胸围|臀围|waist|chest|허리|가슴)\s*[:：]?\s*"
_HEIGHT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d)\s*米\s*(\d{1,2})(?!\d)"), "m_cm"),              # 1米75, 1米8
    (re.compile(r"(?<![\d.])(\d)\s*m\s*(\d{2})(?!\d)"), "m_cm"),        # 1m75
    (re.compile(r"(?<![\d.])([12]\.\d{1,2})\s*(m|米|meters?|metres?)(?![a-z])"), "m"),  # 1.75m
    (re.compile(r"(?<![\d.])([4-7])\s*(?:'|ft\.?|feet|foot)\s*(\d{1,2})?\s*(?:\"|''|in\b|inch(?:es)?)?"),
     "ft"),                                                            # 5'10", 5 ft 10, 6ft
    (re.compile(r"(身高|个子|个头|高|height|키\s*(?:가|는)?)\s*[:：是]?\s*(?:大概|约|差不多|about|around|한)?\s*"
                r"(\d{1,3}(?:\.\d{1,2})?)"), "labelled"),
    (re.compile(r"(?<![\d.])(1\d{2}|2[0-2]\d)(?:\.\d)?\s*(cm|公分|厘米|센티|센치|㎝)"), "cm"),
    (re.compile(r"\b(?:i'?m|i am)\s*(?:about|around)?\s*(1[4-9]\d|20\d)(?![\d.])"
                r"(?!\s*(?:lbs?|pounds?|kgs?|kilos?))"), "cm"),
)


def parse_height(text: str) -> float | None:
    """Height in cm from one normalised message, or None."""
    for pattern, kind in _HEIGHT_PATTERNS:
        for match in pattern.finditer(text):
            value = _height_value(match, kind, text)
            if value is not None and _within(value, HEIGHT_CM):
                return round(value, 1)
    return None


def _height_value(match: re.Match[str], kind: str, text: str) -> float | None:
    if kind == "m_cm":
        metres, rest = int(match.group(1)), match.group(2)
        return metres * 100 + (int(rest) * 10 if len(rest) == 1 else int(rest))
    if kind == "m":
        return _num(match.group(1)) * 100
    if kind == "ft":
        feet, inches = int(match.group(1)), int(match.group(2) or 0)
        bare = match.group(2) is None and not re.search(r"ft|feet|foot|'", match.group(0))
        if inches > 11 or bare:
            return None
        return (feet * 12 + inches) * INCH_CM
    if kind == "labelled":
        value = _num(match.group(2))
        if value < 3:
            return value * 100  # 身高1.8
        if 45 <= value <= 99 and match.group(1).startswith("키"):
            return 100 + value  # Koreans say 키가 72 for 172
        return value
    if kind == "cm":
        if re.search(_WAIST_CHEST + r"$", text[:match.start()][-8:]):
            return None
        return _num(match.group(1))
    return None


# ---------------------------------------------------------------- weight

_KG_UNITS = r"(kg|kgs|公斤|千克|kilos?|kilograms?|키로|킬로|킬로그램|㎏)"
_WEIGHT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:多|来|左右|出头)?\s*斤"), "jin"),
    (re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:多|来|左右)?\s*" + _KG_UNITS), "kg"),
    (re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(lbs?|pounds?|磅)\b"), "lb"),
    (re.compile(r"(?<![\d.])(\d{1,2})\s*(?:st|stone)\s*(\d{1,2})?\s*(?:lbs?)?\b"), "stone"),
    (re.compile(r"(体重|weight|weigh|몸무게|체중)\s*(?:is|of|about|around|[:：是]|大概|约|差不多|는|은|가|이)?\s*"
                r"(?:about|around|大概|约|한)?\s*(\d{2,3}(?:\.\d)?)"), "labelled"),
)


def parse_weight(text: str, family: str) -> float | None:
    """Weight in kg from one normalised message, or None.

    A bare number after 体重 is read as jin when it is 140 or more (Chinese customers count in
    jin: 体重180 means 90 kg); after "weigh" as pounds when above 150.
    """
    for pattern, kind in _WEIGHT_PATTERNS:
        for match in pattern.finditer(text):
            value = _weight_value(match, kind, text, family)
            if value is not None and _within(value, WEIGHT_KG):
                return round(value, 1)
    return None


def _weight_value(match: re.Match[str], kind: str, text: str, family: str) -> float | None:
    value = _num(match.group(1)) if kind != "labelled" else _num(match.group(2))
    if kind == "jin":
        return value * JIN_KG
    if kind == "kg":
        return value
    if kind == "lb":
        return value * POUND_KG
    if kind == "stone":
        return value * STONE_KG + (int(match.group(2) or 0) * POUND_KG)
    unit = text[match.end():match.end() + 6].strip()
    if unit.startswith(("斤", "kg", "公斤", "lb", "pound", "키로", "킬로")):
        return None  # the unit patterns above handle it
    if family == "zh" and value >= 140:
        return value * JIN_KG
    if family == "en" and value > 150:
        return value * POUND_KG
    return value


_PAIR = re.compile(r"(?<![\d.])(1[4-9]\d|20\d)\s*(?:cm|公分)?\s*(?:[/,，、 ]|에|and|&|的话|体重)\s*"
                   r"(?:체중|몸무게|about|around|大概|约)?\s*(\d{2,3})(?![\d.])(?!\s*(?:码|号|岁|块|元|cm|mm|사이즈|yuan))")


def parse_height_weight_pair(text: str, family: str) -> tuple[float | None, float | None]:
    """"175 180", "175/85", "175에 80", "i'm 180 and 100": height first, then weight."""
    match = _PAIR.search(text)
    if match is None:
        return None, None
    height, weight = float(match.group(1)), float(match.group(2))
    if family == "zh" and weight >= 140:
        weight *= JIN_KG
    elif family == "en" and weight > 150:
        weight *= POUND_KG
    if not _within(weight, WEIGHT_KG):
        return height, None
    return height, weight


_BARE_HEIGHT = re.compile(r"(?<![\d.a-z-])(1[5-9]\d|20\d)(?![\d.])"
                          r"(?!\s*(?:斤|kg|公斤|千克|元|块|码|号|mm|"
                          r"lbs?|pounds?|yuan|위안|원|키로|킬로|사이즈|折))")


def parse_bare_height(text: str) -> float | None:
    """"我175，穿什么码": a lone 150-209 in a size question is the height in cm."""
    match = _BARE_HEIGHT.search(text)
    return float(match.group(1)) if match else None


# ---------------------------------------------------------------- feet and shoes

_FOOT_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"(?<![\d.])(\d{3})\s*(?:mm|毫米|밀리|㎜)"), 1.0),
    (re.compile(r"(?<![\d.])(\d{2}(?:\.\d)?)\s*(?:cm|厘米|公分|센티|센치|㎝)"), 10.0),
    (re.compile(r"(脚长|脚|foot|feet|발\s*(?:길이|사이즈)?(?:가|는|이)?)\s*(?:is|are|[:：是])?\s*(?:about|大概|约)?\s*"
                r"(\d{2,3}(?:\.\d)?)"), 0.0),
    (re.compile(r"(?<![\d.])(2[2-9]\d|3[0-2]\d)\s*(?:사이즈|신어|신고|신는|신발)"), 1.0),
)


def parse_foot_length(text: str) -> float | None:
    """Foot length in mm: 26.5cm, 265mm, 脚长26.5, 발 길이 270, 270 신어요 (Korean sizes are mm)."""
    for pattern, factor in _FOOT_PATTERNS:
        for match in pattern.finditer(text):
            raw = match.group(match.lastindex or 1)
            value = _num(raw)
            if factor == 0.0:
                value = value * 10 if value < 40 else value
            else:
                value *= factor
            if _within(value, FOOT_MM):
                return value
    return None


_EU_SIZE = (
    re.compile(r"(?<![\d.])(3[5-9]|4\d|50)(?:\.5)?\s*(?:码|号|的鞋|eu\b)"),
    re.compile(r"\beu\s*(3[5-9]|4\d|50)\b"),
    re.compile(r"(?:穿|平时|一般)\s*(3[5-9]|4\d|50)(?![\d.])"),
)
_US_SIZE = re.compile(r"\b(?:us|us size|size us)\s*(\d{1,2}(?:\.5)?)\b|\b(\d{1,2}(?:\.5)?)\s*us\b")


def parse_shoe_size(text: str, us_to_eu: dict[str, str]) -> str | None:
    """An EU shoe size label: 42码, EU 43, 穿42的; US sizes converted through the lexicon."""
    for pattern in _EU_SIZE:
        match = pattern.search(text)
        if match:
            return match.group(1)
    match = _US_SIZE.search(text)
    if match:
        us = match.group(1) or match.group(2)
        return us_to_eu.get(us.rstrip("0").rstrip(".") if "." in us else us)
    return None


# ---------------------------------------------------------------- waist

_WAIST_CHI = re.compile(r"(\d)\s*尺\s*(\d)?")
_WAIST_LABELLED = re.compile(r"(腰围|腰|waist|허리)\s*(?:is|[:：是]|둘레|가|는)?\s*"
                             r"(?:about|大概|约)?\s*"
                             r"(\d{2,3}(?:\.\d)?)\s*(cm|公分|厘米|inch|inches|in\b|\"|인치)?")
_WAIST_INCH = re.compile(r"(?<![\d.])(\d{2})\s*(?:inch|in|\"|인치)\s*(?:waist)?|\bw(\d{2})\b")


def parse_waist(text: str) -> float | None:
    """Waist in cm: 腰围2尺8 (市尺), waist 32 (inches when 50 or less), 허리 86cm, W34."""
    match = _WAIST_CHI.search(text)
    if match:
        value = (int(match.group(1)) + int(match.group(2) or 0) / 10) * CHI_CM
        return round(value, 1) if _within(value, WAIST_CM) else None
    match = _WAIST_LABELLED.search(text)
    if match:
        value, unit = _num(match.group(2)), match.group(3) or ""
        if unit.startswith(("in", '"', "인치")) or value <= 50:
            value *= INCH_CM
        return round(value, 1) if _within(value, WAIST_CM) else None
    match = _WAIST_INCH.search(text)
    if match and re.search(r"waist|腰|허리|\bw\d", text):
        value = _num(match.group(1) or match.group(2)) * INCH_CM
        return round(value, 1) if _within(value, WAIST_CM) else None
    return None


# ---------------------------------------------------------------- bargaining

_OFF_PATTERNS = (
    re.compile(r"(便宜|少算|少|减|优惠|抹|让|降)\s*(?:我|点|一点|个|些)?\s*(\d+(?:\.\d+)?)\s*"
               r"(?:块钱|块|元|rmb)?"),
    re.compile(r"(?:knock|take|give me)\s*(?:[$¥]|rmb\s*|yuan\s*)?(\d+(?:\.\d+)?)\s*"
               r"(?:yuan|rmb|bucks|dollars?)?\s*off"),
    re.compile(r"(?<![\d.])[$¥]?(\d+(?:\.\d+)?)\s*(?:yuan|rmb|bucks|dollars?)?\s*(?:off|discount)\b"),
    re.compile(r"discount of\s*[$¥]?(\d+(?:\.\d+)?)"),
    re.compile(r"(\d+(?:\.\d+)?)\s*(?:위안|元|원)?\s*(?:만|정도|만큼)?\s*(?:깎|할인|빼)"),
)
_TARGET_PRICE = (
    re.compile(r"(?<![\d.])(\d{2,4})\s*(?:块|元)?\s*(?:卖|出|行|可以|能卖)\s*(?:吗|不|么|嘛)"),
    re.compile(r"(?:sell it|let it go|do it)\s*for\s*[$¥]?(\d{2,4})"),
    re.compile(r"(\d{2,4})\s*(?:위안|元)?\s*에\s*(?:주세요|안 될까|안될까|되나요|돼요)"),
)
_PERCENT = re.compile(r"(?:打)?\s*([1-9](?:\.\d)?)\s*折")  # 打9折 = 10% off
_HALF = re.compile(r"对折|半价|half price|반값")
_PERCENT_OFF = re.compile(r"(\d{1,2})\s*%\s*(?:off|discount|할인)")
_KRW = re.compile(r"\d+\s*(?:천|만)?\s*원")


def parse_amount_off(text: str, price: float | None, currency: str) -> float | None:
    """What the customer asks off, in the store's currency: 便宜30, 少20块, knock 30 off,
    20위안 깎아, 打9折 (needs the price), 150卖吗 (target price, needs the price).

    Amounts in won are left alone for a store that sells in another currency: we do not guess
    exchange rates, the agent sees the customer's words.
    """
    if currency != "KRW" and _KRW.search(text):
        return None
    for pattern in _OFF_PATTERNS:
        match = pattern.search(text)
        if match:
            value = _num(match.group(match.lastindex or 1))
            if 0 < value < 10_000:
                return value
    if price is None:
        return None
    match = _PERCENT.search(text)
    if match:
        return round(price * (1 - _num(match.group(1)) / 10), 2)
    if _HALF.search(text):
        return round(price / 2, 2)
    match = _PERCENT_OFF.search(text)
    if match and 0 < _num(match.group(1)) < 100:
        return round(price * _num(match.group(1)) / 100, 2)
    for pattern in _TARGET_PRICE:
        match = pattern.search(text)
        if match and 0 < _num(match.group(1)) < price:
            return round(price - _num(match.group(1)), 2)
    return None
