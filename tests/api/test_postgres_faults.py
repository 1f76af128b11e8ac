"""PostgreSQL faults are 503 with Retry-After, never a bare 500, and the server recovers by itself:
the server stopped and started again, every pooled connection busy, a table locked past the
statement timeout. A real PostgreSQL server (tests/services.py) and a real uvicorn server."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from api.support import LiveServer, assert_problem, issue_role_keys
from replydraft.config import Settings
from replydraft.db.engine import Database

DRAFT = {"messages": [{"role": "customer", "text": "我身高180，体重90公斤，这条牛仔裤穿多大？"}]}

pytestmark = pytest.mark.postgres


@dataclass
class Served:
    client: httpx.Client
    agent: dict[str, str]
    url: str
    database: Database

    def post_draft(self) -> httpx.Response:
        return self.client.post("/v1/drafts", json=DRAFT, headers=self.agent)


@pytest.fixture
def served(app_factory: Callable[..., tuple[FastAPI, Database, Settings]], postgres_url: str
           ) -> Iterator[Callable[..., Served]]:
    servers: list[LiveServer] = []
    clients: list[httpx.Client] = []

    def start(**overrides: Any) -> Served:
        app, database, _ = app_factory(database_url=postgres_url, **overrides)
        tokens = issue_role_keys(database)
        server = LiveServer(app)
        server.__enter__()
        servers.append(server)
        client = httpx.Client(base_url=server.base_url, timeout=30)
        clients.append(client)
        return Served(client, {"Authorization": f"Bearer {tokens['agent']}"}, postgres_url,
                      database)

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.__exit__(None, None, None)


def assert_unavailable(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/database-unavailable", body
    assert response.headers["retry-after"] == "5"
    return body


def test_a_stopped_server_is_503_and_the_api_recovers_without_restart(
        served: Callable[..., Served], postgres: Any) -> None:
    if postgres.data_dir is None:
        pytest.skip("REPLYDRAFT_TEST_POSTGRES_URL names a server these tests may not stop")
    # auth_cache_s=0: every request looks its key up, so every request meets the database.
    api = served(auth_cache_s=0, db_connect_timeout_s=2)
    assert api.post_draft().status_code == 201
    postgres.stop()
    try:
        for _ in range(5):
            assert_unavailable(api.post_draft())
        ready = assert_problem(api.client.get("/readyz"), 503)
        assert ready["database"] is False
    finally:
        postgres.start()
    deadline = time.monotonic() + 20
    while api.client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready again after the server came back"
        time.sleep(0.2)
    assert api.post_draft().status_code == 201


def test_every_pooled_connection_busy_is_503_after_the_pool_timeout(
        served: Callable[..., Served]) -> None:
    api = served(auth_cache_s=0, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.5)
    assert api.post_draft().status_code == 201
    with api.database.engine.connect():  # the pool's one connection, held
        started = time.monotonic()
        body = assert_unavailable(api.post_draft())
        assert body["fault"] == "busy"
        assert time.monotonic() - started < 5
    assert api.post_draft().status_code == 201


def test_a_table_locked_past_the_statement_timeout_is_503(
        served: Callable[..., Served]) -> None:
    api = served(db_statement_timeout_s=1)
    client, agent, url = api.client, api.agent, api.url
    assert client.post("/v1/drafts", json=DRAFT, headers=agent).status_code == 201
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            connection.execute("LOCK TABLE drafts IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert_unavailable(client.post("/v1/drafts", json=DRAFT, headers=agent))
        assert time.monotonic() - started < 10
    finally:
        release.set()
        holder.join()
    assert client.post("/v1/drafts", json=DRAFT, headers=agent).status_code == 201


def test_a_frozen_server_holds_at_most_the_pool_and_the_rest_are_503_after_the_pool_timeout(
        served: Callable[..., Served], postgres: Any) -> None:
    """What a freeze (kill -STOP) costs a process: the requests on its pooled connections
    wait for the server (the statement timeout is the server's own, so nothing on this side
    ends them), every further request is 503 `busy` after the pool timeout instead of joining
    them, and the waiting ones finish once the server thaws."""
    if postgres.data_dir is None:
        pytest.skip("REPLYDRAFT_TEST_POSTGRES_URL names a server these tests may not freeze")
    api = served(auth_cache_s=0, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=1,
                 db_connect_timeout_s=1)
    assert api.post_draft().status_code == 201  # the pool's one connection is open
    frozen = _cluster_processes(postgres)
    held: list[int] = []
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        waiting = threading.Thread(target=lambda: held.append(api.post_draft().status_code))
        waiting.start()
        time.sleep(0.5)  # it has taken the pooled connection and waits on the frozen server
        assert waiting.is_alive()
        for _ in range(3):
            started = time.monotonic()
            body = assert_unavailable(api.post_draft())
            assert body["fault"] == "busy"
            assert time.monotonic() - started < 5
        assert waiting.is_alive() and not held
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    waiting.join(30)
    assert held == [201]
    assert api.post_draft().status_code == 201


def _cluster_processes(postgres: Any) -> list[int]:
    """The postmaster of the test cluster and its children (backends, background workers):
    only this cluster's, never another server's on the machine."""
    postmaster = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def test_a_frozen_server_makes_readyz_not_ready_within_the_connect_timeout(
        served: Callable[..., Served], postgres: Any) -> None:
    if postgres.data_dir is None:
        pytest.skip("REPLYDRAFT_TEST_POSTGRES_URL names a server these tests may not freeze")
    api = served(db_connect_timeout_s=1)
    assert api.client.get("/readyz").status_code == 200
    frozen = _cluster_processes(postgres)
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        ready = assert_problem(api.client.get("/readyz"), 503)
        assert ready["database_fault"] == "unresponsive"
        assert time.monotonic() - started < 5
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 20
    while api.client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready again after the server thawed"
        time.sleep(0.2)
