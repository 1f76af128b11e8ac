"""401 for missing/invalid keys, 403 for the wrong role, through the real app."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.support import Api, assert_problem, issue_role_keys
from replydraft.config import Settings
from replydraft.db.engine import Database

DRAFT = {"messages": [{"role": "customer", "text": "在吗？"}]}


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer rdk_deadbeef_notarealkeynotarealkey"},
    {"Authorization": "Token abc"},
])
def test_missing_or_invalid_keys_get_401(api: Api, headers: dict[str, str]) -> None:
    response = api.client.post("/v1/drafts", json=DRAFT, headers=headers)
    problem = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert problem["type"] == "/problems/unauthorized"


def test_a_revoked_key_gets_401(api: Api) -> None:
    from replydraft.review.access import revoke_key

    with api.database.session() as session:
        revoke_key(session=session, name_or_id="agent-1")
    assert_problem(api.client.get("/v1/drafts", headers=api.auth("agent")), 401)


def test_a_key_revoked_after_use_works_until_the_cache_forgets_it(
        app_factory: Callable[..., tuple[FastAPI, Database, Settings]]) -> None:
    from replydraft.review.access import revoke_key

    app, database, _ = app_factory(auth_cache_s=60)
    tokens = issue_role_keys(database)
    headers = {"Authorization": f"Bearer {tokens['agent']}"}
    with TestClient(app) as client:
        assert client.get("/v1/drafts", headers=headers).status_code == 200
        with database.session() as session:
            revoke_key(session=session, name_or_id="agent-1")
        assert client.get("/v1/drafts", headers=headers).status_code == 200  # remembered
        app.state.principals.ttl_s = 0  # e.g. the cache time ran out
        assert_problem(client.get("/v1/drafts", headers=headers), 401)


@pytest.mark.parametrize(("role", "method", "path", "body"), [
    ("qa", "POST", "/v1/drafts", DRAFT),
    ("content", "POST", "/v1/drafts", DRAFT),
    ("content", "GET", "/v1/drafts", None),
    ("agent", "GET", "/v1/stats", None),
    ("agent", "POST", "/v1/knowledge/refresh", None),
    ("agent", "POST", "/v1/knowledge/rollback", {}),
    ("qa", "POST", "/v1/knowledge/refresh", None),
])
def test_wrong_role_gets_403(api: Api, role: str, method: str, path: str,
                             body: dict[str, object] | None) -> None:
    response = api.client.request(method, path, json=body, headers=api.auth(role))
    assert "may not" in assert_problem(response, 403)["detail"]


def test_qa_reads_but_cannot_decide(api: Api) -> None:
    draft = api.create_draft()
    assert api.client.get(f"/v1/drafts/{draft['id']}", headers=api.auth("qa")).status_code == 200
    assert_problem(api.client.post(f"/v1/drafts/{draft['id']}/approve", headers=api.auth("qa"),
                                   json={}), 403)
    assert api.client.get("/v1/stats", headers=api.auth("qa")).status_code == 200


def test_health_and_metrics_need_no_key(api: Api) -> None:
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/metrics").status_code == 200


def test_dev_mode_acts_as_a_local_admin(app_factory: object) -> None:
    from fastapi.testclient import TestClient

    app, _, _ = app_factory(auth_disabled=True)  # type: ignore[operator]
    # Dev mode answers loopback peers only; TestClient's default peer is "testclient".
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        created = client.post("/v1/drafts", json=DRAFT)
        assert created.status_code == 201
        assert created.json()["created_by"] == "dev"
