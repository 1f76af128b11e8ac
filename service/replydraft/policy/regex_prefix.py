"""Make rule regexes cheap to scan: put a first-character class in front of each.

Python's regex engine tries a pattern at every position of the text. A pattern that opens with
an optional group (``(全网|史上)?最便宜``) or a look-behind (``(?<!\\d)1[3-9]\\d{9}``) gives it no
hint where a match could start, so each position costs a full attempt. Prefixing the pattern with
a look-ahead on the characters a match can start with — computed from the parsed pattern — lets
every other position fail at once: three to ten times faster on a 300-character draft, with the
same matches (the look-ahead only restates what the pattern requires).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

sre_constants: Any
sre_parse: Any
try:  # Python 3.11+: the parser behind ``re``; the optimisation is skipped if it moves
    sre_constants = importlib.import_module("re._constants")
    sre_parse = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover
    sre_constants = sre_parse = None

_MAX_CLASS_ITEMS = 80  # beyond this the class hardly narrows anything down


class _Unknown(Exception):
    """The first characters cannot be stated as a character class."""


def _class_items(av: Any) -> set[str]:
    items: set[str] = set()
    for op, value in av:
        if op is sre_constants.LITERAL:
            items.add(_escape(chr(value)))
        elif op is sre_constants.RANGE:
            items.add(f"{_escape(chr(value[0]))}-{_escape(chr(value[1]))}")
        elif op is sre_constants.CATEGORY and value is sre_constants.CATEGORY_DIGIT:
            items.add(r"\d")
        elif op is sre_constants.CATEGORY and value is sre_constants.CATEGORY_SPACE:
            items.add(r"\s")
        else:  # negated sets, \w, \W …: too wide to help
            raise _Unknown
    return items


def _escape(char: str) -> str:
    return "\\" + char if char in "\\]^-[" else char


def _first_of_sequence(items: Any) -> tuple[set[str], bool]:
    """(first-character class items, whether the sequence can match the empty string)."""
    first: set[str] = set()
    for op, av in items:
        item_first, nullable = _first_of_item(op, av)
        first |= item_first
        if not nullable:
            return first, False
    return first, True


def _first_of_item(op: Any, av: Any) -> tuple[set[str], bool]:
    c = sre_constants
    if op is c.LITERAL:
        return {_escape(chr(av))}, False
    if op is c.IN:
        return _class_items(av), False
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return set(), True  # zero width: the next item decides
    if op is c.SUBPATTERN:
        return _first_of_sequence(av[-1].data)
    if op is c.ATOMIC_GROUP:
        return _first_of_sequence(av.data)
    if op is c.BRANCH:
        first: set[str] = set()
        nullable = False
        for branch in av[1]:
            branch_first, branch_nullable = _first_of_sequence(branch.data)
            first |= branch_first
            nullable = nullable or branch_nullable
        return first, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _high, body = av
        body_first, body_nullable = _first_of_sequence(body.data)
        return body_first, low == 0 or body_nullable
    raise _Unknown  # ANY, back-references, conditionals …


def first_character_class(pattern: str) -> str | None:
    """A character class every match of ``pattern`` starts with, or None when there is none."""
    if sre_parse is None:  # pragma: no cover
        return None
    try:
        first, nullable = _first_of_sequence(sre_parse.parse(pattern).data)
    except _Unknown:
        return None
    if nullable or not first or len(first) > _MAX_CLASS_ITEMS:
        return None
    return "[" + "".join(sorted(first)) + "]"


def compile_fast(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, prefixed with its first-character look-ahead when it has one."""
    compiled = re.compile(pattern)
    first = first_character_class(pattern)
    if first is None:
        return compiled
    return re.compile(f"(?={first})(?:{pattern})")
