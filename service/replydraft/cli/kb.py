"""`replydraft kb` commands: refresh, status, search, versions, rollback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from replydraft.cli.common import (
    EXIT_BAD_INPUT,
    cli_settings,
    err_console,
    printable,
    report_errors,
)

if TYPE_CHECKING:
    from replydraft.knowledge.base import KnowledgeBase
    from replydraft.knowledge.reports import RefreshReport

app = typer.Typer(no_args_is_help=True, help="Build, inspect, search and roll back the index.")
console = Console()


def _knowledge_base() -> KnowledgeBase:
    from replydraft.knowledge.base import KnowledgeBase  # chromadb & co. load only when needed

    return KnowledgeBase(cli_settings())


@app.command()
@report_errors
def refresh(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate and print the diff without embedding or writing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate every knowledge file, embed new chunks, and switch to a new index version."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    kb = _knowledge_base()
    if dry_run or as_json:
        report = kb.refresh(dry_run=dry_run)
    else:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                      transient=True) as bar:
            task = bar.add_task("embedding new chunks", total=None)

            def on_progress(stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            report = kb.refresh(progress=on_progress)
    if as_json:
        console.print_json(report.model_dump_json())
        return
    _print_refresh(report)


def _print_refresh(report: RefreshReport) -> None:
    table = Table(title="dry run: nothing written" if report.dry_run else
                  f"index version {report.version} is now serving")
    for column in ("source type", "added", "changed", "removed", "unchanged",
                   "chunks +", "chunks -", "chunks ="):
        table.add_column(column, justify="left" if column == "source type" else "right")
    for source_type, diff in report.sources.items():
        chunks = report.chunks_by_type.get(source_type)
        table.add_row(source_type, str(len(diff.added)), str(len(diff.changed)),
                      str(len(diff.removed)), str(len(diff.unchanged)),
                      str(chunks.added if chunks else 0), str(chunks.removed if chunks else 0),
                      str(chunks.unchanged if chunks else 0))
    console.print(table)
    for source_type, diff in report.sources.items():
        for label, files in (("added", diff.added), ("changed", diff.changed),
                             ("removed", diff.removed)):
            for name in files:
                # soft_wrap: one file per line, whatever the terminal width (grep-able).
                console.print(f"  {label:<8} {source_type:<8} {printable(name)}",
                              highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"{report.total_chunks} chunks, {report.products} products; embedded "
        f"{report.chunks.embedded} new texts in {report.duration_s:.1f} s "
        f"(previous version: {report.previous_version or 'none'}; scanner: {report.scanner})",
        highlight=False)
    if report.stages_s:
        console.print("time: " + ", ".join(f"{stage} {seconds:.2f} s"
                                           for stage, seconds in report.stages_s.items()),
                      highlight=False)
    if report.pruned_versions:
        console.print(f"pruned old versions: {', '.join(map(str, report.pruned_versions))}")
    if report.warnings:
        err_console.print(f"[yellow]{len(report.warnings)} warning(s):[/]")
        for warning in report.warnings:
            err_console.print(f"  warning: {printable(str(warning))}", markup=False,
                              highlight=False, soft_wrap=True)


@app.command()
@report_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The serving version, counts per source type and language, and the last refresh time."""
    info = _knowledge_base().status()
    if as_json:
        console.print_json(info.model_dump_json())
        return
    if not info.ready:
        console.print("no index version yet: run `replydraft kb refresh`")
        return
    console.print(f"version {info.version} (retained: {', '.join(map(str, info.versions))}), "
                  f"last refresh {info.last_refresh:%Y-%m-%d %H:%M:%S %Z}", highlight=False)
    console.print(f"{info.chunks} chunks from {info.sources} files, {info.products} products, "
                  f"{info.warnings} warning(s); embedder {info.embedder}", highlight=False)
    for title, counts in (("source type", info.counts_by_source_type),
                          ("language", info.counts_by_language)):
        table = Table()
        table.add_column(title)
        table.add_column("chunks", justify="right")
        for key, count in sorted(counts.items()):
            table.add_row(key, str(count))
        console.print(table)


@app.command()
@report_errors
def search(
    query: Annotated[str, typer.Argument(help="What the customer asked.")],
    k: Annotated[int, typer.Option("--k", help="How many hits.", min=1, max=50)] = 5,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Only chunks in this language (zh-Hans, zh-Hant, en, ko).")] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Only chunks of this product.")] = None,
    intent: Annotated[str | None, typer.Option("--intent", help="Only this intent.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the serving index the way the drafter does."""
    from replydraft.languages import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        err_console.print(f"[bold red]error:[/] --lang {lang!r} is not one of "
                          f"{', '.join(LANGUAGES)}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    hits = _knowledge_base().search(query, k=k, language=lang, sku=sku, intent=intent)
    if as_json:
        fields = ("text", "source", "section", "intent", "language", "sku", "score",
                  "chunk_id", "source_type", "dense_rank", "lexical_rank")
        payload: list[dict[str, Any]] = [
            {name: getattr(hit, name) for name in fields} for hit in hits]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print("no hits")
    for rank, hit in enumerate(hits, start=1):
        tags = " ".join(x for x in (hit.language, hit.intent, hit.sku) if x)
        console.print(f"[bold]{rank}. {hit.source}[/] · {hit.section} [dim]({tags}; "
                      f"score {hit.score:.4f})[/]", highlight=False)
        snippet = hit.text if len(hit.text) <= 240 else hit.text[:240] + "…"
        console.print(f"   {snippet}", markup=False, highlight=False)


@app.command()
@report_errors
def versions(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The retained index versions, newest first."""
    infos = _knowledge_base().versions()
    if as_json:
        typer.echo(json.dumps([info.model_dump(mode="json") for info in infos], indent=2))
        return
    if not infos:
        console.print("no index version yet: run `replydraft kb refresh`")
        return
    table = Table()
    for column in ("version", "created", "chunks", "products", "files", "warnings", ""):
        table.add_column(column)
    for info in infos:
        table.add_row(str(info.version), f"{info.created_at:%Y-%m-%d %H:%M:%S}",
                      str(info.chunks), str(info.products), str(info.sources),
                      str(info.warnings), "serving" if info.active else "")
    console.print(table)


@app.command()
@report_errors
def rollback(
    version: Annotated[int | None, typer.Argument(
        help="Version to serve again (default: the one before the serving version).")] = None,
) -> None:
    """Serve an earlier retained version again."""
    info = _knowledge_base().rollback(version)
    console.print(f"now serving version {info.version} ({info.chunks} chunks, created "
                  f"{info.created_at:%Y-%m-%d %H:%M:%S})", highlight=False)
