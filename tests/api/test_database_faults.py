"""Faults of the database (a writer holding the lock past the busy timeout, a full database, a
read-only file) are 503 with Retry-After, /readyz says not-ready while they last, and the server
recovers by itself once they clear. Every draft answered 201 is stored.

Real components: a real uvicorn server on 127.0.0.1, a real SQLite file. The faults are made the
way they happen: another process's connection holds the write lock; SQLite's
``max_page_count`` caps the file (a full disk without a small file system); the file is made
unwritable (``chattr +i`` when the tests run as root, whom file modes do not stop)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.support import LiveServer, assert_problem, issue_role_keys, repo_settings
from replydraft.config import Settings
from replydraft.db.engine import Database, open_database

DRAFT = {"messages": [{"role": "customer", "text": "我身高180，体重90公斤，这条牛仔裤穿多大？"}]}


@dataclass
class Served:
    client: httpx.Client
    database: Database
    path: Path
    agent: dict[str, str]
    created: list[str] = field(default_factory=list)  # ids answered 201

    def post_draft(self) -> httpx.Response:
        response = self.client.post("/v1/drafts", json=DRAFT, headers=self.agent)
        if response.status_code == 201:
            self.created.append(response.json()["id"])
        return response

    def ready(self) -> httpx.Response:
        return self.client.get("/readyz")

    def assert_unavailable(self, response: httpx.Response, fault: str) -> None:
        body = assert_problem(response, 503)
        assert body["type"] == "/problems/database-unavailable"
        assert body["fault"] == fault
        assert response.headers["retry-after"] == "5"

    def assert_not_ready(self, fault: str) -> None:
        response = self.ready()
        body = assert_problem(response, 503)
        assert body["database"] is False and body["database_fault"] == fault, body
        assert "retry-after" in response.headers

    def assert_recovers(self) -> None:
        """Within a few probes (the first may still meet a connection opened under the fault,
        which is then dropped with its pool), ready again and writing."""
        deadline = time.monotonic() + 15
        while self.ready().status_code != 200:
            assert time.monotonic() < deadline, self.ready().text
            time.sleep(0.2)
        assert self.post_draft().status_code == 201
        assert self.ready().status_code == 200

    def assert_nothing_lost(self) -> None:
        for draft_id in self.created:
            assert self.client.get(f"/v1/drafts/{draft_id}",
                                   headers=self.agent).status_code == 200
        with sqlite3.connect(self.path) as connection:
            stored = connection.execute("SELECT count(*) FROM drafts").fetchone()[0]
        assert stored == len(self.created)


@pytest.fixture
def served(app_factory: Callable[..., tuple[FastAPI, Database, Settings]], tmp_path: Path
           ) -> Iterator[Served]:
    app, database, _ = app_factory(db_busy_timeout_s=0.5)
    tokens = issue_role_keys(database)
    with LiveServer(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        served = Served(client, database, tmp_path / "api.db",
                        {"Authorization": f"Bearer {tokens['agent']}"})
        assert served.post_draft().status_code == 201
        assert served.ready().status_code == 200
        yield served
        served.assert_nothing_lost()


def test_a_lock_held_past_the_busy_timeout(served: Served) -> None:
    holder = sqlite3.connect(served.path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, stuck
    try:
        started = time.monotonic()
        served.assert_unavailable(served.post_draft(), "locked")
        assert time.monotonic() - started < 5
        served.assert_not_ready("locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    served.assert_recovers()


def test_a_full_database(served: Served) -> None:
    def cap(connection: Any, _record: object) -> None:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(served.database.engine, "connect", cap)
    served.database.engine.dispose()  # every new connection sees the cap
    try:
        for _ in range(200):  # free room in the last pages takes a few drafts first
            response = served.post_draft()
            if response.status_code != 201:
                break
        served.assert_unavailable(response, "full")
        served.assert_not_ready("full")
        served.assert_unavailable(served.post_draft(), "full")
    finally:
        event.remove(served.database.engine, "connect", cap)  # room again
    served.assert_recovers()


def _make_unwritable(path: Path) -> Callable[[], None]:
    if os.geteuid() != 0:
        os.chmod(path, 0o444)
        return lambda: os.chmod(path, 0o644)
    subprocess.run(["chattr", "+i", str(path)], check=True)
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_file(served: Served) -> None:
    undo = _make_unwritable(served.path)
    try:
        # As after a restart: connections opened from now on find the file read-only.
        served.database.engine.dispose()
        served.assert_unavailable(served.post_draft(), "read-only")
        served.assert_not_ready("read-only")
        assert served.client.get("/v1/drafts", headers=served.agent).status_code == 200
    finally:
        undo()
    served.assert_recovers()


def test_a_stream_whose_draft_cannot_be_stored_ends_with_a_503_error_event(
        served: Served) -> None:
    holder = sqlite3.connect(served.path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = served.client.post("/v1/drafts/stream", json=DRAFT, headers=served.agent)
        served.assert_not_ready("locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 200
    events = [block.split("\n", 1) for block in response.text.strip().split("\n\n")]
    assert [name for name, _ in events][-1] == "event: error"
    last = json.loads(events[-1][1].removeprefix("data: "))
    assert last["status"] == 503 and last["fault"] == "locked"
    assert "discard" in last["detail"]
    assert "event: done" not in response.text
    served.assert_recovers()


@contextlib.contextmanager
def _server_process(data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``replydraft serve`` on ``data_dir`` as a process of its own: a fault that kills it must
    not kill the tests, and its death must be visible. Yields once it listens."""
    env = {**os.environ, "REPLYDRAFT_DATA_DIR": str(data_dir), "REPLYDRAFT_DRAFTER": "offline",
           "REPLYDRAFT_LOG_LEVEL": "WARNING"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli = str(Path(sys.executable).parent / "replydraft")
    server = subprocess.Popen([cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.base_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "the server exited during start-up"
            assert time.monotonic() < deadline, "the server did not start"
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{server.base_url}/healthz", timeout=2)  # type: ignore[attr-defined]
                break
            time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _once(undo: Callable[[], None]) -> Callable[[], None]:
    done: list[bool] = []

    def call() -> None:
        if not done:
            done.append(True)
            undo()

    return call


def _wait_ready(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while client.get("/readyz").status_code != 200:
        assert server.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)


@pytest.fixture
def data_dir(tmp_path: Path, kb_data_dir: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the demo index with a database of its own and an agent key."""
    copy = tmp_path / "var"
    shutil.copytree(kb_data_dir, copy, ignore=shutil.ignore_patterns("replydraft.db*"))
    # The database holds the index versions too: copied whole through SQLite's backup, so no
    # stale -wal or -shm of the original comes along.
    with contextlib.closing(sqlite3.connect(kb_data_dir / "replydraft.db")) as source, \
            contextlib.closing(sqlite3.connect(copy / "replydraft.db")) as target:
        source.backup(target)
    database = open_database(repo_settings(copy))
    agent = {"Authorization": f"Bearer {issue_role_keys(database)['agent']}"}
    database.close()
    return copy, agent


def test_a_read_only_shm_file_is_503_and_the_server_survives(
        data_dir: tuple[Path, dict[str, str]]) -> None:
    path, agent = data_dir
    shm = path / "replydraft.db-shm"
    with _server_process(path) as server, httpx.Client(
            base_url=server.base_url, timeout=30) as client:  # type: ignore[attr-defined]
        _wait_ready(client, server)
        first = client.post("/v1/drafts", json=DRAFT, headers=agent)
        assert first.status_code == 201, first.text
        assert shm.exists()  # the server's pooled connections map it
        undo = _make_unwritable(shm)
        try:
            # SQLite writes to its mapping of the -shm on every transaction: with the file
            # unwritable that was a SIGBUS, and the server was gone.
            refused = client.post("/v1/drafts", json=DRAFT, headers=agent)
            body = assert_problem(refused, 503)
            assert body["type"] == "/problems/database-unavailable"
            assert body["fault"] == "read-only" and refused.headers["retry-after"] == "5"
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["database_fault"] == "read-only"
            assert server.poll() is None
        finally:
            undo()
        _wait_ready(client, server)
        again = client.post("/v1/drafts", json=DRAFT, headers=agent)
        assert again.status_code == 201, again.text
        for created in (first, again):
            read = client.get(f"/v1/drafts/{created.json()['id']}", headers=agent)
            assert read.status_code == 200
        assert server.poll() is None


def test_a_server_started_on_a_read_only_shm_file_waits_for_it(
        data_dir: tuple[Path, dict[str, str]]) -> None:
    path, agent = data_dir
    database = path / "replydraft.db"
    # A process that died with the database open leaves its -shm behind (as the SIGBUS did).
    subprocess.run([sys.executable, "-c", (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT 1 FROM drafts').fetchall(); "
        "os._exit(0)"), str(database)], check=True)
    undo = _once(_make_unwritable(path / "replydraft.db-shm"))
    try:
        with _server_process(path) as server, httpx.Client(
                base_url=server.base_url, timeout=30) as client:  # type: ignore[attr-defined]
            assert client.get("/healthz").status_code == 200
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["database_fault"] == "read-only"
            assert assert_problem(client.post("/v1/drafts", json=DRAFT, headers=agent),
                                  503)["fault"] == "read-only"
            undo()
            _wait_ready(client, server)
            created = client.post("/v1/drafts", json=DRAFT, headers=agent)
            assert created.status_code == 201, created.text
            assert server.poll() is None
    finally:
        undo()
