"""Helpers for the eval tests: a temp evals dir holding the repo's schema and small suites; the
fake OpenAI-protocol server (``fake_llm``) is the shared one in ``tests/fakes``."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fakes import fake_llm

__all__ = ["evals_dir", "fake_llm", "write_suite"]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = REPO_ROOT / "evals" / "schema.json"
HEADER = "# yaml-language-server: $schema=../schema.json\n"

WriteSuite = Callable[[str, str], Path]


@pytest.fixture
def evals_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "evals"
    directory.mkdir()
    shutil.copy(SCHEMA, directory / "schema.json")
    return directory


@pytest.fixture
def write_suite(evals_dir: Path) -> WriteSuite:
    """``write_suite("policy/a.yaml", yaml_text)`` → the file's path."""

    def write(relative: str, body: str) -> Path:
        path = evals_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
        return path

    return write
