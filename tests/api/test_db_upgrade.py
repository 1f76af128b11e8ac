"""Migrations as their own deployment step: with REPLYDRAFT_MIGRATE_ON_START=false a process
refuses an out-of-date schema with the command to run, and `replydraft db upgrade` brings it
up to date. On SQLite and on PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replydraft.config import Settings
from replydraft.db.engine import head_revision, open_database, schema_revision
from replydraft.errors import ConfigurationError


def test_replicas_only_check_and_db_upgrade_migrates(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=database_url,
                        migrate_on_start=False)
    with pytest.raises(ConfigurationError, match="run `replydraft db upgrade`"):
        open_database(settings)
    env = {**os.environ, "REPLYDRAFT_DATA_DIR": str(tmp_path / "var"),
           "REPLYDRAFT_DATABASE_URL": database_url, "REPLYDRAFT_MIGRATE_ON_START": "false"}
    done = subprocess.run([sys.executable, "-m", "replydraft.cli.main", "db", "upgrade"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"revision {head_revision()}" in done.stderr
    database = open_database(settings)  # checks, does not migrate
    assert schema_revision(database.engine) == head_revision()
    database.close()
