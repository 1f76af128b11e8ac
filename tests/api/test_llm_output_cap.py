"""An endpoint that ignores max_tokens cannot make a draft unbounded (issue 14, item 9): a
240,000-character reply was accepted and stored whole. Past REPLYDRAFT_LLM_MAX_OUTPUT_CHARS a
plain reply is bad output (the offline composer answers) and a stream is cut off and closed.
Through a real uvicorn server and the fake model server."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from api.support import sse_events
from fakes import FakeOpenAIServer, Reply

CAP = 4000
QUESTION = {"messages": [{"role": "customer", "text": "这条牛仔裤有弹力吗？"}]}
SENTENCE = "亲，这款牛仔裤是四面弹面料，穿着很舒服哦。"  # 21 characters


def test_a_240000_character_reply_is_not_accepted(
        fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    base_url, roles = llm_live_api(llm_max_output_chars=CAP)
    huge = json.dumps({"sentences": [{"text": SENTENCE, "cites": []}] * 6000},
                      ensure_ascii=False)
    assert len(huge) > 240_000
    fake_llm.default = Reply(content=huge)
    with httpx.Client(base_url=base_url, timeout=60) as client:
        created = client.post("/v1/drafts", headers=roles["agent"], json=QUESTION)
        assert created.status_code == 201, created.text[:300]
        draft = created.json()
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
    assert draft["fallback_reason"] == "too_long" and draft["backend"] == "offline"
    assert SENTENCE not in stored["text"] and len(stored["text"]) < 500


def test_a_stream_without_end_is_cut_at_the_cap_and_closed(
        fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    base_url, roles = llm_live_api(llm_max_output_chars=CAP)
    fake_llm.script(Reply.stream(*([SENTENCE * 50] * 240)))  # 252,000 characters
    with httpx.Client(base_url=base_url, timeout=60) as client:
        events = sse_events(client.post("/v1/drafts/stream", headers=roles["agent"],
                                        json=QUESTION).text)
        draft = events[-1][1]
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
    streamed = "".join(data["text"] for kind, data in events if kind == "sentence")
    assert events[-1][0] == "done"
    assert draft["fallback_reason"] == "too_long_mid_stream"
    assert stored["text"] == streamed and len(streamed) <= CAP + 100
    assert streamed.endswith("这个我帮您确认一下，稍后在这里回复您。")
