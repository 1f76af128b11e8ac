"""The understanding lexicon (``prompts/offline/lexicon.yaml``): generic name words, category
words, colour words, US→EU shoe sizes and cue words, with the whole-word matcher they share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.errors import ConfigurationError


@dataclass(frozen=True)
class Lexicon:
    generic_words: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    colours: dict[str, tuple[str, ...]]
    us_to_eu: dict[str, str]
    cues: dict[str, tuple[str, ...]]

    def cue(self, name: str, normalised_text: str) -> bool:
        """Does the (normalised) message contain one of the cue words called ``name``?"""
        return any(word_in(word, normalised_text) for word in self.cues.get(name, ()))


@lru_cache(maxsize=8)
def load_lexicon(path: Path) -> Lexicon:
    data = load_yaml_mapping(path)
    try:
        generic = tuple(str(w).lower() for words in data["generic_name_words"].values()
                        for w in words)
        categories = {k: tuple(str(w).lower() for w in v) for k, v in data["categories"].items()}
        colours = {k: tuple(str(w).lower() for w in v) for k, v in data["colours"].items()}
        us_to_eu = {str(k): str(v) for k, v in data["us_to_eu_shoe"].items()}
        cues = {k: tuple(str(w).lower() for w in v) for k, v in data["cues"].items()}
    except (KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"{path}: missing or malformed section: {error}") from None
    return Lexicon(generic, categories, colours, us_to_eu, cues)


def word_in(word: str, text: str) -> bool:
    if word.isascii():
        return whole_word(word).search(text) is not None
    return word in text


@lru_cache(maxsize=4096)
def whole_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")


