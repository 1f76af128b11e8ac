"""The CSV product convention (documented for content staff in knowledge/README.md).

One product per row; localized fields as ``name.zh-Hans`` …; lists ``|``-separated; colours as
``id:zh-Hans/zh-Hant/en/ko``; size chart as ``L=170-180cm,65-75kg;XL=…``. Each cell that breaks
the convention is reported with its row number (the header is row 1) and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from replydraft.errors import FieldProblem
from replydraft.languages import LANGUAGES, Language

LOCALIZED_COLUMNS = {
    "name": "names", "fabric": "fabric", "fit": "fit", "care": "care",
    "promotion": "promotion", "size_note": "size_note", "alteration": "alteration",
}
PLAIN_COLUMNS = ("sku", "category", "price", "list_price", "colours", "sold_out", "restock",
                 "size_chart")
KNOWN_COLUMNS = frozenset(
    [*PLAIN_COLUMNS,
     *(f"{prefix}.{lang}" for prefix in [*LOCALIZED_COLUMNS, "features"] for lang in LANGUAGES)]
)
# Colour names are written in this fixed slot order.
COLOUR_SLOTS = ("zh-Hans", "zh-Hant", "en", "ko")

_RANGE = r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)"
_MEASURES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^w{_RANGE}(?:cm)?$", re.I), "waist_cm"),
    (re.compile(rf"^c{_RANGE}(?:cm)?$", re.I), "chest_cm"),
    (re.compile(rf"^{_RANGE}cm$", re.I), "height_cm"),
    (re.compile(rf"^{_RANGE}kg$", re.I), "weight_kg"),
    (re.compile(rf"^{_RANGE}mm$", re.I), "foot_length_mm"),
)
_LENGTH = re.compile(r"^len(\d+(?:\.\d+)?)(?:cm)?$", re.I)


class CellError(ValueError):
    """A cell breaks the CSV convention."""


@dataclass
class CsvRow:
    number: int  # 1-based, the header is row 1
    data: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)  # model field -> CSV column
    digest: str = ""  # row_digest() of the raw cells

    def column_for(self, loc: tuple[str | int, ...]) -> str:
        """The CSV column that fed the model field at ``loc``."""
        if not loc:
            return "(row)"
        head = str(loc[0])
        if head in LOCALIZED_COLUMNS.values() and len(loc) > 1:
            prefix = next(k for k, v in LOCALIZED_COLUMNS.items() if v == head)
            return f"{prefix}.{loc[1]}"
        if head == "features" and len(loc) > 2:
            return f"features.{loc[2]}"
        return self.columns.get(head, head)


@dataclass(frozen=True)
class KnownRow:
    """A row whose raw cells a previous refresh already read: not parsed again."""

    number: int
    digest: str


@dataclass
class CsvRows:
    rows: list[CsvRow] = field(default_factory=list)
    known: list[KnownRow] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)


def row_digest(header: list[str], cells: list[str]) -> str:
    """Identity of a row's raw text under its header: the same digest reads to the same
    product, wherever the row sits in the file."""
    key = "\x1f".join(header) + "\x1e" + "\x1f".join(cells)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def read_product_rows(text: str, rel: str, known: Container[str] = frozenset()) -> CsvRows:
    """Turn CSV text into one product dict per row (not yet validated as ``Product``). Rows
    whose digest is in ``known`` are only listed: an incremental refresh reuses what it made
    of them before instead of parsing 10k unchanged rows again."""
    result = CsvRows()
    problems = result.problems
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(FieldProblem(f"{rel}:1", "empty CSV file: expected a header row"))
        return result
    except csv.Error as error:
        problems.append(FieldProblem(f"{rel}:1", f"unreadable CSV: {error}"))
        return result
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    for name in unknown:
        problems.append(FieldProblem(f"{rel}:1 column {name or '(empty)'}", "unknown column"))
    for required in ("sku", "category", "price", "colours", "size_chart"):
        if required not in header:
            problems.append(FieldProblem(f"{rel}:1 column {required}", "required column missing"))
    if problems:
        return result
    try:
        for number, cells in enumerate(reader, start=2):
            if not "".join(cells).strip():
                continue
            if len(cells) != len(header):
                problems.append(FieldProblem(
                    f"{rel}:{number}",
                    f"expected {len(header)} cells like the header, found {len(cells)}"))
                continue
            digest = row_digest(header, cells)
            if digest in known:
                result.known.append(KnownRow(number, digest))
                continue
            row, row_problems = _row_to_product(dict(zip(header, cells, strict=True)),
                                                number, rel)
            problems.extend(row_problems)
            if row is not None:
                row.digest = digest
                result.rows.append(row)
    except csv.Error as error:
        problems.append(FieldProblem(f"{rel}:{reader.line_num}", f"unreadable CSV: {error}"))
    return result


def _row_to_product(cells: dict[str, str], number: int, rel: str
                    ) -> tuple[CsvRow | None, list[FieldProblem]]:
    cells = {name: value.strip() for name, value in cells.items()}
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name in ("sku", "category", "price", "list_price"):
        if cells.get(name):
            data[name] = cells[name]
    for prefix, target in LOCALIZED_COLUMNS.items():
        texts = {lang: cells[f"{prefix}.{lang}"] for lang in LANGUAGES
                 if cells.get(f"{prefix}.{lang}")}
        if texts:
            data[target] = texts

    def parse(column: str, target: str, parser: Any, *args: Any) -> None:
        if not cells.get(column):
            return
        try:
            data[target] = parser(cells[column], *args)
        except CellError as error:
            problems.append(FieldProblem(f"{rel}:{number} column {column}", str(error)))

    try:
        features = _features(cells)
        if features:
            data["features"] = features
    except CellError as error:
        problems.append(FieldProblem(f"{rel}:{number} column features.*", str(error)))
    parse("colours", "colours", _colours)
    parse("size_chart", "size_chart", _size_chart)
    colours = data.get("colours", [])
    for column, key in (("sold_out", "sold_out_sizes"), ("restock", "restock")):
        try:
            _apply_colour_groups(cells.get(column, ""), colours, key)
        except CellError as error:
            problems.append(FieldProblem(f"{rel}:{number} column {column}", str(error)))
    if problems:
        return None, problems
    columns = {"colours": "colours", "size_chart": "size_chart", "sku": "sku",
               "category": "category", "price": "price", "list_price": "list_price"}
    return CsvRow(number, data, columns), []


def _features(cells: dict[str, str]) -> list[dict[Language, str]]:
    per_language = {lang: [item.strip() for item in cells[f"features.{lang}"].split("|")]
                    for lang in LANGUAGES if cells.get(f"features.{lang}")}
    if not per_language:
        return []
    counts = {len(items) for items in per_language.values()}
    if len(counts) > 1:
        detail = ", ".join(f"features.{lang}={len(items)}" for lang, items in
                           per_language.items())
        raise CellError(f"every features column must list the same number of items ({detail})")
    count = counts.pop()
    features = []
    for index in range(count):
        item = {lang: items[index] for lang, items in per_language.items() if items[index]}
        if not item:
            raise CellError(f"feature {index + 1} is empty in every language")
        features.append(item)
    return features


def _colours(value: str) -> list[dict[str, Any]]:
    colours = []
    for index, part in enumerate(value.split("|"), start=1):
        colour_id, sep, names = part.partition(":")
        if not sep or not colour_id.strip():
            raise CellError(f"colour {index} {part!r}: expected `id:zh-Hans/zh-Hant/en/ko`")
        slots = names.split("/")
        if len(slots) != len(COLOUR_SLOTS):
            raise CellError(
                f"colour {colour_id.strip()!r}: expected exactly {len(COLOUR_SLOTS)} names "
                f"separated by `/` (zh-Hans/zh-Hant/en/ko), found {len(slots)}")
        named = {lang: slot.strip() for lang, slot in zip(COLOUR_SLOTS, slots, strict=True)
                 if slot.strip()}
        if not named:
            raise CellError(f"colour {colour_id.strip()!r}: give a name in at least one language")
        colours.append({"id": colour_id.strip(), "names": named})
    return colours


def _apply_colour_groups(value: str, colours: list[dict[str, Any]], key: str) -> None:
    if not value:
        return
    by_id = {colour["id"]: colour for colour in colours}
    for part in value.split("|"):
        colour_id, sep, rest = part.partition(":")
        colour_id = colour_id.strip()
        if not sep or not rest.strip():
            raise CellError(f"{part!r}: expected `colour_id:…`")
        if colour_id not in by_id:
            raise CellError(f"unknown colour id {colour_id!r} (not in the colours column)")
        if key == "sold_out_sizes":
            by_id[colour_id][key] = [size.strip() for size in rest.split(",") if size.strip()]
        else:
            by_id[colour_id][key] = rest.strip()


def _size_chart(value: str) -> list[dict[str, Any]]:
    rows = []
    for index, part in enumerate(value.split(";"), start=1):
        if not part.strip():
            continue
        label, sep, measures = part.partition("=")
        if not sep or not label.strip():
            raise CellError(f"size row {index} {part.strip()!r}: expected `LABEL=measure,…`")
        row: dict[str, Any] = {"label": label.strip()}
        for measure in measures.split(","):
            measure = measure.strip().replace(" ", "")
            if not measure:
                continue
            field_name, parsed = _measure(measure, label.strip())
            if field_name in row:
                raise CellError(f"size {label.strip()!r}: {field_name} given twice")
            row[field_name] = parsed
        rows.append(row)
    return rows


def _measure(measure: str, label: str) -> tuple[str, Any]:
    length = _LENGTH.match(measure)
    if length:
        return "length_cm", float(length.group(1))
    for pattern, field_name in _MEASURES:
        match = pattern.match(measure)
        if match:
            return field_name, [float(match.group(1)), float(match.group(2))]
    raise CellError(
        f"size {label!r}: cannot read {measure!r} (write e.g. 170-180cm, 65-75kg, 260-265mm, "
        "w88-94, c108-116 or len72)")
