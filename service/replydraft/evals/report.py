"""The console report of a run: summary tables, metrics, then every failure with the draft and
the assertion that failed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from replydraft.evals.models import CaseResult, RunResults

MAX_FAILURES_SHOWN = 50


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def rate_table(title: str, rows: dict[str, dict[str, Any]], label: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(label)
    for column in ("pass rate", "passed", "failed", "error", "skipped"):
        table.add_column(column, justify="right")
    for key, row in rows.items():
        rate = row["pass_rate"]
        style = "" if rate is None or rate >= 0.95 else "red"
        table.add_row(escape(key), _pct(rate), str(row["passed"]), str(row["failed"]),
                      str(row.get("error", 0)), str(row["skipped"]), style=style)
    return table


def metrics_tables(summary: dict[str, Any]) -> list[Table]:
    tables = []
    retrieval = summary.get("retrieval")
    if retrieval:
        table = Table(title="Retrieval", title_justify="left", show_edge=False)
        for column in ("cases", "hit@1", "hit@5", "MRR"):
            table.add_column(column, justify="right")
        table.add_row(str(retrieval["cases"]), _pct(retrieval["hit@1"]),
                      _pct(retrieval["hit@5"]), f"{retrieval['mrr']:.3f}")
        tables.append(table)
    understanding = summary.get("understanding")
    if understanding:
        table = Table(title="Understanding", title_justify="left", show_edge=False)
        for column in ("cases", "rules only", "rules + model"):
            table.add_column(column, justify="right")
        table.add_row(str(understanding["cases"]), _pct(understanding["rules_only"]),
                      _pct(understanding["combined"]))
        tables.append(table)
    policy = summary.get("policy")
    if policy:
        table = Table(title=f"Policy ({policy['cases']} labelled, {policy['hard_negatives']} "
                      f"hard negatives, {policy['false_positive_cases']} flagged wrongly)",
                      title_justify="left", show_edge=False)
        table.add_column("category")
        for column in ("precision", "recall", "TP", "FP", "FN"):
            table.add_column(column, justify="right")
        for category, row in policy["categories"].items():
            table.add_row(category, _pct(row["precision"]), _pct(row["recall"]),
                          str(row["tp"]), str(row["fp"]), str(row["fn"]))
        tables.append(table)
    mutation = summary.get("policy_mutation")
    if mutation:
        tables.extend(mutation_tables(mutation))
    latency = summary.get("latency")
    if latency:
        table = Table(title="Latency per case", title_justify="left", show_edge=False)
        table.add_column("suite")
        for column in ("p50 ms", "p95 ms", "mean ms"):
            table.add_column(column, justify="right")
        for suite, row in latency.items():
            table.add_row(suite, f"{row['p50_ms']:.1f}", f"{row['p95_ms']:.1f}",
                          f"{row['mean_ms']:.1f}")
        tables.append(table)
    return tables


def mutation_tables(mutation: dict[str, Any]) -> list[Table]:
    """Recall under mutation per category × language, per operator, and the hard negatives."""
    targets = mutation["targets"]
    negatives = mutation["negatives"]
    verdict = "[green]targets met[/]" if targets["met"] else "[red]below target[/]"
    recall = Table(
        title=f"Policy under mutation (seed {mutation['seed']}; target recall ≥ "
              f"{targets['recall']:.0%}, false positives ≤ {targets['false_positive_rate']:.1%}: "
              f"{verdict})",
        title_justify="left", show_edge=False)
    recall.add_column("category")
    languages = sorted({key.split("/")[1] for key in mutation["recall"]})
    for language in languages:
        recall.add_column(language, justify="right")
    for category in sorted({key.split("/")[0] for key in mutation["recall"]}):
        cells = []
        for language in languages:
            row = mutation["recall"].get(f"{category}/{language}")
            cells.append("—" if row is None else f"{_pct(row['recall'])} ({row['total']})")
        recall.add_row(category, *cells)
    operators = Table(title="Per disguise", title_justify="left", show_edge=False)
    for column in ("disguise", "recall", "mutants", "negatives flagged"):
        operators.add_column(column, justify="left" if column == "disguise" else "right")
    for name, row in mutation["by_operator"].items():
        negative = negatives["by_operator"].get(name, {"flagged": 0, "mutated": 0})
        operators.add_row(name, _pct(row["recall"]), str(row["total"]),
                          f"{negative['flagged']}/{negative['mutated']}")
    operators.add_row("hard negatives", "", "",
                      f"{negatives['flagged']}/{negatives['mutated']} = "
                      f"{_pct(negatives['false_positive_rate'])}", style="bold")
    return [recall, operators]


def failing(results: Sequence[CaseResult]) -> list[CaseResult]:
    return [r for r in results if r.status in ("failed", "error") or r.policy_leak]


def print_failure(console: Console, result: CaseResult) -> None:
    head = f"[bold red]✗ {escape(result.suite)}/{escape(result.id)}[/] " \
           f"[dim]{escape(result.file)}:{result.line}[/]"
    console.print(head)
    if result.error:
        console.print(f"    [red]error:[/] {escape(result.error)}")
    if result.policy_leak:
        console.print(f"    [bold red]POLICY LEAK:[/] {escape(result.leak_detail or '')}")
    if result.output.text is not None:
        console.print(f"    [dim]text:[/] {escape(result.output.text)}")
    for assertion in result.assertions:
        if assertion.status == "failed":
            console.print(f"    [red]{escape(assertion.type)}:[/] {escape(assertion.message)}")


def print_report(console: Console, run: RunResults) -> None:
    summary = run.summary
    meta = run.meta
    console.print(
        f"[bold]Eval run[/] backend={escape(meta.backend)}"
        + (f" model={escape(meta.model)}" if meta.model else "")
        + f" kb_version={meta.knowledge_version}"
        + f" prompts={escape(','.join(meta.prompt_versions) or '—')}"
        + f" judge={escape(meta.judge or 'skipped (no LLM)')}"
    )
    if meta.knowledge_stale:
        console.print(f"[yellow]warning:[/] the knowledge index was stale "
                      f"({len(meta.knowledge_stale)} file(s) changed since it was built)")
    console.print(rate_table("Pass rate per suite", summary["by_suite"], "suite"))
    console.print(rate_table("Per language", summary["by_language"], "language"))
    console.print(rate_table("Per intent", summary["by_intent"], "intent"))
    console.print(rate_table("Per assertion type", {
        k: {**v, "error": 0} for k, v in summary["by_assertion"].items()}, "assertion"))
    for table in metrics_tables(summary):
        console.print(table)

    if run.problems:
        console.print(f"[bold red]{len(run.problems)} problem(s) in the suite files "
                      "(those cases did not run):[/]")
        for problem in run.problems:
            console.print(f"  - {escape(problem)}")

    failures = failing(run.cases)
    if failures:
        console.print(f"[bold]{len(failures)} failing case(s):[/]")
        for result in failures[:MAX_FAILURES_SHOWN]:
            print_failure(console, result)
        if len(failures) > MAX_FAILURES_SHOWN:
            console.print(f"  … and {len(failures) - MAX_FAILURES_SHOWN} more "
                          "(see --out / --html for all)")

    overall = summary["overall"]
    durations = meta.durations_s
    console.print(
        f"[bold]{overall['passed']}/{overall['rated']} passed[/] ({_pct(overall['pass_rate'])}),"
        f" {overall['skipped']} skipped; total {durations.get('total', 0):.1f} s"
    )
    result = summary["verdict"]
    if result["passed"]:
        console.print("[bold green]PASS[/]")
    else:
        for reason in result["reasons"]:
            console.print(f"[bold red]FAIL[/] {escape(reason)}")
