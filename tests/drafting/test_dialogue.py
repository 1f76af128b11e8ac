"""The order number the customer gave: one reader for the whole drafter."""

from __future__ import annotations

import pytest

from replydraft.drafting.understanding.dialogue import order_id_in


@pytest.mark.parametrize(("texts", "expected"), [
    (["单号 318842901177 麻烦看下"], "318842901177"),  # a long run of digits needs no label
    (["订单号: TB2026A7781"], "TB2026A7781"),  # a lettered id, labelled
    (["my order number is 4521"], "4521"),  # a short one, labelled
    (["order #88120 still not here"], "88120"),
    (["주문번호는 A-20931이에요"], "A-20931"),
    (["訂單編號：K99871"], "K99871"),
    (["订单号:&nbsp;[ORD_20571193]"], "ORD_20571193"),  # pasted from a web page
    (["好的", "订单号 55120088"], "55120088"),  # newest message first, then earlier ones
])
def test_an_order_number_is_read_bare_or_labelled(texts: list[str], expected: str) -> None:
    assert order_id_in(texts) == expected


@pytest.mark.parametrize("text", [
    "订单是昨天下的",  # the word without an id
    "order id: abcd",  # no digit: a word, not an id
    "电话 13812345678",  # eleven digits are a phone number
    "我的订单 help",
])
def test_words_and_phone_numbers_are_no_order_number(text: str) -> None:
    assert order_id_in([text]) is None
