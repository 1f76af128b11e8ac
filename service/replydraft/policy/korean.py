"""Korean particles after a replaced word: ``가격로`` must read ``가격으로``.

A particle's form depends on whether the word before it ends in a consonant. When the filter
swaps a word (돼지 → 체격이 있는 분), the particle that followed the old word may no longer fit.
"""

from __future__ import annotations

# (after a consonant, after a vowel), longest first so 이라도 is tried before 이.
_PARTICLES = (
    ("이라도", "라도"), ("이에요", "예요"), ("이라서", "라서"), ("이라고", "라고"),
    ("이랑", "랑"), ("으로", "로"), ("이나", "나"), ("이야", "야"),
    ("과", "와"), ("은", "는"), ("을", "를"), ("이", "가"),
)
_RIEUL_FINAL = 8  # ㄹ as a final consonant takes 로, not 으로


def _final_consonant(syllable: str) -> int | None:
    """The final-consonant index of a Hangul syllable (0: none); None for anything else."""
    code = ord(syllable) - 0xAC00
    if not 0 <= code <= 0xD7A3 - 0xAC00:
        return None
    return code % 28


def _is_hangul(char: str) -> bool:
    return _final_consonant(char) is not None


def adjust_particle(replacement: str, following: str) -> tuple[int, str]:
    """How many characters of ``following`` form a particle, and the form that fits now.

    Returns ``(0, "")`` when ``following`` does not start with a particle.
    """
    if not replacement or not following:
        return 0, ""
    final = _final_consonant(replacement[-1])
    if final is None:
        return 0, ""
    for consonant_form, vowel_form in _PARTICLES:
        for written in (consonant_form, vowel_form):
            if not following.startswith(written):
                continue
            rest = following[len(written):]
            # A one-syllable particle glued to more Hangul is probably part of a word.
            if len(written) == 1 and rest[:1] and _is_hangul(rest[0]):
                continue
            if consonant_form == "으로" and final == _RIEUL_FINAL:
                return len(written), vowel_form
            return len(written), consonant_form if final else vowel_form
    return 0, ""
