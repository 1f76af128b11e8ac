"""`replydraft eval` commands: run offline eval suites, compare two runs.

Exit codes of ``eval run``: 0 every suite reaches ``--min-pass`` and nothing leaked; 1 a suite is
below the threshold (per suite, not overall) or a policy leak happened (a drafting/safety draft
that check() still flags, or a policy case missing an expected category); 2 bad arguments or a
suite file with problems (reported with file, line, case id and schema path — the other cases
still ran and are reported); 4 anything else.

``eval compare`` exits 0 unless ``--fail-on-regression`` is given and a case newly fails or
newly leaks (then 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from replydraft.cli.common import EXIT_BAD_INPUT, EXIT_VERDICT, cli_settings, report_errors

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from replydraft.evals.models import CaseResult

app = typer.Typer(no_args_is_help=True, help="Run offline eval suites and compare runs.")


class _ProgressBar:
    """The rich progress bar on stderr, fed one finished case at a time."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._failed = 0

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("cases", total=total)

    def advance(self, result: CaseResult) -> None:
        if result.status in ("failed", "error"):
            self._failed += 1
        if self._task is not None:
            self._progress.update(self._task, advance=1,
                                  description=f"cases ({self._failed} failing)")


def _refresh_bar(progress: Progress) -> Callable[[str, int, int], None]:
    """Feeds the knowledge refresh's (stage, done, total) reports to one progress task."""
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(f"index: {stage}", total=total or None)
        progress.update(tasks[stage], completed=done, total=total or None)

    return report


@app.command("run")
@report_errors
def run(
    suites: Annotated[list[str] | None, typer.Argument(
        metavar="[SUITE|FILE ...]",
        help="Suite names (folders under the evals dir), files, folders or globs. "
             "Default: every suite.")] = None,
    backend: Annotated[str, typer.Option("--backend", help="offline or llm.")] = "offline",
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Only cases with this tag (repeat: any of them).")] = None,
    case: Annotated[list[str] | None, typer.Option(
        "--case", help="Only cases whose id matches this glob (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write machine-readable results JSON.")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write a self-contained HTML report.")] = None,
    min_pass: Annotated[float, typer.Option(
        "--min-pass", min=0.0, max=1.0,
        help="Each suite's pass rate must reach this (per suite, not overall).")] = 0.95,
    suite_min: Annotated[list[str] | None, typer.Option(
        "--suite-min", metavar="SUITE=RATE",
        help="A floor for one suite instead of --min-pass (repeatable), e.g. a suite whose "
             "target is not reached yet keeps its measured level as a ratchet.")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=32, help="Cases run in parallel.")] = 2,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Refresh the knowledge index first if the files changed (a missing "
                          "index is always built; a stale one is otherwise only reported).")
    ] = False,
) -> None:
    """Run eval suites offline, print the summary and failures, exit non-zero on a failing
    verdict (below --min-pass in any suite, or any policy leak)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from replydraft.errors import FieldProblem, InvalidInput
    from replydraft.evals.archive import keep_results
    from replydraft.evals.html_report import render_html
    from replydraft.evals.report import print_report
    from replydraft.evals.results import write_results
    from replydraft.evals.session import RunRequest, execute_run

    if backend not in ("offline", "llm"):
        raise InvalidInput(f"--backend must be offline or llm, not {backend!r}",
                           field_errors=[FieldProblem("--backend", "offline | llm")])
    floors = _suite_floors(suite_min or [])
    settings = cli_settings()
    # soft_wrap: file paths and drafts stay on one line (copyable), tables still fit the width.
    console = Console(soft_wrap=True)
    err = Console(stderr=True, soft_wrap=True)
    request = RunRequest(selection=suites or [], backend=backend,  # type: ignore[arg-type]
                         tags=tag or [], ids=case or [], min_pass=min_pass, workers=workers,
                         refresh=refresh, suite_min=floors)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        results = execute_run(settings, request, progress=_ProgressBar(progress),
                              say=lambda line: err.print(line, highlight=False),
                              refresh_progress=_refresh_bar(progress))
    print_report(console, results)
    keep_results(results, settings.eval_reports_dir)
    if out is not None:
        write_results(results, out)
        console.print(f"results written to {out}", highlight=False)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(results), encoding="utf-8")
        console.print(f"HTML report written to {html}", highlight=False)
    if results.problems:
        raise typer.Exit(EXIT_BAD_INPUT)
    if not results.summary["verdict"]["passed"]:
        raise typer.Exit(EXIT_VERDICT)


@app.command("compare")
@report_errors
def compare(
    baseline: Annotated[Path, typer.Argument(help="Results JSON of the reference run.")],
    candidate: Annotated[Path, typer.Argument(help="Results JSON of the run to judge.")],
    fail_on_regression: Annotated[bool, typer.Option(
        "--fail-on-regression",
        help="Exit 1 when a case newly fails or newly leaks (for CI gates).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Which cases newly fail or pass, pass-rate deltas per suite/intent/language, latency
    deltas."""
    from rich.console import Console

    from replydraft.evals.compare import compare_runs, comparison_json, print_comparison
    from replydraft.evals.results import read_results

    comparison = compare_runs(read_results(baseline), read_results(candidate))
    if as_json:
        typer.echo(json.dumps(comparison_json(comparison), ensure_ascii=False, indent=2))
    else:
        print_comparison(Console(soft_wrap=True), comparison)
    if fail_on_regression and comparison.regressed:
        raise typer.Exit(EXIT_VERDICT)


def _suite_floors(items: list[str]) -> dict[str, float]:
    from replydraft.errors import FieldProblem, InvalidInput
    from replydraft.evals.models import SUITES

    floors: dict[str, float] = {}
    for item in items:
        suite, _, rate = item.partition("=")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if suite not in SUITES or not 0.0 <= value <= 1.0:
            raise InvalidInput(f"--suite-min {item!r}: expected SUITE=RATE with a suite of "
                               f"{', '.join(SUITES)} and a rate from 0 to 1",
                               field_errors=[FieldProblem("--suite-min", item)])
        floors[suite] = value
    return floors

