"""Units: conversions round-trip, and the measurement parsers read each unit the same way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replydraft.drafting.understanding.slots import normalise_measures, parse_waist, parse_weight
from replydraft.text import units

from .numerals import chinese

weights = st.floats(min_value=1, max_value=500, allow_nan=False)


@given(weights, st.sampled_from(["kg", "jin", "lb", "stone"]))
def test_weight_conversions_round_trip(kg: float, unit: units.WeightUnit) -> None:
    assert units.to_kg(units.from_kg(kg, unit), unit) == pytest.approx(kg)


@given(weights)
def test_kg_jin_lb_agree(kg: float) -> None:
    jin = units.from_kg(kg, "jin")
    assert jin == pytest.approx(2 * kg)
    pounds = units.from_kg(units.to_kg(jin, "jin"), "lb")
    assert units.to_kg(pounds, "lb") == pytest.approx(kg)
    assert units.stone_pounds_kg(0, pounds) == pytest.approx(kg)


@given(st.floats(min_value=1, max_value=300, allow_nan=False),
       st.sampled_from(["cm", "mm", "m", "in", "ft", "chi"]))
def test_length_conversions_round_trip(cm: float, unit: units.LengthUnit) -> None:
    assert units.to_cm(units.from_cm(cm, unit), unit) == pytest.approx(cm)


@given(st.integers(min_value=40, max_value=120))
def test_jin_in_digits_or_numerals_reads_as_kilograms(kg: int) -> None:
    assert parse_weight(normalise_measures(f"{2 * kg}斤"), "zh") == kg
    assert parse_weight(normalise_measures(f"{chinese(2 * kg)}斤"), "zh") == kg
    assert parse_weight(normalise_measures(f"{kg}公斤"), "zh") == kg
    assert parse_weight(normalise_measures(f"{kg}키로"), "ko") == kg


@given(st.integers(min_value=90, max_value=260))
def test_pounds_read_as_kilograms(pounds: int) -> None:
    expected = round(units.to_kg(pounds, "lb"), 1)
    assert parse_weight(normalise_measures(f"{pounds} lbs"), "en") == expected


def test_feet_metres_and_chi() -> None:
    assert units.feet_inches_cm(5, 10) == pytest.approx(177.8)
    assert units.metres_and_rest_cm(1, "75") == 175
    assert units.metres_and_rest_cm(1, "8") == 180
    assert units.chi_cun_cm(2, 8) == pytest.approx(93.33, abs=0.01)
    assert parse_waist(normalise_measures("腰围二尺八")) == pytest.approx(93.3, abs=0.1)
