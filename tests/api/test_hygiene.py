"""What the API tells strangers: no server paths in any answer, and nothing about the body of a
request that carries no key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.support import Api, assert_problem, issue_role_keys
from api.test_knowledge_api import _wait_for
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import open_database

BROKEN_JSON = b'{"messages": [{"role": "customer", "text": "hi"'


def test_knowledge_status_shows_no_server_paths(api: Api) -> None:
    response = api.client.get("/v1/knowledge/status", headers=api.auth("content"))
    assert response.status_code == 200
    assert response.json()["knowledge_dir"] == "knowledge"
    for path in (api.settings.knowledge_dir, api.settings.data_dir):
        assert str(path.resolve()) not in response.text and str(path) not in response.text


def test_lock_races_show_no_server_paths(private_kb: tuple[Settings, Any], drafter: Any,
                                         tmp_path: Path) -> None:
    settings, knowledge = private_kb
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
    content = {"Authorization": f"Bearer {issue_role_keys(database)['content']}"}
    # Another refresh (here: this test) holds the lock on the index folder.
    with TestClient(app) as client, knowledge._versions.refresh_lock():
        rollback = client.post("/v1/knowledge/rollback", headers=content)
        job = client.post("/v1/knowledge/refresh", headers=content).json()
        finished = _wait_for(client, job["id"], content)
    database.close()

    body = assert_problem(rollback, 409)
    assert "another knowledge refresh is running" in body["detail"]
    assert finished["state"] == "failed"
    assert "another knowledge refresh is running" in finished["errors"][0]["msg"]
    for text in (rollback.text, str(finished)):
        assert str(tmp_path) not in text and str(settings.data_dir) not in text


def test_a_broken_body_without_a_key_is_401_not_422(api: Api) -> None:
    json_type = {"Content-Type": "application/json"}
    anonymous = api.client.post("/v1/drafts", content=BROKEN_JSON, headers=json_type)
    wrong_key = api.client.post("/v1/drafts", content=BROKEN_JSON,
                                headers={**json_type, "Authorization": "Bearer rdk_0_nope"})
    with_key = api.client.post("/v1/drafts", content=BROKEN_JSON,
                               headers={**json_type, **api.auth("agent")})
    oversized = api.client.post("/v1/drafts", content=b"x" * (api.settings.max_body_bytes + 1),
                                headers=json_type)

    assert "errors" not in assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert_problem(wrong_key, 401)
    assert_problem(with_key, 422)
    assert_problem(oversized, 401)
