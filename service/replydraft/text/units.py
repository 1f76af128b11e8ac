"""Measurement units customers use, and their conversions to the metric values we size with.

Chinese customers weigh themselves in 斤 (half a kilo) and measure waists in 市尺 (a third of a
metre: 腰围2尺8 is 2.8 尺); Koreans write 키로/킬로 for kilograms; English speakers use pounds,
stone, feet and inches (Hong Kong writes feet and inches 呎 and 吋). The unit words live here
once, as regex alternations the measurement parsers embed, next to the factors that convert them.
"""

from __future__ import annotations

from typing import Literal

JIN_KG = 0.5
POUND_KG = 0.45359237
STONE_KG = 6.35029318  # 14 pounds
INCH_CM = 2.54
FOOT_CM = 12 * INCH_CM
CHI_CM = 100 / 3  # one 市尺
CUN_CM = CHI_CM / 10  # one 市寸

WeightUnit = Literal["kg", "jin", "lb", "stone"]
LengthUnit = Literal["cm", "mm", "m", "in", "ft", "chi"]

_KG_PER: dict[WeightUnit, float] = {"kg": 1.0, "jin": JIN_KG, "lb": POUND_KG, "stone": STONE_KG}
_CM_PER: dict[LengthUnit, float] = {"cm": 1.0, "mm": 0.1, "m": 100.0, "in": INCH_CM,
                                    "ft": FOOT_CM, "chi": CHI_CM}

# Unit words as regex alternations (text already lower-case and Simplified).
KG_WORDS = r"kg|kgs|公斤|千克|kilos?|kilograms?|키로|킬로그램|킬로|㎏"
JIN_WORDS = r"斤"
LB_WORDS = r"lbs?|pounds?|磅"
STONE_WORDS = r"st|stone"
CM_WORDS = r"cm|公分|厘米|센티|센치|㎝"
MM_WORDS = r"mm|毫米|밀리|㎜"
METRE_WORDS = r"m|米|meters?|metres?"
INCH_WORDS = r"inch|inches|in\b|\"|인치|吋"
FEET_WORDS = r"'|ft\.?|feet|foot|呎"  # 呎/吋: feet and inches in Hong Kong and Taiwan


def to_kg(value: float, unit: WeightUnit) -> float:
    """180 jin → 90.0 kg; 200 lb → 90.7 kg."""
    return value * _KG_PER[unit]


def from_kg(kg: float, unit: WeightUnit) -> float:
    return kg / _KG_PER[unit]


def to_cm(value: float, unit: LengthUnit) -> float:
    """2.8 chi → 93.3 cm; 32 in → 81.3 cm."""
    return value * _CM_PER[unit]


def from_cm(cm: float, unit: LengthUnit) -> float:
    return cm / _CM_PER[unit]


def feet_inches_cm(feet: int, inches: float = 0) -> float:
    """5'10" → 177.8 cm."""
    return feet * FOOT_CM + inches * INCH_CM


def metres_and_rest_cm(metres: int, rest: str) -> float:
    """1米75 → 175, 1米8 → 180: one digit after 米 counts in tens, as it is said."""
    return metres * 100 + (int(rest) * 10 if len(rest) == 1 else int(rest))


def stone_pounds_kg(stone: float, pounds: float = 0) -> float:
    """14 st 2 lb → 89.8 kg."""
    return stone * STONE_KG + pounds * POUND_KG


def chi_cun_cm(chi: int, cun: int = 0) -> float:
    """腰围2尺8 → 2 尺 8 寸 → 93.3 cm."""
    return chi * CHI_CM + cun * CUN_CM
