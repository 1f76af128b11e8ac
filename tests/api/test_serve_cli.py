"""`replydraft serve` refuses dev mode on a non-loopback address before binding anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.config import get_settings


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           tiktoken_cache: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REPLYDRAFT_AUTH_DISABLED", "true")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_dev_mode_on_a_public_address_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8999"])
    assert result.exit_code == 4
    assert "loopback" in result.stderr
    assert "0.0.0.0" in result.stderr
    assert not (tmp_path / "var" / "replydraft.db").exists()


def test_the_served_knowledge_base_shares_the_cached_query_embedder(tmp_path: Path) -> None:
    from replydraft.api.main import _open_knowledge
    from replydraft.config import Settings
    from replydraft.db.engine import open_database
    from replydraft.drafting.understanding.embedder import shared_embedder

    settings = Settings(data_dir=tmp_path / "var")
    database = open_database(settings)
    assert _open_knowledge(settings, database).embedder is shared_embedder(settings)
    database.close()
