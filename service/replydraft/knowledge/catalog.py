"""Read store.yaml and the product files (YAML, JSON, CSV) into validated models.

Nothing here raises on the first mistake: every reader returns what it could read plus the list
of problems (file, line or row, field), so a refresh can report all of them at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from replydraft.errors import FieldProblem
from replydraft.knowledge.csv_products import KnownRow, read_product_rows
from replydraft.knowledge.locating import LineMap, format_path
from replydraft.knowledge.models import Product, StoreProfile
from replydraft.yamlfile import safe_load_bounded

PRODUCT_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


@dataclass(frozen=True)
class LocatedProduct:
    """A product and where each of its fields was written (for warnings)."""

    product: Product
    source: str
    line: int
    field_lines: Callable[[tuple[str | int, ...]], int]
    digest: str = ""  # the CSV row's raw digest; "" for YAML and JSON products


@dataclass
class ProductFile:
    products: list[LocatedProduct] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    known: list[KnownRow] = field(default_factory=list)  # CSV rows left unparsed, see below


@dataclass
class StoreFile:
    store: StoreProfile | None
    problems: list[FieldProblem]
    field_lines: Callable[[tuple[str | int, ...]], int]


def read_store(path: Path, rel: str) -> StoreFile:
    """Parse and validate store.yaml."""
    if not path.is_file():
        return StoreFile(None, [FieldProblem(rel, "the store profile is missing")], lambda _p: 1)
    text, problem = _read_text(path, rel)
    if problem:
        return StoreFile(None, [problem], lambda _p: 1)
    data, problem = _parse_yaml(text, rel)
    if problem:
        return StoreFile(None, [problem], lambda _p: 1)
    lines = LineMap.from_text(text)
    if not isinstance(data, dict):
        return StoreFile(None, [FieldProblem(f"{rel}:1", "expected a mapping of fields")],
                         lines.line_of)
    try:
        return StoreFile(StoreProfile.model_validate(data), [], lines.line_of)
    except ValidationError as error:
        return StoreFile(None, validation_problems(error, rel, lines.line_of), lines.line_of)


def read_product_file(path: Path, rel: str, known_rows: Container[str] = frozenset()
                      ) -> ProductFile:
    """Parse one product file; the format follows the suffix. CSV rows whose raw digest is in
    ``known_rows`` are listed in ``known`` instead of being parsed and validated again."""
    text, problem = _read_text(path, rel)
    if problem:
        return ProductFile(problems=[problem])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _products_from_csv(text, rel, known_rows)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            return ProductFile(problems=[
                FieldProblem(f"{rel}:{error.lineno}", f"invalid JSON: {error.msg}")])
        except RecursionError:
            return ProductFile(problems=[FieldProblem(rel, "invalid JSON: nested too deeply")])
    else:
        data, problem = _parse_yaml(text, rel)
        if problem:
            return ProductFile(problems=[problem])
    # JSON is (nearly) a subset of YAML, so one node walk gives lines for both formats.
    return _products_from_mapping(data, rel, LineMap.from_text(text))


def _products_from_mapping(data: Any, rel: str, lines: LineMap) -> ProductFile:
    result = ProductFile()
    if isinstance(data, dict) and set(data) == {"products"}:
        items = data["products"]
        if not isinstance(items, list):
            result.problems.append(
                FieldProblem(f"{rel}:{lines.line_of(('products',))} products", "expected a list"))
            return result
        entries: list[tuple[tuple[str | int, ...], Any]] = [
            (("products", i), item) for i, item in enumerate(items)]
    elif isinstance(data, dict):
        entries = [((), data)]
    else:
        result.problems.append(FieldProblem(
            f"{rel}:1", "expected one product (a mapping) or a mapping with a `products` list"))
        return result
    for prefix, item in entries:
        def field_lines(path: tuple[str | int, ...], _prefix: tuple[str | int, ...] = prefix
                        ) -> int:
            return lines.line_of((*_prefix, *path))

        if not isinstance(item, dict):
            result.problems.append(FieldProblem(
                f"{rel}:{field_lines(())} {format_path(prefix)}", "expected a product mapping"))
            continue
        try:
            product = Product.model_validate(item)
        except ValidationError as error:
            result.problems.extend(validation_problems(error, rel, field_lines, prefix))
            continue
        result.products.append(LocatedProduct(product, rel, field_lines(()), field_lines))
    return result


def _products_from_csv(text: str, rel: str, known_rows: Container[str]) -> ProductFile:
    parsed = read_product_rows(text, rel, known_rows)
    result = ProductFile(problems=parsed.problems, known=parsed.known)
    for row in parsed.rows:
        def field_lines(_path: tuple[str | int, ...], _row: int = row.number) -> int:
            return _row

        try:
            product = Product.model_validate(row.data)
        except ValidationError as error:
            for detail in error.errors():
                loc = tuple(detail["loc"])
                column = row.column_for(loc)
                where = format_path(loc) or "row"
                result.problems.append(FieldProblem(
                    f"{rel}:{row.number} column {column} ({where})", detail["msg"]))
            continue
        result.products.append(LocatedProduct(product, rel, row.number, field_lines, row.digest))
    return result


def validation_problems(
    error: ValidationError,
    rel: str,
    line_of: Callable[[tuple[str | int, ...]], int],
    prefix: tuple[str | int, ...] = (),
) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, located at the line of the offending key."""
    problems = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        path = format_path((*prefix, *loc)) or "(top level)"
        problems.append(FieldProblem(f"{rel}:{line_of(loc)} {path}", detail["msg"]))
    return problems


def _read_text(path: Path, rel: str) -> tuple[str, FieldProblem | None]:
    try:
        return path.read_text(encoding="utf-8-sig"), None
    except UnicodeDecodeError as error:
        return "", FieldProblem(rel, f"not UTF-8 text (byte {error.start})")
    except OSError as error:
        return "", FieldProblem(rel, f"cannot read: {error.strerror}")


def _parse_yaml(text: str, rel: str) -> tuple[Any, FieldProblem | None]:
    try:
        return safe_load_bounded(text), None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(error, "problem", None) or str(error)
        return None, FieldProblem(f"{rel}:{line}", f"invalid YAML: {reason}")
