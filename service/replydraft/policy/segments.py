"""Sentences and clauses of a reply, in input offsets, and applying edits to them.

The filter removes or rewrites at this granularity: a contact-detail sentence goes from the
clause that carries it to the sentence end; a guarantee's clause is rewritten; a term is replaced
in place. Sentence ends are Chinese/Korean/Latin end punctuation, a Latin full stop followed by a
space (so ``w.e.c.h.a.t``, ``1.5`` and ``jd.com`` are not sentence ends), and line breaks.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_TERMINATOR = re.compile(
    r"(?:[。！？!?…~～]+|\.+(?=\s|$)|\n+)[\"'”’」』）)\]]*[ \t\u3000]*\n*"
)
_CLAUSE_SEPARATOR = re.compile(r"[，；;]|(?<!\d),|,(?!\d)")
# Leftovers at a junction after an edit: doubled or dangling punctuation and spaces.
_JUNCTION_FIXES = (
    (re.compile(r"[，,、；;]+\s*(?=[。！？!?.…~～])"), ""),
    (re.compile(r"(?<=[。！？!?~～])\s*[，,、；;]+"), ""),
    (re.compile(r"[ \t]+(?=[，,。！？!?.;；])"), ""),
    (re.compile(r"[ \t]{2,}"), " "),
)
_LEADING_JUNK = re.compile(r"^[\s，,、；;。.！!？?~～]+")
_TRAILING_JUNK = re.compile(r"[\s，,、；;]+$")


@dataclass(frozen=True)
class Clause:
    start: int  # first non-space character
    end: int  # after the last non-space character
    separator: int | None  # where the separator before this clause is; None for the first


class Sentence:
    """A sentence of the text; its clauses are split only when asked for."""

    __slots__ = ("_clauses", "_text", "content_end", "end", "start")

    def __init__(self, text: str, start: int, content_end: int, end: int) -> None:
        self._text = text
        self.start = start
        self.content_end = content_end  # where the terminator starts
        self.end = end  # after the terminator and the spaces that follow it
        self._clauses: tuple[Clause, ...] | None = None

    @property
    def clauses(self) -> tuple[Clause, ...]:
        if self._clauses is None:
            self._clauses = _clauses(self._text, self.start, self.content_end)
        return self._clauses

    def clause_at(self, position: int) -> Clause:
        """The last clause starting at or before ``position`` (else the first)."""
        index = bisect_right(self.clauses, position, key=lambda clause: clause.start)
        return self.clauses[max(0, index - 1)]


def split_sentences(text: str) -> list[Sentence]:
    sentences = []
    start = 0
    for match in _TERMINATOR.finditer(text):
        if match.end() <= start:
            continue
        sentences.append(Sentence(text, start, match.start(), match.end()))
        start = match.end()
    if start < len(text):
        sentences.append(Sentence(text, start, len(text), len(text)))
    return sentences


def _clauses(text: str, start: int, content_end: int) -> tuple[Clause, ...]:
    clauses = []
    clause_start = start
    separator: int | None = None
    for match in _CLAUSE_SEPARATOR.finditer(text, start, content_end):
        clauses.append(_clause(text, clause_start, match.start(), separator))
        separator = match.start()
        clause_start = match.end()
    clauses.append(_clause(text, clause_start, content_end, separator))
    return tuple(clauses)


def _clause(text: str, start: int, end: int, separator: int | None) -> Clause:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Clause(start, end, separator)


def sentence_at(sentences: Sequence[Sentence], position: int) -> Sentence:
    """The sentence ``position`` is in (the last one past the end). Binary search: a text with
    thousands of hits looks one up per hit."""
    index = bisect_right(sentences, position, key=lambda sentence: sentence.end)
    return sentences[min(index, len(sentences) - 1)]


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    replacement: str  # "" removes
    strength: int  # removal 3 > clause rewrite 2 > term replacement 1: the stronger one wins

    def covers(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


def merge_edits(edits: Sequence[Edit]) -> list[Edit]:
    """Non-overlapping edits: a contained edit is dropped, overlapping ones are joined."""
    merged: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, -e.end, -e.strength)):
        if merged and edit.start < merged[-1].end:
            last = merged[-1]
            if last.covers(edit.start, edit.end) and last.strength >= edit.strength:
                continue
            stronger = last if last.strength >= edit.strength else edit
            merged[-1] = Edit(min(last.start, edit.start), max(last.end, edit.end),
                              stronger.replacement, stronger.strength)
            continue
        merged.append(edit)
    return merged


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits and tidy the junctions they leave."""
    pieces = []
    position = 0
    for edit in edits:
        pieces.append(text[position:edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    result = "".join(pieces)
    for pattern, replacement in _JUNCTION_FIXES:
        result = pattern.sub(replacement, result)
    result = _LEADING_JUNK.sub("", result)
    return _TRAILING_JUNK.sub("", result)
