"""Numerals: parsed back from reference writers for every n in 0..99999, and rewritten in text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replydraft.text.numbers import arabic_numerals, ascii_digits, parse_numeral

from .numerals import CN, chinese, korean


def test_reference_writers_agree_with_known_forms() -> None:
    assert [chinese(n) for n in (15, 108, 180, 1050, 10500, 35000)] == \
        ["十五", "一百零八", "一百八十", "一千零五十", "一万零五百", "三万五千"]
    assert [korean(n) for n in (80, 108, 180, 1200, 10000, 25000)] == \
        ["팔십", "백팔", "백팔십", "천이백", "만", "이만오천"]


def test_every_number_up_to_99999_reads_back() -> None:
    for n in range(100_000):
        assert parse_numeral(chinese(n)) == n, chinese(n)
        assert parse_numeral(korean(n)) == n, korean(n)
        assert parse_numeral(str(n)) == n


@given(st.integers(min_value=0, max_value=99_999))
def test_full_width_digits_read_as_ascii(n: int) -> None:
    wide = "".join(chr(0xFF10 + int(d)) for d in str(n))
    assert parse_numeral(wide) == n
    assert ascii_digits(wide) == str(n)


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9),
       st.sampled_from([("百", 100), ("千", 1000), ("万", 10_000)]))
def test_spoken_chinese_drops_the_last_unit(lead: int, next_digit: int,
                                            unit: tuple[str, int]) -> None:
    word, value = unit
    spoken = CN[lead] + word + CN[next_digit]  # 一百八, 一千二, 三万五
    assert parse_numeral(spoken) == lead * value + next_digit * value // 10
    assert parse_numeral(spoken.replace("二", "两", 1)) == parse_numeral(spoken)


@pytest.mark.parametrize(("run", "value"), [
    ("一百八", 180), ("一百八十五", 185), ("两百", 200), ("二百五", 250), ("一千二", 1200),
    ("三万", 30000), ("十五", 15), ("百八", 180), ("七五", 75), ("一百零八", 108),
    ("백팔십", 180), ("팔십", 80), ("천이백", 1200), ("백팔", 108), ("5万", 50000),
    ("3천", 3000), ("１８０", 180), ("⑫", 12),
])
def test_numeral_runs(run: str, value: int) -> None:
    assert parse_numeral(run) == value


@pytest.mark.parametrize("run", ["", "十百", "百百", "万万", "一百八五", "abc", "一x"])
def test_malformed_runs_are_not_numbers(run: str) -> None:
    assert parse_numeral(run) is None


@pytest.mark.parametrize(("text", "rewritten"), [
    ("一米七五，一百八十斤", "1米75，180斤"),
    ("腰围二尺八", "腰围2尺8"),
    ("打八五折", "打85折"),
    ("体重一百八", "体重180"),
    ("팔십키로", "80키로"),
    ("오천원 깎아", "5000원 깎아"),
    # a Korean run after what it measures, with no counter after it
    ("사이즈도 백십으로", "사이즈도 110으로"),
    ("키 백팔십에 발이 이백육십오", "키 180에 발이 265"),
    ("身高１８０", "身高180"),
    # numerals that are words stay words
    ("能便宜一点吗", "能便宜一点吗"),
    ("看一下", "看一下"),
    ("少一件", "少一件"),
    ("千万别洗", "千万别洗"),
    ("万一不合适", "万一不合适"),
    ("사이즈 이거 괜찮아요", "사이즈 이거 괜찮아요"),
    ("천천히 보내 주세요", "천천히 보내 주세요"),
    ("사이즈는 백화점 가서", "사이즈는 백화점 가서"),
    ("키가 이만큼", "키가 이만큼"),
])
def test_rewrite_numerals_where_they_are_numbers(text: str, rewritten: str) -> None:
    assert arabic_numerals(text) == rewritten
