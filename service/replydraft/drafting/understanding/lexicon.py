"""The understanding lexicon (``prompts/offline/lexicon.yaml``): generic name words, category
words, colour words, US→EU shoe sizes and cue words, with the whole-word matcher they share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
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
    # umbrella words → the categories they fit ("外套" → jacket, fleece, coat)
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    specific: frozenset[str] = frozenset()  # category words as specific as a product's name
    naming_markers: tuple[str, ...] = ()  # "的", "cut": a descriptive word before one names
    # material families → their words ("wool": 羊毛, 모직, cashmere…): "모직 코트" is a wool coat
    materials: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # use word → categories
    # a cue's own false friends, written "!主要是" in its list: blanked before the cue is read
    # ("主要是" holds the "要是" of a supposition); never words of the cue
    cue_blanks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def _category_words(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for category, words in self.categories.items():
            for word in words:
                found.setdefault(word, set()).add(category)
        for word, categories in self.groups.items():
            found.setdefault(word, set()).update(categories)
        return {word: frozenset(cats) for word, cats in found.items()}

    def category_words(self) -> dict[str, frozenset[str]]:
        """Every category or umbrella word → the categories it fits (built once)."""
        return self._category_words

    @cached_property
    def naming_followers(self) -> tuple[str, ...]:
        """What makes a descriptive word a name when it follows it: a marker or a category."""
        return (*self.naming_markers, *self._category_words)

    @cached_property
    def product_and_colour_words(self) -> tuple[str, ...]:
        """Category and colour words, longest first (so "羽绒服" goes before "羽绒")."""
        words = {*self._category_words, *(w for ws in self.colours.values() for w in ws)}
        return tuple(sorted(words, key=len, reverse=True))

    def use_categories(self, normalised_text: str) -> tuple[str, ...]:
        """The categories of what the (normalised) text wants things for, by its first use word,
        most fitting first ("跑步穿什么" → shoes, tees, shorts, socks); empty when it names
        none."""
        found = [(normalised_text.find(word), -len(word), word) for word in self.uses
                 if word_in(word, normalised_text)]
        return self.uses[min(found)[2]] if found else ()

    def words(self, name: str) -> tuple[str, ...]:
        """The cue words called ``name`` (lower-case; Chinese in Simplified)."""
        return self.cues.get(name, ())

    def colour_families(self, normalised_text: str) -> set[str]:
        """The colour families the (normalised) text names ("navy", "파란 색" → blue); a word
        inside a longer colour word named is not named ("红" in "粉红": pink, not red)."""
        found = [(family, word) for family, words in self.colours.items() for word in words
                 if word_in(word, normalised_text)]
        return {family for family, word in found
                if not any(word != other and word in other for _, other in found)}

    def _without_blanks(self, name: str, normalised_text: str) -> str:
        for blank in self.cue_blanks.get(name, ()):
            normalised_text = normalised_text.replace(blank, " ")
        return normalised_text

    def kind_words(self, normalised_text: str) -> list[tuple[str, frozenset[str]]]:
        """The category and umbrella words of the (normalised) text, each with the categories
        it fits; a word inside a longer one named is not named ("裤" in "牛仔裤", "바지" in
        "청바지": the longer word names the kind)."""
        used = [(word, cats) for word, cats in self._category_words.items()
                if word_in(word, normalised_text)]
        return [(word, cats) for word, cats in used
                if not any(word != other and word in other for other, _ in used)]

    def kinds_named(self, normalised_text: str) -> frozenset[str]:
        """The categories the (normalised) text names, by ``kind_words``."""
        return frozenset(cat for _, cats in self.kind_words(normalised_text) for cat in cats)

    def names_kind(self, normalised_text: str) -> bool:
        """Does the (normalised) message name a kind of goods we sell (a category or umbrella
        word: "봄 신발", "羽绒服", "jeans")?"""
        return any(word_in(word, normalised_text) for word in self._category_words)

    def cue(self, name: str, normalised_text: str) -> bool:
        """Does the (normalised) message contain one of the cue words called ``name``?"""
        normalised_text = self._without_blanks(name, normalised_text)
        pattern, others = _matcher(self.cues.get(name, ()))
        return any(word in normalised_text for word in others) or (
            pattern is not None and pattern.search(normalised_text) is not None)

    def lacked(self, normalised_text: str, *, clothing_only: bool = False) -> str | None:
        """The thing we don't carry that the (normalised) text names, clothes first ("슬랙스",
        "手机壳"), or a trait only goods of another trade have ("口味", cue ``other_trades``; not
        a thing to name back), or None. Words that only contain one (cue ``false_friends``:
        "브라운", "모자라요") are read as what they are. ``clothing_only``: clothes we don't make
        only."""
        text = self.without_false_friends(normalised_text)
        for name in _LACKED[:1] if clothing_only else _LACKED:
            if self.cue(name, text):  # one search; the longest word only when there is one
                return self.cue_word(name, text)
        return None

    @cached_property
    def lacked_words(self) -> tuple[str, ...]:
        """Every word of a thing we don't carry, clothes first."""
        return tuple(word for name in _LACKED for word in self.cues.get(name, ()))

    def without_false_friends(self, normalised_text: str) -> str:
        """The text with the cue ``false_friends`` blanked out."""
        for word in self.cues.get("false_friends", ()):
            normalised_text = normalised_text.replace(word, " ")
        return normalised_text

    def cue_affirmed(self, name: str, normalised_text: str) -> bool:
        """Like ``cue``, but a cue word right after a negator ("不喜欢", "not great", "안 예뻐",
        cue ``negators``) does not count: "款式不喜欢" is no praise."""
        negators = self.cues.get("negators", ())
        normalised_text = self._without_blanks(name, normalised_text)
        return any(
            word_in(word, normalised_text) and not any(
                word_in(turned, normalised_text)
                for negator in negators for turned in (negator + word, f"{negator} {word}"))
            for word in self.cues.get(name, ()))

    def cue_word(self, name: str, normalised_text: str) -> str | None:
        """The longest cue word called ``name`` in the (normalised) message ("手机壳" over
        "手机"), None when there is none."""
        normalised_text = self._without_blanks(name, normalised_text)
        found = [word for word in self.cues.get(name, ()) if word_in(word, normalised_text)]
        return max(found, key=len) if found else None


@lru_cache(maxsize=8)
def load_lexicon(path: Path) -> Lexicon:
    data = load_yaml_mapping(path)
    _refuse_non_text(path, data)
    try:
        generic = tuple(str(w).lower() for words in data["generic_name_words"].values()
                        for w in words)
        categories = {k: tuple(str(w).lower() for w in v) for k, v in data["categories"].items()}
        colours = {k: tuple(str(w).lower() for w in v) for k, v in data["colours"].items()}
        us_to_eu = {str(k): str(v) for k, v in data["us_to_eu_shoe"].items()}
        # cue words are read in NFKC like the messages they are looked for in ("ㅋㅋ" is
        # written with compatibility jamo, which messages no longer hold once normalised)
        listed = {k: tuple(unicodedata.normalize("NFKC", str(w)).lower() for w in v)
                  for k, v in data["cues"].items()}
        cues = {k: _spelt_every_way(w for w in v if not w.startswith("!"))
                for k, v in listed.items()}
        blanks = {k: b for k, v in listed.items() if (b := tuple(w[1:] for w in v if w[:1] == "!"))}
        groups = _groups(path, data.get("category_groups") or {}, set(categories))
        uses_spec = data.get("uses") or {}
        _refuse_unknown_categories(path, "uses", uses_spec, set(categories))
        uses = {str(word).lower(): tuple(spec["categories"]) for spec in uses_spec.values()
                for word in spec["words"]}
        specific = frozenset(str(w).lower() for w in data.get("specific_category_words") or ())
        markers = tuple(str(w).lower() for w in data.get("naming_markers") or ())
        materials = {str(k): tuple(str(w).lower() for w in v)
                     for k, v in (data.get("materials") or {}).items()}
    except (KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"{path}: missing or malformed section: {error}") from None
    known = {w for words in categories.values() for w in words}
    if not specific <= known:
        raise ConfigurationError(f"{path}: specific_category_words not among the category "
                                 f"words: {sorted(specific - known)}")
    return Lexicon(generic, categories, colours, us_to_eu, cues, groups, specific, markers,
                   materials, uses, blanks)


# English contractions as customers also type them: "i'll take the grey" is written "i will take
# the grey" and "ill take the grey" as often, so a cue word with one counts in all three spellings.
_CONTRACTIONS = {"i'll": ("i will", "ill"), "i'm": ("i am", "im"), "i've": ("i have", "ive"),
                 "i'd": ("i would",), "that's": ("that is", "thats"), "it's": ("it is", "its"),
                 "don't": ("do not", "dont"), "can't": ("cannot", "cant"),
                 "won't": ("will not", "wont"), "you're": ("you are", "youre")}
_CONTRACTION = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, _CONTRACTIONS)) + r")(?![a-z])")


def _spelt_every_way(words: Iterable[str]) -> tuple[str, ...]:
    """The words, each followed by its spellings without contractions."""
    found: dict[str, None] = {}
    for word in words:
        found[word] = None
        match = _CONTRACTION.search(word)
        if match is not None:
            for other in _CONTRACTIONS[match.group(1)]:
                found[word[:match.start()] + other + word[match.end():]] = None
    return tuple(found)


def _refuse_non_text(path: Path, data: object, where: str = "") -> None:
    """Every word must be text: YAML reads an unquoted yes, no, on or off as true or false, and a
    number as a number, and such a word would silently match nothing it was meant to."""
    if isinstance(data, dict):
        for key, value in data.items():
            _refuse_non_text(path, value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, bool | int | float) or value is None:
                raise ConfigurationError(
                    f"{path}: {where}[{index}]: {value!r} is not text; quote it (YAML reads an "
                    "unquoted yes/no/on/off as true/false and digits as a number)")
            _refuse_non_text(path, value, f"{where}[{index}]")


def _refuse_unknown_categories(path: Path, section: str,
                               data: dict[str, dict[str, list[str]]], known: set[str]) -> None:
    for name, spec in data.items():
        unknown = set(spec["categories"]) - known
        if unknown:
            raise ConfigurationError(
                f"{path}: {section}.{name}: unknown categories {sorted(unknown)}")


def _groups(path: Path, data: dict[str, dict[str, list[str]]], known: set[str]
            ) -> dict[str, frozenset[str]]:
    _refuse_unknown_categories(path, "category_groups", data, known)
    groups: dict[str, frozenset[str]] = {}
    for spec in data.values():
        for word in spec["words"]:
            groups[str(word).lower()] = frozenset(spec["categories"])
    return groups


def word_in(word: str, text: str) -> bool:
    if word.isascii():
        return whole_word(word).search(text) is not None
    return word in text


# The cues that name things we don't carry, clothes first ("有西装吗" gets what we make instead);
# then what only goods of other trades have ("什么口味", "how many pages"), which names no thing.
_LACKED = ("not_carried_clothing", "not_carried", "other_trades")


@lru_cache(maxsize=512)
def _matcher(words: tuple[str, ...]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """One pattern for a cue's English words (each as ``whole_word``) and its other words, which
    match inside the text: a cue is read in one search, not one per word."""
    english = [f"(?:{whole_word(word).pattern})" for word in words if word.isascii()]
    return (re.compile("|".join(english)) if english else None,
            tuple(word for word in words if not word.isascii()))


@lru_cache(maxsize=4096)
def whole_word(word: str) -> re.Pattern[str]:
    """``word`` as a whole English word, its plural included ("tees", "hoodies")."""
    plural = "(?:e?s)?" if len(word) >= 3 and word[-1].isalpha() else ""
    # A word that starts or ends in a digit is no part of a longer number ("88" is not in "8812")
    before = "(?<![a-z0-9])" if word[0].isdigit() else "(?<![a-z])"
    after = "(?![a-z0-9])" if word[-1].isdigit() else "(?![a-z])"
    return re.compile(rf"{before}{re.escape(word)}{plural}{after}")


