"""POST /v1/drafts/stream: filtered sentences as SSE, then the stored draft."""

from __future__ import annotations

from api.support import Api, assert_problem, sse_events


def test_stream_sends_sentences_then_the_stored_pending_draft(api: Api) -> None:
    with api.client.stream("POST", "/v1/drafts/stream", headers=api.auth("agent"), json={
            "messages": [{"role": "customer", "text": "亲，这双鞋我脚长265mm穿多大？"}]}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done"
    assert kinds[:-1] and set(kinds[:-1]) == {"sentence"}
    draft = events[-1][1]
    assert draft["status"] == "pending"
    assert "".join(data["text"] for kind, data in events[:-1]).strip() == draft["text"].strip()
    stored = api.client.get(f"/v1/drafts/{draft['id']}", headers=api.auth("agent")).json()
    assert stored["text"] == draft["text"]
    assert [e["kind"] for e in api.client.get(f"/v1/drafts/{draft['id']}/events",
                                              headers=api.auth("agent")).json()["data"]] \
        == ["created"]


def test_stream_validates_before_streaming(api: Api) -> None:
    assert_problem(api.client.post("/v1/drafts/stream", headers=api.auth("agent"),
                                   json={"messages": []}), 422)
    assert_problem(api.client.post("/v1/drafts/stream", headers=api.auth("qa"), json={
        "messages": [{"role": "customer", "text": "在吗"}]}), 403)


def test_stream_honours_idempotency_keys(api: Api) -> None:
    body = {"messages": [{"role": "customer", "text": "几点前下单当天发？"}]}
    headers = {**api.auth("agent"), "Idempotency-Key": "stream-1"}
    first = sse_events(api.client.post("/v1/drafts/stream", headers=headers, json=body).text)
    replay = sse_events(api.client.post("/v1/drafts/stream", headers=headers, json=body).text)
    assert [kind for kind, _ in replay] == ["done"]
    assert replay[0][1]["id"] == first[-1][1]["id"]
    assert_problem(api.client.post("/v1/drafts/stream", headers=headers, json={
        "messages": [{"role": "customer", "text": "别的问题"}]}), 409)
