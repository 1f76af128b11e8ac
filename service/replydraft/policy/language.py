"""A tiny script-based language guess, enough to pick the language of a replacement.

Hangul → ko; Chinese characters → zh (zh-Hant when it has more Traditional-only than
Simplified-only characters); anything else → en. A Chinese character weighs about as much as a
short Latin word, so Latin letters count for less.
"""

from __future__ import annotations

import re
from functools import cache

from replydraft.languages import Language
from replydraft.policy.normalize import t2s_table

# Runs, not single characters: fewer, longer matches count faster.
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[A-Za-z]+")
_LATIN_WEIGHT = 0.35


@cache
def _simplified_only() -> frozenset[str]:
    """Characters that change when written Traditional: they exist only in Simplified."""
    import opencc

    converter = opencc.OpenCC("s2t")
    chars = sorted(set(t2s_table().values()))
    converted = converter.convert("\n".join(chars)).split("\n")
    return frozenset(c for c, t in zip(chars, converted, strict=True) if t != c)


def script_family(text: str) -> str | None:
    """"ko", "zh" or "en" by the dominant script; None when the text has no letters."""
    hangul = _count(_HANGUL, text)
    han = _count(_HAN, text)
    latin = _count(_LATIN, text) * _LATIN_WEIGHT
    if not (hangul or han or latin):
        return None
    if hangul >= han and hangul >= latin:
        return "ko"
    return "zh" if han >= latin else "en"


def detect_language(text: str, *, default: Language = "en") -> Language:
    family = script_family(text)
    if family is None:
        return default
    if family == "zh":
        return chinese_script(text)
    return "ko" if family == "ko" else "en"


@cache
def _script_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes for Traditional-only and Simplified-only characters (counted at C speed)."""
    # BMP only: a class with astral characters makes the regex engine test them one by one.
    traditional = "".join(sorted(chr(cp) for cp in t2s_table() if cp <= 0xFFFF))
    simplified = "".join(sorted(c for c in _simplified_only() if ord(c) <= 0xFFFF))
    return re.compile(f"[{re.escape(traditional)}]"), re.compile(f"[{re.escape(simplified)}]")


def _count(runs: re.Pattern[str], text: str) -> int:
    return sum(map(len, runs.findall(text)))


def chinese_script(text: str) -> Language:
    """zh-Hant when ``text`` has more Traditional-only than Simplified-only characters."""
    traditional_only, simplified_only = _script_classes()
    traditional = len(traditional_only.findall(text))
    simplified = len(simplified_only.findall(text))
    return "zh-Hant" if traditional > simplified else "zh-Hans"
