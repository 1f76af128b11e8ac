from __future__ import annotations

from typing import Any

import pytest

from replydraft.drafting.backend import Slots
from replydraft.drafting.composing.sizing import prefers_larger, recommend_size
from replydraft.knowledge.models import Product

# Overlapping rows on purpose, like real charts: 80-92 and 90-105 share 90-92 kg.
TOPS_CHART = [
    {"label": "XL", "height_cm": [170, 180], "weight_kg": [70, 82]},
    {"label": "2XL", "height_cm": [173, 183], "weight_kg": [80, 92]},
    {"label": "3XL", "height_cm": [175, 185], "weight_kg": [90, 105]},
    {"label": "4XL", "height_cm": [178, 190], "weight_kg": [108, 118]},  # gap 105-108
]


def make_product(chart: list[dict[str, Any]], note: str = "Between two sizes take the larger.",
                 category: str = "shirt") -> Product:
    return Product.model_validate({
        "sku": "T-SIZE-01", "names": {"en": "Test"}, "category": category, "price": 100,
        "fabric": {"en": "cotton"}, "colours": [{"id": "black", "names": {"en": "Black"}}],
        "size_chart": chart, "size_note": {"en": note},
    })


TOPS = make_product(TOPS_CHART)


def advise(product: Product = TOPS, **slots: Any) -> tuple[str, str | None, str | None]:
    advice = recommend_size(product, Slots(**slots))
    return advice.situation, advice.label, advice.alternative


def test_both_measures_in_one_row() -> None:
    assert advise(height_cm=172, weight_kg=75) == ("fits", "XL", None)
    advice = recommend_size(TOPS, Slots(height_cm=172, weight_kg=75))
    assert advice.row is not None and advice.row.label == "XL"


def test_overlapping_rows_are_between_sizes_and_the_note_says_larger() -> None:
    assert advise(height_cm=178, weight_kg=91) == ("between", "3XL", "2XL")


def test_size_note_asking_for_the_smaller_one_is_followed() -> None:
    snug = make_product(TOPS_CHART, note="Runs large: between sizes, size down (smaller).")
    assert not prefers_larger(snug)
    assert advise(snug, height_cm=178, weight_kg=91) == ("between", "2XL", "3XL")


def test_chinese_and_korean_size_notes_are_read() -> None:
    assert prefers_larger(make_product(TOPS_CHART, note="两个码之间选大一码"))
    assert not prefers_larger(make_product(TOPS_CHART, note="偏大，两个码之间选小一码"))
    assert prefers_larger(make_product(TOPS_CHART, note="두 사이즈 사이라면 크게 선택해 주세요"))


def test_weight_in_the_gap_between_two_rows() -> None:
    assert advise(height_cm=180, weight_kg=106) == ("between", "4XL", "3XL")


def test_height_and_weight_disagree_big_and_tall_follows_weight() -> None:
    # 171 cm points at XL, 100 kg at 3XL: the girth wins and the reply explains
    situation, label, alternative = advise(height_cm=171, weight_kg=100)
    assert (situation, label, alternative) == ("differ", "3XL", "XL")
    assert recommend_size(TOPS, Slots(height_cm=171, weight_kg=100)).basis == "weight"


def test_tall_and_slim_takes_the_larger_for_length() -> None:
    advice = recommend_size(TOPS, Slots(height_cm=189, weight_kg=75))
    assert (advice.situation, advice.label, advice.alternative, advice.basis) == \
        ("differ", "4XL", "XL", "height")


def test_beyond_the_chart_is_said_honestly_with_the_largest_size() -> None:
    advice = recommend_size(TOPS, Slots(height_cm=182, weight_kg=140))
    assert (advice.situation, advice.label) == ("above_chart", "4XL")


def test_below_the_chart_suggests_the_smallest() -> None:
    assert advise(height_cm=170, weight_kg=60) == ("below_chart", "XL", None)


def test_height_beyond_chart_with_fitting_weight_adds_a_note() -> None:
    advice = recommend_size(TOPS, Slots(height_cm=198, weight_kg=112))
    assert advice.label == "4XL"
    assert advice.notes == ("height_above_chart",)


def test_weight_alone_is_enough_height_alone_is_not() -> None:
    assert advise(weight_kg=85) == ("fits", "2XL", None)
    assert advise(weight_kg=81) == ("between", "2XL", "XL")
    advice = recommend_size(TOPS, Slots(height_cm=180))
    assert (advice.situation, advice.label, advice.missing) == ("missing", None, ("weight",))
    nothing = recommend_size(TOPS, Slots())
    assert nothing.missing == ("height", "weight")


JEANS = make_product([
    {"label": "36", "waist_cm": [88, 93], "height_cm": [168, 182], "weight_kg": [76, 86]},
    {"label": "38", "waist_cm": [93, 98], "height_cm": [170, 184], "weight_kg": [84, 95]},
    {"label": "40", "waist_cm": [98, 104], "height_cm": [170, 186], "weight_kg": [93, 105]},
], category="jeans")


def test_waist_beats_weight_when_the_chart_has_it() -> None:
    advice = recommend_size(JEANS, Slots(height_cm=178, weight_kg=80, waist_cm=100))
    assert (advice.label, advice.basis) == ("40", "waist")


BOOTS = make_product([
    {"label": "42", "foot_length_mm": [255, 261]},
    {"label": "43", "foot_length_mm": [260, 266]},
    {"label": "44", "foot_length_mm": [265, 271]},
    {"label": "46", "foot_length_mm": [275, 281]},  # no 45: a gap
], category="boots")


@pytest.mark.parametrize(
    ("foot", "expected"),
    [(257, ("fits", "42", None)), (260, ("between", "43", "42")), (273, ("between", "46", "44")),
     (300, ("above_chart", "46", None)), (240, ("below_chart", "42", None))],
)
def test_shoes_by_foot_length(foot: float, expected: tuple[str, str, str | None]) -> None:
    assert advise(BOOTS, foot_length_mm=foot) == expected


def test_shoes_by_stated_size() -> None:
    assert advise(BOOTS, shoe_size="43") == ("by_shoe_size", "43", None)
    assert advise(BOOTS, shoe_size="48") == ("above_chart", "46", None)
    missing = recommend_size(BOOTS, Slots(height_cm=180, weight_kg=90))
    assert (missing.situation, missing.missing) == ("missing", ("foot_length",))


def test_foot_length_is_preferred_over_a_stated_size() -> None:
    assert advise(BOOTS, foot_length_mm=257, shoe_size="44")[1] == "42"
