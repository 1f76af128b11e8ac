"""Gated patterns: the script a pattern needs is read from its parse tree, and skipping the
groups a text cannot match never changes what a search finds."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.drafting.understanding.asks import load_asks
from replydraft.drafting.understanding.cues import compile_families
from replydraft.text.gated import GatedPattern, family_needed

ASKS = Path(__file__).resolve().parents[2] / "prompts" / "understanding" / "asks.yaml"


@pytest.mark.parametrize(("pattern", "family"), [
    ("多少钱", "zh"),
    (r"(?<![a-z])(?:how much)", "en"),  # a lookbehind needs nothing; the words need Latin
    (r"[가-힣]+요", "ko"),
    (r"[一-龥]{2}", "zh"),  # a class inside one script
    (r"(?:多少)?钱", "zh"),  # the optional part needs nothing, the rest does
    (r"x{0,2}l", "en"),
    (r"\d+元", "zh"),
    (r"(?:几|몇)\s*天", "zh"),  # both arms differ, the tail needs Chinese
    (r"(多少|얼마)", None),  # each arm needs another script
    (r"(?:多少)?", None),
    (r"\d+", None),
    (r"[\w]+", None),  # a category is any script
    (r"[a가]", None),  # a class across scripts
    (r"(?=多少)", None),  # a lookahead consumes nothing
])
def test_family_needed(pattern: str, family: str | None) -> None:
    assert family_needed(pattern) == family


def test_search_finds_the_leftmost_match_of_any_group() -> None:
    gated = GatedPattern([r"多少钱", r"얼마", r"how much", r"\d+元"])
    assert gated.search("얼마 多少钱") is not None
    assert gated.search("얼마 多少钱").start() == 0  # type: ignore[union-attr]
    assert gated.search("是 多少钱 얼마").start() == 2  # type: ignore[union-attr]
    assert gated.search("50元").group() == "50元"  # type: ignore[union-attr]
    assert gated.search("how much?") is not None
    assert gated.search("便宜点") is None


_PIECES = ["多少钱", "能便宜", "几天", "到", "얼마", "예요", "배송", "how", "much", "ship", "is",
           "xl", "38", "180", "斤", "码", "사이즈", " ", "?", "吗", "ㅠㅠ", "😊", "!", "退款"]


@cache
def _plain_asks() -> dict[str, re.Pattern[str]]:
    """Each ask's patterns as one plain alternation, the way they were searched before gating."""
    spec = yaml.safe_load(ASKS.read_text(encoding="utf-8"))["asks"]
    return {ask_id: compile_families(ASKS, ask_id, {k: v for k, v in entry.items()
                                                    if k in ("zh", "en", "ko")})
            for ask_id, entry in spec.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_the_gate_never_changes_what_the_asks_find(pieces: list[str]) -> None:
    """Every ask of the real pack, gated and plain, on texts mixing the scripts."""
    text = "".join(pieces)
    plain = _plain_asks()
    for ask in load_asks(ASKS).asks:
        found, expected = ask.pattern.search(text), plain[ask.id].search(text)
        assert (found is None) == (expected is None), (ask.id, text)
        if found is not None and expected is not None:
            assert found.start() == expected.start(), (ask.id, text)
