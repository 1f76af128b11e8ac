"""The order number the customer gave: one reader for the whole drafter."""

from __future__ import annotations

import pytest

from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.dialogue import echoes_agent, order_id_in


@pytest.mark.parametrize(("texts", "expected"), [
    (["单号 318842901177 麻烦看下"], "318842901177"),  # a long run of digits needs no label
    (["订单号: TB2026A7781"], "TB2026A7781"),  # a lettered id, labelled
    (["my order number is 4521"], "4521"),  # a short one, labelled
    (["order #88120 still not here"], "88120"),
    (["주문번호는 A-20931이에요"], "A-20931"),
    (["訂單編號：K99871"], "K99871"),
    (["订单号:&nbsp;[ORD_20571193]"], "ORD_20571193"),  # pasted from a web page
    (["好的", "订单号 55120088"], "55120088"),  # newest message first, then earlier ones
    # a chat export that redacted the number: the label still says an order was given
    (["我的订单号:[数字x] 麻烦查下"], "[数字x]"),
    (["43366120857"], "43366120857"),  # eleven digits, not a mobile number (those start with 1)
])
def test_an_order_number_is_read_bare_or_labelled(texts: list[str], expected: str) -> None:
    assert order_id_in(texts) == expected


@pytest.mark.parametrize("text", [
    "订单是昨天下的",  # the word without an id
    "order id: abcd",  # no digit: a word, not an id
    "电话 13812345678",  # eleven digits are a phone number
    "我的订单 help",
    "订单金额:[金额x]",  # a redacted sum is no order number
])
def test_words_and_phone_numbers_are_no_order_number(text: str) -> None:
    assert order_id_in([text]) is None


def _chat(*turns: tuple[str, str]) -> DraftRequest:
    return DraftRequest.model_validate(
        {"messages": [{"role": role, "text": text} for role, text in turns]})


@pytest.mark.parametrize(("agent", "latest", "expected"), [
    ("亲 麻烦拍个照片给我看下", "照片要拍哪些地方啊", True),  # asks about the agent's request
    ("Could you send the receipt over?", "which receipt?", True),
    ("사진 한 장 보내 주시겠어요?", "무슨 사진이요?", True),
    ("两个颜色都卖得不错", "穿着舒服吗", False),  # a question of its own
    ("Both colours sell well.", "are they comfy?", False),
])
def test_a_question_about_what_the_agent_said_echoes_it(
    agent: str, latest: str, expected: bool
) -> None:
    assert echoes_agent(_chat(("customer", "hi"), ("agent", agent), ("customer", latest))) \
        is expected


def test_nothing_is_echoed_before_the_agent_speaks() -> None:
    assert not echoes_agent(_chat(("customer", "照片要拍哪些地方啊")))
