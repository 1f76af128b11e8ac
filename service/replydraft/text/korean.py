"""Korean particles: 은/는, 이/가, 을/를, 과/와, 으로/로 … chosen by the sound before them.

A particle's form depends on whether the word before it ends in a final consonant (받침), and
으로/로 also on whether that consonant is ㄹ (서울로, 가격으로). Digits and Latin letters are read
aloud: 3 (삼) takes 은, 2 (이) takes 는, 1 (일) takes 로, L (엘) takes 로, M (엠) takes 으로.

Two callers: the offline composer's templates write both forms (``청바지은(는)``) and
``fix_particles`` picks one; the policy filter swaps a word and ``adjust_particle`` refits the
particle that followed the old one (돼지가 → 체격이 있는 분이).
"""

from __future__ import annotations

import re

_RIEUL = 8  # ㄹ as a final consonant (index in the Hangul syllable table)
# How digits and Latin letters end when read aloud: final consonant index, 0 for none.
_DIGIT_FINALS = {"0": 21, "1": _RIEUL, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": _RIEUL,
                 "8": _RIEUL, "9": 0}
_LETTER_FINALS = {"l": _RIEUL, "r": _RIEUL, "m": 16, "n": 4}

# (after a final consonant, after a vowel); longest first so 이라도 is tried before 이.
PARTICLES: tuple[tuple[str, str], ...] = (
    ("이라도", "라도"), ("이에요", "예요"), ("이라서", "라서"), ("이라고", "라고"),
    ("이랑", "랑"), ("으로", "로"), ("이나", "나"), ("이야", "야"), ("이고", "고"),
    ("과", "와"), ("은", "는"), ("을", "를"), ("이", "가"),
)


def final_consonant(char: str) -> int | None:
    """The final consonant of how ``char`` is read (0: none); None when it cannot be told."""
    code = ord(char) - 0xAC00
    if 0 <= code <= 0xD7A3 - 0xAC00:
        return code % 28
    if char.isascii() and char.isdigit():
        return _DIGIT_FINALS[char]
    if char.isascii() and char.isalpha():
        return _LETTER_FINALS.get(char.lower(), 0)
    return None


def particle_form(before: str, with_final: str, without_final: str) -> str:
    """The form of a particle that fits after ``before`` (a word or its last character)."""
    final = final_consonant(before[-1]) if before else None
    if final is None:
        return without_final  # punctuation, CJK: nothing to go by; the vowel form reads softer
    if with_final == "으로" and final == _RIEUL:
        return without_final
    return with_final if final else without_final


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def adjust_particle(replacement: str, following: str) -> tuple[int, str]:
    """How many characters of ``following`` form a particle, and the form that fits after
    ``replacement`` now. ``(0, "")`` when ``following`` does not start with a particle or the
    end of ``replacement`` cannot be read."""
    if not replacement or not following or final_consonant(replacement[-1]) is None:
        return 0, ""
    for with_final, without_final in PARTICLES:
        for written in (with_final, without_final):
            if not following.startswith(written):
                continue
            rest = following[len(written):]
            # A one-syllable particle glued to more Hangul is probably part of a word.
            if len(written) == 1 and rest[:1] and _is_hangul(rest[0]):
                continue
            return len(written), particle_form(replacement, with_final, without_final)
    return 0, ""


_BOTH_FORMS = {f"{a}({b})": (a, b) for a, b in PARTICLES}
_BOTH = re.compile(r"(.)(" + "|".join(re.escape(p) for p in _BOTH_FORMS) + ")")


def fix_particles(text: str) -> str:
    """Pick one form of every ``은(는)``-style pair by the character before it
    ("청바지은(는)" → "청바지는", "블랙은(는)" → "블랙은")."""

    def choose(match: re.Match[str]) -> str:
        before = match.group(1)
        return before + particle_form(before, *_BOTH_FORMS[match.group(2)])

    return _BOTH.sub(choose, text)


# "살께요", "할께요": the future ending spelt as said. Read as the standard "살게요" so one word
# list covers both (only after a syllable ending in ㄹ, where the sound is the same).
_SAID_FUTURE = re.compile(r"(?<=[가-힣])께(?=요|\s|$|[.!?~])")


def standard_spelling(text: str) -> str:
    """Common spoken spellings of Korean endings in their standard form."""
    return _SAID_FUTURE.sub(
        lambda m: "게" if final_consonant(text[m.start() - 1]) == _RIEUL else m.group(0), text)
