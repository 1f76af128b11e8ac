"""Mood, urgency, stated order state, readings and the dialogue state (``understanding.cues`` and
``understanding.dialogue``): data-driven cues, checked on fresh phrasings of each class."""

from __future__ import annotations

from pathlib import Path

import pytest

from replydraft.drafting.backend import Slots
from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.cues import load_cues
from replydraft.drafting.understanding.dialogue import awaited, dialogue_state
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]
CUES = load_cues(REPO / "prompts" / "understanding" / "cues.yaml")


def mood(text: str) -> str:
    return CUES.mood(normalise_measures(text), text)


@pytest.mark.parametrize(("text", "expected"), [
    ("裤子多少钱呀", "calm"),
    ("麻烦帮我看下物流", "calm"),  # 麻烦 is politeness, not annoyance
    ("is it warm enough for winter", "calm"),  # "ugh" hides in "enough"
    ("这都第三次问了 还没人回 太失望了", "upset"),
    ("honestly a bit let down by the stitching", "upset"),
    ("물건이 아직도 안 와서 너무 속상해요", "upset"),
    ("什么破店 卖假货 我要去投诉", "angry"),
    ("什麼爛服務 騙錢的店", "angry"),  # Traditional is read through Simplified
    ("YOU PEOPLE NEVER ANSWER MY EMAILS", "angry"),
    ("this is a scam and im filing a chargeback", "angry"),
    ("이딴 걸 팔다니 한심하네요", "angry"),
])
def test_mood(text: str, expected: str) -> None:
    assert mood(text) == expected


@pytest.mark.parametrize("text", [
    "要是穿着不合适不满意能退吗",
    "what if im disappointed with the colour, can i swap it",
    "입어 보고 마음에 안 들면 교환돼요?",
])
def test_displeasure_only_in_a_condition_is_no_mood(text: str) -> None:
    assert mood(text) == "calm"


def test_anger_in_a_condition_is_still_anger() -> None:
    assert mood("再不发货我就去投诉") == "angry"


def test_shouting_for_joy_is_no_anger() -> None:
    assert mood("WOW THE BOOTS ARRIVED AND THEY ARE PERFECT") == "calm"
    assert mood("WHERE IS MY PARCEL IT HAS BEEN TWO WEEKS") == "angry"


@pytest.mark.parametrize(("text", "expected"), [
    ("thank u so much!!!!", "calm"),  # marks of joy
    ("ok see ya!!!", "calm"),
    ("好嘞 拜拜～！！！", "calm"),
    ("정말 감사해요!!!", "calm"),
    ("where is my refund!!!", "angry"),  # the same marks beside no joy
    ("为什么还没发货！！！", "angry"),
    ("cheers for nothing, thanks for nothing!!!", "angry"),  # sarcasm is no joy
])
def test_runs_of_marks_are_read_with_the_words_beside_them(text: str, expected: str) -> None:
    assert mood(text) == expected


@pytest.mark.parametrize(("text", "urgent"), [
    ("周六之前能到吗 要去爬山", True), ("不着急 慢慢发", False), ("need them by friday pls", True),
    ("내일까지 꼭 받아야 돼요", True), ("no rush at all", False)])
def test_urgency(text: str, urgent: bool) -> None:
    assert CUES.is_urgent(normalise_measures(text)) is urgent


@pytest.mark.parametrize(("text", "state"), [
    ("已经付款了 什么时候发", "paid"), ("还没收到货呢", None), ("收到了 袖子有点长", "received"),
    ("快递来了我直接拒收了", "refused"), ("衣服已经寄回去了", "returned"),
    ("i already paid for it yesterday", "paid"), ("sent the jacket back on monday", "returned"),
    ("택배 받았는데 사이즈가 작아요", "received"), ("결제했는데 언제 와요", "paid")])
def test_stated_order_state(text: str, state: str | None) -> None:
    assert CUES.order_state(normalise_measures(text)) == state


def test_readings_turn_intents_by_state() -> None:
    readings = {r.name: r for r in CUES.readings}
    not_shipped = readings["not_yet_shipped"]
    assert not_shipped.pattern.search(normalise_measures("付款三天了还没发货"))
    assert not not_shipped.pattern.search(normalise_measures("物流卡在中转站三天了"))
    asked = readings["refund_asked_for"]
    assert asked.pattern.search(normalise_measures("不合适的话能退款吗"))
    assert not asked.pattern.search(normalise_measures("退款怎么还没到账"))
    # Sent back already: "when do I get my refund" is then a refund under way.
    assert asked.unless == {"returned", "refused"}


def test_dialogue_state_keeps_what_was_given_and_what_the_agent_said() -> None:
    request = DraftRequest.model_validate({"messages": [
        {"role": "customer", "text": "订单 202612050001234 能便宜点吗"},
        {"role": "agent", "text": "亲，这个已经是活动价了，不能再便宜了哦"},
        {"role": "customer", "text": "那运费呢"},
        {"role": "agent", "text": "麻烦告诉我您的体重哦"},
        {"role": "customer", "text": "200斤"}]})
    state = dialogue_state(request, slots=Slots(weight_kg=100.0), product_given=False,
                           awaiting=awaited(request, CUES), cues=CUES)
    assert state.order_id == "202612050001234"
    assert {"order_id", "weight_kg"} <= set(state.given)
    assert state.agent("refused", "discount")
    assert state.awaiting == ("weight",)
    assert state.agent_turns == 2


def test_a_bad_cue_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("mood:\n  angry: {zh: ['(']}\n  upset: {}\norder_state: {}\n"
                    "urgent: {}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"mood\.angry\.zh\[0\]: bad pattern"):
        load_cues(path)
