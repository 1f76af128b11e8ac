"""Find suite files, validate them against ``evals/schema.json`` and turn them into cases.

A broken file or case never stops the others: every problem is collected with its file, line,
case id and the JSON path of the offending value, and the cases that are fine still run.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from replydraft.errors import ConfigurationError, FieldProblem, InvalidInput
from replydraft.evals.assertions import APPLIES_TO, invalid_pattern
from replydraft.evals.models import (
    SUITES,
    Assertion,
    Case,
    InputKind,
    LoadedSuites,
    LoadProblem,
)
from replydraft.yamlfile import SAFE_LOADER, safe_load  # libyaml: ~8x faster on ~900 cases

SCHEMA_FILE = "schema.json"
SUITE_SUFFIXES = (".yaml", ".yml")

# The key that decides what an input runs; checked in this order.
KIND_BY_KEY: tuple[tuple[str, InputKind], ...] = (
    ("conversation", "understand"),
    ("messages", "draft"),
    ("query", "retrieval"),
    ("customer_text", "customer_scan"),
    ("text", "policy"),
)
_INPUT_BRANCH: dict[InputKind, int] = {"draft": 0, "retrieval": 1, "policy": 2, "customer_scan": 3,
                                       "understand": 4}


def load_validator(evals_dir: Path) -> Draft202012Validator:
    path = evals_dir / SCHEMA_FILE
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"eval schema not found: {path}") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from None
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# ---------------------------------------------------------------- which files


def _suite_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUITE_SUFFIXES)


def all_suite_files(evals_dir: Path) -> list[Path]:
    """Every suite file: ``evals/<suite>/*.yaml`` (sub-folders such as fixtures are not read)."""
    if not evals_dir.is_dir():
        raise InvalidInput(f"evals directory not found: {evals_dir}")
    files: list[Path] = []
    for directory in sorted(p for p in evals_dir.iterdir() if p.is_dir()):
        files.extend(_suite_files(directory))
    return files


def resolve_selection(selection: Sequence[str], evals_dir: Path) -> list[Path]:
    """Suite names, files, folders or globs → suite files, in order, without repeats."""
    if not selection:
        return all_suite_files(evals_dir)
    files: list[Path] = []
    for item in selection:
        found = _resolve_one(item, evals_dir)
        if not found:
            known = ", ".join(sorted(p.name for p in evals_dir.iterdir() if p.is_dir())) \
                if evals_dir.is_dir() else "none"
            raise InvalidInput(
                f"no suite or file matches {item!r} (suites in {evals_dir}: {known})",
                field_errors=[FieldProblem("SUITE|FILE", f"{item!r} matched nothing")],
            )
        files.extend(f for f in found if f not in files)
    return files


def _resolve_one(item: str, evals_dir: Path) -> list[Path]:
    for candidate in (Path(item), evals_dir / item):
        if candidate.is_file():
            return [candidate]
        if candidate.is_dir():
            return _suite_files(candidate)
    if any(ch in item for ch in "*?["):
        for base in (None, evals_dir):
            pattern = item if base is None else str(base / item)
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            matches = [p for p in matches if p.is_file() and p.suffix in SUITE_SUFFIXES]
            if matches:
                return matches
    return []


# ---------------------------------------------------------------- the understanding suite's form

# Expectations of the compact form, in the order their assertions are listed.
_UNDERSTANDING_EXPECT = ("language", "mood", "urgent", "product", "slots", "order_state")


def expand_understanding(data: Any) -> Any:
    """The understanding suite is written compactly (``evals/understanding/README.md``): a case
    has ``text`` or ``messages``, ``sku``, ``order``, ``default_language`` and an ``expect``
    mapping. Expand it into the general shape the schema checks; anything else passes through,
    and a malformed case is left for the schema to report."""
    if not isinstance(data, dict) or data.get("suite") != "understanding" \
            or not isinstance(data.get("cases"), list):
        return data
    language = data.get("language")
    cases = [_expand_case(raw, language) for raw in data["cases"]]
    return {key: value for key, value in data.items() if key != "language"} | {"cases": cases}


def _expand_case(raw: Any, language: Any) -> Any:
    if not isinstance(raw, dict) or not isinstance(raw.get("expect"), dict) or "input" in raw:
        return raw
    conversation = raw.get("messages")
    if conversation is None and "text" in raw:
        conversation = [{"role": "customer", "text": raw["text"]}]
    fields = {"conversation": conversation}
    fields |= {k: raw[k] for k in ("sku", "order", "default_language") if k in raw}
    expect = dict(raw["expect"])
    if language is not None:
        expect.setdefault("language", language)
    assertions: list[dict[str, Any]] = []
    if "intents" in expect:
        exact = {"intents": expect["intents"]}
        if "also_ok" in expect:
            exact["also_ok"] = expect["also_ok"]
        assertions.append({"intents_exactly": exact})
    assertions += [{key: expect[key]} for key in _UNDERSTANDING_EXPECT if key in expect]
    unknown = set(expect) - {"intents", "also_ok", *_UNDERSTANDING_EXPECT}
    assertions += [{key: expect[key]} for key in sorted(unknown)]  # the schema names them
    tags = list(dict.fromkeys([*raw.get("tags", []), *([language] if language else [])]))
    expanded = {"id": raw.get("id"), "tags": tags, "input": fields, "expect": assertions}
    if "description" in raw:
        expanded["description"] = raw["description"]
    return expanded


# ---------------------------------------------------------------- one file


def _line_of(node: yaml.Node | None, path: Iterable[Any]) -> int:
    """1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    if node is None:
        return 0
    line = node.start_mark.line + 1
    for step in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _format_path(path: Iterable[Any]) -> str:
    return "/".join(str(p) for p in path)


def _refined(error: ValidationError, instance: Any) -> list[ValidationError]:
    """A ``oneOf`` failure on a case input says little; report the errors of the branch the
    input's keys select (messages → draft, query → retrieval, …) instead."""
    if error.validator != "oneOf" or not isinstance(instance, dict) or not error.context:
        return [error]
    kind = _kind_of(instance)
    if kind is None:
        return [error]
    branch = _INPUT_BRANCH[kind]
    chosen = [e for e in error.context if e.relative_schema_path[0] == branch]
    return chosen or [error]


def _kind_of(data: dict[str, Any]) -> InputKind | None:
    return next((kind for key, kind in KIND_BY_KEY if key in data), None)


def _schema_message(error: ValidationError) -> str:
    if error.validator == "oneOf" and error.json_path.endswith(".input"):
        keys = ", ".join(key for key, _ in KIND_BY_KEY)
        return f"input needs one of the keys {keys} (it decides what the case runs)"
    if "propertyNames" in error.absolute_schema_path:
        return f"unknown assertion {error.instance!r} (see the assertion list in schema.json)"
    return error.message


def load_file(path: Path, validator: Draft202012Validator) -> tuple[list[Case], list[LoadProblem]]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [], [LoadProblem(file, f"cannot read: {error}")]
    try:
        data = expand_understanding(safe_load(text))
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or str(error)
        return [], [LoadProblem(file, f"invalid YAML: {problem}", line=line)]

    errors_by_case: dict[int, list[ValidationError]] = {}
    file_problems: list[LoadProblem] = []
    for schema_error in validator.iter_errors(data):
        path_ = list(schema_error.absolute_path)
        if len(path_) >= 2 and path_[0] == "cases" and isinstance(path_[1], int):
            errors_by_case.setdefault(path_[1], []).append(schema_error)
        else:
            file_problems.append(LoadProblem(file, _schema_message(schema_error),
                                             line=_line_of(root, path_), path=_format_path(path_)))
    if file_problems:
        return [], file_problems

    suite = data["suite"]
    cases: list[Case] = []
    problems: list[LoadProblem] = []
    for index, raw in enumerate(data["cases"]):
        case_id = raw.get("id") if isinstance(raw, dict) else None
        case_id = case_id if isinstance(case_id, str) else f"#{index + 1}"
        case_problems: list[LoadProblem] = []
        for schema_error in errors_by_case.get(index, []):
            for detail in _refined(schema_error, schema_error.instance):
                path_ = list(detail.absolute_path)
                case_problems.append(LoadProblem(
                    file, _schema_message(detail), case_id=case_id,
                    line=_line_of(root, path_), path=_format_path(path_)))
        if not case_problems:
            case, case_problems = _build_case(suite, raw, index, path, root, data.get("today"))
            if case is not None:
                cases.append(case)
        problems.extend(case_problems)
    return cases, problems


def _build_case(
    suite: Any, raw: dict[str, Any], index: int, path: Path, root: yaml.Node | None,
    today: str | None = None,
) -> tuple[Case | None, list[LoadProblem]]:
    """Checks the schema cannot express: which assertions make sense for the input kind, and
    whether the regular expressions compile. A draft takes the suite's ``today`` unless the case
    gives its own."""
    kind = _kind_of(raw["input"])
    assert kind is not None  # the schema's oneOf guarantees one of the keys
    problems: list[LoadProblem] = []
    assertions: list[Assertion] = []
    for position, item in enumerate(raw["expect"]):
        (name, value), = item.items()
        json_path = ["cases", index, "expect", position, name]
        line = _line_of(root, json_path)
        if kind not in APPLIES_TO[name]:
            allowed = ", ".join(APPLIES_TO[name])
            problems.append(LoadProblem(
                str(path), f"{name!r} does not apply to a {kind} input (only to: {allowed})",
                case_id=raw["id"], line=line, path=_format_path(json_path)))
            continue
        bad = invalid_pattern(name, value)
        if bad:
            problems.append(LoadProblem(str(path), bad, case_id=raw["id"], line=line,
                                        path=_format_path(json_path)))
            continue
        assertions.append(Assertion(type=name, value=value, index=position))
    if problems:
        return None, problems
    given = raw["input"]
    return Case(
        suite=suite,
        id=raw["id"],
        kind=kind,
        input={"today": today, **given} if kind == "draft" and today else given,
        expect=tuple(assertions),
        tags=tuple(raw.get("tags", ())),
        description=raw.get("description", ""),
        file=path,
        line=_line_of(root, ["cases", index]),
    ), []


# ---------------------------------------------------------------- many files


def load_suites(files: Sequence[Path], validator: Draft202012Validator) -> LoadedSuites:
    """Load every file; a case id seen twice in one suite is a problem and only the first runs."""
    loaded = LoadedSuites(files=list(files))
    first_seen: dict[tuple[str, str], Case] = {}
    for path in files:
        cases, problems = load_file(path, validator)
        loaded.problems.extend(problems)
        for case in cases:
            earlier = first_seen.get((case.suite, case.id))
            if earlier is not None:
                loaded.problems.append(LoadProblem(
                    str(case.file), f"duplicate id in suite {case.suite!r} "
                    f"(first defined at {earlier.where}); this one is not run",
                    case_id=case.id, line=case.line))
                continue
            first_seen[(case.suite, case.id)] = case
            loaded.cases.append(case)
    return loaded


def select_cases(
    cases: Sequence[Case], *, tags: Sequence[str] = (), ids: Sequence[str] = ()
) -> list[Case]:
    """Cases carrying at least one of ``tags`` and whose id matches one of the ``ids`` globs."""
    from fnmatch import fnmatchcase

    chosen = list(cases)
    if tags:
        wanted = set(tags)
        chosen = [c for c in chosen if wanted.intersection(c.tags)]
    if ids:
        chosen = [c for c in chosen if any(fnmatchcase(c.id, p) for p in ids)]
    return chosen


__all__ = [
    "SUITES",
    "all_suite_files",
    "load_file",
    "load_suites",
    "load_validator",
    "resolve_selection",
    "select_cases",
]
