"""Numbers about a run: pass rates by suite / intent / language / assertion type, retrieval
hit@1 / hit@5 / MRR, policy precision and recall per category, latency, and the verdict.

Everything is computed from ``CaseResult`` alone, so the console report, the HTML report and
``eval compare`` (which reads results back from JSON) agree exactly.

Pass rate = passed / (passed + failed + error); skipped cases (only judge assertions and no LLM)
are counted but not rated.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, get_args

from replydraft.evals.models import CaseResult
from replydraft.knowledge.models import Intent
from replydraft.languages import LANGUAGES

INTENTS: frozenset[str] = frozenset(get_args(Intent))
POLICY_CATEGORIES = ("guarantee", "absolute_claim", "off_platform", "body_insult")
NONE_LABEL = "(untagged)"


def rate_of(results: Iterable[CaseResult]) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for result in results:
        counts[result.status] += 1
    rated = counts["passed"] + counts["failed"] + counts["error"]
    return {**counts, "total": sum(counts.values()), "rated": rated,
            "pass_rate": round(counts["passed"] / rated, 4) if rated else None}


def _expected(result: CaseResult, assertion: str) -> Any:
    return next((a.expected for a in result.assertions if a.type == assertion), None)


def languages_of(result: CaseResult) -> list[str]:
    """Language tags; else the language the case asserts."""
    tagged: list[str] = [t for t in result.tags if t in LANGUAGES]
    if tagged:
        return tagged
    asserted = _expected(result, "language")
    return [asserted] if isinstance(asserted, str) else [NONE_LABEL]


def intents_of(result: CaseResult) -> list[str]:
    """Intent tags; else the intents the case asserts."""
    tagged = [t for t in result.tags if t in INTENTS]
    if tagged:
        return tagged
    asserted = _expected(result, "intents_include") or []
    top = _expected(result, "top_intent")
    found = [*asserted, *([top] if top else [])]
    return list(dict.fromkeys(found)) or [NONE_LABEL]


def group_rates(
    results: Sequence[CaseResult], keys: Callable[[CaseResult], Iterable[str]],
    *, skip: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Rates per key; a case counts in every group it belongs to. ``skip`` leaves one group
    out (the untagged cases in the intent and language tables)."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        for key in keys(result):
            if key != skip:
                groups[key].append(result)
    return {key: rate_of(groups[key]) for key in sorted(groups)}


def assertion_rates(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"passed": 0, "failed": 0,
                                                            "skipped": 0})
    for result in results:
        for assertion in result.assertions:
            table[assertion.type][assertion.status] += 1
    out = {}
    for name in sorted(table):
        row = table[name]
        rated = row["passed"] + row["failed"]
        out[name] = {**row, "pass_rate": round(row["passed"] / rated, 4) if rated else None}
    return out


def retrieval_metrics(results: Sequence[CaseResult]) -> dict[str, Any] | None:
    """hit@1, hit@5 and MRR (over the top 10) of the retrieval cases with a ``retrieves``."""
    scored = [r for r in results if r.kind == "retrieval" and r.status != "error"
              and _expected(r, "retrieves") is not None]
    if not scored:
        return None
    ranks = [r.output.rank for r in scored]
    n = len(ranks)
    return {
        "cases": n,
        "hit@1": round(sum(1 for k in ranks if k == 1) / n, 4),
        "hit@5": round(sum(1 for k in ranks if k is not None and k <= 5) / n, 4),
        "mrr": round(sum(1 / k for k in ranks if k) / n, 4),
    }


def policy_metrics(results: Sequence[CaseResult]) -> dict[str, Any] | None:
    """Precision / recall per category over policy cases that state their ``categories``."""
    labelled = [r for r in results if r.kind == "policy" and r.status != "error"
                and _expected(r, "categories") is not None]
    if not labelled:
        return None
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in POLICY_CATEGORIES}
    for result in labelled:
        expected = set(_expected(result, "categories"))
        found = set(result.output.categories)
        for category in expected | found:
            row = counts.setdefault(category, {"tp": 0, "fp": 0, "fn": 0})
            if category in expected and category in found:
                row["tp"] += 1
            elif category in found:
                row["fp"] += 1
            else:
                row["fn"] += 1
    table: dict[str, Any] = {}
    for category, row in counts.items():
        predicted, actual = row["tp"] + row["fp"], row["tp"] + row["fn"]
        table[category] = {
            **row,
            "precision": round(row["tp"] / predicted, 4) if predicted else None,
            "recall": round(row["tp"] / actual, 4) if actual else None,
        }
    negatives = [r for r in labelled if not _expected(r, "categories")]
    return {
        "cases": len(labelled),
        "hard_negatives": len(negatives),
        "false_positive_cases": sum(1 for r in negatives if r.status != "passed"),
        "categories": table,
    }


def understanding_metrics(results: Sequence[CaseResult]) -> dict[str, Any] | None:
    """The understanding suite's pass rate with the keyword rules alone beside the combined one
    (rules + trained model), and the pass rate of each kind of expectation."""
    scored = [r for r in results if r.kind == "understand" and r.status != "error"]
    if not scored:
        return None
    alone = sum(1 for r in scored if r.output.rules_only_passed)
    combined = sum(1 for r in scored if r.status == "passed")
    return {"cases": len(scored), "combined": round(combined / len(scored), 4),
            "rules_only": round(alone / len(scored), 4)}


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def latency_by_suite(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for result in results:
        groups[result.suite].append(result.latency_ms)
    return {
        suite: {
            "p50_ms": round(percentile(values, 0.5), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "mean_ms": round(statistics.fmean(values), 2),
            "total_ms": round(sum(values), 2),
        }
        for suite, values in sorted(groups.items())
    }


def verdict(
    by_suite: dict[str, dict[str, Any]],
    results: Sequence[CaseResult],
    min_pass: float | None,
    load_problems: int = 0,
    suite_min: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The run passes when every suite's pass rate reaches ``min_pass`` (per suite, not
    overall: a strong suite cannot hide a weak one) and no case leaked a policy violation."""
    reasons = []
    floors = suite_min or {}
    for suite, row in by_suite.items():
        floor = floors.get(suite, min_pass)
        if floor is not None and row["pass_rate"] is not None and row["pass_rate"] < floor:
            reasons.append(f"suite {suite}: pass rate {row['pass_rate']:.2%} below {floor:.2%}")
    leaks = [r for r in results if r.policy_leak]
    if leaks:
        reasons.append(f"{len(leaks)} policy leak(s): "
                       + ", ".join(r.suite + "/" + r.id for r in leaks[:10])
                       + (" …" if len(leaks) > 10 else ""))
    if load_problems:
        reasons.append(f"{load_problems} problem(s) in the suite files")
    return {"passed": not reasons, "reasons": reasons}


def summarize(
    results: Sequence[CaseResult], *, min_pass: float | None = None, load_problems: int = 0,
    suite_min: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    by_suite = group_rates(results, lambda r: [r.suite])
    return {
        "overall": rate_of(results),
        "by_suite": by_suite,
        "by_intent": group_rates(results, intents_of, skip=NONE_LABEL),
        "by_language": group_rates(results, languages_of, skip=NONE_LABEL),
        "by_assertion": assertion_rates(results),
        "retrieval": retrieval_metrics(results),
        "policy": policy_metrics(results),
        "understanding": understanding_metrics(results),
        "latency": latency_by_suite(results),
        "leaks": [r.suite + "/" + r.id for r in results if r.policy_leak],
        "fallbacks": sum(1 for r in results if r.output.fallback_reason),
        "verdict": verdict(by_suite, results, min_pass, load_problems, suite_min),
    }
