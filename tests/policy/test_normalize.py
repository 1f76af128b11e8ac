"""The normalised views and their offset maps back to the input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.policy.normalize import (
    TextViews,
    compact,
    compact_form,
    normalize,
    numerals_to_digits,
)

# Text that exercises the interesting parts of the table: CJK (both scripts), Hangul, full-width
# forms, circled digits, zero-width characters, emoji with variation selectors, ligatures.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("微信威薇V❤ＷｘＱ①⑩⑳一三八공일이保證絕對肥仔胖子ﬁ…㎏"
                             " \u200b\u200d\ufe0f\u3000，。！？.,-_@+%")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)


def test_full_width_zero_width_and_case_are_normalised() -> None:
    assert normalize("ＷｅＣｈａｔ") == "wechat"
    assert normalize("微\u200b信") == "微信"
    assert normalize("V\ufe0f信") == "v信"
    assert normalize("①③⑧") == "138"


def test_traditional_reads_as_simplified_character_by_character() -> None:
    assert normalize("保證絕對會到貨") == "保证绝对会到货"
    assert len(normalize("這條褲子")) == 4


def test_compact_view_drops_separators_but_keeps_plus_percent_at() -> None:
    assert compact(normalize("V❤信 w.e.c.h.a.t Q Q")) == "v信wechatqq"
    assert compact(normalize("+86 100% a@b")) == "+86100%a@b"
    assert compact_form("微 信") == "微信"


def test_numeral_runs_become_digits_but_single_words_stay() -> None:
    assert numerals_to_digits("一三八一二三四五六七八") == "13812345678"
    assert numerals_to_digits("공일공일이삼사오육칠팔") == "01012345678"
    assert numerals_to_digits("一定会到") == "一定会到"
    # A Korean particle right after a phone number is not a digit.
    assert numerals_to_digits("01012345678이에요") == "01012345678이에요"
    # A lone numeral between digits is one.
    assert numerals_to_digits("1三8") == "138"


def test_input_span_points_at_the_obfuscated_original() -> None:
    source = "亲，加我V❤\u200b信哦"
    views = TextViews(source)
    start = views.compact.index("v信")
    a, b = views.input_span("compact", start, start + 2)
    assert source[a:b] == "V❤\u200b信"


def test_expanded_characters_map_to_their_source() -> None:
    views = TextViews("a⑩b")
    assert views.norm == "a10b"
    assert views.offsets("norm") == [0, 1, 1, 2]
    assert views.input_span("norm", 1, 3) == (1, 2)


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_every_normalised_character_maps_back_to_its_input_character(text: str) -> None:
    views = TextViews(text)
    offsets = views.offsets("norm")
    assert len(offsets) == len(views.norm)
    if "\u202e" not in text:  # only a right-to-left override changes the order
        assert offsets == sorted(offsets)
    for index, char in enumerate(text):
        produced = "".join(views.norm[j] for j, o in enumerate(offsets) if o == index)
        # A separator inside letter-spacing ("0/0/0", "g u a") is the one thing dropped.
        assert produced == normalize(char) or compact(produced) == compact(normalize(char))


@settings(max_examples=120, deadline=None)
@given(TRICKY, st.data())
def test_compact_slices_map_to_input_spans_that_contain_them(text: str, data: st.DataObject
                                                             ) -> None:
    views = TextViews(text)
    assert len(views.offsets("compact")) == len(views.compact) == len(views.digits)
    if not views.compact:
        return
    start = data.draw(st.integers(0, len(views.compact) - 1))
    end = data.draw(st.integers(start + 1, len(views.compact)))
    a, b = views.input_span("compact", start, end)
    assert 0 <= a < b <= len(text)
    assert views.compact[start:end] in compact_form(text[a:b])
