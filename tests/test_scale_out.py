"""The README's "Scaling out" recipe, end to end: three `replydraft serve` processes, each with a
data dir of its own, sharing only a real PostgreSQL server and a real `chroma run` server.
`replydraft db upgrade` and `replydraft kb refresh` run as one-shot jobs; a refresh started on
one replica is served by all, a rollback on another is followed; of three approvals of one draft
sent to the three replicas at once exactly one wins; PostgreSQL stopped gives 503 with
Retry-After and the replicas recover when it is back; chroma stopped still answers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge.kb_helpers import write_knowledge
from services import deployed_serve_argv, free_port, wait_for_http

pytestmark = [pytest.mark.postgres, pytest.mark.chroma_server, pytest.mark.slow]

REPLICAS = 3
DRAFT = {"messages": [{"role": "customer", "text": "do these jeans stretch?"}]}


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "replydraft.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, chroma_server: Any, tiktoken_cache: Path
            ) -> Iterator[tuple[list[str], Path, dict[str, str]]]:
    knowledge = write_knowledge(tmp_path / "knowledge")
    shared = {**os.environ, "REPLYDRAFT_DATABASE_URL": postgres_url,
              "REPLYDRAFT_CHROMA_URL": chroma_server.url, "REPLYDRAFT_KNOWLEDGE_DIR":
              str(knowledge), "REPLYDRAFT_MIGRATE_ON_START": "false",
              "REPLYDRAFT_AUTH_DISABLED": "true", "REPLYDRAFT_INDEX_POLL_S": "0.5",
              "REPLYDRAFT_DB_CONNECT_TIMEOUT_S": "2", "REPLYDRAFT_AUTH_CACHE_S": "0"}
    job = {**shared, "REPLYDRAFT_DATA_DIR": str(tmp_path / "job")}
    _cli(job, "db", "upgrade")
    _cli(job, "kb", "refresh")
    servers: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(REPLICAS):
            port = free_port()
            env = {**shared, "REPLYDRAFT_DATA_DIR": str(tmp_path / f"replica{n}")}
            # The command the compose file (and the image) starts a replica with.
            servers.append(subprocess.Popen(
                deployed_serve_argv(port), env=env, stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"replica{n}.log").open("wb")))
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, servers, strict=True):
            wait_for_http(f"{url}/readyz", server, timeout_s=300, what="replydraft serve")
        yield urls, knowledge, job
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _versions(urls: list[str]) -> list[int | None]:
    return [httpx.get(f"{url}/v1/knowledge/status", timeout=30).json()["version"]
            for url in urls]


def _until(condition: Any, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


def test_three_replicas_share_only_postgres_and_chroma(
        cluster: tuple[list[str], Path, dict[str, str]], postgres: Any,
        chroma_server: Any) -> None:
    urls, knowledge, _ = cluster
    assert _versions(urls) == [1, 1, 1]

    # A refresh started on one replica is served by every replica.
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("price: 189", "price: 179"), encoding="utf-8")
    started = httpx.post(f"{urls[0]}/v1/knowledge/refresh", timeout=30)
    assert started.status_code == 202, started.text
    job_url = f"{urls[0]}/v1/knowledge/jobs/{started.json()['id']}"
    _until(lambda: httpx.get(job_url, timeout=30).json()["state"] == "succeeded",
           "the refresh job did not succeed", timeout_s=300)
    _until(lambda: _versions(urls) == [2, 2, 2], "not every replica switched")

    # A rollback on another replica is followed by all.
    assert httpx.post(f"{urls[1]}/v1/knowledge/rollback", timeout=60).status_code == 200
    _until(lambda: _versions(urls) == [1, 1, 1], "not every replica rolled back")

    # One draft, approved through all three replicas at once: exactly one wins.
    created = httpx.post(f"{urls[2]}/v1/drafts", json=DRAFT, timeout=60)
    assert created.status_code == 201, created.text
    draft_id = created.json()["id"]
    statuses: list[int] = []

    def approve(url: str) -> None:
        statuses.append(httpx.post(f"{url}/v1/drafts/{draft_id}/approve", json={},
                                   timeout=60).status_code)

    threads = [threading.Thread(target=approve, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409], statuses

    # chroma stopped: still answered (keyword search at worst), never a 500.
    chroma_server.stop()
    try:
        for url in urls:
            search = httpx.get(f"{url}/v1/knowledge/search", params={"q": "stretch jeans"},
                               timeout=60)
            assert search.status_code == 200 and search.json()["data"], search.text
            assert httpx.post(f"{url}/v1/drafts", json=DRAFT, timeout=60).status_code == 201
    finally:
        chroma_server.start()

    # PostgreSQL stopped: 503 with Retry-After; back by itself when the server is.
    if postgres.data_dir is None:
        return  # REPLYDRAFT_TEST_POSTGRES_URL names a server this test may not stop
    postgres.stop()
    try:
        for url in urls:
            down = httpx.post(f"{url}/v1/drafts", json=DRAFT, timeout=60)
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "5"
    finally:
        postgres.start()
    for url in urls:
        _until(lambda url=url: httpx.get(f"{url}/readyz", timeout=30).status_code == 200,
               "a replica did not recover")
        assert httpx.post(f"{url}/v1/drafts", json=DRAFT, timeout=60).status_code == 201
