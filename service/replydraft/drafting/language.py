"""Which language and script a customer writes in, and converting Chinese between scripts.

Detection counts characters per script: Hangul syllables, CJK ideographs and Latin letters. A
Chinese character carries about as much meaning as a short Latin word, so Latin letters count for
less; the dominant script wins. Traditional vs Simplified is decided by the characters that exist in
only one of the two scripts (found with an OpenCC round trip), so "這件" reads Traditional, "这件"
Simplified, and a message of shared characters ("尺碼"/"尺码" aside) follows the earlier messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import opencc

from replydraft.drafting.models import Message
from replydraft.languages import Language

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# A Latin letter weighs this much against one Hangul syllable or Chinese character.
_LATIN_WEIGHT = 0.35


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return str(_converter("t2s").convert(text))


def to_traditional(text: str) -> str:
    """Simplified → Traditional with Taiwan phrasing (軟體, 影片), what zh-Hant customers read."""
    return str(_converter("s2twp").convert(text))


def convert_script(text: str, language: Language) -> str:
    """Bring Chinese text into the script of ``language``; other languages pass through."""
    if language == "zh-Hant":
        return to_traditional(text)
    if language == "zh-Hans":
        return to_simplified(text)
    return text


def _script_votes(text: str) -> tuple[int, int]:
    """(Traditional-only characters, Simplified-only characters) in ``text``."""
    han = "".join(_CJK.findall(text))
    if not han:
        return 0, 0
    as_simplified = to_simplified(han)
    as_traditional = _converter("s2t").convert(han)
    traditional = sum(1 for a, b in zip(han, as_simplified, strict=False) if a != b)
    simplified = sum(1 for a, b in zip(han, as_traditional, strict=False) if a != b)
    return traditional, simplified


# Latin letters that are not English: SKUs (BT-JN-4WS01), size labels (XL, 3XL), units after
# a number (175cm, 90kg). "BT-BT-WP01" alone says nothing about the customer's language.
_CODES = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+|\d*X{0,4}[SML]|EU|US)(?![A-Za-z0-9])"
    r"|(?<=\d)\s*(?:cm|kg|mm|lbs?|kgs)(?![A-Za-z])",
    re.IGNORECASE,
)


def _dominant(text: str) -> str | None:
    """"ko", "zh", "en" or None when the text has no letters at all (emoji, numbers)."""
    text = _CODES.sub(" ", text)
    scores = {
        "ko": float(len(_HANGUL.findall(text))),
        "zh": float(len(_CJK.findall(text))),
        "en": len(_LATIN.findall(text)) * _LATIN_WEIGHT,
    }
    best = max(scores, key=lambda key: scores[key])
    return best if scores[best] > 0 else None


def chinese_script(text: str) -> Language | None:
    """zh-Hant or zh-Hans when the text has script-specific characters, else None."""
    traditional, simplified = _script_votes(text)
    if traditional > simplified:
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    return None


def detect_text_language(text: str) -> Language | None:
    """The language of one text, or None when it gives no clue (numbers, emoji, "?")."""
    family = _dominant(text)
    if family is None:
        return None
    if family == "ko":
        return "ko"
    if family == "en":
        return "en"
    return chinese_script(text) or "zh-Hans"


def detect_language(
    messages: Sequence[Message], *, forced: Language | None = None, default: Language = "zh-Hans"
) -> Language:
    """The reply language: ``forced`` if given, else the latest customer message's language.

    Short messages without a clue ("42?", "👍") follow the customer's earlier messages; a Chinese
    message with only shared characters takes its script from the earlier Chinese messages.
    """
    if forced is not None:
        return forced
    customer_texts = [m.text for m in messages if m.role == "customer"]
    latest = customer_texts[-1] if customer_texts else ""
    family = _dominant(latest)
    if family == "ko":
        return "ko"
    if family == "en":
        return "en"
    if family == "zh":
        return chinese_script(latest) or _earlier_chinese_script(customer_texts[:-1]) or "zh-Hans"
    for text in reversed(customer_texts[:-1]):
        found = detect_text_language(text)
        if found is not None:
            return found
    return default


def _earlier_chinese_script(texts: Sequence[str]) -> Language | None:
    for text in reversed(texts):
        found = chinese_script(text)
        if found is not None:
            return found
    return None
