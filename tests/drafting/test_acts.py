"""Dialogue acts (``understanding.acts``): what a message does besides asking, read once and
reported with the understanding. Fresh phrasings of each class."""

from __future__ import annotations

from pathlib import Path

import pytest

from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.acts import read_acts
from replydraft.drafting.understanding.cues import load_cues
from replydraft.drafting.understanding.lexicon import load_lexicon
from replydraft.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]
LEXICON = load_lexicon(REPO / "prompts" / "offline" / "lexicon.yaml")
CUES = load_cues(REPO / "prompts" / "understanding" / "cues.yaml")


def acts(*turns: str) -> list[str]:
    messages = [{"role": "agent" if t.startswith("A:") else "customer",
                 "text": t.removeprefix("A:")} for t in turns]
    request = DraftRequest.model_validate({"messages": messages})
    return read_acts(request, LEXICON, CUES).names()


@pytest.mark.parametrize(("turns", "act"), [
    (("嗯嗯好的",), "acknowledgement"),
    (("ok cool",), "acknowledgement"),
    (("多谢啦",), "thanks"),
    (("好嘞 那先这样 拜拜",), "farewell"),
    (("see ya",), "farewell"),
    (("颜色挺好看的",), "praise"),
    (("那我就要这个了",), "ordering"),
    (("I'd like to order the grey one",), "ordering"),
    (("그럼 블랙으로 할게요",), "ordering"),
    (("A:稍等 我帮您看看", "亲 查到了吗"), "chasing"),
    (("any update on my exchange?",), "chasing"),
    (("혹시 확인되셨나요?",), "chasing"),
    (("?",), "contentless"),
    (("订单编号：460312778819",), "order_number"),
    (("my order no is 7781204455912",), "order_number"),
    (("주문번호 551209887341입니다",), "order_number"),
    (("A:您平时穿多大码？", "平时穿2XL"), "answers_agent"),
    (("好的，那明天到得了吗",), "continuing"),
    (("ok so when does it ship",), "continuing"),
    (("그럼 배송비는 얼마예요?",), "continuing"),
    (("A:好的，后天下午给您重新寄一件", "后天下午寄是吧"), "confirming"),
    (("A:We'll ship the new pair on Friday.", "ok so friday right?"), "confirming"),
    (("A:내일 다시 보내 드릴게요", "내일 보내 주시는 거 맞죠?"), "confirming"),
    (("A:我给您备注加急", "嗯 千万别忘了"), "reminding"),
    (("A:I'll add a note for the warehouse.", "great, make sure you do"), "reminding"),
])
def test_each_act_is_read(turns: tuple[str, ...], act: str) -> None:
    assert act in acts(*turns)


@pytest.mark.parametrize("text", [
    "would this jacket fit someone 190cm",  # an auxiliary that opens the clause asks
    "ok so can you ship it today",
    "能不能今天发",
    "사이즈 어떻게 돼요",
])
def test_a_question_is_no_statement(text: str) -> None:
    assert "statement" not in acts(text)


@pytest.mark.parametrize("text", [
    "then I will order this one",  # an auxiliary inside a clause states
    "it can wait till monday",
])
def test_an_auxiliary_inside_a_clause_states(text: str) -> None:
    assert "statement" in acts(text)


def test_a_question_is_no_order_or_praise() -> None:
    assert acts("拍了能今天发吗") == []


@pytest.mark.parametrize("text", ["[图片]", "[圖片][图片]", "[image]", "【사진】"])
def test_a_picture_alone_is_read_as_a_picture(text: str) -> None:
    assert "image" in acts(text)


@pytest.mark.parametrize(
    "text", ["那个衣服多少钱", "okay", "好的", "sorry to bother you", "明天能到吗"])
def test_a_demonstrative_or_a_bare_ok_continues_nothing(text: str) -> None:
    assert "continuing" not in acts(text)


@pytest.mark.parametrize("text", ["460312778819 怎么还没发货", "order 7781204455912 never came",
                                  "주문번호 551209887341 배송 언제 돼요?"])
def test_an_order_number_with_a_question_is_more_than_the_number(text: str) -> None:
    assert "order_number" not in acts(text)


@pytest.mark.parametrize("text", ["2026-12-05 14:32 订单号:&nbsp;4412098876512",
                                  "订单编号 3309817264550 2026/12/01 20:03:11"])
def test_an_order_number_pasted_with_its_date_is_only_the_number(text: str) -> None:
    assert "order_number" in acts(text)


def test_a_bare_yes_or_no_is_an_acknowledgement() -> None:
    # YAML reads an unquoted yes/no as true/false: the words must reach the lexicon as words.
    for text in ("no", "yes", "nope"):
        acts = read_acts(DraftRequest(messages=[{"role": "customer", "text": text}]), LEXICON,
                         CUES)
        assert acts.acknowledgement, text


def test_a_lexicon_word_that_yaml_reads_as_a_boolean_is_refused(tmp_path: Path) -> None:
    source = (REPO / "prompts" / "offline" / "lexicon.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "lexicon.yaml"
    broken.write_text(source.replace('"no", nope', "no, nope", 1), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"cues\.acknowledge\[\d+\]: False is not text"):
        load_lexicon(broken)


@pytest.mark.parametrize("turns", [
    ("A:好的，明天给您发出", "是不是纯棉的"),  # a tag question about something else
    ("A:后天给您补寄", "今天寄是吧"),  # not the agent's words: the agent reads it
    ("A:您穿多大码呢？", "2XL对吧"),  # nothing was promised
    ("明天发是吧",),  # no agent turn at all
])
def test_a_tag_question_confirms_only_the_promise_it_repeats(turns: tuple[str, ...]) -> None:
    assert "confirming" not in acts(*turns)


def test_a_reminder_needs_a_promise_and_states() -> None:
    assert "reminding" not in acts("记得给我备注哦")  # no agent turn: nothing to keep
    assert "reminding" not in acts("A:我帮您备注下", "记得备注了吗？")  # asks whether it was done
