"""Disguised text from the model never reaches the customer or the store (issue 14, item 4).

A real uvicorn server drafts with the LLM backend against the fake OpenAI-protocol server on
127.0.0.1. The model writes a contact id behind a Unicode trick: a right-to-left override, a
Cyrillic look-alike, or a disguise cut over several streamed sentences (each harmless alone).
Whatever the path (plain or streamed draft, approval as is or with an edit), the text that is
sent and stored passes the policy filter on its normalised form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.support import sse_events
from fakes import FakeOpenAIServer, Reply
from replydraft.policy import check

CONTACT = "abc123"
ZH_QUESTION = "这条牛仔裤有弹力吗？"
EN_QUESTION = "Do these jeans stretch?"

# name: (customer message, what the model writes, in the deltas it streams them)
DISGUISES: dict[str, tuple[str, list[str]]] = {
    # Shows as "加我微信 abc123" on screen: the override reverses 信微.
    "rlo": (ZH_QUESTION, ["亲，这款有弹力哦。", "有问题加我\u202e信", "微\u202c abc",
                          "123，发您实拍。"]),
    # A Cyrillic е inside "wechat".
    "cyrillic": (EN_QUESTION, ["Yes, they stretch well. ", "Add my w\u0435", "chat abc123 ",
                               "for photos."]),
    # Every letter ends a "sentence": each is harmless alone, together they spell the app.
    "dotted": (EN_QUESTION, ["Yes, they stretch well. ", "Add me on w.e.c.", "h.a.t abc123 ",
                             "for photos."]),
    # An override opened in one sentence reverses the next one on screen: "加我 微信 abc123".
    "override_across_sentences": (ZH_QUESTION, ["亲，这款有弹力哦。", "好的\u202e。",
                                                "321cba 信微 我加\u202c"]),
}


def _draft_body(question: str) -> dict[str, Any]:
    return {"messages": [{"role": "customer", "text": question}], "platform": "taobao"}


def _assert_clean(text: str) -> None:
    assert CONTACT not in text, text
    result = check(text, platform="taobao")
    assert result.clean, (text, result.violations)


@pytest.mark.parametrize("name", list(DISGUISES))
def test_a_disguised_contact_from_the_model_is_filtered_in_a_plain_draft(
        name: str, fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    question, deltas = DISGUISES[name]
    base_url, roles = llm_live_api()
    fake_llm.script(Reply.sentences(*((delta, []) for delta in deltas)))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        created = client.post("/v1/drafts", headers=roles["agent"], json=_draft_body(question))
        assert created.status_code == 201, created.text
        draft = created.json()
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
    assert len(fake_llm.requests) == 1
    _assert_clean(stored["text"])
    assert stored["text"] == draft["text"]
    assert "off_platform" in {v["category"] for v in draft["policy"]["violations"]}


@pytest.mark.parametrize("name", list(DISGUISES))
def test_a_disguised_contact_from_the_model_is_filtered_in_a_streamed_draft(
        name: str, fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    question, deltas = DISGUISES[name]
    base_url, roles = llm_live_api()
    fake_llm.script(Reply.stream(*deltas))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.post("/v1/drafts/stream", headers=roles["agent"],
                               json=_draft_body(question))
        events = sse_events(response.text)
        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "done" and set(kinds[:-1]) == {"sentence"}, events
        draft = events[-1][1]
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
    streamed = "".join(data["text"] for _, data in events[:-1])
    _assert_clean(streamed)
    assert stored["text"] == streamed
    assert "off_platform" in {v["category"] for v in draft["policy"]["violations"]}


def test_an_llm_draft_is_approved_as_filtered_and_the_disguise_as_an_edit_is_refused(
        fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    question, deltas = DISGUISES["rlo"]
    base_url, roles = llm_live_api()
    fake_llm.script(Reply.stream(*deltas), Reply.stream(*deltas))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        drafts = [sse_events(client.post("/v1/drafts/stream", headers=roles["agent"],
                                         json=_draft_body(question)).text)[-1][1]
                  for _ in range(2)]
        # As filtered: approved, and what is stored as sent is clean.
        approved = client.post(f"/v1/drafts/{drafts[0]['id']}/approve", headers=roles["agent"],
                               json={})
        assert approved.status_code == 200, approved.text
        _assert_clean(approved.json()["final_text"])
        # The agent pastes back what the model wrote: refused, the draft stays pending.
        refused = client.post(f"/v1/drafts/{drafts[1]['id']}/approve", headers=roles["agent"],
                              json={"text": "".join(deltas)})
        assert refused.status_code == 422, refused.text
        assert "off_platform" in {v["category"] for v in refused.json()["violations"]}
        pending = client.get(f"/v1/drafts/{drafts[1]['id']}", headers=roles["agent"]).json()
        assert pending["status"] == "pending" and pending["final_text"] is None
