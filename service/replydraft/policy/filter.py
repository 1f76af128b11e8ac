"""``check``: find what a reply must not say and return an honest, sendable version of it.

Granularity follows what each rule says: ``remove_sentence`` drops the clause that carries the
violation and the rest of its sentence (the whole sentence when that clause opens it);
``rewrite`` puts the rule's honest wording in place of the clause; ``replace_term`` swaps the
matched words for neutral ones. Replacements are picked in the language of the text they
replace. The result is re-checked until clean (an edit can, rarely, join two harmless pieces
into a match), so filtering is idempotent and its output always passes ``check``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import cast

from replydraft.knowledge.models import StoreProfile, pick_text
from replydraft.languages import Language, Platform, is_chinese
from replydraft.policy.engine import MAX_HITS, PolicyContext, PolicyEngine, default_engine
from replydraft.policy.matcher import Hit
from replydraft.policy.models import Category, PolicyResult, Violation
from replydraft.policy.normalize import TextViews, compact_form
from replydraft.policy.rulepack import Rule
from replydraft.policy.segments import (
    Edit,
    Sentence,
    apply_edits,
    merge_edits,
    sentence_at,
    split_sentences,
)
from replydraft.text.korean import adjust_particle
from replydraft.text.script import language_of, script_family

_REMOVE, _REWRITE, _TERM = 3, 2, 1
_MAX_ROUNDS = 4
# A reply longer than this is never only greetings (it saves normalising long texts again).
_LONGEST_GREETING_ONLY = 80
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_BETWEEN_CLAUSES = re.compile(r"\s*[，,；;]\s*")
_NOT_LETTER = re.compile(r"[\W_]+")


def check(
    text: str,
    *,
    language: Language | None = None,
    platform: Platform | None = None,
    store: StoreProfile | None = None,
    engine: PolicyEngine | None = None,
) -> PolicyResult:
    """Filter ``text``. Clean text comes back byte-identical with ``clean=True``.

    ``platform`` defaults to ``store.platform``; ``language`` to a guess from the script.
    At most ``MAX_HITS`` violations are worked through (and listed) per pass, so the cost stays
    linear in the text; one still dirty after the passes comes back empty.
    """
    engine = engine or default_engine()
    context = engine.context(store, platform)
    hits = engine.detect(TextViews(text), context)
    if not hits:
        return PolicyResult(clean=True, text=text)
    language = language or language_of(text)
    filtered, violations = _filter_once(text, hits, language, context.greetings)
    filtered = _until_clean(filtered, engine, context, language)
    return PolicyResult(
        clean=False,
        text=filtered,
        violations=violations,
        empty_after_filter=nothing_useful_left(filtered, context),
    )


def _until_clean(text: str, engine: PolicyEngine, context: PolicyContext,
                 language: Language) -> str:
    for _round in range(_MAX_ROUNDS):
        hits = engine.detect(TextViews(text), context)
        if not hits:
            return text
        if len(hits) >= MAX_HITS:
            return ""  # as many violations again after a whole pass: hostile, sent nothing
        # After the first extra round, stop rewriting and remove: it always converges.
        text, _ = _filter_once(text, hits, language, context.greetings, remove_only=_round > 0)
    return text if not engine.detect(TextViews(text), context, limit=1) else ""


def _filter_once(text: str, hits: list[Hit], language: Language, greetings: tuple[str, ...], *,
                 remove_only: bool = False) -> tuple[str, list[Violation]]:
    sentences = split_sentences(text)
    planned = [(hit, _edit_for(text, sentences, hit, language, greetings, remove_only))
               for hit in hits]
    edits = merge_edits(_join_repeated_rewrites(text, [edit for _, edit in planned]))
    violations = [_violation(hit, edits) for hit, _ in planned]
    return apply_edits(text, edits), violations


def _edit_for(text: str, sentences: list[Sentence], hit: Hit, language: Language,
              greetings: tuple[str, ...], remove_only: bool) -> Edit:
    sentence = sentence_at(sentences, hit.start)
    clause = sentence.clause_at(hit.start)
    action = "remove_sentence" if remove_only else _rule(hit).action
    if action == "remove_sentence":
        end = max(sentence.end, sentence_at(sentences, hit.end - 1).end)
        if clause.separator is None:
            return Edit(sentence.start, end, "", _REMOVE)
        if end == sentence.end and end < len(text):
            if _only_greetings_before(text[sentence.start:clause.start], greetings):
                # "亲，加我微信。这款有货" → "亲，这款有货": keep the greeting's comma.
                return Edit(clause.start, end, "", _REMOVE)
            return Edit(clause.separator, sentence.content_end, "", _REMOVE)
        return Edit(clause.separator, max(sentence.content_end, hit.end), "", _REMOVE)
    if action == "rewrite":
        start, end = min(clause.start, hit.start), max(clause.end, hit.end)
        replacement = _replacement(text, hit, text[start:end], language)
        return Edit(start, end, _capitalised(replacement, text, sentence, start), _REWRITE)
    replacement = _replacement(text, hit, hit.match, language)
    particle_length, particle = adjust_particle(replacement, text[hit.end:hit.end + 4])
    return Edit(hit.start, hit.end + particle_length,
                _capitalised(replacement, text, sentence, hit.start) + particle, _TERM)


def _only_greetings_before(before_text: str, greetings: tuple[str, ...]) -> bool:
    before = _letters(before_text)
    return bool(before) and _strip_words(before, greetings) == ""


@lru_cache(maxsize=64)
def _family(segment: str) -> str | None:
    # Many hits in one long clause share the clause: its script is counted once.
    return script_family(segment)


def _replacement(text: str, hit: Hit, segment: str, language: Language) -> str:
    family = _family(segment)
    segment_language: Language
    if family is None or (family == "zh" and is_chinese(language)):
        segment_language = language
    else:
        segment_language = language_of(segment)
    template = pick_text(_rule(hit).replacement, segment_language)

    def fill(match: re.Match[str]) -> str:
        span = hit.groups.get(match.group(1))
        return text[span[0]:span[1]] if span else ""

    return re.sub(r"\s{2,}", " ", _PLACEHOLDER.sub(fill, template)).strip()


def _capitalised(replacement: str, text: str, sentence: Sentence, position: int) -> str:
    """A Latin replacement that now opens a sentence starts with a capital letter."""
    if replacement[:1].isascii() and replacement[:1].islower() and not text[
        sentence.start:position
    ].strip():
        return replacement[0].upper() + replacement[1:]
    return replacement


def _join_repeated_rewrites(text: str, edits: list[Edit]) -> list[Edit]:
    """Two neighbouring clauses rewritten to the same words read as one: "A，A" → "A"."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    joined: list[Edit] = []
    for edit in ordered:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.strength == edit.strength == _REWRITE
            and last.replacement.lower() == edit.replacement.lower()
            and last.end <= edit.start
            and _BETWEEN_CLAUSES.fullmatch(text[last.end:edit.start])
        ):
            joined[-1] = Edit(last.start, edit.end, last.replacement, _REWRITE)
            continue
        joined.append(edit)
    return joined


def _violation(hit: Hit, edits: list[Edit]) -> Violation:
    container = next((e for e in edits if e.covers(hit.start, hit.end)), None)
    removed = container is None or container.replacement == ""
    return Violation(
        category=cast(Category, hit.category),
        rule=hit.rule.id,
        span=(hit.start, hit.end),
        match=hit.match,
        action="removed" if removed else "rewritten",
        replacement=None if removed or container is None else container.replacement,
        reason=_rule(hit).reason,
    )


def _rule(hit: Hit) -> Rule:
    """The policy rule behind a hit (``check`` only ever sees policy rules)."""
    spec = hit.rule.spec
    if not isinstance(spec, Rule):  # pragma: no cover - risk rules never reach check()
        raise TypeError(f"{spec.id} is not a policy rule")
    return spec


def _strip_words(compact_text: str, words: tuple[str, ...]) -> str:
    for word in words:
        compact_text = compact_text.replace(word, "")
    return compact_text


def nothing_useful_left(text: str, context: PolicyContext) -> bool:
    """True when ``text`` is empty or only greetings, the honorific and the agent's name."""
    if len(text) > _LONGEST_GREETING_ONLY:
        return False
    return _strip_words(_letters(text), context.greetings) == ""


def _letters(text: str) -> str:
    """Only the letters and digits of the normalised text."""
    return _NOT_LETTER.sub("", compact_form(text))
