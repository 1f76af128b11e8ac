"""check(): what it catches, how it rewrites, and what it must leave alone."""

from __future__ import annotations

from typing import Any

import pytest

from replydraft.knowledge.models import StoreProfile
from replydraft.policy import check


def categories(text: str, **kwargs: Any) -> set[str]:
    return {v.category for v in check(text, **kwargs).violations}


def test_clean_text_comes_back_byte_identical(store: StoreProfile) -> None:
    text = "亲，这款是纯棉的，建议拍大一码  😊\n有问题随时找我~"
    result = check(text, store=store)
    assert result.clean and result.text == text and result.violations == []
    assert not result.empty_after_filter


def test_delivery_promise_is_rewritten_into_the_honest_form() -> None:
    result = check("亲，保证明天到哦～")
    assert not result.clean
    assert result.text == "亲，我们会尽快为您发出，快递时效我们没法保证～"
    (violation,) = result.violations
    assert violation.category == "guarantee"
    assert violation.rule == "guarantee.zh.delivery_promise"
    assert violation.match == "保证明天到"
    assert violation.span == (2, 7)
    assert violation.action == "rewritten"
    assert violation.replacement == "我们会尽快为您发出，快递时效我们没法保证"


@pytest.mark.parametrize(("text", "expected"), [
    ("We guarantee it will arrive by Friday, and the jeans are 100% cotton.",
     "We'll ship as fast as we can; courier times are outside our control, and the jeans are "
     "100% cotton."),
    ("고객님, 내일 꼭 도착해요!",
     "고객님, 최대한 빨리 보내드릴게요, 택배 일정은 저희가 확정할 수 없어요!"),
    ("親，保證明天到貨喔！", "親，我們會盡快為您寄出，物流時效我們沒辦法保證！"),
])
def test_rewrites_are_in_the_language_and_script_of_the_text(text: str, expected: str) -> None:
    assert check(text).text == expected


def test_absolute_claims_and_insults_are_replaced_in_place() -> None:
    result = check("这款冲锋衣是全网最低价，质量最好，胖子穿也好看。")
    assert result.text == "这款冲锋衣是实惠价，质量很好，身材魁梧的朋友穿也好看。"
    assert [v.category for v in result.violations] == [
        "absolute_claim", "absolute_claim", "body_insult"]
    assert all(v.action == "rewritten" for v in result.violations)


def test_english_replacements_keep_the_sentence_grammatical() -> None:
    assert check("This is the world's best hiking jacket.").text == (
        "This is the much-loved hiking jacket.")
    assert check("Fat guys usually go for the relaxed fit.").text == (
        "Guys with a larger build usually go for the relaxed fit.")


def test_korean_particles_follow_the_replacement() -> None:
    assert check("최저가로 판매 중이에요.").text == "합리적인 가격으로 판매 중이에요."
    assert check("돼지라도 들어가는 사이즈예요.").text == (
        "체격이 있는 분이라도 들어가는 사이즈예요.")


def test_off_platform_clause_is_removed_to_the_end_of_its_sentence() -> None:
    result = check("亲，这款有货的，加我微信发你实拍图。尺码按身高体重选就好。")
    assert result.text == "亲，这款有货的。尺码按身高体重选就好。"
    (violation,) = result.violations
    assert (violation.category, violation.action, violation.replacement) == (
        "off_platform", "removed", None)
    assert violation.match == "微信"


def test_a_sentence_that_opens_with_the_violation_goes_entirely() -> None:
    result = check("Thanks for waiting! Please DM us your order number. We ship daily.")
    assert result.text == "Thanks for waiting! We ship daily."


def test_greeting_before_a_removed_clause_keeps_its_comma() -> None:
    assert check("亲，加我微信领券。这款有货哦").text == "亲，这款有货哦"


def test_nothing_useful_left_is_reported(store: StoreProfile) -> None:
    result = check("亲，加我微信，保证明天到！", store=store)
    assert result.empty_after_filter
    assert result.text == "亲！"
    assert check("Please DM us.", store=store).text == ""
    assert check("Please DM us.", store=store).empty_after_filter


def test_negations_hedges_and_product_facts_are_not_guarantees() -> None:
    for text in ("快递时效我们没法保证，请您理解。", "不能保證明天到，一般兩到三天。",
                 "We can't guarantee the courier's timing.", "배송 일정은 저희가 보장할 수 없어요.",
                 "面料是100%纯棉的。", "The jeans are 100% cotton.", "면 100% 소재예요.",
                 "预计明天能到，具体以物流为准。", "It should arrive by Friday."):
        assert check(text).clean, text


def test_an_honest_sentence_does_not_hide_a_promise_next_to_it() -> None:
    result = check("我们保证明天到，不能保证颜色一致。")
    assert [v.match for v in result.violations] == ["保证明天到"]
    assert result.text == "我们会尽快为您发出，快递时效我们没法保证，不能保证颜色一致。"
    assert categories("快递时效我们没法保证，但绝对是正品。") == {"guarantee"}


def test_allowed_commitments_of_the_store_are_never_touched(store: StoreProfile) -> None:
    text = "我们保证正品，支持7天无理由退换，质量问题运费由我们承担。"
    assert check(text, store=store).clean
    # Without the store, 保证正品 is an unbacked promise like any other.
    assert categories(text) == {"guarantee"}


def test_rival_platform_names_depend_on_the_platform(store: StoreProfile) -> None:
    assert categories("这款在淘宝上也有卖。", platform="jd") == {"off_platform"}
    assert check("这款在淘宝上也有卖。", platform="taobao").clean
    assert check("京东物流明天到站点。", platform="jd").clean
    assert categories("同款在京东卖得更贵。", platform="tmall") == {"off_platform"}
    # The platform defaults to the store's (taobao here).
    assert categories("京东上也有我们家。", store=store) == {"off_platform"}
    assert check("京东上也有我们家。").clean  # unknown platform: no rival names apply


def test_store_can_forbid_more_names_and_allow_more_domains(store_factory: Any) -> None:
    custom = store_factory(platform="own", allowed_domains=["bigtrail.example"],
                           forbidden_platform_names={"own": ["亚马逊"]})
    assert check("详情见 https://www.bigtrail.example/sale", store=custom).clean
    assert categories("详情见 https://bigtrail-sale.example.org/x", store=custom) == {
        "off_platform"}
    assert categories("亚马逊上也有。", store=custom) == {"off_platform"}


def test_links_on_the_platforms_own_domains_pass() -> None:
    assert check("详情：https://item.jd.com/100012345678.html", platform="jd").clean
    assert check("看这里 m.tb.cn/h.Ab12Cd", platform="taobao").clean
    assert categories("看这里 m.tb.cn/h.Ab12Cd", platform="jd") == {"off_platform"}


@pytest.mark.parametrize("text", [
    "加我V❤信：bigtrail", "加我 微 信 聊", "我的w.e.c.h.a.t是sam888", "加ＷＸ：ｓａｍ８８８",
    "微\u200b信号：sam888", "电话：一三八 一二三四 五六七八", "手机号①③⑧①②③④⑤⑥⑦⑧",
    "電話：壹參捌壹貳參肆伍陸柒捌", "공일공 일이삼사 오육칠팔로 연락 주세요.", "카 톡 주세요",
    "my e-mail: sam(at)bigtrail(dot)com", "Find us at bigtrail dot com", "Q Q：886688",
])
def test_obfuscated_contacts_are_caught(text: str) -> None:
    assert categories(text) == {"off_platform"}


@pytest.mark.parametrize("text", [
    "您的订单号是 202611230012345678，已经发货了。", "您的订单号：13912345678，请核对。",
    "运单号：SF1380012345678。", "Your tracking number is 4008123456.",
    "尺码表：XL 175-180，2XL 180-185，3XL 185-190。", "日期：2026-11-23 14:30 已签收。",
    "支持微信支付。", "这款是V领设计。", "价格：¥1380.00，满99包邮。",
])
def test_numbers_and_words_that_only_look_like_contacts_pass(text: str) -> None:
    assert check(text, platform="taobao").clean, text


def test_latin_words_must_stand_alone() -> None:
    assert check("Our new xbox-style vxl range and a jdx code.").clean
    assert categories("add me on wx", platform="own") == {"off_platform"}


def test_spans_point_at_the_input_even_after_expansion() -> None:
    text = "⑩号前，我的\u200bV❤信是sam"
    (violation,) = check(text).violations
    start, end = violation.span
    assert text[start:end] == violation.match == "V❤信"


def test_language_argument_picks_the_replacement_language() -> None:
    # Shared characters only: the script is ambiguous, so the caller's language decides.
    assert check("明天就能到", language="zh-Hant").text == (
        "我們會盡快為您寄出，物流時效我們沒辦法保證")
    assert check("明天就能到", language="zh-Hans").text == (
        "我们会尽快为您发出，快递时效我们没法保证")


def test_filtering_is_idempotent_on_a_long_mixed_draft(store: StoreProfile) -> None:
    text = ("亲，您好！这款冲锋衣面料防风防水，身高180体重100公斤建议拍3XL。今天下单保证明天到，"
            "不满意加我微信bigtrail888私聊。支持7天无理由退换，有运费险，请放心购买😊")
    first = check(text, store=store)
    assert {v.category for v in first.violations} == {"guarantee", "off_platform"}
    assert "微信" not in first.text and "保证明天" not in first.text
    assert "支持7天无理由退换" in first.text
    second = check(first.text, store=store)
    assert second.clean and second.text == first.text
