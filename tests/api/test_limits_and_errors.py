"""Body and message limits, problem+json everywhere, request ids, no stack traces."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
from sqlalchemy import text

from api.support import Api, assert_problem


def _big_body(size: int) -> bytes:
    return json.dumps({"messages": [{"role": "customer", "text": "码" * size}]}).encode()


def test_body_over_the_limit_is_413_before_parsing(api: Api) -> None:
    body = _big_body(api.settings.max_body_bytes)
    problem = assert_problem(api.client.post(
        "/v1/drafts", content=body,
        headers={**api.auth("agent"), "Content-Type": "application/json"}), 413)
    assert str(api.settings.max_body_bytes) in problem["detail"]


def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    body = _big_body(api.settings.max_body_bytes)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start:start + 4096]

    response = api.client.post("/v1/drafts", content=chunks(),
                               headers={**api.auth("agent"), "Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_chunked_body_over_the_limit_is_413_on_the_wire(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    body = _big_body(64_000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    with httpx.Client(base_url=base_url) as client:
        response = client.post("/v1/drafts", content=chunks(), headers={
            "Authorization": f"Bearer {tokens['agent']}", "Content-Type": "application/json"})
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)


def test_too_many_messages_or_too_long_a_message_is_422(api: Api) -> None:
    limit = api.settings.max_messages
    messages = [{"role": "customer", "text": "在吗"}] * (limit + 1)
    too_many = assert_problem(api.client.post("/v1/drafts", headers=api.auth("agent"),
                                              json={"messages": messages}), 422)
    assert too_many["errors"][0]["loc"] == "body.messages"
    assert str(limit) in too_many["errors"][0]["msg"]
    long_text = "码" * (api.settings.max_message_chars + 1)
    too_long = assert_problem(api.client.post("/v1/drafts", headers=api.auth("agent"), json={
        "messages": [{"role": "customer", "text": long_text}]}), 422)
    assert too_long["errors"] == [{"loc": "body.messages[0].text", "msg": too_long["errors"][0][
        "msg"]}]
    assert "REPLYDRAFT_MAX_MESSAGE_CHARS" in too_long["errors"][0]["msg"]


def test_request_ids_are_echoed_or_generated(api: Api) -> None:
    mine = api.client.get("/healthz", headers={"X-Request-ID": "trace-abc.1"})
    assert mine.headers["x-request-id"] == "trace-abc.1"
    generated = api.client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    junk = api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert junk.headers["x-request-id"] != "bad id\twith spaces"


def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    missing = assert_problem(api.client.get("/v1/nothing-here", headers=api.auth("qa")), 404)
    assert "/v1/nothing-here" in missing["detail"]
    # Without a key the API answers 401 for any /v1/ path: its map is not shown to strangers.
    assert_problem(api.client.get("/v1/nothing-here"), 401)
    wrong = assert_problem(api.client.put("/v1/drafts", headers=api.auth("agent"), json={}), 405)
    assert "POST" in wrong.get("detail", "") or wrong["status"] == 405


def test_a_database_failure_is_a_generic_500_without_a_trace(api: Api) -> None:
    with api.database.engine.begin() as connection:
        connection.execute(text("DROP TABLE idempotency_keys"))
        connection.execute(text("ALTER TABLE drafts RENAME TO drafts_gone"))
    response = api.client.get("/v1/drafts", headers=api.auth("qa"))
    problem = assert_problem(response, 500)
    assert problem["type"] == "/problems/internal-error"
    assert "drafts" not in problem["detail"] and "sqlite" not in response.text.lower()


def test_readiness_and_health(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["knowledge_version"] >= 1
    assert ready.json()["database"] is True


def test_openapi_documents_the_routes_and_problem_responses(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/v1/drafts", "/v1/drafts/{draft_id}/approve", "/v1/drafts/stream",
                 "/v1/policy/check", "/v1/knowledge/search", "/v1/stats", "/readyz"):
        assert path in paths
    approve = paths["/v1/drafts/{draft_id}/approve"]["post"]["responses"]
    assert "application/problem+json" in approve["409"]["content"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert api.client.get("/docs").status_code == 200
