"""Normalised views of a text, with a map from every normalised character back to the input.

Rules never see the raw text. They match one of three views of it as a reader sees it, each
view character knowing which input character it came from:

- ``norm``: the text in display order (a right-to-left override run, ``\u202e…\u202c``, is
  read reversed, as it shows on screen); zero-width characters, joiners, bidi controls,
  variation selectors and combining marks removed; NFKC (full-width letters and digits become
  ASCII, ``①`` becomes ``1``, ``𝕨`` becomes ``w``); lower case; look-alike letters folded to
  their Latin skeleton (Cyrillic ``е``, Greek ``ο``, small capitals ``ᴡ``: a few TR39
  confusables); Traditional Chinese characters mapped to Simplified (OpenCC ``t2s``, one
  character at a time so offsets stay exact); curly quotes made straight; letter-spacing
  closed up (``g u a r a n t e e``, ``뚱-뚱-한``, ``n o``: a run of one-character words
  joined by the same spaces or symbols reads as one word) and spaces or symbols
  between two Chinese characters dropped (``保证 明 天到``). Other punctuation and spaces stay.
- ``compact``: ``norm`` without spaces, punctuation, symbols and emoji, so ``V❤信``, ``微 信``,
  ``w.e.c.h.a.t`` and ``Q Q`` read as the words they hide. ``+``, ``%`` and ``@`` stay (phone
  prefixes, ``100%``, e-mail), and so do sentence ends (``。!?;`` and line breaks).
- ``digits``: ``compact`` with runs of Chinese or Korean numerals (``一三八``, ``공일공``) read as
  digits. A lone numeral only counts between two digits, so ``一定`` or ``이거`` stay words.
  English digits spelled out (``one three eight …``, seven or more in a run) read as digits too.

The offset maps are built only when a rule matched: clean text (the common case) never pays for
them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from functools import cache
from typing import Any

from replydraft.text.script import t2s_table

# Characters that render as nothing or decorate the previous one: used to split words invisibly.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
_EXTRA_INVISIBLE = (0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0)  # CGJ, Hangul fillers
_STRAIGHT_QUOTES = {"‘": "'", "’": "'", "‛": "'", "′": "'", "`": "'", "“": '"', "”": '"',
                    "„": '"'}

# The planes worth a table entry: the BMP, mathematical letters (𝕨𝕖𝕔𝕙𝕒𝕥), emoji and symbol
# blocks, tags and variation selectors.
_ASTRAL_RANGES = ((0x1D400, 0x1D800), (0x1F000, 0x1FB00), (0xE0000, 0xE0080), (0xE0100, 0xE01F0))

# Letters that look like a Latin letter but NFKC leaves alone (Unicode TR39 confusables, the
# lower-case forms that matter for hiding a Latin word: Cyrillic, Greek, small capitals, a few
# IPA and Armenian ones). Applied after lower-casing, so upper-case forms fold too.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "ԛ": "q", "с": "c", "ѕ": "s", "т": "t",
    "у": "y", "ү": "y", "х": "x", "ԁ": "d", "ԝ": "w", "ɡ": "g", "ց": "g",
    # Greek
    "α": "a", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    # small capitals and IPA letters
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ı": "i", "ȷ": "j",
    # Armenian
    "օ": "o", "ս": "u", "ո": "n",
    # capitals whose lower-case form looks like another letter (Η is H, η is n)
    "Η": "h", "Ν": "n", "Υ": "y", "Β": "b", "Μ": "m", "Ζ": "z", "Τ": "t", "Κ": "k", "Χ": "x",
    "Ρ": "p", "Ι": "i", "Α": "a", "Ε": "e", "Ο": "o", "Н": "h", "В": "b", "М": "m", "Т": "t",
    "К": "k",
}
# Bidi controls: U+202A-202E embeddings and overrides, U+2066-2069 isolates, U+200E/F marks,
# U+061C. All are format characters (removed with the other invisibles); the right-to-left
# override also reverses what follows it until its PDF (or PDI, or the line's end).
_RLO, _PDF, _PDI = "\u202e", "\u202c", "\u2069"
_OVERRIDE_END = re.compile("[\u202c\u2069\n]")

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
    for form in unicodedata.normalize("NFKC", _STRAIGHT_QUOTES.get(char, char)):
        for piece in _CONFUSABLES.get(form) or form.lower():
            if (unicodedata.category(piece) in _INVISIBLE_CATEGORIES
                    or ord(piece) in _EXTRA_INVISIBLE):
                continue
            piece = _CONFUSABLES.get(piece, piece)
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


# English digits spelled out ("one three eight …", mixed with digits): a run of at least seven,
# one word at least, reads as digits. Each word becomes its digit at its first letter.
_DIGIT_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_DIGIT_WORD = re.compile("|".join(_DIGIT_WORDS))
_DIGIT_WORD_RUN = re.compile(f"(?:{_DIGIT_WORD.pattern}|\\d){{7,}}")


def digit_words(digits_text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Spelled-out English digit runs as digits: the text and, for each of its characters, the
    first and last index in ``digits_text`` it reads (None when nothing changed)."""
    # A spelled-out phone number or id names at least three different digits; ten substring
    # tests cost far less than the scan.
    if sum(word in digits_text for word in _DIGIT_WORDS) < 3:
        return digits_text, None
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    position = 0
    for run in _DIGIT_WORD_RUN.finditer(digits_text):
        if run.group(0).isdigit():
            continue
        spans.extend((i, i) for i in range(position, run.start()))
        pieces.append(digits_text[position:run.start()])
        index = run.start()
        while index < run.end():
            word = _DIGIT_WORD.match(digits_text, index)
            end = index + 1 if word is None else word.end()
            spans.append((index, end - 1))
            pieces.append(digits_text[index] if word is None else _DIGIT_WORDS[word.group(0)])
            index = end
        position = run.end()
    if not pieces:
        return digits_text, None
    spans.extend((i, i) for i in range(position, len(digits_text)))
    pieces.append(digits_text[position:])
    return "".join(pieces), spans


def read_digit_words(text: str) -> str:
    """``text`` with every English digit word written as its digit (for measuring a number)."""
    return _DIGIT_WORD.sub(lambda m: _DIGIT_WORDS[m.group(0)], text)


def compact_form(pattern: str) -> str:
    """How a literal pattern reads in the compact view."""
    return compact(normalize(pattern))


class TextViews:
    """The three views of one input text, with lazily built offset maps back to the input."""

    __slots__ = ("_char_norm", "_closed", "_compact_offsets", "_digit_kept", "_digits", "_display",
                 "_kept_indices", "_norm_offsets", "_order", "_sorted", "compact", "norm", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        # Display order: only a right-to-left override changes it (rare, so checked cheaply).
        self._order = _display_order(source) if _RLO in source else None
        self._display = source if self._order is None else "".join(
            source[i] for i in self._order)
        self._char_norm = normalize(self._display)
        self.norm, self._closed = close_up(self._char_norm, self._capital)
        self.compact = compact(self.norm)
        self._digits: str | None = None
        self._digit_kept: list[tuple[int, int]] | None = None
        self._norm_offsets: list[int] | None = None
        self._compact_offsets: list[int] | None = None
        self._kept_indices: list[int] | None = None
        self._sorted: dict[str, list[tuple[int, int]]] | None = None

    @property
    def digits(self) -> str:
        if self._digits is None:
            self._digits, self._digit_kept = digit_words(numerals_to_digits(self.compact))
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
        if name == "digits" and self.digits is not None and self._digit_kept is not None:
            return [self._compact_offsets[first] for first, _ in self._digit_kept]
        return self._compact_offsets

    def _end_offsets(self, name: str) -> list[int]:
        """Like ``offsets``, but for a character read from several (a digit word), the last."""
        offsets = self.offsets(name)
        if name != "digits" or self._digit_kept is None:
            return offsets
        compact_offsets = self.offsets("compact")
        return [compact_offsets[last] for _, last in self._digit_kept]

    def _norm(self) -> list[int]:
        if self._norm_offsets is None:
            offsets = _build_norm_offsets(self._display, self._char_norm)
            if self._closed is not None:
                offsets = [offsets[i] for i in self._closed]
            if self._order is not None:
                order = self._order
                offsets = [order[i] for i in offsets]
            self._norm_offsets = offsets
        return self._norm_offsets

    def _capital(self, index: int) -> bool:
        """Was character ``index`` of the per-character normalisation a capital letter?"""
        display_index = _build_norm_offsets(self._display, self._char_norm)[index]
        return self._display[display_index].isupper()

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
        offsets = self.offsets(name)
        if start >= end:
            if start >= len(offsets):
                return len(self.source), len(self.source)
            return offsets[start], offsets[start]
        ends = self._end_offsets(name)
        if self._order is None:
            return offsets[start], ends[end - 1] + 1
        # Reversed characters: the span is the input stretch that holds all of them.
        return min(offsets[start:end]), max(ends[start:end]) + 1

    def view_span(self, name: str, start: int, end: int) -> tuple[int, int]:
        """The view characters ``[lo, hi)`` that input characters ``[start, end)`` became."""
        if self._order is None:
            return self.view_index(name, start), self.view_index(name, end)
        by_input = self._by_input(name)
        inside = [i for _, i in by_input[bisect_left(by_input, (start, -1)):
                                         bisect_left(by_input, (end, -1))]]
        if not inside:
            position = self.view_index(name, start)
            return position, position
        return min(inside), max(inside) + 1

    def _by_input(self, name: str) -> list[tuple[int, int]]:
        """(input index, view index) pairs in input order: reordered text is looked up by input
        position once per hit, so sort once."""
        if self._sorted is None:
            self._sorted = {}
        if name not in self._sorted:
            self._sorted[name] = sorted((o, i) for i, o in enumerate(self.offsets(name)))
        return self._sorted[name]

    def view_index(self, name: str, input_position: int) -> int:
        """The first view character that comes from input position ``input_position`` or later."""
        offsets = self.offsets(name)
        if self._order is None:
            return bisect_left(offsets, input_position)
        return next((i for i, o in enumerate(offsets) if o >= input_position), len(offsets))


def _display_order(source: str) -> list[int]:
    """Input indices in the order they are shown: each right-to-left override run reversed."""
    order = list(range(len(source)))
    position = source.find(_RLO)
    while position >= 0:
        stop = _OVERRIDE_END.search(source, position + 1)
        end = stop.start() if stop else len(source)
        order[position + 1:end] = reversed(order[position + 1:end])
        position = source.find(_RLO, end)
    return order


# Letter-spacing: a run of one-character words (letters, digits, CJK, Hangul) with one to three
# spaces or symbols between them closes up ("g u a r a n t e e", "n o", "보 장", "뚱-뚱-한").
# A run breaks where its gap changes ("w*i*l*l n.e.v.e.r" is two words); an apostrophe gap
# never breaks it and stays ("c a n ' t" is "can't"). Sentence ends and + % @ never join, nor
# do two lone digits ("2-5 days" is a range).
_GAP_CHAR = r"(?:[^\w\n。!?;+%@']|_)"
# One to three gap characters; an apostrophe only with another beside it (i'd is one word).
_SPACING = rf"(?:{_GAP_CHAR}{{1,3}}|{_GAP_CHAR}{{1,2}}'{_GAP_CHAR}{{0,2}}|'{_GAP_CHAR}{{1,2}})"
# Chinese puts no space between words: spaces and decorations between two Han characters are
# dropped wherever they are ("保证 明天到", "微❤信"); punctuation (, : 、 brackets quotes) stays.
# The match starts at the Han character before the gap (a plain class first scans fast).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_GAP = re.compile(
    rf"[{_HAN}](?:[^\w\n。!?;+%@,:、()\"'“”《》【】\[\]…]|_){{1,3}}(?=[{_HAN}])")
# Spaced runs are of letters, digits and Hangul (the norm view has folded every Latin look-alike
# to ASCII); a Han neighbour does not make a longer word. The first letter is matched before its
# look-behinds, again so the scan can skip ahead on the plain class.
_LETTER = "[a-z0-9\uac00-\ud7a3]"
_SPACED_RUN = re.compile(
    rf"{_LETTER}(?<!{_LETTER}{_LETTER})(?<!'{_LETTER})(?:{_SPACING}{_LETTER})+(?!{_LETTER})")


def close_up(norm_text: str, capital: Callable[[int], bool] | None = None
             ) -> tuple[str, list[int] | None]:
    """Join letter-spaced runs of ``norm_text``: the joined text and, for each of its
    characters, its index in ``norm_text`` (None when nothing was joined).

    ``capital(i)`` tells whether character ``i`` was an upper-case letter in the input: a run
    that opens with a capital ``I`` keeps it apart ("I g u a r a n t e e" is "I guarantee").
    """
    dropped = [(m.start() + 1, m.end()) for m in _HAN_GAP.finditer(norm_text)]
    for match in _SPACED_RUN.finditer(norm_text):
        for start, end in _runs(norm_text, match.start(), match.end()):
            if (norm_text[start] == "i" and capital is not None and end - start > 3
                    and capital(start)):
                start += 1
                while start < end and not norm_text[start].isalnum():
                    start += 1
            position = start
            for index in range(start, end):
                if norm_text[index].isalnum() or norm_text[index] == "'":
                    if index > position:
                        dropped.append((position, index))
                    position = index + 1
    if not dropped:
        return norm_text, None
    dropped.sort()
    kept: list[int] = []
    pieces = []
    position = 0
    for start, end in dropped:
        if start > position:
            kept.extend(range(position, start))
            pieces.append(norm_text[position:start])
        position = max(position, end)
    kept.extend(range(position, len(norm_text)))
    pieces.append(norm_text[position:])
    return "".join(pieces), kept


def _runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of a spaced run with one gap throughout. An apostrophe gap goes with the
    stretch before it; a letter between two stretches goes to the longer one, or, between two
    real runs, to the one with the symbol gap (a space is also just a space between words)."""
    letters = [i for i in range(start, end) if text[i].isalnum()]
    groups: list[list[Any]] = []  # [gap, first letter, last letter] (indices into letters)
    for k in range(len(letters) - 1):
        between = text[letters[k] + 1:letters[k + 1]]
        # "c a n ' t" spells can't; a bare apostrophe is a contraction's own ("i'm").
        if groups and (("'" in between and between != "'") or between == groups[-1][0]):
            groups[-1][2] = k + 1
        else:
            groups.append([between, k, k + 1])
    for left, right in itertools.pairwise(groups):
        if left[2] != right[1]:
            continue
        if _stronger(left, right):
            right[1] += 1
        else:
            left[2] -= 1
    return [(letters[first], letters[last] + 1) for _, first, last in groups
            if last > first and (last - first > 1 or not text[letters[first]].isdigit()
                                 or not text[letters[last]].isdigit())]


def _stronger(left: list[Any], right: list[Any]) -> bool:
    left_size, right_size = left[2] - left[1], right[2] - right[1]
    left_symbol, right_symbol = bool(left[0].strip()), bool(right[0].strip())
    if left_symbol != right_symbol and min(left_size, right_size) > 1:
        return left_symbol
    return left_size >= right_size


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
