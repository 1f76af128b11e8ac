"""Which language and script a text is written in, and converting Chinese between scripts.

Detection counts characters per script: Hangul, CJK ideographs and Latin letters. A Chinese
character carries about as much meaning as a short Latin word, so Latin letters count for less;
the dominant script wins (ties go to ko, then zh). Traditional vs Simplified is decided by the
characters that exist in only one of the two scripts, counted with two regex classes built once
from OpenCC's tables, so "這件" reads Traditional, "这件" Simplified, and "好的" (characters both
scripts share) decides nothing: the conversation, then the channel, then the store decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Literal

import opencc

from replydraft.languages import Language, is_chinese
from replydraft.text.links import LINK

Family = Literal["ko", "zh", "en"]

# The characters of each script family, as code point ranges (end excluded): Hangul syllables
# and jamo, CJK ideographs, Latin letters.
SCRIPT_RANGES: dict[Family, tuple[tuple[int, int], ...]] = {
    "ko": ((0xAC00, 0xD7A4), (0x1100, 0x1200), (0x3130, 0x3190)),
    "zh": ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)),
    "en": ((0x41, 0x5B), (0x61, 0x7B)),
}


def _runs(family: Family) -> re.Pattern[str]:
    # Runs, not single characters: fewer, longer matches count faster.
    return re.compile("[" + "".join(f"\\U{start:08x}-\\U{end - 1:08x}"
                                    for start, end in SCRIPT_RANGES[family]) + "]+")


_HANGUL = _runs("ko")
_HAN = _runs("zh")
_LATIN = _runs("en")
_RUNS: tuple[tuple[Family, re.Pattern[str]], ...] = (("zh", _HAN), ("ko", _HANGUL),
                                                     ("en", _LATIN))


def family_of(code_point: int) -> Family | None:
    """The script family of one character, or None (digits, punctuation, emoji)."""
    for family, ranges in SCRIPT_RANGES.items():
        if any(start <= code_point < end for start, end in ranges):
            return family
    return None


def families_in(text: str) -> frozenset[Family]:
    """The script families the text has at least one character of."""
    return frozenset(family for family, runs in _RUNS if runs.search(text))


# A Latin letter weighs this much against one Hangul syllable or Chinese character.
_LATIN_WEIGHT = 0.35
_HAN_RANGES = SCRIPT_RANGES["zh"]

# Latin letters that are not English: SKUs (BT-JN-4WS01), size labels (XL, 3XL), units after a
# number (175cm, 90kg). "BT-BT-WP01" alone says nothing about the customer's language; a code
# has a digit ("so-so", "t-shirt" are English words).
_CODES = re.compile(
    r"(?<![A-Za-z0-9])(?:(?=[A-Za-z-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+|\d*X{0,4}[SML]|EU|US)(?![A-Za-z0-9])"
    r"|(?<=\d)\s*(?:cm|kg|mm|lbs?|kgs)(?![A-Za-z])"
    # order and tracking numbers ("SF1234567890", "JD00123456", "[ORDERID_1002]") and HTML
    # entities left by chat exports: an id pasted into a Chinese chat is no English
    r"|(?<![A-Za-z])[A-Za-z]{1,10}_?\d{4,}(?![A-Za-z])|&[a-z]{2,6};"
    # a tax or company number ("税号91330100MA2…") mixes digits and letters in any order
    r"|(?<![A-Za-z0-9])(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}(?![A-Za-z0-9])"
    # a link or an address pasted into the message ("这件有XL吗 https://bit.ly/…") is no
    # English either
    rf"|{LINK.pattern}",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- conversion


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional → Simplified (OpenCC ``t2s``, phrase-aware)."""
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


@cache
def t2s_table() -> dict[int, str]:
    """Traditional → Simplified one character at a time (only the characters that change).

    Character by character, not phrase by phrase, so a caller can keep exact offsets (the
    policy filter's normalised views) and so the script-only classes below are well defined.
    """
    chars = [chr(cp) for start, end in _HAN_RANGES for cp in range(start, end)]
    # One character per line: OpenCC converts phrases, and a newline keeps each one alone.
    converted = _converter("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a change in OpenCC's behaviour
        raise RuntimeError("OpenCC t2s changed the number of lines; cannot map offsets")
    return {ord(c): s for c, s in zip(chars, converted, strict=True) if s != c and len(s) == 1}


@cache
def simplified_only() -> frozenset[str]:
    """Characters that change when written Traditional: they exist only in Simplified."""
    chars = sorted(set(t2s_table().values()))
    converted = _converter("s2t").convert("\n".join(chars)).split("\n")
    return frozenset(c for c, t in zip(chars, converted, strict=True) if t != c)


# Japanese forms that OpenCC's t2s also simplifies but neither Taiwan nor Hong Kong writes
# (查 is 查 in Simplified and 查 in Traditional; a Japanese input method types 査): seen in a
# Simplified customer's message, they say nothing of the script.
_JAPANESE_FORMS = frozenset("査産説録鋭絶緑顔閲")


@cache
def traditional_only() -> frozenset[str]:
    """Characters that change when written Simplified: they exist only in Traditional."""
    return frozenset(chr(cp) for cp in t2s_table()) - _JAPANESE_FORMS


@cache
def _script_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes for Traditional-only and Simplified-only characters (counted at C speed)."""
    # BMP only: a class with astral characters makes the regex engine test them one by one.
    traditional = "".join(sorted(c for c in traditional_only() if ord(c) <= 0xFFFF))
    simplified = "".join(sorted(c for c in simplified_only() if ord(c) <= 0xFFFF))
    return re.compile(f"[{re.escape(traditional)}]"), re.compile(f"[{re.escape(simplified)}]")


# ---------------------------------------------------------------- detection


def _count(runs: re.Pattern[str], text: str) -> int:
    return sum(map(len, runs.findall(text)))


def han_characters(text: str) -> int:
    """How many Chinese characters the text has."""
    return _count(_HAN, text)


# Hangul syllables at the end of a message that make it a Korean sentence around English words.
_KOREAN_ENDING = 2
_LAST_RUN = re.compile(r"([\uac00-\ud7a3]+|[A-Za-z]+)[^A-Za-z\uac00-\ud7a3]*$")


def _ends_in_hangul(text: str) -> bool:
    last = _LAST_RUN.search(text)
    return last is not None and len(last.group(1)) >= _KOREAN_ENDING and \
        "\uac00" <= last.group(1)[0] <= "\ud7a3"


def script_family(text: str) -> Family | None:
    """"ko", "zh" or "en" by the dominant script; None when the text has no letters."""
    hangul = _count(_HANGUL, text)
    han = _count(_HAN, text)
    latin = _count(_LATIN, text) * _LATIN_WEIGHT
    if not (hangul or han or latin):
        return None
    if hangul >= han and hangul >= latin:
        return "ko"
    if hangul >= _KOREAN_ENDING and not han and _ends_in_hangul(text):
        return "ko"  # "made in Korea네요?", "size가 L이에요": English words, a Korean sentence
    return "zh" if han >= latin else "en"


# Words written in shared characters that only Traditional-script customers use: Cantonese
# particles (Hong Kong, Macau), Taiwan's sentence-final 喔 (mainland customers write 哦: 1 line in
# the thousand JD customer lines, none of the Taobao ones) and Taiwan's cities and convenience-store
# pickup. "可以寄到台北", "唔該晒", "好慢喔" carry no script-only character, and a Simplified reply
# reads as the wrong market.
_TRADITIONAL_REGIONAL = re.compile(
    r"[咗嘅啲喺冇嘢佢嚟咩乜喔]|唔(該|该)晒?|唔好|唔使|唔(係|系)|(係|系)咪|多(謝|谢)晒|好彩|"
    r"台北|台中|台南|高雄|新竹|基隆|嘉義|花蓮|台東|宜蘭|屏東|超商|7-?11|全家|蝦皮|統編")


def chinese_script(text: str) -> Language | None:
    """zh-Hant or zh-Hans by the majority of script-only characters (Cantonese and Taiwan words
    count as Traditional); None on a tie (好的)."""
    traditional_class, simplified_class = _script_classes()
    regional = len(_TRADITIONAL_REGIONAL.findall(text))
    if regional:  # 台 in 台北 is also Simplified for 臺: the word decides, not the character
        text = _TRADITIONAL_REGIONAL.sub(" ", text)
    traditional = len(traditional_class.findall(text)) + regional
    simplified = len(simplified_class.findall(text))
    if traditional > simplified:
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    return None


def language_of(text: str, *, default: Language = "en") -> Language:
    """One text's language, cheaply (the policy filter calls it per replaced segment).

    Chinese without script-only characters reads as zh-Hans; no letters at all → ``default``.
    """
    family = script_family(text)
    if family is None:
        return default
    if family == "zh":
        return chinese_script(text) or "zh-Hans"
    return family


def text_clue(text: str) -> tuple[Family, Language | None] | None:
    """What one customer message says: (family, the language it decides, or None when it is
    Chinese in shared characters only); None when it has no letters ("42?", "👍").

    SKUs, size labels and units are ignored: "BT-JN-4WS01 有货吗" is Chinese.
    """
    family = script_family(_CODES.sub(" ", text))
    if family is None:
        return None
    if family == "zh":
        return family, chinese_script(text)
    return family, family


_LATIN_TOKEN = re.compile(r"^[^\w?？]*[a-z]{1,6}(?:\s+[a-z]{1,4})?[^\w?？]*$", re.IGNORECASE)
_LATIN_TOKEN_LETTERS = 6


def _latin_token(text: str) -> bool:
    """One or two short Latin words, no question: "ok", "OK!", "ok thx", "kk"."""
    text = text.strip()
    return _LATIN_TOKEN.match(text) is not None and \
        sum(ch.isalpha() for ch in text) <= _LATIN_TOKEN_LETTERS


def detect_language(
    texts: Sequence[str],
    *,
    forced: Language | None = None,
    channel_default: Language | None = None,
    store_default: Language | None = None,
) -> Language:
    """The reply language for a conversation; ``texts`` are the customer's messages, oldest first.

    Precedence: ``forced``; what the latest message's characters decide (Hangul → ko, Latin →
    en, Chinese with a Traditional/Simplified majority of script-only characters); the most
    recent earlier message that decides; ``channel_default``; ``store_default``; zh-Hans for
    Chinese, en otherwise. A message without letters decides nothing. When the newest message
    with letters is Chinese, only a Chinese answer fits: earlier English or Korean messages and
    non-Chinese defaults are passed over, since they cannot tell its script. A latest message of
    one or two short Latin words ("ok", "thx") follows the earlier messages when there are any.
    """
    if forced is not None:
        return forced
    family: Family | None = None
    for position, text in enumerate(reversed(texts)):
        clue = text_clue(text)
        if clue is None:
            continue
        if position == 0 and clue[0] == "en" and len(texts) > 1 and _latin_token(text):
            continue  # "ok" / "thx" in a Chinese or Korean chat is a loanword, not a switch
        family = family or clue[0]
        if clue[0] == family and clue[1] is not None:
            return clue[1]
    for default in (channel_default, store_default):
        if default is not None and (family != "zh" or is_chinese(default)):
            return default
    return "zh-Hans" if family == "zh" else "en"
