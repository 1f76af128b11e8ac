"""Write a run's results as JSON and read them back (for ``eval compare``).

The file records what is needed to compare two runs honestly: knowledge-base version, prompt
version(s), backend and model, git commit, timestamps and durations.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from replydraft.errors import FieldProblem, InvalidInput
from replydraft.evals.models import RESULTS_FORMAT, RunResults


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_state(directory: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the repository holding ``directory``; (None, None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
            timeout=5, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory,
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


def runtime_info() -> dict[str, object]:
    return {"python": platform.python_version(), "host_cpus": os.cpu_count()}


def write_results(results: RunResults, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(results.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)


def read_results(path: Path) -> RunResults:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"results file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path}:{error.lineno}: not JSON: {error.msg}") from None
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise InvalidInput(f"{path}: not a replydraft eval results file "
                           f"(expected format {RESULTS_FORMAT!r})")
    try:
        return RunResults.model_validate(data)
    except ValidationError as error:
        problems = [FieldProblem(f"{path}:" + ".".join(str(p) for p in e["loc"]), e["msg"])
                    for e in error.errors()]
        raise InvalidInput(f"{path}: malformed results file", field_errors=problems) from None
