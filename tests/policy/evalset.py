"""A small loader and scorer for ``evals/policy/*.yaml``, independent of the eval runner.

The tests use it to hold the policy filter to recall 1.0 and zero false positives on the
labelled set, per category; ``python -m tests.policy.evalset`` prints the same figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from replydraft.knowledge.models import StoreProfile

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_EVALS = REPO_ROOT / "evals" / "policy"


@dataclass
class Outcome:
    case_id: str
    kind: str  # "check" or "scan"
    expected: set[str]
    found: set[str]
    unchanged: bool = True  # check only: the text came back byte-identical

    @property
    def passed(self) -> bool:
        if self.kind == "check" and not self.expected and not self.unchanged:
            return False
        return self.expected == self.found


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        for label in outcome.found & outcome.expected:
            self.tp[label] += 1
        for label in outcome.found - outcome.expected:
            self.fp[label] += 1
        for label in outcome.expected - outcome.found:
            self.fn[label] += 1

    def table(self) -> dict[str, dict[str, float]]:
        labels = sorted(set(self.tp) | set(self.fp) | set(self.fn))
        rows = {}
        for label in labels:
            tp, fp, fn = self.tp[label], self.fp[label], self.fn[label]
            rows[label] = {
                "tp": tp, "fp": fp, "fn": fn,
                "precision": tp / (tp + fp) if tp + fp else 1.0,
                "recall": tp / (tp + fn) if tp + fn else 1.0,
            }
        return rows


def demo_store() -> StoreProfile:
    data = yaml.safe_load((REPO_ROOT / "knowledge" / "store.yaml").read_text(encoding="utf-8"))
    return StoreProfile.model_validate(data)


def load_cases(directory: Path = POLICY_EVALS) -> list[dict[str, Any]]:
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            cases.append({**case, "file": path.name})
    return cases


def run_case(case: dict[str, Any], store: StoreProfile) -> Outcome:
    from replydraft.policy import check, scan_customer

    data = case["input"]
    expect = {key: value for item in case["expect"] for key, value in item.items()}
    if "customer_text" in data:
        flags = scan_customer(data["customer_text"], platform=data.get("platform"), store=store)
        return Outcome(case["id"], "scan", set(expect["risk_flags"]), {f.type for f in flags})
    result = check(data["text"], language=data.get("language"), platform=data.get("platform"),
                   store=store)
    return Outcome(case["id"], "check", set(expect["categories"]),
                   {v.category for v in result.violations}, result.text == data["text"])


def evaluate(cases: list[dict[str, Any]] | None = None) -> tuple[list[Outcome], Score, Score]:
    store = demo_store()
    outcomes = [run_case(case, store) for case in (cases if cases is not None else load_cases())]
    check_score, scan_score = Score(), Score()
    for outcome in outcomes:
        (check_score if outcome.kind == "check" else scan_score).add(outcome)
    return outcomes, check_score, scan_score


if __name__ == "__main__":
    all_cases = load_cases()
    results, checks, scans = evaluate(all_cases)
    texts = {c["id"]: c["input"].get("text") or c["input"].get("customer_text") for c in all_cases}
    for outcome in results:
        if not outcome.passed:
            print(f"FAIL {outcome.case_id}: expected {sorted(outcome.expected)} found "
                  f"{sorted(outcome.found)} unchanged={outcome.unchanged} "
                  f"{texts[outcome.case_id]!r}")
    for title, score in (("check", checks), ("scan", scans)):
        print(f"\n{title}:")
        for label, row in score.table().items():
            print(f"  {label:24} P={row['precision']:.3f} R={row['recall']:.3f} "
                  f"(tp {row['tp']}, fp {row['fp']}, fn {row['fn']})")
    print(f"\n{sum(o.passed for o in results)}/{len(results)} cases pass")
