"""A slow but alive model cannot starve the API: each draft has a total deadline on the model
(REPLYDRAFT_DRAFT_DEADLINE_S, across retries and streaming), after which the offline fallback
answers; and at most REPLYDRAFT_MAX_CONCURRENT_DRAFTS drafts run at once (503 with Retry-After
beyond), so /healthz and the policy check keep their threads.

The issue's case, through a real uvicorn server and a real (fake) model server on 127.0.0.1: a
stream sending one delta a second with LLM_TIMEOUT_S=3 never trips the per-read timeout; 45 of
them at once used to fill the shared thread pool and take /healthz from 45 ms to 12 s."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.support import LiveServer, assert_problem, issue_role_keys, repo_settings
from fakes import FakeOpenAIServer, RecordedRequest, Reply
from replydraft.api.main import create_app
from replydraft.db.engine import open_database
from replydraft.drafting.drafter import build_drafter

STREAMS = 45
SLOTS = 8
DEADLINE_S = 4.0
READ_TIMEOUT_S = 3.0
DRAFT = {"messages": [{"role": "customer", "text": "这条牛仔裤有弹力吗？"}]}


@dataclass
class Outcome:
    status: int
    seconds: float
    body: str
    retry_after: str | None


@pytest.fixture
def trickling_llm() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()

    def slow(request: RecordedRequest) -> Reply:
        if request.body.get("stream"):
            # 60 deltas, one a second, never a whole sentence: alive, and endless for a draft.
            return Reply.stream(*(["好"] * 60), chunk_delay_s=1.0)
        return Reply(content="好", delay_s=10.0)  # a plain call: silent past the read timeout

    server.responder = slow
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def slow_server(trickling_llm: FakeOpenAIServer, knowledge: Any, kb_data_dir: Path,
                tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    settings = repo_settings(
        kb_data_dir, database_url=f"sqlite:///{tmp_path / 'api.db'}", drafter="llm",
        llm_base_url=trickling_llm.base_url, llm_model="fake-model",
        llm_timeout_s=READ_TIMEOUT_S, llm_max_retries=0, draft_deadline_s=DEADLINE_S,
        max_concurrent_drafts=SLOTS, llm_breaker_failures=1000)
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=knowledge,
                     drafter=build_drafter(settings, knowledge))
    agent = {"Authorization": f"Bearer {issue_role_keys(database)['agent']}"}
    with LiveServer(app) as server:
        yield server.base_url, agent
    database.close()


def _stream(base_url: str, headers: dict[str, str], outcomes: list[Outcome]) -> None:
    started = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=120) as client:
        response = client.post("/v1/drafts/stream", json=DRAFT, headers=headers)
    outcomes.append(Outcome(response.status_code, time.monotonic() - started, response.text,
                            response.headers.get("retry-after")))


def _timed(call: Any) -> float:
    started = time.monotonic()
    response = call()
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_45_trickling_streams_leave_health_and_policy_fast(
        slow_server: tuple[str, dict[str, str]], trickling_llm: FakeOpenAIServer) -> None:
    base_url, agent = slow_server
    outcomes: list[Outcome] = []
    threads = [threading.Thread(target=_stream, args=(base_url, agent, outcomes))
               for _ in range(STREAMS)]
    for thread in threads:
        thread.start()
    health: list[float] = []
    policy: list[float] = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        time.sleep(1.0)  # the admitted streams are now waiting on the model
        for _ in range(10):
            health.append(_timed(lambda: client.get("/healthz")))
            policy.append(_timed(lambda: client.post("/v1/policy/check", headers=agent,
                                                     json={"text": "亲，这款有弹力哦。"})))
            time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=90)

    assert max(health) < 1.0, health
    assert max(policy) < 2.0, policy
    assert len(outcomes) == STREAMS
    served = [o for o in outcomes if o.status == 200]
    refused = [o for o in outcomes if o.status != 200]
    assert SLOTS <= len(served) < STREAMS
    for outcome in refused:
        assert outcome.status == 503 and outcome.retry_after == "2", outcome
        assert json.loads(outcome.body)["type"] == "/problems/overloaded"
    for outcome in served:
        # The deadline, at most one more read, then the offline fallback's own time.
        assert outcome.seconds < DEADLINE_S + READ_TIMEOUT_S + 4, outcome.seconds
        done = [block for block in outcome.body.split("\n\n") if block.startswith("event: done")]
        assert len(done) == 1, outcome.body[-500:]
        draft = json.loads(done[0].split("data: ", 1)[1])
        assert draft["fallback_reason"] == "timeout" and draft["text"]
    assert len(trickling_llm.requests) == len(served)  # no retry after the deadline


def test_a_plain_draft_over_the_cap_is_503_with_retry_after(
        slow_server: tuple[str, dict[str, str]]) -> None:
    base_url, agent = slow_server
    outcomes: list[httpx.Response] = []

    def post() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            outcomes.append(client.post("/v1/drafts", json=DRAFT, headers=agent))

    threads = [threading.Thread(target=post) for _ in range(SLOTS + 4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    created = [r for r in outcomes if r.status_code == 201]
    refused = [r for r in outcomes if r.status_code != 201]
    assert len(created) == SLOTS and len(refused) == 4
    for response in refused:
        assert assert_problem(response, 503)["type"] == "/problems/overloaded"
        assert response.headers["retry-after"] == "2"
    assert all(r.json()["fallback_reason"] == "timeout" for r in created)
    assert time.monotonic() - started < DEADLINE_S + READ_TIMEOUT_S + 4
