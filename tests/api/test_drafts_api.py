"""Drafts through the real app: create, read, list, approve, reject, audit, idempotency."""

from __future__ import annotations

from api.support import Api, assert_problem


def test_create_returns_a_pending_draft_with_the_drafters_result(api: Api) -> None:
    response = api.client.post("/v1/drafts", headers=api.auth("agent"), json={
        "messages": [{"role": "customer", "text": "我身高180，体重90公斤，这条牛仔裤穿多大？"}],
        "platform": "taobao", "conversation_id": "conv-7"})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["id"].startswith("dr_")
    assert response.headers["location"] == f"/v1/drafts/{draft['id']}"
    assert draft["status"] == "pending"
    assert draft["conversation_id"] == "conv-7"
    assert draft["created_by"] == "agent-1"
    assert draft["language"] == "zh-Hans"
    assert draft["backend"] == "offline"
    assert draft["text"] and draft["intents"] and draft["prompt_version"]
    assert draft["policy"]["clean"] in (True, False)
    assert draft["final_text"] is None and draft["edited"] is None
    assert draft["request"]["messages"][0]["text"].startswith("我身高180")
    fetched = api.client.get(f"/v1/drafts/{draft['id']}", headers=api.auth("qa"))
    assert fetched.status_code == 200
    assert fetched.json() == draft


def test_unknown_draft_is_a_404_problem(api: Api) -> None:
    assert_problem(api.client.get("/v1/drafts/dr_nope", headers=api.auth("agent")), 404)


def test_approve_as_written(api: Api) -> None:
    draft = api.create_draft()
    response = api.client.post(f"/v1/drafts/{draft['id']}/approve", headers=api.auth("agent"),
                               json={"note": "good"})
    assert response.status_code == 200, response.text
    approved = response.json()
    assert approved["status"] == "approved"
    assert approved["final_text"] == draft["text"]
    assert approved["edited"] is False
    assert approved["edit_distance"] == 0
    assert approved["decided_by"] == "agent-1"
    assert approved["note"] == "good"


def test_approve_with_an_edit_records_the_distance_and_the_events(api: Api) -> None:
    draft = api.create_draft()
    edited_text = draft["text"] + "有问题随时找我哦。"
    response = api.client.post(f"/v1/drafts/{draft['id']}/approve", headers=api.auth("agent"),
                               json={"text": edited_text})
    assert response.status_code == 200, response.text
    approved = response.json()
    assert approved["final_text"] == edited_text
    assert approved["edited"] is True
    assert approved["edit_distance"] == len("有问题随时找我哦。")
    events = api.client.get(f"/v1/drafts/{draft['id']}/events", headers=api.auth("qa")).json()
    kinds = [e["kind"] for e in events["data"]]
    assert kinds == ["created", "edited", "approved"]
    edited = events["data"][1]
    assert edited["actor"] == "agent-1"
    assert edited["before_text"] == draft["text"]
    assert edited["after_text"] == edited_text
    assert edited["policy"]["clean"] is True
    assert events["data"][0]["after_text"] == draft["text"]


def test_a_draft_is_decided_once(api: Api) -> None:
    draft = api.create_draft()
    url = f"/v1/drafts/{draft['id']}"
    assert api.client.post(f"{url}/approve", headers=api.auth("agent"), json={}).status_code \
        == 200
    again = assert_problem(api.client.post(f"{url}/approve", headers=api.auth("agent"),
                                           json={}), 409)
    assert again["type"] == "/problems/draft-state-conflict"
    assert "approved" in again["detail"]
    assert_problem(api.client.post(f"{url}/approve", headers=api.auth("agent"),
                                   json={"text": "亲，改一下"}), 409)
    assert_problem(api.client.post(f"{url}/reject", headers=api.auth("agent"),
                                   json={"reason": "late"}), 409)


def test_reject_needs_a_reason_and_blocks_approval(api: Api) -> None:
    draft = api.create_draft()
    url = f"/v1/drafts/{draft['id']}"
    missing = assert_problem(api.client.post(f"{url}/reject", headers=api.auth("agent"),
                                             json={}), 422)
    assert missing["errors"][0]["loc"] == "body.reason"
    assert_problem(api.client.post(f"{url}/reject", headers=api.auth("agent"),
                                   json={"reason": "   "}), 422)
    rejected = api.client.post(f"{url}/reject", headers=api.auth("agent"),
                               json={"reason": "customer already left"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "customer already left"
    assert_problem(api.client.post(f"{url}/approve", headers=api.auth("agent"), json={}), 409)
    kinds = [e["kind"] for e in
             api.client.get(f"{url}/events", headers=api.auth("agent")).json()["data"]]
    assert kinds == ["created", "rejected"]


def test_an_edit_adding_off_platform_contact_is_refused(api: Api) -> None:
    draft = api.create_draft()
    url = f"/v1/drafts/{draft['id']}"
    bad = draft["text"] + "加我微信 bigtrail88 聊。"
    refused = assert_problem(api.client.post(f"{url}/approve", headers=api.auth("agent"),
                                             json={"text": bad}), 422)
    assert refused["type"] == "/problems/policy-violation"
    assert {v["category"] for v in refused["violations"]} == {"off_platform"}
    assert api.client.get(url, headers=api.auth("agent")).json()["status"] == "pending"
    kinds = [e["kind"] for e in
             api.client.get(f"{url}/events", headers=api.auth("agent")).json()["data"]]
    assert kinds == ["created", "blocked"]


def test_only_a_supervisor_with_a_reason_can_override(api: Api) -> None:
    draft = api.create_draft()
    url = f"/v1/drafts/{draft['id']}"
    bad = draft["text"] + "加我微信 bigtrail88 聊。"
    assert_problem(api.client.post(f"{url}/approve", headers=api.auth("agent"),
                                   json={"text": bad, "override_reason": "customer asked"}), 403)
    assert_problem(api.client.post(f"{url}/approve", headers=api.auth("supervisor"),
                                   json={"text": bad}), 422)
    response = api.client.post(f"{url}/approve", headers=api.auth("supervisor"),
                               json={"text": bad, "override_reason": "official store account"})
    assert response.status_code == 200, response.text
    assert response.json()["final_text"] == bad
    assert response.json()["override_reason"] == "official store account"
    events = api.client.get(f"{url}/events", headers=api.auth("qa")).json()["data"]
    assert [e["kind"] for e in events] == ["created", "blocked", "edited", "override", "approved"]
    override = events[3]
    assert override["actor"] == "supervisor-1"
    assert override["detail"] == {"reason": "official store account"}
    assert override["policy"]["clean"] is False


def test_list_pages_with_a_stable_cursor_and_filters(api: Api) -> None:
    ids = [api.create_draft()["id"] for _ in range(5)]
    api.client.post(f"/v1/drafts/{ids[0]}/reject", headers=api.auth("supervisor"),
                    json={"reason": "dup"})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/v1/drafts", params=params, headers=api.auth("qa")).json()
        seen += [d["id"] for d in page["data"]]
        if cursor is None:
            api.create_draft()  # a new draft must not shift the pages already being read
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    rejected = api.client.get("/v1/drafts", params={"status": "rejected"},
                              headers=api.auth("qa")).json()["data"]
    assert [d["id"] for d in rejected] == [ids[0]]
    by_decider = api.client.get("/v1/drafts", params={"agent": "supervisor-1"},
                                headers=api.auth("qa")).json()["data"]
    assert [d["id"] for d in by_decider] == [ids[0]]
    intent = api.client.get(f"/v1/drafts/{ids[1]}", headers=api.auth("qa")).json()["intents"][0]
    by_intent = api.client.get("/v1/drafts", params={"intent": intent["intent"]},
                               headers=api.auth("qa")).json()["data"]
    assert ids[1] in {d["id"] for d in by_intent}
    bad = assert_problem(api.client.get("/v1/drafts", params={"cursor": "garbage!"},
                                        headers=api.auth("qa")), 400)
    assert bad["errors"][0]["loc"] == "query.cursor"


def test_idempotency_key_replays_the_same_draft(api: Api) -> None:
    body = {"messages": [{"role": "customer", "text": "几天能到？"}]}
    headers = {**api.auth("agent"), "Idempotency-Key": "req-42"}
    first = api.client.post("/v1/drafts", json=body, headers=headers)
    assert first.status_code == 201
    # Same meaning, different JSON spelling: still the same request.
    second = api.client.post("/v1/drafts", content='{ "messages" : [{"text": "几天能到？", '
                             '"role": "customer"}] }',
                             headers={**headers, "Content-Type": "application/json"})
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    conflict = assert_problem(api.client.post(
        "/v1/drafts", json={"messages": [{"role": "customer", "text": "能便宜点吗？"}]},
        headers=headers), 409)
    assert conflict["type"] == "/problems/idempotency-conflict"
    listed = api.client.get("/v1/drafts", headers=api.auth("qa")).json()["data"]
    assert len(listed) == 1
    # Keys are per caller: another agent's "req-42" is a different request.
    other = api.client.post("/v1/drafts", json=body,
                            headers={**api.auth("supervisor"), "Idempotency-Key": "req-42"})
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]


def test_unknown_fields_and_bad_shapes_are_422_with_field_errors(api: Api) -> None:
    extra = assert_problem(api.client.post("/v1/drafts", headers=api.auth("agent"), json={
        "messages": [{"role": "customer", "text": "hi"}], "priority": "high"}), 422)
    assert extra["errors"][0]["loc"] == "body.priority"
    agent_last = assert_problem(api.client.post("/v1/drafts", headers=api.auth("agent"), json={
        "messages": [{"role": "agent", "text": "hi"}]}), 422)
    assert agent_last["errors"][0]["loc"].startswith("body.messages")
    broken = assert_problem(api.client.post(
        "/v1/drafts", headers={**api.auth("agent"), "Content-Type": "application/json"},
        content=b"{not json"), 422)
    assert broken["errors"]
