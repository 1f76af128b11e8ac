"""Recommend a size from a product's size chart and what the customer told us.

Clothes: the girth measure (waist when both the chart and the customer give it, else weight)
and the height each select the chart rows whose ranges contain them.

* both select one common row → that size (``fits``);
* several common rows (charts overlap) or a value in the gap between two rows → ``between``:
  the product's size note decides, which almost always says "take the larger";
* height and girth point at different sizes → ``differ``: the larger of the two (for big-and-tall
  customers that is the girth), and the reply says why;
* beyond the last row → ``above_chart``: say so honestly, suggest the largest and a measurement
  check with a supervisor; below the first row → ``below_chart``.

Shoes and socks: foot length against ``foot_length_mm`` rows (same rules), or the EU size the
customer wears when it is a chart label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from replydraft.drafting.backend import Slots
from replydraft.knowledge.models import Product, Range, SizeRow

Situation = Literal[
    "fits", "between", "differ", "above_chart", "below_chart", "by_shoe_size", "missing"
]
Basis = Literal["weight", "waist", "height", "foot_length", "shoe_size", "none"]
Measure = Literal["height_cm", "weight_kg", "waist_cm", "foot_length_mm"]

_SMALLER = re.compile(r"小一[码號号碼]|smaller|size down|작게|한 사이즈 작|짧은")
_LARGER = re.compile(r"大一[码碼号號]|larger|bigger|size up|크게|큰|[长長]一[档檔]|longer")


@dataclass(frozen=True)
class SizeAdvice:
    situation: Situation
    label: str | None = None
    row: SizeRow | None = None
    alternative: str | None = None  # the other candidate (between / differ)
    basis: Basis = "none"
    # measures to ask for: "weight", "height", "foot_length", "waist"
    missing: tuple[str, ...] = ()
    # remarks for the reply: "height_above_chart", "height_below_chart"; "far_below_chart" when
    # even the smallest size is too big
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def recommended(self) -> bool:
        return self.label is not None


@dataclass(frozen=True)
class _Placement:
    """Where one value falls in the chart: rows containing it, or below/above/in a gap."""

    rows: tuple[int, ...]
    where: Literal["in", "below", "above", "gap"]
    neighbours: tuple[int, ...] = ()
    far: bool = False  # below the first row by more than a size's worth


# How far under the first row a value may be and the smallest size still only "a bit loose":
# a 235 mm foot in a 240-246 mm shoe, or 10 kg under the lightest row, is simply too big.
_FAR_BELOW: dict[Measure, float] = {"foot_length_mm": 4, "weight_kg": 8, "height_cm": 8,
                                    "waist_cm": 6}


def prefers_larger(product: Product) -> bool:
    """Between sizes, does the size note say larger? Default yes: a big-and-tall customer who is
    between sizes is nearly always happier in the larger one."""
    note = " ".join(product.size_note.values()).lower()
    if _LARGER.search(note):
        return True
    return not _SMALLER.search(note)


def _range(row: SizeRow, measure: Measure) -> Range | None:
    value = getattr(row, measure)
    return value if isinstance(value, Range) else None


def _chart_has(product: Product, measure: Measure) -> bool:
    return any(_range(row, measure) is not None for row in product.size_chart)


def _place(product: Product, measure: Measure, value: float) -> _Placement:
    indexed = [(i, r) for i, row in enumerate(product.size_chart)
               if (r := _range(row, measure)) is not None]
    inside = tuple(i for i, r in indexed if r.contains(value))
    if inside:
        return _Placement(inside, "in")
    lowest = min(r.min for _, r in indexed)
    if value < lowest:
        return _Placement((), "below", far=lowest - value > _FAR_BELOW[measure])
    if value > max(r.max for _, r in indexed):
        return _Placement((), "above")
    below = [i for i, r in indexed if r.max < value]
    above = [i for i, r in indexed if r.min > value]
    neighbours = tuple(x for x in (max(below, default=None), min(above, default=None))
                       if x is not None)
    return _Placement((), "gap", neighbours)


def _pick(product: Product, indices: tuple[int, ...]) -> tuple[int, int | None]:
    """Of several candidate rows, the one the size note prefers, and the runner-up."""
    ordered = sorted(indices)
    if len(ordered) == 1:
        return ordered[0], None
    if prefers_larger(product):
        return ordered[-1], ordered[-2]
    return ordered[0], ordered[1]


def _advice(product: Product, situation: Situation, index: int, basis: Basis,
            alternative: int | None = None, notes: tuple[str, ...] = ()) -> SizeAdvice:
    rows = product.size_chart
    return SizeAdvice(
        situation=situation,
        label=rows[index].label,
        row=rows[index],
        alternative=rows[alternative].label if alternative is not None else None,
        basis=basis,
        notes=notes,
    )


def _from_placement(product: Product, placement: _Placement, basis: Basis,
                    notes: tuple[str, ...] = ()) -> SizeAdvice:
    last = len(product.size_chart) - 1
    if placement.where == "above":
        return _advice(product, "above_chart", last, basis, notes=notes)
    if placement.where == "below":
        far = ("far_below_chart",) if placement.far else ()
        return _advice(product, "below_chart", 0, basis, notes=notes + far)
    candidates = placement.rows if placement.where == "in" else placement.neighbours
    chosen, other = _pick(product, candidates)
    situation: Situation = "fits" if other is None else "between"
    return _advice(product, situation, chosen, basis, other, notes)


def recommend_size(product: Product, slots: Slots) -> SizeAdvice:
    if _chart_has(product, "foot_length_mm"):
        return _recommend_shoes(product, slots)
    return _recommend_clothes(product, slots)


def _recommend_shoes(product: Product, slots: Slots) -> SizeAdvice:
    if slots.foot_length_mm is not None:
        placement = _place(product, "foot_length_mm", slots.foot_length_mm)
        return _from_placement(product, placement, "foot_length")
    if slots.shoe_size is not None:
        labels = [row.label for row in product.size_chart]
        if slots.shoe_size in labels:
            index = labels.index(slots.shoe_size)
            return _advice(product, "by_shoe_size", index, "shoe_size")
        numeric = [float(label) for label in labels if _is_number(label)]
        if numeric and _is_number(slots.shoe_size):
            size = float(slots.shoe_size)
            if size > max(numeric):
                return _advice(product, "above_chart", len(labels) - 1, "shoe_size")
            if size < min(numeric):
                far = ("far_below_chart",) if min(numeric) - size >= 1 else ()
                return _advice(product, "below_chart", 0, "shoe_size", notes=far)
    return SizeAdvice("missing", missing=("foot_length",))


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)?", text) is not None


def _girth(product: Product, slots: Slots) -> tuple[Measure, float, Basis] | None:
    if slots.waist_cm is not None and _chart_has(product, "waist_cm"):
        return "waist_cm", slots.waist_cm, "waist"
    if slots.weight_kg is not None and _chart_has(product, "weight_kg"):
        return "weight_kg", slots.weight_kg, "weight"
    return None


def _missing_for(product: Product, slots: Slots) -> tuple[str, ...]:
    if _chart_has(product, "weight_kg"):
        wanted = ["weight"]
        if slots.height_cm is None and _chart_has(product, "height_cm"):
            wanted.insert(0, "height")
        return tuple(wanted)
    if _chart_has(product, "waist_cm"):
        return ("waist",)
    return ("height",)


def _recommend_clothes(product: Product, slots: Slots) -> SizeAdvice:
    girth = _girth(product, slots)
    height_known = slots.height_cm is not None and _chart_has(product, "height_cm")
    if girth is None:
        if height_known and not _chart_has(product, "weight_kg") and not _chart_has(
            product, "waist_cm"
        ):
            assert slots.height_cm is not None
            return _from_placement(product, _place(product, "height_cm", slots.height_cm),
                                   "height")
        return SizeAdvice("missing", missing=_missing_for(product, slots))
    measure, value, basis = girth
    by_girth = _place(product, measure, value)
    if not height_known:
        return _from_placement(product, by_girth, basis)
    assert slots.height_cm is not None
    by_height = _place(product, "height_cm", slots.height_cm)
    notes: tuple[str, ...] = ()
    if by_height.where in ("above", "below"):
        notes = (f"height_{by_height.where}_chart",)
    if by_girth.where != "in" or by_height.where != "in":
        return _from_placement(product, by_girth, basis, notes)
    common = tuple(sorted(set(by_girth.rows) & set(by_height.rows)))
    if common:
        return _from_placement(product, _Placement(common, "in"), basis)
    return _differ(product, by_girth, by_height, basis)


def _differ(product: Product, by_girth: _Placement, by_height: _Placement,
            basis: Basis) -> SizeAdvice:
    girth_index, _ = _pick(product, by_girth.rows)
    height_index, _ = _pick(product, by_height.rows)
    if girth_index >= height_index:
        return _advice(product, "differ", girth_index, basis, height_index)
    return _advice(product, "differ", height_index, "height", girth_index)


def range_text(row: SizeRow, measure: Measure) -> str | None:
    value = _range(row, measure)
    if value is None:
        return None
    return f"{_fmt(value.min)}-{_fmt(value.max)}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
