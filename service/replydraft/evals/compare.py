"""Compare two runs: which cases newly fail or newly pass, pass-rate deltas per suite / intent /
language, and latency deltas. This is how a prompt or playbook change is judged.

Cases are matched by ``suite/id``. Rates are recomputed from the cases of each file, so both
sides are counted the same way whatever version wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from replydraft.evals.models import CaseResult, RunResults
from replydraft.evals.summary import (
    NONE_LABEL,
    group_rates,
    intents_of,
    languages_of,
    percentile,
)

_FAILING = ("failed", "error")


@dataclass(frozen=True)
class CaseChange:
    key: str
    before: str
    after: str
    detail: str = ""  # the candidate's first failed assertion or error


@dataclass(frozen=True)
class RateDelta:
    group: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 4)


@dataclass
class Comparison:
    newly_failing: list[CaseChange] = field(default_factory=list)
    newly_passing: list[CaseChange] = field(default_factory=list)
    new_leaks: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rates: dict[str, list[RateDelta]] = field(default_factory=dict)  # dimension → rows
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.newly_failing or self.new_leaks)


def _first_problem(result: CaseResult) -> str:
    if result.error:
        return result.error
    failed = next((a for a in result.assertions if a.status == "failed"), None)
    return f"{failed.type}: {failed.message}" if failed else ""


def _rate_deltas(
    before: list[CaseResult], after: list[CaseResult],
    keys: Callable[[CaseResult], Iterable[str]],
) -> list[RateDelta]:
    old = group_rates(before, keys, skip=NONE_LABEL)
    new = group_rates(after, keys, skip=NONE_LABEL)
    return [RateDelta(g, old.get(g, {}).get("pass_rate"), new.get(g, {}).get("pass_rate"))
            for g in sorted(set(old) | set(new))]


def _latency(before: list[CaseResult], after: list[CaseResult]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for suite in sorted({r.suite for r in before} | {r.suite for r in after}):
        old = [r.latency_ms for r in before if r.suite == suite]
        new = [r.latency_ms for r in after if r.suite == suite]
        row: dict[str, float] = {}
        for name, q in (("p50", 0.5), ("p95", 0.95)):
            row[f"{name}_before"] = round(percentile(old, q), 2)
            row[f"{name}_after"] = round(percentile(new, q), 2)
            row[f"{name}_delta"] = round(row[f"{name}_after"] - row[f"{name}_before"], 2)
        table[suite] = row
    return table


def _meta_warnings(baseline: RunResults, candidate: RunResults) -> list[str]:
    fields: list[tuple[str, Any, Any]] = [
        ("backend", baseline.meta.backend, candidate.meta.backend),
        ("model", baseline.meta.model, candidate.meta.model),
        ("prompt versions", baseline.meta.prompt_versions, candidate.meta.prompt_versions),
        ("knowledge version", baseline.meta.knowledge_version, candidate.meta.knowledge_version),
        ("judge", baseline.meta.judge, candidate.meta.judge),
    ]
    notes = [f"{name} differs: {old!r} → {new!r}" for name, old, new in fields if old != new]
    for label, run in (("baseline", baseline), ("candidate", candidate)):
        if run.meta.knowledge_stale:
            notes.append(f"the {label} ran on a stale knowledge index "
                         f"({len(run.meta.knowledge_stale)} file(s) newer than the index)")
    return notes


def compare_runs(baseline: RunResults, candidate: RunResults) -> Comparison:
    old = {r.key: r for r in baseline.cases}
    new = {r.key: r for r in candidate.cases}
    result = Comparison(warnings=_meta_warnings(baseline, candidate))
    result.added = sorted(set(new) - set(old))
    result.removed = sorted(set(old) - set(new))
    for key in sorted(set(old) & set(new)):
        before, after = old[key], new[key]
        if before.status not in _FAILING and after.status in _FAILING:
            result.newly_failing.append(
                CaseChange(key, before.status, after.status, _first_problem(after)))
        elif before.status in _FAILING and after.status == "passed":
            result.newly_passing.append(CaseChange(key, before.status, after.status))
        if after.policy_leak and not before.policy_leak:
            result.new_leaks.append(key)
    # Newly added cases that fail are regressions of the candidate too.
    for key in result.added:
        if new[key].status in _FAILING:
            result.newly_failing.append(
                CaseChange(key, "absent", new[key].status, _first_problem(new[key])))
        if new[key].policy_leak:
            result.new_leaks.append(key)

    before_cases, after_cases = list(baseline.cases), list(candidate.cases)
    result.rates = {
        "overall": _rate_deltas(before_cases, after_cases, lambda r: ["all"]),
        "suite": _rate_deltas(before_cases, after_cases, lambda r: [r.suite]),
        "intent": _rate_deltas(before_cases, after_cases, intents_of),
        "language": _rate_deltas(before_cases, after_cases, languages_of),
    }
    result.latency = _latency(before_cases, after_cases)
    return result


# ---------------------------------------------------------------- printing


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _signed(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "—"
    text = f"{value:+.1%}" if percent else f"{value:+.1f}"
    colour = "green" if value > 0 else "red" if value < 0 else ""
    return f"[{colour}]{text}[/]" if colour else text


def print_comparison(console: Console, comparison: Comparison) -> None:
    for warning in comparison.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}")
    for dimension, rows in comparison.rates.items():
        table = Table(title=f"Pass rate by {dimension}", title_justify="left", show_edge=False)
        for column in (dimension, "baseline", "candidate", "delta"):
            table.add_column(column, justify="left" if column == dimension else "right")
        for row in rows:
            table.add_row(escape(row.group), _pct(row.before), _pct(row.after),
                          _signed(row.delta))
        console.print(table)
    table = Table(title="Latency per case (ms)", title_justify="left", show_edge=False)
    for column in ("suite", "p50 base", "p50 cand", "Δ p50", "p95 base", "p95 cand", "Δ p95"):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for suite, lat in comparison.latency.items():
        table.add_row(suite, f"{lat['p50_before']:.1f}", f"{lat['p50_after']:.1f}",
                      f"{lat['p50_delta']:+.1f}", f"{lat['p95_before']:.1f}",
                      f"{lat['p95_after']:.1f}", f"{lat['p95_delta']:+.1f}")
    console.print(table)

    console.print(f"[bold]{len(comparison.newly_failing)} newly failing[/]")
    for change in comparison.newly_failing:
        console.print(f"  [red]✗ {escape(change.key)}[/] ({change.before} → {change.after}) "
                      f"{escape(change.detail)}")
    console.print(f"[bold]{len(comparison.newly_passing)} newly passing[/]")
    for change in comparison.newly_passing:
        console.print(f"  [green]✓ {escape(change.key)}[/] ({change.before} → {change.after})")
    if comparison.new_leaks:
        console.print(f"[bold red]{len(comparison.new_leaks)} new policy leak(s):[/] "
                      + escape(", ".join(comparison.new_leaks)))
    if comparison.added:
        console.print(f"{len(comparison.added)} case(s) only in the candidate")
    if comparison.removed:
        console.print(f"{len(comparison.removed)} case(s) only in the baseline: "
                      + escape(", ".join(comparison.removed[:20])))


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "newly_failing": [vars(c) for c in comparison.newly_failing],
        "newly_passing": [vars(c) for c in comparison.newly_passing],
        "new_leaks": comparison.new_leaks,
        "added": comparison.added,
        "removed": comparison.removed,
        "rates": {dim: [{"group": r.group, "before": r.before, "after": r.after,
                         "delta": r.delta} for r in rows]
                  for dim, rows in comparison.rates.items()},
        "latency": comparison.latency,
        "warnings": comparison.warnings,
        "regressed": comparison.regressed,
    }
