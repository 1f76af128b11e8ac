"""Parsing what the model wrote: JSON drafts, [c:id] markers, and marker stripping mid-stream."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replydraft.drafting.llm.output import (
    MarkerStripper,
    parse_json_reply,
    parse_marked_text,
    strip_markers,
)
from replydraft.errors import LLMBadOutput

KNOWN = {"kb-1", "kb-2"}


def test_json_with_fences_single_string_cites_and_inline_markers() -> None:
    content = (
        "```json\n"
        '{"sentences": [{"text": "满99包邮。", "cites": "kb-1"},'
        ' {"text": "中通2-5天。[c:kb-2]"}, {"text": "有事找我。", "cites": null}]}\n'
        "```"
    )
    sentences = parse_json_reply(content, known_ids=KNOWN, language="zh-Hans")
    assert [(s.text, s.chunk_ids) for s in sentences] == [
        ("满99包邮。", ("kb-1",)),
        ("中通2-5天。", ("kb-2",)),
        ("有事找我。", ()),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"sentences": "满99包邮"}', '"sentences" list'),
        ('{"sentences": [{"text": "x", "cites": [1, 2]}]}', "cites is not a list"),
        ('["满99包邮"]', "JSON object"),
        ('{"sentences": [{"text": "x"}', "does not parse"),
        ('{"sentences": [{"text": "x",}]}', "does not parse"),
    ],
)
def test_malformed_json_names_the_problem(content: str, message: str) -> None:
    with pytest.raises(LLMBadOutput, match=message) as excinfo:
        parse_json_reply(content, known_ids=KNOWN, language="zh-Hans")
    assert excinfo.value.extra["reason"] == "malformed_output"


def test_marked_text_attaches_markers_to_the_right_sentence() -> None:
    text = "满99包邮[c:kb-1]，偏远地区另算。中通2-5天到。 [c:kb-2] [c:kb-9]有事找我！"
    sentences = parse_marked_text(text, known_ids=KNOWN, language="zh-Hans")
    assert [(s.text, s.chunk_ids) for s in sentences] == [
        ("满99包邮，偏远地区另算。", ("kb-1",)),  # a marker inside belongs to its sentence
        ("中通2-5天到。", ("kb-2",)),  # markers after the end belong to the sentence before
        ("有事找我！", ()),
    ]


def test_marked_english_keeps_decimals_and_spacing() -> None:
    text = "The price is 99.5 yuan.[c:kb-1] Shipping takes 2-5 days. [c:kb-2]Anything else?"
    sentences = parse_marked_text(text, known_ids=KNOWN, language="en")
    assert [s.text for s in sentences] == [
        "The price is 99.5 yuan. ",
        "Shipping takes 2-5 days. ",
        "Anything else?",
    ]
    assert [s.chunk_ids for s in sentences] == [("kb-1",), ("kb-2",), ()]


_text = st.text(alphabet=st.sampled_from(list("ab 。.[]c:-1?\n亲")), max_size=40)
_marker = st.sampled_from(["[c:kb-1]", "[c:kb-2]", " [c:x]", "[c: kb-1 ]"])


@given(
    parts=st.lists(st.one_of(_text, _marker), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_stripping_does_not_depend_on_how_the_stream_is_cut(
    parts: list[str], cuts: list[int]
) -> None:
    full = "".join(parts)
    points = sorted({min(c, len(full)) for c in cuts})
    deltas = [full[a:b] for a, b in zip([0, *points], [*points, len(full)], strict=True)]
    stripper = MarkerStripper()
    out = "".join(stripper.feed(d) for d in deltas) + stripper.flush()
    assert out == strip_markers(full)[0]


def test_a_half_marker_is_held_back_until_it_resolves() -> None:
    stripper = MarkerStripper()
    assert stripper.feed("满99包邮。 [c") == "满99包邮。"
    assert stripper.feed(":kb-1") == ""
    assert stripper.feed("] 中通") == " 中通"
    assert stripper.feed(" [note]") == " [note]"  # brackets that are not markers pass through
    assert stripper.flush() == ""
