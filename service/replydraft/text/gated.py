"""Rule patterns that skip the messages they cannot match.

A rule pack holds hundreds of patterns, and most are written in one script: "多少钱" cannot match
a Korean message, "얼마예요" cannot match a Chinese one. Searching every pattern on every
message was most of the keyword rules' time. ``GatedPattern`` groups a list of patterns by a
script family every match of the pattern must contain a character of, worked out from the
pattern's parse tree (a literal, a character class inside one script, a branch whose every arm
needs it, a repeat of at least one), and searches a group only in a text that has that family.
Patterns that need no script ("\\d+", a lookaround alone) are always searched. The skip is
exact: a group is left out only where none of its patterns could have matched.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

from replydraft.text.script import SCRIPT_RANGES, Family, families_in, family_of

with warnings.catch_warnings():  # re's parser under its old, typed name (stable since 3.0)
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

_REPEATS = (sc.MAX_REPEAT, sc.MIN_REPEAT, sc.POSSESSIVE_REPEAT)
_GROUPS = ("zh", "ko", "en")


def _class_family(items: list[tuple[object, object]]) -> Family | None:
    """The family every character of a character class belongs to, if one does."""
    found: set[Family | None] = set()
    for op, arg in items:
        if op is sc.LITERAL and isinstance(arg, int):
            found.add(family_of(arg))
        elif op is sc.RANGE and isinstance(arg, tuple):
            low, high = arg
            found.add(next((family for family, ranges in SCRIPT_RANGES.items()
                            if any(start <= low and high < end for start, end in ranges)), None))
        else:  # a negation, a category (\w, \d, \s): anything
            return None
    return found.pop() if len(found) == 1 else None


def required_families(parsed: sre_parse.SubPattern | list[tuple[object, object]]
                      ) -> frozenset[Family]:
    """The families every match of a parsed sequence contains a character of."""
    needed: set[Family] = set()
    for op, arg in (parsed.data if isinstance(parsed, sre_parse.SubPattern) else parsed):
        if op is sc.LITERAL and isinstance(arg, int):
            family = family_of(arg)
            if family is not None:
                needed.add(family)
        elif op is sc.IN and isinstance(arg, list):
            family = _class_family(arg)
            if family is not None:
                needed.add(family)
        elif op is sc.SUBPATTERN and isinstance(arg, tuple):
            needed |= required_families(arg[-1])
        elif op is sc.ATOMIC_GROUP and isinstance(arg, sre_parse.SubPattern):
            needed |= required_families(arg)
        elif op is sc.BRANCH and isinstance(arg, tuple):
            arms = [required_families(arm) for arm in arg[1]]
            needed |= frozenset.intersection(*arms) if arms else frozenset()
        elif op in _REPEATS and isinstance(arg, tuple) and arg[0] >= 1:
            needed |= required_families(arg[2])
        # lookarounds, anchors, any character, back references: nothing required
    return frozenset(needed)


def family_needed(pattern: str, flags: int = 0) -> Family | None:
    """One family every match of ``pattern`` contains a character of, or None."""
    needed = required_families(sre_parse.parse(pattern, flags))
    return next((family for family in _GROUPS if family in needed), None)


class GatedPattern:
    """Patterns searched as one alternation, each group only in texts of its script family."""

    def __init__(self, patterns: Sequence[str], flags: int = 0) -> None:
        groups: dict[Family | None, list[str]] = {}
        for pattern in patterns:
            groups.setdefault(family_needed(pattern, flags), []).append(pattern)
        self._groups: tuple[tuple[Family | None, re.Pattern[str]], ...] = tuple(
            (family, re.compile("|".join(f"(?:{p})" for p in group), flags))
            for family, group in groups.items())

    def search(self, text: str, families: frozenset[Family] | None = None
               ) -> re.Match[str] | None:
        """The leftmost match of any pattern (at a tie, any of those starting there).
        ``families``: ``families_in(text)``, when the caller searches many patterns in one text."""
        present = families_in(text) if families is None else families
        best: re.Match[str] | None = None
        for family, pattern in self._groups:
            if family is not None and family not in present:
                continue
            found = pattern.search(text)
            if found is not None and (best is None or found.start() < best.start()):
                best = found
        return best
