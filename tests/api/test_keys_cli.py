"""`replydraft keys create|list|revoke` against a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.config import get_settings


@pytest.fixture
def runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiktoken_cache: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_create_prints_the_key_once_and_list_never_shows_it(runner: CliRunner) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "supervisor", "--name", "sam"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("rdk_")
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert listed.exit_code == 0
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["name"], r["role"], r["revoked_at"]) for r in rows] == [("sam", "supervisor", None)]
    assert token not in listed.stdout
    assert token.split("_", 2)[2] not in runner.invoke(app, ["keys", "list"]).stdout


def test_revoke_by_name_and_unknown_names(runner: CliRunner) -> None:
    runner.invoke(app, ["keys", "create", "--role", "agent", "--name", "alice"])
    assert runner.invoke(app, ["keys", "revoke", "alice"]).exit_code == 0
    rows = [json.loads(line) for line in
            runner.invoke(app, ["keys", "list", "--json"]).stdout.splitlines()]
    assert rows[0]["revoked_at"] is not None
    missing = runner.invoke(app, ["keys", "revoke", "nobody"])
    assert missing.exit_code == 2
    assert "nobody" in missing.stderr


def test_bad_role_and_duplicate_name_exit_non_zero(runner: CliRunner) -> None:
    bad = runner.invoke(app, ["keys", "create", "--role", "root", "--name", "x"])
    assert bad.exit_code == 2
    assert "one of agent, supervisor, content, qa, admin" in bad.stderr
    runner.invoke(app, ["keys", "create", "--role", "agent", "--name", "alice"])
    again = runner.invoke(app, ["keys", "create", "--role", "qa", "--name", "alice"])
    assert again.exit_code == 3
    assert "already exists" in again.stderr
