"""Two agents approving the same draft at the same moment: exactly one wins. Real concurrent
HTTP requests against uvicorn on 127.0.0.1, each thread with its own connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

AGENTS = 6


def _create(client: httpx.Client, token: str, text: str, key: str | None = None
            ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/v1/drafts", headers=headers,
                       json={"messages": [{"role": "customer", "text": text}]})


def _race(base_url: str, calls: list[tuple[str, str, dict[str, object], dict[str, str]]]
          ) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))

    def fire(call: tuple[str, str, dict[str, object], dict[str, str]]) -> httpx.Response:
        method, path, body, headers = call
        with httpx.Client(base_url=base_url, timeout=30) as client:
            client.get("/healthz")  # connect first so the race is on the request itself
            barrier.wait()
            return client.request(method, path, json=body, headers=headers)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, calls))


def test_concurrent_approvals_exactly_one_succeeds(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    supervisor = {"Authorization": f"Bearer {tokens['supervisor']}"}
    with httpx.Client(base_url=base_url) as client:
        draft_ids = [_create(client, tokens["agent"], f"这条裤子{n}天能到吗？").json()["id"]
                     for n in range(3)]
    for draft_id in draft_ids:
        calls = [("POST", f"/v1/drafts/{draft_id}/approve",
                  {"text": f"亲，今天下单明天发货，版本{n}。"}, agent if n % 2 else supervisor)
                 for n in range(AGENTS)]
        calls.append(("POST", f"/v1/drafts/{draft_id}/reject", {"reason": "dup"}, agent))
        responses = _race(base_url, calls)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [409] * AGENTS, [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        with httpx.Client(base_url=base_url) as client:
            stored = client.get(f"/v1/drafts/{draft_id}", headers=agent).json()
            events = client.get(f"/v1/drafts/{draft_id}/events", headers=agent).json()["data"]
        assert stored["status"] == winner["status"]
        assert stored["final_text"] == winner["final_text"]
        decisions = [e for e in events if e["kind"] in ("approved", "rejected")]
        assert len(decisions) == 1


def test_concurrent_requests_with_one_idempotency_key_make_one_draft(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    headers = {"Authorization": f"Bearer {tokens['agent']}", "Idempotency-Key": "same-click"}
    body = {"messages": [{"role": "customer", "text": "能开发票吗？"}]}
    responses = _race(base_url, [("POST", "/v1/drafts", body, headers)] * 5)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.status_code == 201 for r in responses) == 1
    with httpx.Client(base_url=base_url) as client:
        listed = client.get("/v1/drafts", headers=headers).json()["data"]
    assert len(listed) == 1
