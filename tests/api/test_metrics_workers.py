"""`/metrics` of `replydraft serve --workers 2` counts every worker's requests, whichever worker
answers the scrape (a real server in a child process, connections opened anew each time)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services import free_port, wait_for_http

REQUESTS = 24


def _healthz_count(text: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("replydraft_http_requests_total{") and '"/healthz"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_add_up_every_worker(tmp_path: Path, tiktoken_cache: Path) -> None:
    port = free_port()
    env = {**os.environ, "REPLYDRAFT_DATA_DIR": str(tmp_path / "var"),
           "REPLYDRAFT_AUTH_DISABLED": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "replydraft.cli.main", "serve", "--port", str(port),
         "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", server, timeout_s=180, what="replydraft serve")
        time.sleep(3)  # the second worker, still warming up, must be counted too
        for _ in range(REQUESTS - 1):  # one more was the readiness loop's last
            with httpx.Client(base_url=base) as client:  # a new connection: any worker
                assert client.get("/healthz").status_code == 200
        scrapes = []
        for _ in range(6):
            with httpx.Client(base_url=base) as client:
                scrapes.append(_healthz_count(client.get("/metrics").text))
        # Every scrape sees at least all requests made before it (the loop's failed tries
        # were never answered), whichever worker serves it.
        assert len(set(scrapes)) == 1, scrapes
        assert scrapes[0] >= REQUESTS, scrapes
    finally:
        server.terminate()
        server.wait(timeout=30)
