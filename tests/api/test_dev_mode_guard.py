"""Dev mode (no API keys) is enforced by the app on every request's peer, not only by
``replydraft serve``'s bind check: uvicorn's factory on 0.0.0.0 used to serve every route to
anyone without a key.

The servers here are real uvicorn servers bound to 0.0.0.0 with settings that say 127.0.0.1,
which is what ``uvicorn --factory replydraft.api.main:create_app_from_env --host 0.0.0.0`` does.
Far peers reach them two ways: through uvicorn's trusted-proxy path (a reverse proxy on this
host forwards ``X-Forwarded-For``; uvicorn trusts 127.0.0.1 by default and reports the forwarded
address as the peer), and, where this machine has a non-loopback address, from another process
connecting to that address.
"""

from __future__ import annotations

import fcntl
import json
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.support import LiveServer, assert_problem
from replydraft.config import Settings
from replydraft.db.engine import Database

DRAFT = {"messages": [{"role": "customer", "text": "在吗？"}]}
SIOCGIFADDR = 0x8915


@pytest.fixture
def dev_server(app_factory: Callable[..., tuple[FastAPI, Database, Settings]]
               ) -> Iterator[LiveServer]:
    app, _, settings = app_factory(auth_disabled=True)
    assert settings.host == "127.0.0.1"  # the start-up check passes, as with the factory
    with LiveServer(app, host="0.0.0.0") as server:
        yield server


def test_loopback_peers_are_served_and_forwarded_far_peers_refused(
        dev_server: LiveServer) -> None:
    far = {"X-Forwarded-For": "203.0.113.9"}
    with httpx.Client(base_url=dev_server.base_url, timeout=30) as client:
        assert client.get("/v1/drafts").status_code == 200
        created = client.post("/v1/drafts", json=DRAFT)
        assert created.status_code == 201 and created.json()["created_by"] == "dev"

        listed = client.get("/v1/drafts", headers=far)
        body = assert_problem(listed, 403)
        assert "dev mode" in body["detail"] and "loopback" in body["detail"]
        assert_problem(client.post("/v1/drafts", json=DRAFT, headers=far), 403)
        assert_problem(client.get("/v1/knowledge/status", headers=far), 403)
        assert_problem(client.get("/healthz", headers=far), 403)

        drafts = client.get("/v1/drafts").json()
    assert [d["id"] for d in drafts["data"]] == [created.json()["id"]]


def _non_loopback_ipv4() -> str | None:
    """This machine's first non-loopback IPv4 address (Linux ``SIOCGIFADDR``), if any."""
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name[:15].encode()))
            except OSError:
                continue
        address = socket.inet_ntoa(packed[20:24])
        if not address.startswith("127."):
            return address
    return None


# The client runs in its own process: this one refuses non-loopback connections (conftest).
CLIENT = """
import json, sys, httpx
response = httpx.request(sys.argv[1], sys.argv[2], json=json.loads(sys.argv[3]), timeout=30)
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def test_a_peer_on_a_non_loopback_address_is_refused(dev_server: LiveServer) -> None:
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")

    def call(method: str, path: str, body: Any = None) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", CLIENT, method, f"http://{address}:{dev_server.port}{path}",
             json.dumps(body)], capture_output=True, text=True, timeout=60, check=True)
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    listed = call("GET", "/v1/drafts")
    created = call("POST", "/v1/drafts", DRAFT)

    assert listed["status"] == 403 and "loopback" in listed["body"]["detail"]
    assert created["status"] == 403
    with httpx.Client(base_url=dev_server.base_url, timeout=30) as client:
        assert client.get("/v1/drafts").json()["data"] == []
