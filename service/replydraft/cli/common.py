"""What every CLI command shares: settings, offline start-up, and errors as exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

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
            err_console.print(f"[bold red]error:[/] {error.detail}", highlight=False)
            for problem in _problems_of(error):
                err_console.print(f"  - {problem}", highlight=False, markup=False)
            raise typer.Exit(exit_code_for(error)) from None

    return wrapper


def read_text_arg(value: str) -> str:
    """``-`` reads standard input, anything else is the text itself."""
    return sys.stdin.read() if value == "-" else value
