"""Numerals as customers write them: 180, １８０, ①, 一百八十, 一百八, 百八, 两百, 三万五, 백팔십.

``parse_numeral`` reads one run; ``arabic_numerals`` rewrites the numerals in a text to ASCII
digits where they are numbers. Spoken Chinese drops the last unit: 一百八 is 180 (not 108, which
is 一百零八), 一千二 is 1200, 三万五 35000. Korean does not: 백팔 is 108, 백팔십 180. Chinese digit
strings without units read digit by digit (七五 → 75, 一三八 → 138), as in 一米七五.

Numerals are also words (一点 "a bit", 看一下 "a look", 一件 "one piece", 千万 "by all means",
万一 "in case", 이 "this", 사이즈 "size"), so the rewrite only touches what is clearly a number: a
run of two or more numerals, or one numeral before a measure or money unit (一米, 五斤, 五折) or
after 米/尺 (一米七). Korean runs are rewritten only with a unit numeral (십/백/천/만) and a counter
after them (팔십키로, 오천원) or the measure before them (사이즈 이백육십오, 키 백팔십).
"""

from __future__ import annotations

import re

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_KO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6,
              "칠": 7, "팔": 8, "구": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "십": 10, "백": 100, "천": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000,
              "만": 10_000, "억": 100_000_000}
_ZEROS = frozenset("零〇영공")
_DIGITS = {**_CN_DIGITS, **_KO_DIGITS}
_CHINESE = frozenset(_CN_DIGITS) | frozenset("十百千万萬亿億")

# Full-width digits and circled numbers (①-⑳) → ASCII.
_WIDE = {0xFF10 + i: str(i) for i in range(10)}
_CIRCLED = {0x2460 + i: str(i + 1) for i in range(20)}
_DIGIT_TABLE = str.maketrans({**_WIDE, **_CIRCLED, 0x24EA: "0"})


def ascii_digits(text: str) -> str:
    """１８０ → 180, ⑫ → 12; everything else untouched."""
    return text.translate(_DIGIT_TABLE)


def parse_numeral(run: str) -> int | None:
    """The value of one numeral run, or None when it is not a well-formed number.

    Accepts ASCII, full-width and circled digits, Chinese numerals (with or without units,
    spoken short forms included) and Korean Sino numerals, and digits before a unit (5万, 3천).
    """
    run = ascii_digits(run.strip()).replace(",", "")
    if not run:
        return None
    if run.isascii() and run.isdigit():
        return int(run)
    if not any(ch in _SMALL_UNITS or ch in _BIG_UNITS for ch in run):
        return _digit_string(run)
    return _with_units(run, spoken=all(ch in _CHINESE or ch.isdigit() for ch in run))


def _digit_string(run: str) -> int | None:
    """七五 → 75, 一三八 → 138: numerals without units read digit by digit."""
    if all(ch in _DIGITS for ch in run):
        return int("".join(str(_DIGITS[ch]) for ch in run))
    return None


def _with_units(run: str, *, spoken: bool) -> int | None:
    total = section = 0
    digit: int | None = None
    last_unit = 0  # the unit just read; 0 before any
    section_unit = 10**12  # small units inside a section must fall: 千 > 百 > 十
    after_zero = False
    for index, ch in enumerate(run):
        if ch.isdigit() and ch.isascii():
            if digit is not None and not run[index - 1].isdigit():
                return None
            digit = int(ch) if digit is None else digit * 10 + int(ch)
        elif ch in _DIGITS:
            if ch in _ZEROS:
                after_zero, digit = True, None
                continue
            if digit is not None:
                return None  # 一百八五: two digits in a row among units
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            if unit >= section_unit:
                return None  # 十百, 百百
            section += (1 if digit is None else digit) * unit
            digit, last_unit, section_unit, after_zero = None, unit, unit, False
        else:
            big = _BIG_UNITS[ch]
            if last_unit >= big and total:
                return None  # 万万
            total += (section + (digit or 0) or 1) * big
            section, digit, last_unit, section_unit, after_zero = 0, None, big, 10**12, False
    if digit is not None:
        # 一百八 = 180: in spoken Chinese a trailing digit counts in the next lower unit.
        shortened = spoken and not after_zero and last_unit >= 100
        section += digit * (last_unit // 10) if shortened else digit
    return total + section


# ---------------------------------------------------------------- rewriting a text

_CN_RUN = re.compile(r"[零〇一二两兩三四五六七八九十百千万萬]+")
_KO_RUN = re.compile(r"(?<![가-힣])[영공일이삼사오육칠팔구십백천만]{2,}"
                     r"(?=\s?(?:원|위안|달러|키로|킬로|센티|센치|밀리|사이즈|cm|kg|mm|개|벌|켤레))")
# Or after what it measures ("사이즈 이백육십오", "키 백팔십"), with no counter after it.
_KO_AFTER_MEASURE = re.compile(r"((?:사이즈|치수|허리|키|몸무게|발)(?:는|은|가|이|도)?\s?)"
                               r"([영공일이삼사오육칠팔구십백천만]{2,})"
                               r"(?=(?:에|이에요|이요|요|은|는|도|으로|로|까지|정도)?(?:\s|$|[,.?!~]))")
# A single numeral is only a number before a unit ("一米", "五斤") or after 米/尺 ("一米七").
_UNIT_AFTER = ("米", "斤", "公斤", "千克", "块", "塊", "元", "码", "碼", "尺", "号", "號", "厘米",
               "公分", "折", "寸")


def arabic_numerals(text: str) -> str:
    """Rewrite numerals that are numbers as ASCII digits: 一米七五 → 1米75, 一百八十斤 → 180斤,
    打八五折 → 打85折, 팔십키로 → 80키로; 一点, 看一下, 一件, 千万, 万一 stay words."""
    text = ascii_digits(text)
    if _CN_RUN.search(text):
        text = _CN_RUN.sub(lambda match: _chinese_run(text, match), text)
    text = _KO_RUN.sub(_korean_run, text)
    return _KO_AFTER_MEASURE.sub(lambda m: m.group(1) + _korean_run_text(m.group(2)), text)


def _chinese_run(text: str, match: re.Match[str]) -> str:
    run = match.group(0)
    if run[0] in "千万萬":
        return run  # 千万, 万一: words
    after = text[match.end():match.end() + 2]
    before = text[max(match.start() - 1, 0):match.start()]
    if len(run) == 1 and not after.startswith(_UNIT_AFTER) and before not in ("米", "尺"):
        return run  # 一点, 一定, 看一下: words, not numbers
    value = parse_numeral(run)
    return run if value is None else str(value)


def _korean_run(match: re.Match[str]) -> str:
    return _korean_run_text(match.group(0))


def _korean_run_text(run: str) -> str:
    if not any(ch in "십백천만" for ch in run):
        return run
    value = parse_numeral(run)
    return run if value is None else str(value)
