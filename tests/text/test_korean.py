"""Korean particles, one rule set for the offline composer and the policy filter."""

from __future__ import annotations

import pytest

from replydraft.text.korean import (
    adjust_particle,
    final_consonant,
    fix_particles,
    particle_form,
    standard_spelling,
)


@pytest.mark.parametrize(("before", "pair", "expected"), [
    ("청바지", ("은", "는"), "는"), ("블랙", ("은", "는"), "은"),
    ("가격", ("으로", "로"), "으로"), ("서울", ("으로", "로"), "로"),
    ("바지", ("으로", "로"), "로"),
    ("3", ("은", "는"), "은"), ("2", ("은", "는"), "는"), ("1", ("으로", "로"), "로"),
    ("XL", ("으로", "로"), "로"), ("M", ("이", "가"), "이"), ("S", ("이", "가"), "가"),
    ("사이즈", ("과", "와"), "와"), ("신발", ("을", "를"), "을"),
])
def test_particle_follows_the_sound_before_it(before: str, pair: tuple[str, str],
                                              expected: str) -> None:
    assert particle_form(before, *pair) == expected


def test_final_consonant_of_what_cannot_be_read() -> None:
    assert final_consonant("。") is None
    assert final_consonant("강") == 21


def test_composer_pairs_and_filter_replacements_agree() -> None:
    assert fix_particles("청바지은(는) 좋아요") == "청바지는 좋아요"
    assert fix_particles("서울으로(로) 보내요") == "서울로 보내요"
    assert adjust_particle("체격이 있는 분", "가 입어도") == (1, "이")
    assert adjust_particle("가격", "로 ") == (1, "으로")
    assert adjust_particle("가격", "이라도") == (3, "이라도")
    assert adjust_particle("가격", "가방") == (0, "")  # 가 glued to more Hangul: a word
    assert adjust_particle("가격.", "이") == (0, "")


@pytest.mark.parametrize(("said", "standard"), [
    ("그럼 저걸로 살께요", "그럼 저걸로 살게요"),
    ("주문할께요!", "주문할게요!"),
    ("내일 다시 올께 ", "내일 다시 올게 "),
    # only after a syllable ending in ㄹ: elsewhere 께 is no spoken 게
    ("깨끗께요?", "깨끗께요?"),
    ("선생님께 드릴게요", "선생님께 드릴게요"),
    ("이께", "이께"),
])
def test_the_spoken_future_ending_reads_as_the_standard_one(said: str, standard: str) -> None:
    assert standard_spelling(said) == standard
