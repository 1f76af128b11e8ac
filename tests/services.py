"""Real servers for the tests: a throwaway PostgreSQL cluster and a chroma server, each started
from the machine's binaries on a free loopback port and stopped at the end of the session.

A test that needs one of them and cannot have it is skipped on a developer's machine but FAILS
in CI (``CI`` set): CI must never go green without having run them.
``REPLYDRAFT_TEST_POSTGRES_URL`` points the tests at an existing server instead (each test still
gets a database of its own).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

POSTGRES_URL_ENV = "REPLYDRAFT_TEST_POSTGRES_URL"
COMPOSE_FILE = Path(__file__).resolve().parent.parent / "deploy" / "compose.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_service(what: str) -> None:
    """Fail in CI, skip elsewhere: a service the tests need is not installed here."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run these tests; .ci/run installs it)", pytrace=False)
    pytest.skip(what)


def wait_for_http(url: str, process: subprocess.Popen[bytes], *, timeout_s: float,
                  what: str) -> None:
    """Until ``url`` answers 200; fails when ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {timeout_s:g} s")
        time.sleep(0.2)


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin
    (the newest), else None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _demote() -> Callable[[], None] | None:
    """PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user
    (Debian's package creates it), else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue

        def demote(uid: int = user.pw_uid, gid: int = user.pw_gid) -> None:
            os.setgid(gid)
            os.setuid(uid)

        return demote
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


@dataclass
class PostgresServer:
    """A running server and how to make databases on it."""

    admin_url: str  # SQLAlchemy URL of the maintenance database
    data_dir: Path | None = None  # set when we started it (so tests may stop and restart it)
    bin_dir: Path | None = None
    port: int = 0

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"rd_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def pg_ctl(self, *args: str) -> None:
        assert self.bin_dir is not None and self.data_dir is not None, "not ours to control"
        subprocess.run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
                       check=True, capture_output=True, preexec_fn=_demote(), timeout=60)

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w")

    def start(self) -> None:
        assert self.data_dir is not None
        self.pg_ctl("start", "-w", "-l", str(self.data_dir.parent / "server.log"),
                    "-o", f"-p {self.port} -k {self.data_dir.parent} "
                          "-c listen_addresses=127.0.0.1 -c fsync=off "
                          "-c max_connections=200")


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def postgres_server(root: Path) -> Iterator[PostgresServer]:
    """The server named by REPLYDRAFT_TEST_POSTGRES_URL, else a new cluster under ``root``."""
    given = os.environ.get(POSTGRES_URL_ENV)
    if given:
        yield PostgresServer(admin_url=given)
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing_service("psycopg is not installed (pip install -e '.[dev]')")
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        missing_service("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                        "install Debian's postgresql package")
        raise AssertionError("unreachable")
    root.mkdir(parents=True, exist_ok=True)
    demote = _demote()
    if demote is not None:  # the server's user must own its folder
        user = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
        os.chown(root, user.pw_uid, user.pw_gid)
    data_dir = root / "data"
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U",
                    "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"],
                   check=True, capture_output=True, preexec_fn=demote, timeout=120)
    server = PostgresServer(admin_url="", data_dir=data_dir, bin_dir=bin_dir, port=free_port())
    server.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres"
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # a test left it stopped
            server.pg_ctl("stop", "-m", "immediate", "-w")
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# ---------------------------------------------------------------- chroma server


@dataclass
class ChromaServer:
    url: str
    path: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        if not Path(chroma).exists():
            missing_service("the `chroma` command (from the chromadb package) is not installed")
        log = (self.path.parent / "chroma.log").open("ab")
        self.process = subprocess.Popen(
            [chroma, "run", "--host", "127.0.0.1", "--port", str(self.port),
             "--path", str(self.path)], stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(f"{self.url}/api/v2/heartbeat", self.process, timeout_s=60,
                      what=f"chroma run (see {self.path.parent / 'chroma.log'})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextmanager
def chroma_server(root: Path) -> Iterator[ChromaServer]:
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    server = ChromaServer(url=f"http://127.0.0.1:{port}", path=root / "data", port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- the deployed start command


def deployed_serve_argv(port: int) -> list[str]:
    """The API replicas' start command in deploy/compose.yaml (also the image's CMD, see
    tests/test_deploy.py), bound to 127.0.0.1:``port`` and run by this interpreter: the
    scale-out test starts its replicas with it."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    command = [str(word) for word in compose["services"]["api"]["command"]]
    assert command[:2] == ["replydraft", "serve"], command
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return [sys.executable, "-m", "replydraft.cli.main", *command[1:]]
