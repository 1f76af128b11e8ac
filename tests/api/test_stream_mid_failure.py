"""One reply per stream (issue 14, item 8): the model's connection drops after sentences went
out. The reply is closed with "let me check and get back to you" in the language already sent,
never answered a second time by the offline composer (which used to repeat the model, or switch
to another language: "亲，这款建议选2XL哦。16:00 전에 결제하시면…"), and the stored draft is
exactly what was streamed. Through a real uvicorn server and the fake model server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from api.support import sse_events
from fakes import FakeOpenAIServer, Reply
from replydraft.text.script import script_family

# name: (customer message, deltas before the drop, sentences streamed, the closing line)
CASES = {
    "zh": ("这条牛仔裤有弹力吗？", ["亲，这款有弹力哦。", "穿着很舒服，", "不紧绷。", "建议您"],
           ["亲，这款有弹力哦。", "穿着很舒服，不紧绷。"],
           "这个我帮您确认一下，稍后在这里回复您。"),
    "ko": ("이 청바지 신축성 있어요?", ["네, 고객님. ", "신축성이 좋아서 ", "편해요. ", "사이즈는"],
           ["네, 고객님. ", "신축성이 좋아서 편해요."],
           "이 부분은 확인해 보고 여기로 다시 안내해 드릴게요."),
    # The model answered a Korean customer in Chinese: the close follows what was sent.
    "ko_answered_in_zh": ("이 청바지 신축성 있어요?", ["亲，这款有弹力哦。", "建议"],
                          ["亲，这款有弹力哦。"], "这个我帮您确认一下，稍后在这里回复您。"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_stream_cut_after_sentences_is_closed_once_in_the_same_language(
        name: str, fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    question, deltas, sent, closing = CASES[name]
    base_url, roles = llm_live_api()
    fake_llm.script(Reply.stream(*deltas, drop_after_chunks=len(deltas) - 1))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        events = sse_events(client.post("/v1/drafts/stream", headers=roles["agent"], json={
            "messages": [{"role": "customer", "text": question}]}).text)
        kinds = [kind for kind, _ in events]
        assert kinds == ["sentence"] * (len(sent) + 1) + ["done"], events
        texts = [data["text"] for _, data in events[:-1]]
        draft = events[-1][1]
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
        listed = client.get("/v1/drafts", headers=roles["agent"]).json()["data"]
    assert texts[:-1] == sent
    assert texts[-1].strip() == closing
    assert len(set(texts)) == len(texts)  # nothing said twice
    assert {script_family(text) for text in texts} == {script_family(sent[0])}
    assert stored["text"] == draft["text"] == "".join(texts)
    assert draft["fallback_reason"] == "connection_error_mid_stream"
    assert draft["backend"] == "openai:fake-model"
    assert [d["id"] for d in listed] == [draft["id"]]  # one reply, one draft
    assert len(fake_llm.requests) == 1  # text was out: no second call


def test_a_stream_cut_before_any_sentence_is_answered_offline_in_full(
        fake_llm: FakeOpenAIServer,
        llm_live_api: Callable[..., tuple[str, dict[str, dict[str, str]]]]) -> None:
    base_url, roles = llm_live_api()
    fake_llm.script(Reply.stream("亲，这款", "有弹力", drop_after_chunks=1))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        events = sse_events(client.post("/v1/drafts/stream", headers=roles["agent"], json={
            "messages": [{"role": "customer", "text": "这条牛仔裤有弹力吗？"}]}).text)
        draft = events[-1][1]
        stored = client.get(f"/v1/drafts/{draft['id']}", headers=roles["agent"]).json()
    assert draft["backend"] == "offline" and draft["fallback_reason"] == "connection_error"
    assert stored["text"] == "".join(data["text"] for _, data in events[:-1])
