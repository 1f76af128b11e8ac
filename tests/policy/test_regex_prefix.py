"""The first-character look-ahead never changes what a rule regex matches."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.policy import default_engine
from replydraft.policy.normalize import TextViews
from replydraft.policy.regex_prefix import compile_fast, first_character_class

from .evalset import load_cases


def test_first_character_classes() -> None:
    assert first_character_class("(全网|史上)?最便宜") == "[全史最]"
    assert first_character_class(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)") == "[+18]"
    assert first_character_class(r"\b(?:the\s+)?best") == "[bt]"
    assert first_character_class(r"(오늘|\d+일)") == r"[\d오]"
    assert first_character_class("(?:x)?") is None  # can match the empty string
    assert first_character_class(r"[^a]b") is None  # negated class: no useful prefix
    assert first_character_class(r".b") is None


def _all_patterns() -> list[str]:
    engine = default_engine()
    return sorted({pattern for rule in (*engine.rules.rules, *engine.rules.risk_rules)
                   if rule.spec.kind == "regex" for pattern in rule.spec.patterns})


def _texts() -> list[str]:
    texts = []
    for case in load_cases():
        data = case["input"]
        views = TextViews(data.get("text") or data["customer_text"])
        texts.extend((views.norm, views.digits))
    return texts


def test_rule_regexes_find_the_same_matches_on_the_eval_texts() -> None:
    texts = _texts()
    for pattern in _all_patterns():
        plain, fast = re.compile(pattern), compile_fast(pattern)
        for text in texts:
            assert [m.span() for m in plain.finditer(text)] == [
                m.span() for m in fast.finditer(text)], (pattern, text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("最全网史便宜好的保证明天到1386+ -x.com@qq微信")),
               max_size=40))
def test_and_on_random_text(text: str) -> None:
    for pattern in _all_patterns()[:40]:
        assert [m.span() for m in re.compile(pattern).finditer(text)] == [
            m.span() for m in compile_fast(pattern).finditer(text)]
