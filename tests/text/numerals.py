"""Reference writers for the numeral tests: int → Chinese numerals, int → Sino-Korean."""

from __future__ import annotations

CN = "零一二三四五六七八九"
_KO = "영일이삼사오육칠팔구"


def chinese(n: int) -> str:
    """The reference writer: 1050 → 一千零五十, 15 → 十五, 10500 → 一万零五百."""
    if n == 0:
        return "零"

    def section(value: int) -> str:
        out, gap = "", False
        for power, unit in ((3, "千"), (2, "百"), (1, "十"), (0, "")):
            digit = value // 10**power % 10
            if digit:
                out += ("零" if gap else "") + CN[digit] + unit
                gap = False
            elif out:
                gap = True
        return out

    high, low = divmod(n, 10_000)
    text = section(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + section(low)
    return text[1:] if text.startswith("一十") else text


def korean(n: int) -> str:
    """Sino-Korean: 180 → 백팔십, 1200 → 천이백, 10000 → 만 (no 일 before a unit)."""
    if n == 0:
        return "영"

    def section(value: int) -> str:
        out = ""
        for power, unit in ((3, "천"), (2, "백"), (1, "십"), (0, "")):
            digit = value // 10**power % 10
            if digit:
                out += ("" if digit == 1 and unit else _KO[digit]) + unit
        return out

    high, low = divmod(n, 10_000)
    return (section(high) if high > 1 else "") + ("만" if high else "") + section(low)
