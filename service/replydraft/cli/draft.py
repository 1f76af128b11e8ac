"""`replydraft draft`: draft a reply from a shell, one message or a batch.

    replydraft draft "我175，180斤，BT-JN-4WS01穿什么码？"
    replydraft draft "那黑色呢?" --history chat.json --sku BT-JN-4WS01 --json
    replydraft draft --jsonl requests.jsonl > drafts.jsonl

``--history`` is a JSON list of ``{"role": "customer"|"agent", "text": ...}``: the conversation so
far, before MESSAGE. ``--jsonl`` reads one request per line with the fields of the HTTP body
(``messages``, ``sku``, ``platform``, ``order``, ``language``, ``conversation_id``) and writes one
DraftResult per line, in order; a bad line yields ``{"line": N, "error": ...}`` and the batch goes
on. Exit codes: 0 done, 2 bad input (unreadable file, invalid history, bad option), 4 the
knowledge index is missing ("run `replydraft kb refresh` first") or another failure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from replydraft.cli.common import cli_settings, read_text_arg, report_errors
from replydraft.errors import FieldProblem, IndexNotReady, InvalidInput
from replydraft.languages import LANGUAGES, PLATFORMS

if TYPE_CHECKING:
    from replydraft.drafting.drafter import Drafter
    from replydraft.drafting.models import DraftRequest, DraftResult

console = Console()

MessageArg = Annotated[str | None, typer.Argument(
    help="The customer's message to answer; '-' reads standard input. Omit with --jsonl.")]
HistoryOption = Annotated[Path | None, typer.Option(
    "--history", metavar="FILE.json",
    help='The conversation before MESSAGE: [{"role": "customer"|"agent", "text": ...}, ...].')]
SkuOption = Annotated[str | None, typer.Option(help="The product the customer is looking at.")]
PlatformOption = Annotated[str | None, typer.Option(
    help=f"Platform ({', '.join(PLATFORMS)}); default: the store's platform.")]
LanguageOption = Annotated[str | None, typer.Option(
    help=f"Reply language ({', '.join(LANGUAGES)}); default: detected from the customer.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the DraftResult as JSON.")]
JsonlOption = Annotated[str | None, typer.Option(
    "--jsonl", metavar="FILE|-", help="Batch: one DraftRequest JSON per line, one result out.")]


@report_errors
def draft(
    message: MessageArg = None,
    history: HistoryOption = None,
    sku: SkuOption = None,
    platform: PlatformOption = None,
    language: LanguageOption = None,
    as_json: JsonOption = False,
    jsonl: JsonlOption = None,
) -> None:
    """Draft a reply to a customer message (or a batch with --jsonl)."""
    if jsonl is not None:
        if message is not None or history is not None:
            raise InvalidInput("give either MESSAGE (with --history) or --jsonl, not both")
        drafter = _open_drafter()
        with _open_lines(jsonl) as lines:
            run_batch(drafter, lines, sys.stdout)
        return
    if message is None:
        raise InvalidInput("give the customer's MESSAGE to answer, or --jsonl FILE")
    request = _single_request(read_text_arg(message), history, sku, platform, language)
    result = _open_drafter().draft(request)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        print_result(result)


# ---------------------------------------------------------------- building requests


def _single_request(message: str, history: Path | None, sku: str | None,
                    platform: str | None, language: str | None) -> DraftRequest:
    from replydraft.drafting.models import DraftRequest

    body: dict[str, Any] = {
        "messages": [*_read_history(history), {"role": "customer", "text": message}],
        "sku": sku, "platform": platform, "language": language,
    }
    try:
        return DraftRequest.model_validate(body)
    except ValidationError as error:
        raise InvalidInput("invalid draft request", field_errors=_problems(error, "")) from None


def _read_history(path: Path | None) -> list[Any]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a JSON list of {{role, text}} messages")
    return data


def _problems(error: ValidationError, prefix: str) -> list[FieldProblem]:
    return [FieldProblem(prefix + ".".join(str(p) for p in e["loc"]) or "(request)", e["msg"])
            for e in error.errors()]


def _open_drafter() -> Drafter:
    from replydraft.drafting.drafter import build_drafter
    from replydraft.drafting.understanding.embedder import shared_embedder
    from replydraft.knowledge.base import KnowledgeBase

    settings = cli_settings()
    knowledge = KnowledgeBase(settings, embedder=shared_embedder(settings))
    if knowledge.version is None:
        raise IndexNotReady(
            f"no knowledge index in {settings.data_dir}: run `replydraft kb refresh` first")
    return build_drafter(settings, knowledge)


# ---------------------------------------------------------------- batches


class _Lines:
    def __init__(self, source: str) -> None:
        self._source = source
        self._file: TextIO | None = None

    def __enter__(self) -> Iterator[str]:
        if self._source == "-":
            return iter(sys.stdin)
        try:
            self._file = open(self._source, encoding="utf-8")
        except OSError as error:
            raise InvalidInput(f"{self._source}: cannot read: {error.strerror}") from None
        return iter(self._file)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _open_lines(source: str) -> _Lines:
    return _Lines(source)


def batch_line(drafter: Drafter, number: int, line: str) -> dict[str, Any]:
    """One JSONL line in, one JSON object out: the DraftResult, or the line's error."""
    from replydraft.drafting.models import DraftRequest
    from replydraft.errors import ReplydraftError

    try:
        body = json.loads(line)
    except json.JSONDecodeError as error:
        return {"line": number, "error": f"not valid JSON (column {error.colno}): {error.msg}"}
    try:
        request = DraftRequest.model_validate(body)
    except ValidationError as error:
        detail = "; ".join(str(p) for p in _problems(error, ""))
        return {"line": number, "error": f"invalid request: {detail}"}
    try:
        return drafter.draft(request).model_dump(mode="json")
    except ReplydraftError as error:
        return {"line": number, "error": error.detail}


def run_batch(drafter: Drafter, lines: Iterator[str], out: TextIO) -> int:
    """Draft every non-blank line; returns how many lines failed."""
    failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        answer = batch_line(drafter, number, line)
        failed += "error" in answer and "line" in answer
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
    return failed


# ---------------------------------------------------------------- human output


def print_result(result: DraftResult) -> None:
    console.print(result.text, highlight=False, markup=False)
    console.print()
    intents = ", ".join(f"{i.intent} {i.confidence:.2f}" for i in result.intents)
    console.print(f"[dim]language[/] {result.language}   [dim]intents[/] {intents}",
                  highlight=False)
    fallback = f"   [dim]fallback[/] {escape(result.fallback_reason)}" \
        if result.fallback_reason else ""
    console.print(f"[dim]backend[/] {escape(result.backend)}   [dim]prompt[/] "
                  f"{escape(result.prompt_version)}{fallback}", highlight=False)
    for citation in result.citations:
        console.print(f"  [cyan]cite[/] {escape(citation.source)} · {escape(citation.section)}: "
                      f"{escape(citation.snippet)}", highlight=False)
    for violation in result.policy.violations:
        console.print(f"  [yellow]policy[/] {violation.category} {violation.action} "
                      f"{escape(repr(violation.match))}: {escape(violation.reason)}",
                      highlight=False)
    for risk in result.risks:
        console.print(f"  [red]risk[/] {risk.type} {escape(repr(risk.match))}: "
                      f"{escape(risk.advice)}", highlight=False)
    timings = " ".join(f"{k}={v:.0f}ms" for k, v in result.timings_ms.items())
    console.print(f"[dim]{timings}[/]", highlight=False)
