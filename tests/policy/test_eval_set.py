"""The labelled policy set (evals/policy/*.yaml): recall 1.0 and no false positive, per category."""

from __future__ import annotations

from collections import Counter

import pytest

from replydraft.languages import LANGUAGES
from replydraft.policy import default_engine

from .evalset import Outcome, Score, evaluate, load_cases

CATEGORIES = {"guarantee", "absolute_claim", "off_platform", "body_insult"}
RISKS = {"phishing_link", "file_request", "off_platform_request", "discount_over_authority",
         "abuse", "legal_threat", "prompt_injection"}


@pytest.fixture(scope="module")
def results() -> tuple[list[Outcome], Score, Score]:
    return evaluate()


def test_the_set_is_big_and_covers_every_language_and_label() -> None:
    cases = load_cases()
    assert len(cases) >= 420
    assert len({c["id"] for c in cases}) == len(cases)
    tags = Counter(tag for case in cases for tag in case.get("tags", []))
    for language in LANGUAGES:
        assert tags[language] >= 40, language
    assert tags["negative"] >= 100
    assert tags["obfuscation"] >= 25
    labels = {label for case in cases for item in case["expect"] for value in item.values()
              for label in value}
    assert labels == CATEGORIES | RISKS


def test_every_case_passes(results: tuple[list[Outcome], Score, Score]) -> None:
    outcomes, _, _ = results
    failed = [(o.case_id, sorted(o.expected), sorted(o.found), o.unchanged)
              for o in outcomes if not o.passed]
    assert failed == []


@pytest.mark.parametrize("kind", ["check", "scan"])
def test_recall_one_and_no_false_positive_per_label(
        results: tuple[list[Outcome], Score, Score], kind: str) -> None:
    _, check_score, scan_score = results
    table = (check_score if kind == "check" else scan_score).table()
    assert set(table) == (CATEGORIES if kind == "check" else RISKS)
    for label, row in table.items():
        assert row["recall"] == 1.0, (label, row)
        assert row["fp"] == 0, (label, row)


def test_every_rule_fires_somewhere_in_the_set() -> None:
    from replydraft.policy import check, scan_customer

    from .evalset import demo_store

    store = demo_store()
    fired: set[str] = set()
    engine = default_engine()
    for case in load_cases():
        data = case["input"]
        if "text" in data:
            fired |= {v.rule for v in check(data["text"], platform=data.get("platform"),
                                            store=store).violations}
        else:
            from replydraft.policy.normalize import TextViews

            context = engine.context(store, data.get("platform"))
            fired |= {h.rule.id for h in engine.detect_risks(TextViews(data["customer_text"]),
                                                             context)}
            scan_customer(data["customer_text"], store=store)
    every = {r.id for r in (*engine.rules.rules, *engine.rules.risk_rules)}
    assert every - fired == set()
    assert "off_platform.rival_platform" in fired
