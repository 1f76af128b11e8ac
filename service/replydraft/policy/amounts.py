"""Reading an amount of money a customer asks off: ``50``, ``1.5万``, ``五十``, ``两百``,
``오천``, ``5만``. Chinese and Korean numerals are read with their units (十/百/千/万,
십/백/천/만)."""

from __future__ import annotations

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9,
    "영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8,
    "구": 9,
}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "십": 10, "백": 100, "천": 1000}
_BIG_UNITS = {"万": 10_000, "만": 10_000}
_UNIT_WORDS = {"万": 10_000, "만": 10_000, "千": 1000, "천": 1000, "k": 1000}


def parse_numeral(text: str) -> float | None:
    """A number written in digits or in Chinese/Korean numerals; None when it is not one."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    total = section = 0
    digit: int | None = None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[char]
            digit = None
        elif char in _BIG_UNITS:
            total += (section + (digit or 0) or 1) * _BIG_UNITS[char]
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


def amount_with_unit(number: str, unit: str | None) -> float | None:
    value = parse_numeral(number)
    if value is None:
        return None
    return value * _UNIT_WORDS.get((unit or "").lower(), 1)


def zhe_to_percent_off(zhe: str) -> float | None:
    """``8折`` is 20 % off, ``85折``/``八五折`` 15 % off, ``7.5折`` 25 % off."""
    if zhe == "对":  # 对折: half price
        return 50.0
    if all(c in _DIGITS for c in zhe):
        zhe = "".join(str(_DIGITS[c]) for c in zhe)
    try:
        value = float(zhe)
    except ValueError:
        return None
    if value >= 10 and "." not in zhe:
        value /= 10  # 85折 = 8.5折
    if not 0 < value < 10:
        return None
    return 100 - value * 10
