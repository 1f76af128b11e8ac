"""Asks (``understanding.asks``): the specific thing a question asks inside its intent, read from
``prompts/understanding/asks.yaml``; checked on fresh phrasings of each class, and the file's
schema errors name the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from replydraft.drafting.understanding.asks import load_asks
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.errors import ConfigurationError
from replydraft.knowledge.models import StoreProfile
from replydraft.languages import LANGUAGES
from replydraft.yamlfile import safe_load

REPO = Path(__file__).resolve().parents[2]
BOOK = load_asks(REPO / "prompts" / "understanding" / "asks.yaml")


def asks(text: str) -> list[str]:
    return [a.id for a in BOOK.find(normalise_measures(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("仓库在哪个城市 发过来要几天", ["ship_from", "arrive_when"]),  # in the customer's order
    ("你们家东西从哪儿寄出", ["ship_from"]),
    ("可以寄到香港吗", ["overseas"]),
    ("寄台中要多久", ["arrive_when", "overseas"]),  # both start at 寄
    ("支持到付不", ["cod"]),
    ("能用花呗分期吗", ["pay_methods"]),
    ("需要開三聯式發票 有統編", ["invoice_company_tw"]),
    ("which city do you ship from", ["ship_from"]),
    ("can i pay cash on delivery", ["cod"]),
    ("do u ship to hong kong", ["overseas"]),
    ("what are your support hours", ["store_hours"]),
    ("혹시 착불 돼요?", ["cod"]),
    ("매장 어디 있어요? 직접 입어보고 싶어서요", ["physical_store"]),
    ("반품 주소 알려주세요", ["return_address"]),
])
def test_asks_are_found_in_message_order(text: str, expected: list[str]) -> None:
    assert asks(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # where the parcel is, asked plainly: a tracking question
    ("麻烦看看我那件东西到哪儿了", ["track"]),
    ("包裹寄到哪去了", ["track"]),
    ("can u check where my order is", ["track"]),
    ("got a tracking number for me?", ["track"]),
    ("배송 현황 확인 부탁해요", ["track"]),
    ("상품 지금 어디에 있나요", ["track"]),
    # ...and said to be late: the late parcel's case, no plain tracking question
    ("快递到哪了 都五天了还没到", []),
    ("where is my parcel, its been stuck for a week", []),
    ("택배 어디쯤이에요? 아직도 안 왔어요", []),
    # which courier, not where the parcel is
    ("택배 어디 거예요?", ["courier"]),
])
def test_tracking_is_asked_plainly_until_the_customer_says_it_is_late(
    text: str, expected: list[str]
) -> None:
    assert asks(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("卡上还没到账呢", ["refund_when"]),
    ("the refund never came into my account", ["refund_when"]),
    ("환불된 돈이 아직 안 들어왔어요", ["refund_when"]),
    ("那是不是要我自己寄回去", ["return_how"]),
    ("should i post them back to you", ["return_how"]),
    ("반품은 제가 택배 보내야 돼요?", ["return_how"]),
    ("订单信息还能修改吗", []),  # a change, not a repair
    ("坏了可以修吗", ["warranty"]),
])
def test_money_not_yet_back_and_sending_a_return_are_their_own_asks(
    text: str, expected: list[str]
) -> None:
    assert asks(text) == expected


@pytest.mark.parametrize("text", ["这条裤子很好看", "thanks so much", "감사합니다", "在吗"])
def test_plain_messages_hold_no_ask(text: str) -> None:
    assert asks(text) == []


def test_every_ask_names_a_known_intent_and_says_what_to_check_in_every_language() -> None:
    assert len({a.id for a in BOOK.asks}) == len(BOOK.asks)
    for ask in BOOK.asks:
        assert set(ask.check) == set(LANGUAGES), ask.id
    assert "{topic}" not in BOOK.unsure.guessed("postage", "zh-Hans")


def test_every_store_answer_is_for_a_known_ask_and_intent() -> None:
    """A typo in ``store.yaml`` ``answers`` would silently never be used: catch it here."""
    store = StoreProfile.model_validate(safe_load(
        (REPO / "knowledge" / "store.yaml").read_text(encoding="utf-8")))
    for ask_id, answer in store.answers.items():
        found = BOOK.get(ask_id)
        assert found is not None, f"answers.{ask_id} is not an ask in asks.yaml"
        assert answer.intent == found.intent, ask_id


@pytest.mark.parametrize(("body", "error"), [
    ("asks: {}\n", "needs an `asks` mapping"),
    ("asks:\n  Ship-From: {intent: shipping_time}\n", "lower_snake_case"),
    ("asks:\n  ship_from: {intent: shiping_time, zh: ['从哪']}\n", "unknown intent"),
    ("asks:\n  ship_from: {intent: shipping_time, zh: ['从哪'], cheque: {}}\n", "unknown keys"),
    ("asks:\n  ship_from: {intent: shipping_time, zh: ['(从哪'], check: {zh-Hans: a, "
     "zh-Hant: a, en: a, ko: a}}\n", "bad pattern"),
    ("asks:\n  ship_from: {intent: shipping_time, zh: ['从哪'], check: {en: a}}\n",
     "give the text in"),
    ("asks:\n  ship_from: {intent: shipping_time, zh: ['从哪'], also: [postag], check: "
     "{zh-Hans: a, zh-Hant: a, en: a, ko: a}}\n", "also: a list of intents"),
    ("asks:\n  track: {intent: logistics_delay, zh: ['到哪'], unless: {zh: ['(还没']}, check: "
     "{zh-Hans: a, zh-Hant: a, en: a, ko: a}}\n", "track.unless.zh\\[0\\]: bad pattern"),
    ("asks:\n  track: {intent: logistics_delay, zh: ['到哪'], replaces: [trak], check: "
     "{zh-Hans: a, zh-Hant: a, en: a, ko: a}}\n", "track.replaces: unknown asks \\['trak'\\]"),
    ("asks:\n  track: {intent: logistics_delay, zh: ['到哪'], overshadows: [logistics_delay], "
     "check: {zh-Hans: a, zh-Hant: a, en: a, ko: a}}\n", "must not name the ask's own intent"),
    # in single quotes '\\w' is a backslash and a w, which no customer types
    ("asks:\n  track: {intent: logistics_delay, en: ['send the \\\\w+ back'], check: "
     "{zh-Hans: a, zh-Hant: a, en: a, ko: a}}\n", "track.en\\[0\\]: .* doubled backslash"),
    # YAML keeps the last of two equal keys without a word: the first rule would be lost
    ("asks:\n  track:\n    intent: logistics_delay\n    overshadows: [complaint]\n"
     "    zh: ['到哪']\n    overshadows: [handoff]\n", "(?s)'overshadows' appears twice.*line 6"),
])
def test_a_broken_asks_file_names_the_file_and_the_entry(
    tmp_path: Path, body: str, error: str
) -> None:
    path = tmp_path / "asks.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=error) as excinfo:
        load_asks(path)
    assert str(path) in str(excinfo.value)


def test_what_the_draft_tells_the_customer_never_speaks_of_the_customer() -> None:
    # The check text is the agent's note ("发到客户所在地的时效"); the draft says "{topic}我帮您
    # 确认一下" to the customer, so the topic addresses them.
    third_person = ("客户", "客戶", "the customer", "customer's", "고객이", "고객 지역")
    for ask in BOOK.asks:
        for language in LANGUAGES:
            assert not any(w in ask.topic[language] for w in third_person), (ask.id, language)


@pytest.mark.parametrize(("text", "expected"), [
    ("那件先帮我留一下 周末再拍", "reserve"),
    ("can you hold one for me till friday", "reserve"),
    ("이거 토요일까지 따로 빼 주실 수 있어요?", "reserve"),
    ("赠品怎么没收到啊", "missing_item"),
    ("东西就收到一半 少收了一件", "missing_item"),
    ("物流一直没动 怎么就显示签收了", "signed_not_received"),
    ("两件一起拍能优惠吗", "multi_buy"),
    ("무슨 가죽이에요?", "material"),
])
def test_holds_gifts_signed_parcels_multi_buys_and_leather_are_read(
    text: str, expected: str
) -> None:
    assert expected in asks(text)


def test_which_of_a_kind_we_have_counts_only_with_a_kind_named() -> None:
    text = normalise_measures("有什么推荐的吗")
    assert "catalogue" not in [a.id for a in BOOK.find(text)]
    assert "catalogue" in [a.id for a in BOOK.find(text, of_a_kind=True)]


@pytest.mark.parametrize(("text", "expected"), [
    # a general question about the item, with no property named: the item's own ask
    ("这款是给学生穿的吧", ["about_item"]),
    ("what are these ones for", ["about_item"]),
    ("이거 간절기용인가요?", ["about_item"]),
    # a named property beside it is the sharper question; the general one gives way
    ("这款是纯棉的吧", ["fabric"]),
    ("is it made for winter? is it warm", ["fabric"]),
    # a look at the order gives way to where the parcel is
    ("帮我看下订单对不对", ["check_order"]),
    ("帮我查下订单现在到哪了", ["track"]),
])
def test_a_fallback_ask_counts_only_where_nothing_sharper_is_asked(
    text: str, expected: list[str]
) -> None:
    assert asks(text) == expected


@pytest.mark.parametrize(("text", "present", "absent"), [
    # where the money goes is answered with when it comes: the timing alone is not said twice
    ("用花呗付的 钱会退到哪里", "refund_where", "refund_when"),
    ("will my refund go back to my card", "refund_where", "refund_when"),
    # when it comes, asked alone, stays the timing
    ("钱退回到卡里要几天", "refund_when", "refund_where"),
    # a card that can no longer take it is the agent's to find out
    ("原来那张卡注销了 钱会退去哪", "refund_card_gone", "refund_where"),
    # a brand we don't carry: its price is no question of ours; a knockoff worry says it all
    ("how much are the asics ones", "other_brand", "price"),
    ("跟北面的差不多 不会是仿的吧", "genuine", "other_brand"),
])
def test_an_ask_whose_answer_holds_another_replaces_it(
    text: str, present: str, absent: str
) -> None:
    found = asks(text)
    assert present in found
    assert absent not in found
