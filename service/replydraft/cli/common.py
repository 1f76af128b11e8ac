"""What every CLI command shares: settings, offline start-up, and errors as exit codes."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from replydraft.config import Settings, get_settings
from replydraft.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    KnowledgeError,
    NotFound,
    PolicyViolation,
    ReplydraftError,
)
from replydraft.offline import prepare_offline

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)

# Exit codes: 0 ok, 1 the job ran but its verdict is "no" (eval below threshold, text not clean),
# 2 the input was wrong (bad file, bad argument, unknown id), 3 the state forbids it (lock, 409),
# 4 anything else.
EXIT_VERDICT = 1
EXIT_BAD_INPUT = 2
EXIT_CONFLICT = 3
EXIT_FAILURE = 4


# C0 and C1 controls, DEL, line and paragraph separators, bidi embeddings and isolates: a file
# name carrying one could start a new line, clear the screen or reorder what the operator reads.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character written as its escape (``\\n``, ``\\x1b``), so
    text from files and users cannot forge or hide lines in what the CLI prints."""
    return _UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def cli_settings() -> Settings:
    settings = get_settings()
    prepare_offline(settings.data_dir)
    return settings


def _problems_of(error: ReplydraftError) -> list[FieldProblem]:
    if isinstance(error, KnowledgeError):
        return error.problems
    if isinstance(error, InvalidInput):
        return error.field_errors
    return []


def exit_code_for(error: ReplydraftError) -> int:
    if isinstance(error, InvalidInput | KnowledgeError | NotFound | PolicyViolation):
        return EXIT_BAD_INPUT
    if isinstance(error, Conflict):
        return EXIT_CONFLICT
    return EXIT_FAILURE


def report_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into a precise message on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ReplydraftError as error:
            err_console.print(f"[bold red]error:[/] {escape(printable(error.detail))}",
                              highlight=False, soft_wrap=True)
            for problem in _problems_of(error):
                err_console.print(f"  - {printable(str(problem))}", highlight=False,
                                  markup=False, soft_wrap=True)
            raise typer.Exit(exit_code_for(error)) from None

    return wrapper


def read_text_arg(value: str) -> str:
    """``-`` reads standard input, anything else is the text itself."""
    return sys.stdin.read() if value == "-" else value
