"""Mutation testing of the policy filter: disguise each violation the way an agent might and see
whether it is still caught; disguise hard negatives the same way and see that they stay clean.

An operator takes a text, the spans to disguise and a seeded ``random.Random`` and returns the
disguised text, or None when it does not apply (no Latin letter to swap, no digit to spell out):

- ``zero_width``: a zero-width character between every two characters;
- ``bidi_override``: a word written reversed inside a right-to-left override (displays the same);
- ``confusable``: Latin letters swapped for Cyrillic or Greek look-alikes;
- ``letter_spacing``: a word spaced out (``g u a r a n t e e``, ``保 证 明 天``);
- ``separators``: a symbol between the letters of a word (``微-信``, ``v.x``);
- ``full_width``: ASCII made full-width;
- ``spelled_digits``: an id's digits written as Chinese or Korean numerals, English words or
  circled digits;
- ``nickname``: a chat app's name swapped for another member of its alias family.

For a positive case the spans are the violations ``check`` finds in the original text (every one
is disguised); for a hard negative, a random word (or, for ``nickname``, every app name). The
random generator is seeded per case, operator and draw, so a run is reproducible. ``measure``
reports recall per category and language, and the false-positive rate on hard negatives.
The tests drive the same operators from hypothesis strategies (``tests/policy/test_mutation.py``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Language, Platform
from replydraft.policy.filter import check

Span = tuple[int, int]
Aliases = Mapping[str, Sequence[str]]
Operator = Callable[[str, Sequence[Span], random.Random, "Context"], "str | None"]

RLO, PDF = "\u202e", "\u202c"
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_SEPARATORS = ("-", ".", "*", "·", "❤", "|", "/", "~", "_")
_LOOK_ALIKES = {
    "a": "аα", "c": "с", "e": "е", "i": "іι", "j": "ј", "o": "оο", "p": "рρ", "s": "ѕ",
    "x": "хχ", "y": "у", "v": "ν", "k": "κ", "h": "һ", "d": "ԁ", "w": "ԝ",
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "J": "Ј", "K": "КΚ",
    "M": "МΜ", "N": "Ν", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ", "Y": "Υ",
}
_HAN_DIGITS = "零一二三四五六七八九"
_HANGUL_DIGITS = "공일이삼사오육칠팔구"
_CIRCLED_DIGITS = "⓪①②③④⑤⑥⑦⑧⑨"
_ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# A word to disguise: a Latin word (with its apostrophe), a run of Han or Hangul, or digits.
_OTHER_LETTER = r"[^\W\d_\u3400-\u9fff\uac00-\ud7a3]"
_WORD = re.compile(rf"{_OTHER_LETTER}+(?:'{_OTHER_LETTER}+)?|[\u3400-\u9fff]+|[\uac00-\ud7a3]+|\d+")
_LONGEST_CJK_WORD = 6


@dataclass(frozen=True)
class Context:
    language: Language
    aliases: Aliases  # app families only: name -> members
    standalone: frozenset[str] = frozenset()  # members the filter flags on their own


def _words(text: str, spans: Sequence[Span]) -> list[Span]:
    """Whole words (not cut by the span's edges) that touch a span and are not already inside
    a right-to-left override."""
    found = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        if end - start < 2 or _inside_override(text, start):
            continue
        if any(start < e and s < end for s, e in spans):
            found.append((start, end))
    return found


def _inside_override(text: str, position: int) -> bool:
    opened = text.rfind(RLO, 0, position)
    return opened >= 0 and PDF not in text[opened:position]


def _pick_word(text: str, spans: Sequence[Span], rng: random.Random) -> Span | None:
    words = _words(text, spans)
    if not words:
        return None
    start, end = rng.choice(words)
    if end - start > _LONGEST_CJK_WORD and ("\u3400" <= text[start] <= "\u9fff"
                                           or "\uac00" <= text[start] <= "\ud7a3"):
        length = rng.randint(2, _LONGEST_CJK_WORD)
        start = rng.randint(start, end - length)
        end = start + length
    return start, end


def _replace(text: str, span: Span, new: str) -> str:
    return text[:span[0]] + new + text[span[1]:]


def _each_span(text: str, spans: Sequence[Span], change: Callable[[str], str | None]
               ) -> str | None:
    """Apply ``change`` to every span, right to left; None when it changed none."""
    changed = False
    for start, end in sorted(spans, reverse=True):
        new = change(text[start:end])
        if new is not None and new != text[start:end]:
            text = _replace(text, (start, end), new)
            changed = True
    return text if changed else None


def zero_width(text: str, spans: Sequence[Span], rng: random.Random, context: Context
               ) -> str | None:
    def change(piece: str) -> str:
        return "".join(c + rng.choice(_ZERO_WIDTH) for c in piece[:-1]) + piece[-1:]

    return _each_span(text, spans, change)


def bidi_override(text: str, spans: Sequence[Span], rng: random.Random, context: Context
                  ) -> str | None:
    word = _pick_word(text, spans, rng)
    if word is None:
        return None
    return _replace(text, word, RLO + text[word[0]:word[1]][::-1] + PDF)


def confusable(text: str, spans: Sequence[Span], rng: random.Random, context: Context
               ) -> str | None:
    def change(piece: str) -> str | None:
        positions = [i for i, c in enumerate(piece) if c in _LOOK_ALIKES]
        if not positions:
            return None
        chosen = set(rng.sample(positions, max(1, len(positions) // 2)))
        return "".join(rng.choice(_LOOK_ALIKES[c]) if i in chosen else c
                       for i, c in enumerate(piece))

    return _each_span(text, spans, change)


# A one-letter word right before or after: spacing out the word next to it would be ambiguous
# even to a reader ("t h e b e s t", "a f a t s o"), so such words are not spaced.
_LONE_LETTER_BEFORE = re.compile(r"(?:^|[^\w'])\w\W{1,3}$")
_LONE_LETTER_AFTER = re.compile(r"^\W{1,3}\w(?:[^\w']|$)")


def _spread(text: str, spans: Sequence[Span], rng: random.Random, gap: str) -> str | None:
    words = [(s, e) for s, e in _words(text, spans)
             if not _LONE_LETTER_BEFORE.search(text[max(0, s - 5):s])
             and not _LONE_LETTER_AFTER.match(text[e:e + 5])]
    word = _pick_word(text, words, rng) if words else None
    if word is None:
        return None
    return _replace(text, word, gap.join(text[word[0]:word[1]]))


def letter_spacing(text: str, spans: Sequence[Span], rng: random.Random, context: Context
                   ) -> str | None:
    return _spread(text, spans, rng, " ")


def separators(text: str, spans: Sequence[Span], rng: random.Random, context: Context
               ) -> str | None:
    return _spread(text, spans, rng, rng.choice(_SEPARATORS))


def full_width(text: str, spans: Sequence[Span], rng: random.Random, context: Context
               ) -> str | None:
    def change(piece: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in piece)

    return _each_span(text, spans, change)


_DIGIT_RUN = re.compile(r"\d(?:[\s-]?\d){4,}")  # phone numbers and ids, not 100% or 3 days


def spelled_digits(text: str, spans: Sequence[Span], rng: random.Random, context: Context
                   ) -> str | None:
    numerals: Sequence[str]
    if context.language == "ko":
        numerals = _HANGUL_DIGITS
    elif context.language == "en":
        # Words or circled digits, as the draw falls.
        numerals = _ENGLISH_DIGITS if rng.random() < 0.5 else _CIRCLED_DIGITS
    else:
        numerals = _HAN_DIGITS

    def spell(run: str) -> str:
        out = []
        for index, c in enumerate(run):
            if not (c.isascii() and c.isdigit()):
                out.append(c)
                continue
            out.append(numerals[int(c)])
            if len(numerals[0]) > 1 and index + 1 < len(run) and run[index + 1].isdigit():
                out.append(" ")
        return "".join(out)

    def change(piece: str) -> str:
        return _DIGIT_RUN.sub(lambda m: spell(m.group(0)), piece)

    return _each_span(text, spans, change)


def nickname(text: str, spans: Sequence[Span], rng: random.Random, context: Context
             ) -> str | None:
    """Swap an app's name for another of its names. Only names that count on their own (微信,
    vx, 카톡, whatsapp) are swapped, both ways: an everyday word (卫星, line) in a hard negative
    is not an app name to disguise."""
    lowered = text.lower()
    found: list[tuple[int, int, str]] = []
    for members in context.aliases.values():
        names = [m for m in members if m in context.standalone]
        for member in names:
            for match in re.finditer(_member_pattern(member), lowered):
                if any(match.start() < e and s < match.end() for s, e in spans):
                    others = [m for m in names if m.lower() != member.lower()]
                    if others:
                        found.append((match.start(), match.end(), rng.choice(others)))
    if not found:
        return None
    # The longest name at each place (微信号 over 微信), then one swap per place.
    found.sort(key=lambda f: (f[0], f[0] - f[1]))
    chosen: list[tuple[int, int, str]] = []
    for item in found:
        if not chosen or item[0] >= chosen[-1][1]:
            chosen.append(item)
    for start, end, new in reversed(chosen):
        text = _replace(text, (start, end), new)
    return text


def _member_pattern(member: str) -> str:
    """A Latin name is a whole word (line is not inside online)."""
    escaped = re.escape(member.lower())
    return rf"(?<![a-z]){escaped}(?![a-z])" if member.isascii() else escaped


OPERATORS: dict[str, Operator] = {
    "zero_width": zero_width,
    "bidi_override": bidi_override,
    "confusable": confusable,
    "letter_spacing": letter_spacing,
    "separators": separators,
    "full_width": full_width,
    "spelled_digits": spelled_digits,
    "nickname": nickname,
}


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Sample:
    """One labelled policy case: ``expected`` empty means a hard negative."""

    id: str
    text: str
    language: Language
    expected: frozenset[str]
    platform: Platform | None = None
    store: StoreProfile | None = None


@dataclass
class Tally:
    caught: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.caught / self.total if self.total else None


@dataclass
class MutationReport:
    seed: int
    recall: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (category, language)
    by_operator: dict[str, Tally] = field(default_factory=dict)
    negatives: dict[str, Tally] = field(default_factory=dict)  # operator -> (flagged, mutated)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (case, operator, text)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)

    def min_recall(self) -> float | None:
        rates = [t.rate for t in self.recall.values() if t.rate is not None]
        return min(rates) if rates else None

    def false_positive_rate(self) -> float | None:
        flagged = sum(t.caught for t in self.negatives.values())
        mutated = sum(t.total for t in self.negatives.values())
        return flagged / mutated if mutated else None

    def as_dict(self) -> dict[str, Any]:
        flagged = sum(t.caught for t in self.negatives.values())
        mutated = sum(t.total for t in self.negatives.values())
        return {
            "seed": self.seed,
            "recall": {f"{c}/{lang}": {"caught": t.caught, "total": t.total,
                                       "recall": _round(t.rate)}
                       for (c, lang), t in sorted(self.recall.items())},
            "by_operator": {name: {"caught": t.caught, "total": t.total,
                                   "recall": _round(t.rate)}
                            for name, t in self.by_operator.items()},
            "min_recall": _round(self.min_recall()),
            "negatives": {"mutated": mutated, "flagged": flagged,
                          "false_positive_rate": _round(self.false_positive_rate()),
                          "by_operator": {name: {"flagged": t.caught, "mutated": t.total}
                                          for name, t in self.negatives.items()}},
            "misses": [list(m) for m in self.misses[:20]],
            "false_positives": [list(m) for m in self.false_positives[:20]],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


CheckFn = Callable[[str, Sample], set[tuple[str, int, int]]]  # -> {(category, start, end)}

NEGATIVE_DRAWS = 3  # disguises per operator per hard negative (random words differ)


def app_families(aliases: Aliases) -> dict[str, tuple[str, ...]]:
    """The alias families that name one app: those inside ``chat_app`` other than itself."""
    apps = set(aliases.get("chat_app", ()))
    return {name: tuple(members) for name, members in aliases.items()
            if name != "chat_app" and members and set(members) <= apps}


def measure(samples: Iterable[Sample], check: CheckFn, aliases: Aliases, *, seed: int = 13,
            operators: Mapping[str, Operator] | None = None) -> MutationReport:
    """Apply every operator to every sample; see :class:`MutationReport`."""
    operators = operators or OPERATORS
    families = app_families(aliases)
    samples = list(samples)
    standalone = frozenset(_standalone(families, check, samples[0])) if samples else frozenset()
    report = MutationReport(seed=seed)
    for sample in samples:
        context = Context(sample.language, families, standalone)
        if sample.expected:
            _mutate_positive(sample, check, context, operators, report)
        else:
            _mutate_negative(sample, check, context, operators, report)
    return report


def _standalone(families: Mapping[str, Sequence[str]], check: CheckFn, sample: Sample
                ) -> list[str]:
    """The members the filter flags when they stand alone in a sentence."""
    return [m for members in families.values() for m in members
            if check(f"{m} bigtrail", sample)]


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _mutate_positive(sample: Sample, check: CheckFn, context: Context,
                     operators: Mapping[str, Operator], report: MutationReport) -> None:
    hits = check(sample.text, sample)
    spans = sorted({(start, end) for _, start, end in hits})
    if not spans:
        return  # not caught even undisguised: the plain eval reports that
    for name, operator in operators.items():
        mutated = operator(sample.text, spans, _rng(report.seed, sample.id, name), context)
        if mutated is None or mutated == sample.text:
            continue
        found = {category for category, _, _ in check(mutated, sample)}
        caught_all = True
        for category in sample.expected:
            tally = report.recall.setdefault((category, sample.language), Tally())
            tally.total += 1
            if category in found:
                tally.caught += 1
            else:
                caught_all = False
        op_tally = report.by_operator.setdefault(name, Tally())
        op_tally.total += 1
        op_tally.caught += caught_all
        if not caught_all:
            report.misses.append((sample.id, name, mutated))


def _mutate_negative(sample: Sample, check: CheckFn, context: Context,
                     operators: Mapping[str, Operator], report: MutationReport) -> None:
    whole = [(0, len(sample.text))]
    for name, operator in operators.items():
        seen: set[str] = set()
        for draw in range(NEGATIVE_DRAWS):
            mutated = operator(sample.text, whole, _rng(report.seed, sample.id, name, draw),
                               context)
            if mutated is None or mutated == sample.text or mutated in seen:
                continue
            seen.add(mutated)
            tally = report.negatives.setdefault(name, Tally())
            tally.total += 1
            if check(mutated, sample):
                tally.caught += 1
                report.false_positives.append((sample.id, name, mutated))


def policy_check(text: str, sample: Sample) -> set[tuple[str, int, int]]:
    """The bundled filter as a :data:`CheckFn`."""
    result = check(text, language=sample.language, platform=sample.platform, store=sample.store)
    return {(v.category, v.span[0], v.span[1]) for v in result.violations}
