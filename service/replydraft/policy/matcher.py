"""Find rule matches in a text's normalised views and turn them into input-span hits.

Literal patterns go into one Aho-Corasick automaton per view (one pass finds them all). A regex
rule runs only when one of its trigger strings is present (a second automaton over the norm view
tells which), and only over the sentences around those triggers; a trigger inside one of its
pack's ``mute_triggers`` (an honest negation such as 没法保证) does not count. So a clean draft
costs a few passes over ~300 characters, not one per rule. Every candidate is then screened:
word boundaries for Latin words, no match across a sentence end, the rule's exceptions and
context, link allow-lists and phone-number shape, and the store's allowed commitments.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import ahocorasick

from replydraft.languages import Platform
from replydraft.policy.normalize import (
    TextViews,
    compact_form,
    normalize,
    read_digit_words,
)
from replydraft.policy.rulepack import CompiledRule

# Rules on the digits view look for phone numbers: nothing to find without seven digits in a row.
_LONG_DIGIT_RUN = re.compile(r"\d{7}")
# A compact-view match may skip spaces and symbols inside a word, never a sentence end.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.\s")
# Characters that mean "not a phone number": dates, times, prices, lists.
_NOT_PHONE = re.compile(r"[:：/,，、;；年月日号號时時分秒¥$元€₩원]")
_CLAUSE_BREAK = re.compile(r"[,.!?;。、\n]")
_EXCEPTION_WINDOW = 30  # characters each side of a hit searched for an exception


@dataclass(frozen=True)
class RawHit:
    rule: CompiledRule
    view: str
    start: int  # view coordinates
    end: int
    groups: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Hit:
    rule: CompiledRule
    start: int  # input coordinates, [start, end)
    end: int
    match: str
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)  # input spans

    @property
    def category(self) -> str:
        return self.rule.category


class Matcher:
    """All the rules of one kind (policy or risk), compiled for a single pass per view."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = tuple(rules)
        literal_keys: dict[str, dict[str, list[CompiledRule]]] = defaultdict(
            lambda: defaultdict(list)
        )
        trigger_keys: dict[str, list[CompiledRule]] = defaultdict(list)
        self._always: list[CompiledRule] = []
        for rule in self.rules:
            for literal in rule.literals:
                literal_keys[rule.view][literal].append(rule)
            if rule.regexes:
                if rule.triggers:
                    for trigger in rule.triggers:
                        trigger_keys[trigger].append(rule)
                else:
                    self._always.append(rule)
        mute_keys: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule in self.rules:
            if rule.regexes and rule.triggers:
                for phrase in rule.mute_triggers:
                    mute_keys[phrase].append(rule)
        self._literals = {view: _automaton(keys) for view, keys in literal_keys.items()}
        self._triggers = _automaton(trigger_keys) if trigger_keys else None
        self._mutes = _automaton(mute_keys) if mute_keys else None

    def find(self, views: TextViews) -> Iterator[RawHit]:
        """Candidate hits, produced lazily: a caller that has seen enough stops the search
        (a text dense with triggers is not matched to its end for nothing)."""
        for view, automaton in self._literals.items():
            text = views.view(view)
            if view == "digits" and not _LONG_DIGIT_RUN.search(text):
                continue
            for end_index, (key_length, rules) in automaton.iter(text):
                start = end_index + 1 - key_length
                for rule in rules:
                    yield RawHit(rule, view, start, end_index + 1)
        for rule, windows in self._regex_rules_to_run(views):
            text = views.view(rule.view)
            if rule.view == "digits" and not _LONG_DIGIT_RUN.search(text):
                continue
            for regex in rule.regexes:
                for lo, hi in windows or ((0, len(text)),):
                    yield from _regex_hits(rule, regex, text, lo, hi)

    def _regex_rules_to_run(
        self, views: TextViews
    ) -> list[tuple[CompiledRule, list[tuple[int, int]]]]:
        """The regex rules whose triggers are present, each with the norm-view windows (the
        sentences around its triggers) to search; an empty list means the whole view."""
        windows: dict[str, list[tuple[int, int]]] = {}
        rules: dict[str, CompiledRule] = {}
        if self._triggers is not None:
            norm = views.norm
            found = list(self._triggers.iter(norm))
            muted = _Muted(self._muted_spans(norm) if found and self._mutes is not None else [])
            sentences = _SentenceStops(norm) if found else None
            seen: dict[int, tuple[int, int]] = {}
            # Windows per trigger word (its rules) and mute set: the rules are gone through once
            # per group, not once per occurrence (a text can hold thousands).
            groups: dict[tuple[int, frozenset[str]],
                         tuple[tuple[CompiledRule, ...], list[tuple[int, int]]]] = {}
            for end, (length, triggered) in found:
                start = end + 1 - length
                window = seen.get(start)
                if window is None:
                    assert sentences is not None
                    window = seen[start] = sentences.window(start, end + 1)
                # The rules whose pack mutes this occurrence (it sits inside 没法保证 …).
                muted_ids = muted.around(start, end)
                group = groups.setdefault((id(triggered), muted_ids), (triggered, []))[1]
                if not group or group[-1] != window:
                    group.append(window)
            for (_, muted_ids), (triggered, group) in groups.items():
                merged = _merged(group)
                for rule in triggered:
                    if rule.id in muted_ids:
                        continue
                    rules.setdefault(rule.id, rule)
                    if rule.view == "norm":
                        windows.setdefault(rule.id, []).extend(merged)
                    else:
                        windows[rule.id] = []  # other views: search everything
        for rule in self._always:
            rules.setdefault(rule.id, rule)
            windows[rule.id] = []
        ordered = sorted(rules.values(), key=lambda r: r.priority)
        return [(rule, _merged(windows.get(rule.id, []))) for rule in ordered]

    def _muted_spans(self, norm: str) -> list[tuple[int, int, frozenset[str]]]:
        assert self._mutes is not None
        spans = []
        for end, (length, muted) in self._mutes.iter(norm):
            start = end + 1 - length
            if start > 0 and _ascii_word(norm[start]) and _ascii_word(norm[start - 1]):
                continue  # "fridaycan't guarantee" is not the phrase "can't guarantee"
            spans.append((start, end + 1, frozenset(r.id for r in muted)))
        return spans


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _regex_hits(rule: CompiledRule, regex: re.Pattern[str], text: str, lo: int, hi: int
                ) -> Iterator[RawHit]:
    for found in regex.finditer(text, lo, hi):
        match: re.Match[str] | None = found
        if found.end() == hi < len(text):
            # The window cut it short (a link running past a "?"): match again without it.
            match = regex.match(text, found.start())
        if match is None or match.end() == match.start():
            continue
        groups = tuple(
            (name, match.start(name), match.end(name))
            for name in regex.groupindex
            if match.start(name) >= 0
        )
        yield RawHit(rule, rule.view, match.start(), match.end(), groups)


# Where a triggered regex is searched: the sentence around the trigger (rules never match across
# a sentence end), plus a few characters so look-aheads at the end still see real text.
_PREVIOUS_STOP = re.compile(r"[。!?\n]|\. ")
_NEXT_STOP = re.compile(r"[。!?\n]|\.\s")
_LOOKAHEAD_SLACK = 8


class _SentenceStops:
    """The sentence ends of one norm view, found once: each trigger's window is then two
    binary searches, not two scans of the text (a text dense with triggers stays linear)."""

    def __init__(self, norm: str) -> None:
        self._length = len(norm)
        # Where a sentence starts after each stop that ends at or before a position.
        self._after = sorted(m.end() for m in _PREVIOUS_STOP.finditer(norm))
        following = list(_NEXT_STOP.finditer(norm))
        self._next_starts = [m.start() for m in following]
        self._next_ends = [m.end() for m in following]

    def window(self, start: int, end: int) -> tuple[int, int]:
        before = bisect_right(self._after, start)
        lo = self._after[before - 1] if before else 0
        index = bisect_left(self._next_starts, end)
        stop = self._next_ends[index] if index < len(self._next_ends) else self._length
        return lo, min(self._length, stop + _LOOKAHEAD_SLACK)


class _Muted:
    """Mute-trigger spans (bounded phrases), searchable by position in logarithmic time."""

    def __init__(self, spans: list[tuple[int, int, frozenset[str]]]) -> None:
        self._spans = sorted(spans)
        self._starts = [lo for lo, _, _ in self._spans]
        self._longest = max((hi - lo for lo, hi, _ in self._spans), default=0)

    def around(self, start: int, end: int) -> frozenset[str]:
        """The rule ids muted over ``[start, end]`` (inclusive end, as the automaton reports)."""
        ids: frozenset[str] = frozenset()
        index = bisect_right(self._starts, start)
        while index > 0:
            index -= 1
            lo, hi, muted = self._spans[index]
            if lo < start - self._longest:
                break
            if end < hi:
                ids = ids | muted
        return ids


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(windows) < 2:
        return windows
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(windows):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _automaton(keys: dict[str, list[CompiledRule]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for key, rules in keys.items():
        automaton.add_word(key, (len(key), tuple(rules)))
    automaton.make_automaton()
    return automaton


# ---------------------------------------------------------------- screening


@dataclass(frozen=True)
class Screen:
    """What a hit is checked against besides its own rule: the store and the platform."""

    platform: Platform | None
    allowed_domains: tuple[str, ...]
    allowed_phrases: tuple[str, ...]  # compact forms of the store's allowed commitments


def screen(raw_hits: Iterable[RawHit], views: TextViews, context: Screen,
           limit: int | None = None) -> list[Hit]:
    """The raw hits that survive boundaries, exceptions, filters and allowed commitments; at
    most ``limit`` of them (screening, and the search feeding it, stop there)."""
    allowed_spans: list[tuple[int, int]] | None = None
    accepted: list[Hit] = []
    for raw in raw_hits:
        hit = _to_input(raw, views)
        if hit is None or not _passes_rule(hit, raw, views, context):
            continue
        if context.allowed_phrases:
            if allowed_spans is None:
                allowed_spans = _allowed_spans(views, context.allowed_phrases)
            if any(s <= hit.start and hit.end <= e for s, e in allowed_spans):
                continue
        accepted.append(hit)
        if limit is not None and len(accepted) >= limit:
            break
    return accepted


def _to_input(raw: RawHit, views: TextViews) -> Hit | None:
    start, end = views.input_span(raw.view, raw.start, raw.end)
    if start >= end:
        return None
    groups = {name: views.input_span(raw.view, s, e) for name, s, e in raw.groups if e > s}
    return Hit(raw.rule, start, end, views.source[start:end], groups)


def _passes_rule(hit: Hit, raw: RawHit, views: TextViews, context: Screen) -> bool:
    spec = hit.rule.spec
    platforms = getattr(spec, "platforms", None)
    if platforms is not None and context.platform not in platforms:
        return False
    if raw.view != "norm":
        if _SENTENCE_END.search(hit.match):
            return False
        if _visible_length(hit.match) > 4 * len(compact_form(hit.match)) + 2:
            return False  # letters too far apart to be one word
        if spec.kind == "literal" and not _on_word_boundaries(views, hit):
            return False
        if spec.kind == "regex" and not _starts_a_word(views, hit):
            return False  # a regex on the compact view that opens with a letter: "vxl" ≠ "vx"
    for name in spec.filters:
        if name == "phone_shape" and not _phone_shaped(_as_read(hit, views), raw.end - raw.start):
            return False
        if name == "domain_not_allowed" and _domain_allowed(
            views.norm[raw.start:raw.end], context.allowed_domains
        ):
            return False
    if hit.rule.context and not _context_present(hit, views):
        return False
    return not (hit.rule.exceptions and _excepted(hit, views))


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _visible_length(text: str) -> int:
    """Length without the characters that render as nothing (zero-width, bidi controls)."""
    return len(normalize(text)) if not text.isascii() else len(text)


def _norm_edges(views: TextViews, hit: Hit) -> tuple[int, int]:
    """Where a hit sits in the norm view: its neighbours there are what a reader sees next to
    it (zero-width characters gone, letter-spacing closed: the "dm" in "H D M I" is inside a
    word)."""
    return views.view_span("norm", hit.start, hit.end)


def _starts_a_word(views: TextViews, hit: Hit) -> bool:
    start, end = _norm_edges(views, hit)
    norm = views.norm
    return not (start < end and norm[start].isascii() and norm[start].isalpha() and start > 0
                and _latin(norm[start - 1]))


def _on_word_boundaries(views: TextViews, hit: Hit) -> bool:
    """A Latin-script edge of a match must not continue a Latin word (``vx`` ≠ ``vxl``)."""
    start, end = _norm_edges(views, hit)
    norm = views.norm
    if start >= end:
        return True
    if _latin(norm[start]) and start > 0 and _latin(norm[start - 1]):
        return False
    return not (_latin(norm[end - 1]) and end < len(norm) and _latin(norm[end]))


def _as_read(hit: Hit, views: TextViews) -> str:
    """The hit as the norm view reads it: letter-spacing closed ("4/0/0" is "400", a date's
    "2026/12/05" keeps its slashes)."""
    start, end = views.view_span("norm", hit.start, hit.end)
    return views.norm[start:end]


def _phone_shaped(match: str, digit_count: int) -> bool:
    match = read_digit_words(match)
    return not _NOT_PHONE.search(match) and len(match) <= 3 * digit_count + 6


_OBFUSCATED_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\bdot\b|点|。)\s*")


def domain_of(link: str) -> str:
    """The host of a link as written (scheme, path and obfuscated dots dealt with)."""
    host = re.sub(r"^[a-z]+://", "", link.strip())
    host = _OBFUSCATED_DOT.sub(".", host)
    host = re.split(r"[/?#\s]", host, maxsplit=1)[0]
    host = host.split("@")[-1].split(":")[0]
    return host.strip(".").removeprefix("www.")


def _domain_allowed(link: str, allowed: Sequence[str]) -> bool:
    host = domain_of(link)
    return any(host == d or host.endswith("." + d) for d in allowed)


def _clause_bounds(norm: str, start: int, end: int) -> tuple[int, int]:
    left = start
    while left > 0 and not _CLAUSE_BREAK.match(norm[left - 1]):
        left -= 1
    match = _CLAUSE_BREAK.search(norm, end)
    return left, match.start() if match else len(norm)


def _context_present(hit: Hit, views: TextViews) -> bool:
    start, end = views.view_span("norm", hit.start, hit.end)
    left, right = _clause_bounds(views.norm, start, end)
    clause = views.norm[left:right]
    return any(regex.search(clause) for regex in hit.rule.context)


def _excepted(hit: Hit, views: TextViews) -> bool:
    start, end = views.view_span("norm", hit.start, hit.end)
    lo = max(0, start - _EXCEPTION_WINDOW)
    hi = min(len(views.norm), end + _EXCEPTION_WINDOW)
    for regex in hit.rule.exceptions:
        for match in regex.finditer(views.norm, lo, hi):
            if match.end() > match.start() and match.start() <= end and match.end() >= start:
                return True
    return False


def _allowed_spans(views: TextViews, phrases: Sequence[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in phrases:
        position = views.compact.find(phrase)
        while position >= 0:
            spans.append(views.input_span("compact", position, position + len(phrase)))
            position = views.compact.find(phrase, position + 1)
    return spans


def resolve_overlaps(hits: Sequence[Hit]) -> list[Hit]:
    """Within one category, overlapping hits keep the higher-priority (then the longer) one."""
    kept: list[Hit] = []
    # Per category, the spans kept so far: disjoint, so sorted by start is sorted by end too,
    # and an overlap can only be with the neighbours of where a new span would go.
    starts: dict[str, list[int]] = defaultdict(list)
    ends: dict[str, list[int]] = defaultdict(list)
    for hit in sorted(hits, key=lambda h: (h.rule.priority, h.start - h.end, h.start)):
        taken_starts, taken_ends = starts[hit.category], ends[hit.category]
        index = bisect_left(taken_starts, hit.start)
        if index > 0 and taken_ends[index - 1] > hit.start:
            continue
        if index < len(taken_starts) and taken_starts[index] < hit.end:
            continue
        taken_starts.insert(index, hit.start)
        taken_ends.insert(index, hit.end)
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end, h.rule.priority))
