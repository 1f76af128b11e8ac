"""Helpers shared by the API tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from replydraft.config import Settings
from replydraft.db.engine import Database
from replydraft.review.access import ROLES, issue_key

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBLEM_JSON = "application/problem+json"


def repo_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "knowledge_dir": REPO_ROOT / "knowledge",
        "prompts_dir": REPO_ROOT / "prompts",
        "evals_dir": REPO_ROOT / "evals",
        "drafter": "offline",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Api:
    client: TestClient
    database: Database
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def create_draft(self, text: str = "我身高180，体重90公斤，这条牛仔裤穿多大？",
                     role: str = "agent", **body: Any) -> dict[str, Any]:
        body.setdefault("messages", [{"role": "customer", "text": text}])
        response = self.client.post("/v1/drafts", json=body, headers=self.auth(role))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


def issue_role_keys(database: Database) -> dict[str, str]:
    tokens = {}
    with database.session() as session:
        for role in ROLES:
            _, tokens[role] = issue_key(session=session, name=f"{role}-1", role=role)
    return tokens


def create_draft(client: httpx.Client, headers: dict[str, str], text: str,
                 platform: str = "taobao") -> dict[str, Any]:
    """A pending draft for one customer message, over HTTP (201 asserted)."""
    created = client.post("/v1/drafts", headers=headers, json={
        "messages": [{"role": "customer", "text": text}], "platform": platform})
    assert created.status_code == 201, created.text
    draft: dict[str, Any] = created.json()
    return draft


def sse_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` for each Server-Sent Event of a streamed draft."""
    events = []
    for frame in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Every error is RFC 9457 problem+json with a request id, never a stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


class LiveServer:
    """uvicorn on 127.0.0.1 (or ``host``) with an ephemeral port, in a thread."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(app, host=host, port=0, log_config=None,
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def private_knowledge(source: Any, data_dir: Path, **overrides: Any) -> tuple[Settings, Any]:
    """A copy of the demo index in ``data_dir`` (for tests that refresh or roll back), sharing
    the demo's embedder and its vector cache. The index (versions, units) is in the copied data
    dir's SQLite database, whatever ``database_url`` the API is given."""
    from replydraft.db.engine import open_database
    from replydraft.knowledge.base import KnowledgeBase

    shutil.copytree(source.settings.data_dir, data_dir)
    settings = repo_settings(data_dir, **overrides)
    index_database = open_database(repo_settings(data_dir))
    return settings, KnowledgeBase(settings, embedder=source.embedder, database=index_database)
