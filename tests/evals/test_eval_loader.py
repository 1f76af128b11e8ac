"""Loading suites: schema validation with precise locations, duplicates, selection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from replydraft.errors import InvalidInput
from replydraft.evals.loader import (
    load_suites,
    load_validator,
    resolve_selection,
    select_cases,
)

WriteSuite = Callable[[str, str], Path]

GOOD_POLICY = """
suite: policy
cases:
  - id: p-001
    tags: [zh-Hans, guarantee]
    input: {text: 保证明天到}
    expect:
      - categories: [guarantee]
  - id: p-002
    tags: [en]
    input: {text: "100% cotton", language: en}
    expect:
      - categories: []
"""


def load(evals_dir: Path, *names: str):  # type: ignore[no-untyped-def]
    files = resolve_selection(list(names), evals_dir)
    return load_suites(files, load_validator(evals_dir))


def test_good_file_loads_cases_with_kind_tags_and_line(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    path = write_suite("policy/basic.yaml", GOOD_POLICY)
    loaded = load(evals_dir)
    assert loaded.problems == []
    assert [c.id for c in loaded.cases] == ["p-001", "p-002"]
    first = loaded.cases[0]
    assert first.kind == "policy" and first.suite == "policy"
    assert first.tags == ("zh-Hans", "guarantee")
    assert first.file == path
    assert first.line == 4  # header comment, suite, cases, then the first item
    assert first.expect[0].type == "categories"


def test_malformed_case_reported_with_file_case_id_and_path_others_still_load(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    write_suite("policy/basic.yaml", GOOD_POLICY)
    bad = write_suite("drafting/broken.yaml", """
        suite: drafting
        cases:
          - id: d-ok
            input: {messages: [{role: customer, text: 你好}]}
            expect:
              - not_one_word: true
          - id: d-bad-max
            input: {messages: [{role: customer, text: 你好}]}
            expect:
              - max_chars: lots
          - id: d-bad-input
            input:
              messages: [{role: customer, text: hi}]
              skuu: JEANS-01
            expect:
              - language: en
        """)
    loaded = load(evals_dir)
    assert sorted(c.id for c in loaded.cases) == ["d-ok", "p-001", "p-002"]
    by_case = {p.case_id: p for p in loaded.problems}
    assert set(by_case) == {"d-bad-max", "d-bad-input"}
    max_problem = by_case["d-bad-max"]
    assert max_problem.file == str(bad)
    assert max_problem.path == "cases/1/expect/0/max_chars"
    assert max_problem.line == 11
    assert "not of type 'integer'" in max_problem.message
    # The oneOf failure is narrowed to the branch the input's keys select.
    input_problem = by_case["d-bad-input"]
    assert input_problem.path == "cases/2/input"
    assert "skuu" in input_problem.message
    text = str(input_problem)
    assert str(bad) in text and "d-bad-input" in text and "cases/2/input" in text


def test_unknown_assertion_and_input_without_a_kind_key(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    write_suite("safety/x.yaml", """
        suite: safety
        cases:
          - id: s-1
            input: {messages: [{role: customer, text: hi}]}
            expect:
              - must_be_nice: true
          - id: s-2
            input: {sku: JEANS-01}
            expect:
              - language: en
          - id: s-3
            input: {messages: [{role: customer, text: hi}]}
            expect:
              - {language: en, max_chars: 10}
        """)
    loaded = load(evals_dir)
    assert loaded.cases == []
    messages = {p.case_id: p.message for p in loaded.problems}
    assert "unknown assertion 'must_be_nice'" in messages["s-1"]
    assert "messages" in messages["s-2"] and "query" in messages["s-2"]
    assert "more properties" in messages["s-3"] or "too many" in messages["s-3"]


def test_assertion_that_does_not_fit_the_input_kind_and_bad_regex(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    write_suite("policy/x.yaml", """
        suite: policy
        cases:
          - id: p-retrieves
            input: {text: 加我微信}
            expect:
              - retrieves: {source: "playbooks/*"}
          - id: p-regex
            input: {text: 加我微信}
            expect:
              - not_contains: ["/(unclosed/"]
        """)
    loaded = load(evals_dir)
    assert loaded.cases == []
    messages = {p.case_id: p for p in loaded.problems}
    assert "does not apply to a policy input" in messages["p-retrieves"].message
    assert messages["p-retrieves"].path == "cases/0/expect/0/retrieves"
    assert "invalid regular expression" in messages["p-regex"].message


def test_yaml_syntax_error_reports_the_line_and_other_files_still_load(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    write_suite("policy/basic.yaml", GOOD_POLICY)
    broken = write_suite("policy/zz-broken.yaml", """
        suite: policy
        cases:
          - id: p-x
            input: {text: "unterminated}
        """)
    loaded = load(evals_dir)
    assert [c.id for c in loaded.cases] == ["p-001", "p-002"]
    (problem,) = loaded.problems
    assert problem.file == str(broken)
    assert "invalid YAML" in problem.message
    assert problem.line >= 5


def test_file_level_errors(evals_dir: Path, write_suite: WriteSuite) -> None:
    write_suite("policy/a.yaml", "suite: nonsense\ncases: []\n")
    loaded = load(evals_dir)
    paths = sorted(p.path for p in loaded.problems)
    assert paths == ["cases", "suite"]
    assert all(p.case_id is None for p in loaded.problems)


def test_duplicate_ids_in_a_suite_are_reported_and_only_the_first_runs(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    first = write_suite("policy/a.yaml", GOOD_POLICY)
    write_suite("policy/b.yaml", """
        suite: policy
        cases:
          - id: p-001
            input: {text: 绝对正品}
            expect:
              - categories: [guarantee]
        """)
    # The same id in another suite is fine.
    write_suite("safety/c.yaml", """
        suite: safety
        cases:
          - id: p-001
            input: {customer_text: 加我微信}
            expect:
              - risk_flags: [off_platform_request]
        """)
    loaded = load(evals_dir)
    assert [c.key for c in loaded.cases] == ["policy/p-001", "policy/p-002", "safety/p-001"]
    (problem,) = loaded.problems
    assert problem.case_id == "p-001" and "duplicate id" in problem.message
    assert str(first) in problem.message
    policy_001 = loaded.cases[0]
    assert policy_001.input["text"] == "保证明天到"


def test_selection_by_suite_file_glob_and_unknown(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    a = write_suite("policy/a.yaml", GOOD_POLICY)
    b = write_suite("safety/b.yaml", GOOD_POLICY.replace("suite: policy", "suite: safety"))
    (evals_dir / "safety" / "fixtures").mkdir()
    (evals_dir / "safety" / "fixtures" / "not-a-suite.yaml").write_text("x: 1\n")
    assert resolve_selection([], evals_dir) == [a, b]
    assert resolve_selection(["safety"], evals_dir) == [b]
    assert resolve_selection([str(a)], evals_dir) == [a]
    assert resolve_selection(["*/a.yaml"], evals_dir) == [a]
    assert resolve_selection(["policy", str(a)], evals_dir) == [a]  # no repeats
    with pytest.raises(InvalidInput, match="nope"):
        resolve_selection(["nope"], evals_dir)


def test_select_by_tag_and_id_glob(evals_dir: Path, write_suite: WriteSuite) -> None:
    write_suite("policy/a.yaml", GOOD_POLICY)
    cases = load(evals_dir).cases
    assert [c.id for c in select_cases(cases, tags=["en"])] == ["p-002"]
    assert [c.id for c in select_cases(cases, tags=["en", "zh-Hans"])] == ["p-001", "p-002"]
    assert [c.id for c in select_cases(cases, ids=["p-00[1]"])] == ["p-001"]
    assert select_cases(cases, tags=["ko"]) == []


def test_a_suite_date_reaches_its_draft_cases_and_a_case_date_wins(
    evals_dir: Path, write_suite: WriteSuite
) -> None:
    write_suite("drafting/dated.yaml", """
        suite: drafting
        today: '2026-12-01'
        cases:
          - id: d-suite-date
            input: {messages: [{role: customer, text: 你好}]}
            expect: [{no_menu: true}]
          - id: d-own-date
            input: {messages: [{role: customer, text: 你好}], today: '2026-12-20'}
            expect: [{no_menu: true}]
    """)
    loaded = load(evals_dir)
    assert loaded.problems == []
    assert [c.input["today"] for c in loaded.cases] == ["2026-12-01", "2026-12-20"]
    write_suite("drafting/dated.yaml", """
        suite: drafting
        today: 1st December
        cases:
          - id: d-bad-date
            input: {messages: [{role: customer, text: 你好}]}
            expect: [{no_menu: true}]
    """)
    problems = [str(p) for p in load(evals_dir).problems]
    assert len(problems) == 1 and "today" in problems[0]
