"""Normalised views of a text, with a map from every normalised character back to the input.

Rules never see the raw text. They match one of three views, all built from the same
per-character table so each view character knows which input character it came from:

- ``norm``: zero-width characters, joiners, variation selectors and combining marks removed;
  NFKC (full-width letters and digits become ASCII, ``①`` becomes ``1``); lower case;
  Traditional Chinese characters mapped to Simplified (OpenCC ``t2s``, one character at a time
  so offsets stay exact); curly quotes made straight. Punctuation and spaces stay.
- ``compact``: ``norm`` without spaces, punctuation, symbols and emoji, so ``V❤信``, ``微 信``,
  ``w.e.c.h.a.t`` and ``Q Q`` read as the words they hide. ``+``, ``%`` and ``@`` stay (phone
  prefixes, ``100%``, e-mail), and so do sentence ends (``。!?;`` and line breaks).
- ``digits``: ``compact`` with runs of Chinese or Korean numerals (``一三八``, ``공일공``) read as
  digits. A lone numeral only counts between two digits, so ``一定`` or ``이거`` stay words.

The offset maps are built only when a rule matched: clean text (the common case) never pays for
them.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import cache

from replydraft.text.script import t2s_table

# Characters that render as nothing or decorate the previous one: used to split words invisibly.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
_EXTRA_INVISIBLE = (0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0)  # CGJ, Hangul fillers
_STRAIGHT_QUOTES = {"‘": "'", "’": "'", "‛": "'", "′": "'", "`": "'", "“": '"', "”": '"',
                    "„": '"'}

# The planes worth a table entry: the BMP, emoji and symbol blocks, tags and variation selectors.
_ASTRAL_RANGES = ((0x1F000, 0x1FB00), (0xE0000, 0xE0080), (0xE0100, 0xE01F0))

# Sentence ends stay, so a phone number cannot borrow digits from the next sentence.
SEPARATOR = re.compile(r"[^\w+%@。!?;\n]|_")
_SEPARATOR_RUN = re.compile(r"(?:[^\w+%@。!?;\n]|_)+")
# str.translate is fast on ASCII-only text, the regex on the rest.
_ASCII_SEPARATORS = {cp: None for cp in range(128) if SEPARATOR.match(chr(cp))}

_NUMERAL_DIGITS = {
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
    "壹": "1", "贰": "2", "叁": "3", "参": "3", "肆": "4", "伍": "5", "陆": "6", "柒": "7",
    "捌": "8", "玖": "9",
    "공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6",
    "륙": "6", "칠": "7", "팔": "8", "구": "9",
}
_NUMERAL_CLASS = "[" + "".join(_NUMERAL_DIGITS) + "]"
_NUMERAL_RUN = re.compile(f"{_NUMERAL_CLASS}{{2,}}|(?<=\\d){_NUMERAL_CLASS}(?=\\d)")
_NUMERAL_TABLE = str.maketrans(_NUMERAL_DIGITS)


def _normalise_char(char: str, t2s: dict[int, str]) -> str:
    out = []
    for piece in unicodedata.normalize("NFKC", _STRAIGHT_QUOTES.get(char, char)).lower():
        if unicodedata.category(piece) in _INVISIBLE_CATEGORIES or ord(piece) in _EXTRA_INVISIBLE:
            continue
        out.append(t2s.get(ord(piece), piece))
    return "".join(out)


@cache
def char_table() -> dict[int, str]:
    """The per-character normalisation as a ``str.translate`` table (only changing entries)."""
    t2s = t2s_table()
    table: dict[int, str] = {}
    ranges = ((0, 0x10000), *_ASTRAL_RANGES)
    for start, end in ranges:
        for cp in range(start, end):
            if 0xD800 <= cp < 0xE000:
                continue  # surrogates never appear in a str
            char = chr(cp)
            mapped = _normalise_char(char, t2s)
            if mapped != char:
                table[cp] = mapped
    return table


def normalize(text: str) -> str:
    """The ``norm`` view of ``text`` (see the module docstring)."""
    return text.translate(char_table())


def compact(norm_text: str) -> str:
    """``norm`` without separators."""
    if norm_text.isascii():
        return norm_text.translate(_ASCII_SEPARATORS)
    return SEPARATOR.sub("", norm_text)


def numerals_to_digits(compact_text: str) -> str:
    """Read numeral runs as digits; same length as the input, so offsets are shared."""
    if not _NUMERAL_RUN.search(compact_text):
        return compact_text
    return _NUMERAL_RUN.sub(lambda m: m.group(0).translate(_NUMERAL_TABLE), compact_text)


def compact_form(pattern: str) -> str:
    """How a literal pattern reads in the compact view."""
    return compact(normalize(pattern))


class TextViews:
    """The three views of one input text, with lazily built offset maps back to the input."""

    __slots__ = ("_compact_offsets", "_digits", "_kept_indices", "_norm_offsets", "compact",
                 "norm", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.norm = normalize(source)
        self.compact = compact(self.norm)
        self._digits: str | None = None
        self._norm_offsets: list[int] | None = None
        self._compact_offsets: list[int] | None = None
        self._kept_indices: list[int] | None = None

    @property
    def digits(self) -> str:
        if self._digits is None:
            self._digits = numerals_to_digits(self.compact)
        return self._digits

    def view(self, name: str) -> str:
        if name == "norm":
            return self.norm
        if name == "compact":
            return self.compact
        return self.digits

    def offsets(self, name: str) -> list[int]:
        """For each character of view ``name``, the index of the input character it came from."""
        norm_offsets = self._norm()
        if name == "norm":
            return norm_offsets
        if self._compact_offsets is None:
            self._compact_offsets = [norm_offsets[i] for i in self._kept()]
        return self._compact_offsets

    def _norm(self) -> list[int]:
        if self._norm_offsets is None:
            self._norm_offsets = _build_norm_offsets(self.source, self.norm)
        return self._norm_offsets

    def _kept(self) -> list[int]:
        """For each compact-view character, its index in the norm view."""
        if self._kept_indices is None:
            kept: list[int] = []
            position = 0
            for match in _SEPARATOR_RUN.finditer(self.norm):
                kept.extend(range(position, match.start()))
                position = match.end()
            kept.extend(range(position, len(self.norm)))
            self._kept_indices = kept
        return self._kept_indices

    def input_span(self, name: str, start: int, end: int) -> tuple[int, int]:
        """The input span ``[start, end)`` that view characters ``[start, end)`` came from."""
        norm_offsets = self._norm()
        to_norm = None if name == "norm" else self._kept()
        length = len(norm_offsets) if to_norm is None else len(to_norm)
        if start >= end:
            if start >= length:
                return len(self.source), len(self.source)
            first = start if to_norm is None else to_norm[start]
            return norm_offsets[first], norm_offsets[first]
        first = start if to_norm is None else to_norm[start]
        last = end - 1 if to_norm is None else to_norm[end - 1]
        return norm_offsets[first], norm_offsets[last] + 1

    def view_index(self, name: str, input_position: int) -> int:
        """The first view character that comes from input position ``input_position`` or later."""
        return bisect_left(self.offsets(name), input_position)


@cache
def _length_changing() -> re.Pattern[str]:
    """Characters the table deletes or expands: the only places offsets stop being 1:1."""
    keys = sorted(cp for cp, mapped in char_table().items() if len(mapped) != 1)
    ranges = []
    start = previous = keys[0]
    for cp in keys[1:]:
        if cp != previous + 1:
            ranges.append((start, previous))
            start = cp
        previous = cp
    ranges.append((start, previous))
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
             for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]")


def _build_norm_offsets(source: str, norm_text: str) -> list[int]:
    table = char_table()
    offsets: list[int] = []
    position = 0
    for match in _length_changing().finditer(source):
        index = match.start()
        offsets.extend(range(position, index))
        offsets.extend([index] * len(table[ord(source[index])]))
        position = index + 1
    offsets.extend(range(position, len(source)))
    if len(offsets) != len(norm_text):  # pragma: no cover - translate and this loop must agree
        raise RuntimeError("normalisation offset map does not match the normalised text")
    return offsets
