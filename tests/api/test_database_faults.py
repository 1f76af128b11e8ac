"""Faults of the database (a writer holding the lock past the busy timeout, a full database, a
read-only file) are 503 with Retry-After, /readyz says not-ready while they last, and the server
recovers by itself once they clear. Every draft answered 201 is stored.

Real components: a real uvicorn server on 127.0.0.1, a real SQLite file. The faults are made the
way they happen: another process's connection holds the write lock; SQLite's
``max_page_count`` caps the file (a full disk without a small file system); the file is made
unwritable (``chattr +i`` when the tests run as root, whom file modes do not stop)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.support import LiveServer, assert_problem, issue_role_keys
from replydraft.config import Settings
from replydraft.db.engine import Database

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
