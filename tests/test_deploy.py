"""The deployment files, checked by what runs here (no Docker Compose on this machine): the
compose file parses, names the replicas' jobs in order, passes only settings replydraft knows,
and starts the API with the image's own command, which is the `replydraft serve` the tests run."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from conftest import REPO_ROOT
from replydraft.cli.main import app
from replydraft.config import Settings

DEPLOY = REPO_ROOT / "deploy"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_runs_migration_then_refresh_then_replicas() -> None:
    services = _compose()["services"]
    assert {"postgres", "chroma", "migrate", "refresh", "api"} <= set(services)
    assert services["migrate"]["command"] == ["replydraft", "db", "upgrade"]
    assert services["refresh"]["command"] == ["replydraft", "kb", "refresh"]
    assert services["refresh"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert services["api"]["depends_on"]["refresh"]["condition"] == \
        "service_completed_successfully"
    assert services["chroma"]["command"][:2] == ["chroma", "run"]


def test_compose_passes_only_known_settings_and_needs_no_shared_volume() -> None:
    known = {f"REPLYDRAFT_{name.upper()}" for name in Settings.model_fields}
    api = _compose()["services"]["api"]
    assert set(api["environment"]) <= known
    assert api["environment"]["REPLYDRAFT_MIGRATE_ON_START"] == "false"
    assert {"REPLYDRAFT_DATABASE_URL", "REPLYDRAFT_CHROMA_URL"} <= set(api["environment"])
    # The replicas mount the knowledge files read-only and nothing they write is shared.
    assert all(volume.endswith(":ro") for volume in api.get("volumes", []))


def test_the_image_starts_the_command_compose_and_the_tests_run() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert match is not None
    command = json.loads(match.group(1))
    assert command == _compose()["services"]["api"]["command"]
    assert command[:2] == ["replydraft", "serve"]
    assert "serve" in {c.name for c in app.registered_commands}
    assert "'.[postgres]'" in dockerfile
