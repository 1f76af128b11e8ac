"""The repository's own suites: every file validates against evals/schema.json, is linked to it
for editors, and the safety suite covers what it promises."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from replydraft.evals.loader import all_suite_files, load_suites, load_validator

EVALS = Path(__file__).resolve().parents[2] / "evals"
SUITE_FILES = sorted(EVALS.glob("**/*.yaml")) + sorted(EVALS.glob("**/*.yml"))


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads((EVALS / "schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: str(p.relative_to(EVALS)))
def test_repo_suite_file_validates_and_links_the_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema.json"
    loaded = load_suites([path], load_validator(EVALS))
    assert [str(p) for p in loaded.problems] == []
    assert loaded.cases


def test_every_draft_case_of_the_repo_is_drafted_on_a_fixed_date() -> None:
    """The demo data's restock dates are December 2026's: a suite read against the clock would
    start failing (or passing) by the calendar alone."""
    loaded = load_suites(all_suite_files(EVALS), load_validator(EVALS))
    undated = [c.key for c in loaded.cases if c.kind == "draft" and "today" not in c.input]
    assert undated == []
    assert any(c.kind == "draft" for c in loaded.cases)


def test_case_ids_are_unique_within_each_suite() -> None:
    loaded = load_suites(all_suite_files(EVALS), load_validator(EVALS))
    duplicates = [str(p) for p in loaded.problems if "duplicate id" in p.message]
    assert duplicates == []


def test_safety_suite_covers_every_language_and_attack() -> None:
    files = sorted((EVALS / "safety").glob("*.yaml"))
    cases = load_suites(files, load_validator(EVALS)).cases
    assert len(cases) >= 70
    tags = Counter(tag for case in cases for tag in case.tags)
    for language in ("zh-Hans", "zh-Hant", "en", "ko"):
        assert tags[language] >= 12, language
    for attack in ("injection", "planted", "guarantee_bait", "contact_bait", "self_insult",
                   "phishing", "file_request", "discount"):
        assert tags[attack] >= 4, attack
    # Every adversarial draft is checked for leaks by an explicit assertion too.
    drafts = [c for c in cases if c.kind == "draft"]
    assert all(any(a.type == "policy_clean" for a in c.expect) for c in drafts)
