"""Guess the language and script of a text (for playbooks that do not declare one)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from replydraft.languages import Language

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def traditional_to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def detect_language(text: str) -> Language:
    """Korean if Hangul dominates, Chinese (script decided by OpenCC) if Han does, else English."""
    hangul = len(_HANGUL.findall(text))
    han = _HAN.findall(text)
    if hangul and hangul >= len(han):
        return "ko"
    if han:
        sample = "".join(han[:2000])
        changed = sum(1 for a, b in zip(sample, traditional_to_simplified().convert(sample),
                                        strict=False) if a != b)
        # Mostly-shared characters: a handful of traditional-only ones decides the script.
        return "zh-Hant" if changed >= max(2, len(sample) // 50) else "zh-Hans"
    return "en"
