"""The deployment files, checked by what runs here (no Docker daemon, no image build): Compose
itself (Debian's docker-compose, `config`) accepts the compose file and normalises it to the
services, jobs in order, replica count and settings below; only settings replydraft knows are
passed; the API starts with the image's own command, which is the one the scale-out test runs
its replicas with (tests/services.py, deployed_serve_argv)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import typer
import yaml

from conftest import REPO_ROOT
from replydraft.cli.main import app
from replydraft.config import Settings
from services import deployed_serve_argv, missing_service

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


def _image_command() -> list[str]:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert match is not None
    command = json.loads(match.group(1))
    assert isinstance(command, list)
    return command


def _docker_compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on deploy/compose.yaml: Compose's own parser, validation,
    interpolation and normalisation, which need no Docker daemon. Only PATH and ``env`` reach
    it, and an empty env file stands in for any deploy/.env a developer keeps."""
    binary = shutil.which("docker-compose")
    if binary is None:
        missing_service("docker-compose is not installed (Debian's docker-compose package)")
        raise AssertionError("unreachable")
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    return subprocess.run(
        [binary, "--env-file", str(empty), "-p", "replydraft", "-f",
         str(DEPLOY / "compose.yaml"), "config"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **env},
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)


def test_docker_compose_accepts_and_normalises_the_compose_file(tmp_path: Path) -> None:
    done = _docker_compose_config(tmp_path, POSTGRES_PASSWORD="s3cret")
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "chroma", "migrate", "refresh", "api"}
    assert set(config["volumes"]) == {"pgdata", "chromadata"}
    api = services["api"]
    assert api["deploy"]["replicas"] == 3  # as many as tests/test_scale_out.py starts

    # The replicas start with the image's command, the one the scale-out test runs (there
    # bound to 127.0.0.1 and a free port), and `replydraft serve` accepts its options.
    assert api["command"] == _image_command()
    assert deployed_serve_argv(8000)[3:] == \
        [word.replace("0.0.0.0", "127.0.0.1") for word in api["command"][1:]]
    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    parsed = serve.make_context("serve", list(api["command"][2:])).params
    assert parsed == {"host": "0.0.0.0", "port": 8000, "workers": 2}

    # The jobs run in order before the replicas, each with the same settings as the replicas.
    assert services["migrate"]["command"] == ["replydraft", "db", "upgrade"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["refresh"]["command"] == ["replydraft", "kb", "refresh"]
    assert services["refresh"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "chroma": {"condition": "service_started"}}
    assert api["depends_on"] == {"refresh": {"condition": "service_completed_successfully"}}
    environment = api["environment"]
    assert services["migrate"]["environment"] == environment
    assert services["refresh"]["environment"] == environment
    assert environment["REPLYDRAFT_DATABASE_URL"] == \
        "postgresql://replydraft:s3cret@postgres:5432/replydraft"
    assert environment["REPLYDRAFT_CHROMA_URL"] == "http://chroma:8000"
    assert environment["REPLYDRAFT_MIGRATE_ON_START"] == "false"
    known = {f"REPLYDRAFT_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= known
    for name, value in environment.items():  # each value is one its setting accepts
        Settings(**{name.removeprefix("REPLYDRAFT_").lower(): value})
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"

    # Nothing a replica writes is shared: the one bind mount is the knowledge, read-only.
    assert api["volumes"] == [f"{REPO_ROOT / 'knowledge'}:/srv/replydraft/knowledge:ro"]


def test_docker_compose_refuses_to_start_without_the_database_password(tmp_path: Path) -> None:
    done = _docker_compose_config(tmp_path)
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD" in done.stderr
