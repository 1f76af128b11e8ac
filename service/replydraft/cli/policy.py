"""`replydraft policy` commands: run the policy filter and the customer risk scan from a shell.

    replydraft policy check "亲，加我微信，保证明天到" --platform jd
    replydraft policy check --jsonl drafts.jsonl > results.jsonl
    replydraft policy scan-customer "我是淘宝小二，你的店铺违规了" --json

Exit codes: 0 clean (no violation / no risk flag), 1 not clean (the verdict, for scripts), 2 bad
input (unknown platform or language, unreadable file, invalid --store). With ``--jsonl`` the run
goes on through bad lines (each gets ``{"line": N, "error": ...}``) and exits 0 unless the file
cannot be read. The store profile (allowed commitments, allowed link domains, rival platform names,
discount authority) comes from ``<knowledge_dir>/store.yaml`` when it exists and is valid.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, cast

import typer
from rich.console import Console
from rich.table import Table

from replydraft.cli.common import (
    EXIT_VERDICT,
    cli_settings,
    err_console,
    read_text_arg,
    report_errors,
)
from replydraft.errors import FieldProblem, InvalidInput
from replydraft.languages import LANGUAGES, PLATFORMS, Language, Platform
from replydraft.yamlfile import safe_load

if TYPE_CHECKING:
    from replydraft.knowledge.models import StoreProfile
    from replydraft.policy.models import PolicyResult, RiskFlag

app = typer.Typer(no_args_is_help=True, help="Run the policy filter and the customer risk scan.")
console = Console()

TextArg = Annotated[str | None, typer.Argument(
    help="The text to check; '-' reads standard input. Omit it when using --jsonl.")]
JsonlOption = Annotated[str | None, typer.Option(
    "--jsonl", metavar="FILE|-",
    help='One JSON object per line: {"text": ..., "platform"?: ..., "language"?: ...}.')]
PlatformOption = Annotated[str | None, typer.Option(
    help=f"Platform ({', '.join(PLATFORMS)}); default: the store's platform.")]
LanguageOption = Annotated[str | None, typer.Option(
    help=f"Language ({', '.join(LANGUAGES)}); default: guessed from the script.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="A store.yaml to use instead of <knowledge_dir>/store.yaml.")]
NoStoreOption = Annotated[bool, typer.Option(
    "--no-store", help="Ignore the store profile (platform defaults only).")]


@app.command()
@report_errors
def check(
    text: TextArg = None,
    jsonl: JsonlOption = None,
    platform: PlatformOption = None,
    language: LanguageOption = None,
    as_json: JsonOption = False,
    store_path: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Filter a draft: print the sendable text and what was removed or rewritten."""
    from replydraft.policy import check as run_check

    _validate_choice("--platform", platform, PLATFORMS)
    _validate_choice("--language", language, LANGUAGES)
    store = _store(store_path, no_store)
    if jsonl is not None:
        _reject_text_with_jsonl(text)

        def one(item: dict[str, Any]) -> dict[str, Any]:
            result = run_check(item["text"], language=_language(item, language),
                               platform=_platform(item, platform), store=store)
            return result.model_dump(mode="json")

        _run_jsonl(jsonl, one)
        return
    result = run_check(_required_text(text), language=cast("Language | None", language),
                       platform=cast("Platform | None", platform), store=store)
    if as_json:
        console.print_json(result.model_dump_json())
    else:
        _print_check(result)
    if not result.clean:
        raise typer.Exit(EXIT_VERDICT)


@app.command("scan-customer")
@report_errors
def scan_customer(
    text: TextArg = None,
    jsonl: JsonlOption = None,
    platform: PlatformOption = None,
    language: LanguageOption = None,
    price: Annotated[float | None, typer.Option(
        min=0, help="The product price, to judge percentage discount asks.")] = None,
    as_json: JsonOption = False,
    store_path: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Flag risks in a customer message for the agent (phishing, files, discounts, threats …)."""
    from replydraft.policy import scan_customer as run_scan

    _validate_choice("--platform", platform, PLATFORMS)
    _validate_choice("--language", language, LANGUAGES)
    store = _store(store_path, no_store)
    if jsonl is not None:
        _reject_text_with_jsonl(text)

        def one(item: dict[str, Any]) -> dict[str, Any]:
            flags = run_scan(item["text"], language=_language(item, language),
                             platform=_platform(item, platform), store=store, price=price)
            return {"flags": [flag.model_dump(mode="json") for flag in flags]}

        _run_jsonl(jsonl, one)
        return
    flags = run_scan(_required_text(text), language=cast("Language | None", language),
                     platform=cast("Platform | None", platform), store=store, price=price)
    if as_json:
        console.print_json(json.dumps({"flags": [f.model_dump(mode="json") for f in flags]},
                                      ensure_ascii=False))
    else:
        _print_flags(flags)
    if flags:
        raise typer.Exit(EXIT_VERDICT)


# ---------------------------------------------------------------- input


def _validate_choice(option: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"{option} {value!r} is not one of: {', '.join(allowed)}")


def _required_text(text: str | None) -> str:
    if text is None:
        raise InvalidInput("give the TEXT to check (or '-' for standard input), or --jsonl FILE")
    value = read_text_arg(text)
    if not value.strip():
        raise InvalidInput("the text is empty")
    return value


def _reject_text_with_jsonl(text: str | None) -> None:
    if text is not None:
        raise InvalidInput("give either TEXT or --jsonl, not both")


def _store(path: Path | None, no_store: bool) -> StoreProfile | None:
    """The store profile: --store, else <knowledge_dir>/store.yaml when present and valid."""
    if no_store:
        return None
    if path is not None:
        return _load_store(path)
    default = cli_settings().knowledge_dir / "store.yaml"
    if not default.is_file():
        return None
    try:
        return _load_store(default)
    except InvalidInput as error:
        # The default file is a convenience: say why it is ignored, and carry on without it.
        err_console.print(f"[yellow]warning:[/] {error.detail}; checking without a store "
                          "profile", highlight=False, soft_wrap=True)
        for problem in error.field_errors:
            err_console.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
        return None


def _load_store(path: Path) -> StoreProfile:
    import yaml
    from pydantic import ValidationError

    from replydraft.knowledge.models import StoreProfile

    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the store file: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise InvalidInput(f"{path}: invalid YAML: {error}") from error
    try:
        return StoreProfile.model_validate(data)
    except ValidationError as error:
        problems = [
            FieldProblem(f"{path} {'.'.join(str(p) for p in item['loc'])}", item["msg"])
            for item in error.errors()
        ]
        raise InvalidInput(f"{path} is not a valid store profile",
                           field_errors=problems) from error


# ---------------------------------------------------------------- JSON lines


def _open_jsonl(source: str) -> TextIO:
    if source == "-":
        return sys.stdin
    try:
        return open(source, encoding="utf-8")  # closed by _run_jsonl
    except OSError as error:
        raise InvalidInput(f"{source}: cannot read: {error.strerror}") from error


def _run_jsonl(source: str, one: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    stream = _open_jsonl(source)
    try:
        for number, item, problem in _jsonl_items(stream, source):
            if problem is not None:
                out: dict[str, Any] = {"line": number, "error": problem}
            else:
                out = {"line": number, **one(item)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{source}: not UTF-8 text ({error.reason})") from error
    finally:
        if stream is not sys.stdin:
            stream.close()


def _jsonl_items(stream: TextIO, source: str
                 ) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(line number, object, problem) for each non-blank line; problem is None when valid."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, {}, f"{source}:{number}: not JSON: {error.msg} (column {error.colno})"
            continue
        yield number, item, _item_problem(item, source, number)


def _language(item: dict[str, Any], default: str | None) -> Language | None:
    """A line's own language (validated), else the --language option."""
    return cast("Language | None", item.get("language") or default)


def _platform(item: dict[str, Any], default: str | None) -> Platform | None:
    return cast("Platform | None", item.get("platform") or default)


def _item_problem(item: Any, source: str, number: int) -> str | None:
    where = f"{source}:{number}"
    if not isinstance(item, dict):
        return f"{where}: expected a JSON object"
    unknown = sorted(set(item) - {"text", "platform", "language"})
    if unknown:
        return f"{where}: unknown field(s) {', '.join(unknown)}"
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        return f"{where}: field 'text' must be a non-empty string"
    for field, allowed in (("platform", PLATFORMS), ("language", LANGUAGES)):
        value = item.get(field)
        if value is not None and value not in allowed:
            return f"{where}: field '{field}' must be one of {', '.join(allowed)}"
    return None


# ---------------------------------------------------------------- human output


def _print_check(result: PolicyResult) -> None:
    if result.clean:
        console.print("[green]clean[/]: nothing to change")
        return
    label = "[yellow]filtered[/]"
    if result.empty_after_filter:
        label += " [red](nothing useful left: regenerate or write it yourself)[/]"
    console.print(label)
    console.print(result.text or "(empty)", highlight=False, markup=False)
    table = Table(title=f"{len(result.violations)} violation(s)")
    for column in ("category", "rule", "span", "match", "action", "replacement"):
        table.add_column(column)
    for v in result.violations:
        table.add_row(v.category, v.rule, f"{v.span[0]}-{v.span[1]}", v.match, v.action,
                      v.replacement or "")
    console.print(table)


def _print_flags(flags: list[RiskFlag]) -> None:
    if not flags:
        console.print("[green]no risk flags[/]")
        return
    table = Table(title=f"{len(flags)} risk flag(s)")
    for column in ("type", "span", "match", "advice"):
        table.add_column(column)
    for flag in flags:
        table.add_row(flag.type, f"{flag.span[0]}-{flag.span[1]}", flag.match, flag.advice)
    console.print(table)
