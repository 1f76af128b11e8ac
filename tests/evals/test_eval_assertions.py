"""Every assertion type, passing and failing."""

from __future__ import annotations

import pytest

from replydraft.evals.assertions import (
    APPLIES_TO,
    CHECKERS,
    Hit,
    Observed,
    Outcome,
    compile_pattern,
    evaluate,
    invalid_pattern,
    word_units,
)


def draft(text: str = "", **fields: object) -> Observed:
    return Observed(kind="draft", text=text, **fields)  # type: ignore[arg-type]


def status(name: str, value: object, obs: Observed) -> str:
    return evaluate(name, value, obs).status


def test_every_assertion_type_has_a_checker_and_a_kind_table() -> None:
    assert set(APPLIES_TO) == set(CHECKERS) | {"judge"}


def test_language() -> None:
    assert status("language", "zh-Hant", draft("親", language="zh-Hant")) == "passed"
    outcome = evaluate("language", "zh-Hant", draft("亲", language="zh-Hans"))
    assert outcome.status == "failed"
    assert "zh-Hans" in outcome.message


def test_intents_include_and_top_intent() -> None:
    obs = draft(intents=[("bargaining", 0.6), ("size_advice", 0.9)])
    assert status("intents_include", ["size_advice", "bargaining"], obs) == "passed"
    outcome = evaluate("intents_include", ["size_advice", "postage"], obs)
    assert outcome.status == "failed" and "postage" in outcome.message
    assert status("top_intent", "size_advice", obs) == "passed"
    assert status("top_intent", "bargaining", obs) == "failed"
    assert status("top_intent", "bargaining", draft()) == "failed"


def test_contains_any_all_literal_is_normalised_and_case_insensitive() -> None:
    obs = draft("亲，建议您选 2XL 哦～ WeChat")
    assert status("contains_any", ["3XL", "2xl"], obs) == "passed"
    assert status("contains_any", ["3XL", "4XL"], obs) == "failed"
    assert status("contains_all", ["2XL", "亲"], obs) == "passed"
    assert status("contains_all", ["2XL", "运费"], obs) == "failed"
    # NFKC: full-width letters in the text match an ASCII pattern.
    assert status("not_contains", "wechat", draft("加我ＷＥＣＨＡＴ")) == "failed"
    assert status("not_contains", ["微信", "保证"], obs) == "passed"
    # A single string is accepted as a one-item list.
    assert status("contains_any", "亲", obs) == "passed"


def test_regex_patterns() -> None:
    assert compile_pattern("/\\d{3}/") is not None
    assert compile_pattern("plain") is None
    obs = draft("the order ships before 16:00 today")
    assert status("contains_any", ["/\\d{2}:\\d{2}/"], obs) == "passed"
    assert status("not_contains", ["/1[3-9]\\d{9}/"], obs) == "passed"
    assert status("not_contains", ["/1[3-9]\\d{9}/"], draft("call 13812345678")) == "failed"
    # Regexes are used as written (case-sensitive) unless flagged.
    assert status("contains_any", ["/SHIPS/"], obs) == "failed"
    assert status("contains_any", ["/SHIPS/i"], obs) == "passed"
    assert invalid_pattern("contains_any", ["/([a-z/"]) is not None
    assert invalid_pattern("contains_any", ["ok", "/[a-z]+/"]) is None


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        ("2XL", "建议您选 2XL 哦", "passed"),
        ("2XL", "建议2XL码", "passed"),
        ("XL", "建议您选 2XL 哦", "failed"),  # XL must not match inside 2XL
        ("XL", "XXL would be loose", "failed"),
        ("XL", "I'd suggest XL.", "passed"),
        ("XL", "(XL)", "passed"),
        ("42", "建议42码", "passed"),
        ("42", "the 142 model", "failed"),
        ("42", "size 42.5 is closer", "failed"),
        ("42.5", "size 42.5 is closer", "passed"),
        ("L", "XL or 2XL", "failed"),
        ("3XL", "选３ＸＬ", "passed"),  # full-width written by a Chinese IME
    ],
)
def test_mentions_size_is_word_boundary_aware(label: str, text: str, expected: str) -> None:
    assert status("mentions_size", label, draft(text)) == expected


def test_mentions_size_list_means_any() -> None:
    assert status("mentions_size", ["3XL", "2XL"], draft("选2XL")) == "passed"


def test_cites_glob_and_section() -> None:
    obs = draft(citations=[("playbooks/zh-Hans/sizing.md", "尺码建议"),
                           ("products/jeans.yaml", "")])
    assert status("cites", "playbooks/*/sizing*.md", obs) == "passed"
    assert status("cites", "products/*.csv", obs) == "failed"
    assert status("cites", {"source": "playbooks/*", "section": "尺码"}, obs) == "passed"
    assert status("cites", {"source": "playbooks/*", "section": "退换"}, obs) == "failed"
    assert status("cites", {"section": "尺码建议"}, obs) == "passed"
    assert status("cites", "playbooks/*", draft()) == "failed"


def test_policy_clean_and_no_category() -> None:
    clean = draft("亲，今天16点前付款当天发货")
    dirty = draft("保证明天到，加我微信", categories=["guarantee", "off_platform"])
    assert status("policy_clean", True, clean) == "passed"
    assert status("policy_clean", True, dirty) == "failed"
    assert status("policy_clean", False, dirty) == "passed"
    assert status("policy_clean", False, clean) == "failed"
    assert status("no_category", ["body_insult"], dirty) == "passed"
    outcome = evaluate("no_category", ["off_platform", "body_insult"], dirty)
    assert outcome.status == "failed" and "off_platform" in outcome.message


def test_risk_flags_includes_and_empty_means_none() -> None:
    obs = Observed(kind="customer_scan", risks=["phishing_link", "prompt_injection"])
    assert status("risk_flags", ["phishing_link"], obs) == "passed"
    assert status("risk_flags", ["phishing_link", "file_request"], obs) == "failed"
    assert status("risk_flags", [], obs) == "failed"
    assert status("risk_flags", [], Observed(kind="customer_scan")) == "passed"


def test_max_and_min_chars() -> None:
    obs = draft("x" * 50)
    assert status("max_chars", 50, obs) == "passed"
    assert status("max_chars", 49, obs) == "failed"
    assert status("min_chars", 50, obs) == "passed"
    assert status("min_chars", 51, obs) == "failed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("嗯", "failed"),
        ("好的", "failed"),
        ("Yes.", "failed"),
        ("네 고객님", "failed"),
        ("OK 👍", "failed"),
        ("亲，有货的", "passed"),
        ("Yes, it is in stock.", "passed"),
        ("네, 재고 있어요 고객님", "passed"),
    ],
)
def test_not_one_word(text: str, expected: str) -> None:
    assert status("not_one_word", True, draft(text)) == expected


def test_word_units_count_each_ideograph() -> None:
    assert word_units("亲有货") == ["亲", "有", "货"]
    assert word_units("size 2XL亲") == ["size", "2XL", "亲"]


def test_retrieves_rank_within_k() -> None:
    hits = [Hit("products/tees.yaml", sku="TEE-01"), Hit("playbooks/en/sizing.md", "Sizing"),
            Hit("playbooks/zh-Hans/sizing.md", "尺码建议", intent="size_advice")]
    obs = Observed(kind="retrieval", hits=hits, k=5)
    assert status("retrieves", {"source": "playbooks/*/sizing.md"}, obs) == "passed"
    assert evaluate("retrieves", {"source": "playbooks/zh-Hans/*"}, obs).message == \
        "found at rank 3"
    assert status("retrieves", {"source": "products/*", "sku": "TEE-02"}, obs) == "failed"
    assert status("retrieves", {"source": "playbooks/*", "intent": "size_advice"}, obs) == \
        "passed"
    narrow = Observed(kind="retrieval", hits=hits, k=2)
    outcome = evaluate("retrieves", {"source": "playbooks/zh-Hans/*"}, narrow)
    assert outcome.status == "failed" and "rank 3" in outcome.message


def test_categories_exact_set_and_hard_negatives() -> None:
    found = Observed(kind="policy", categories=["guarantee", "guarantee"], unchanged=False)
    assert status("categories", ["guarantee"], found) == "passed"
    outcome = evaluate("categories", ["guarantee", "off_platform"], found)
    assert outcome.status == "failed" and "missed off_platform" in outcome.message
    assert "extra guarantee" in evaluate("categories", ["off_platform"], found).message
    assert status("categories", [], Observed(kind="policy", unchanged=True)) == "passed"
    assert status("categories", [], found) == "failed"
    changed = evaluate("categories", [], Observed(kind="policy", unchanged=False))
    assert changed.status == "failed" and "byte-identical" in changed.message


class _YesJudge:
    model = "fake"

    def grade(self, rubric: str, conversation: str, reply: str) -> Outcome:
        return Outcome("passed" if "sorry" in reply else "failed", rubric)


def test_judge_is_skipped_without_llm_and_used_with_one() -> None:
    obs = draft("so sorry about the delay")
    skipped = evaluate("judge", "apologises", obs, None)
    assert skipped.status == "skipped" and "no LLM" in skipped.message
    assert evaluate("judge", "apologises", obs, _YesJudge()).status == "passed"
    assert evaluate("judge", "apologises", draft("ok"), _YesJudge()).status == "failed"


def planned(text: str = "", **extra: object) -> Observed:
    return draft(text, extra=dict(extra))


def test_readiness_and_needs_check() -> None:
    checked = planned(readiness="needs_check", needs_check=["bulk_order"])
    assert status("readiness", "needs_check", checked) == "passed"
    outcome = evaluate("readiness", "ready", checked)
    assert outcome.status == "failed" and "bulk_order" in outcome.message
    assert status("needs_check", True, checked) == "passed"
    assert status("needs_check", False, checked) == "failed"
    assert status("needs_check", ["bulk_order"], checked) == "passed"
    assert status("needs_check", ["cod"], checked) == "failed"
    assert status("needs_check", True, planned(needs_check=[])) == "failed"
    assert status("needs_check", False, planned(needs_check=[])) == "passed"


def test_answers_counts_only_asks_answered_from_knowledge() -> None:
    obs = planned(answered=["ship_from"], needs_check=["cod"])
    assert status("answers", ["ship_from"], obs) == "passed"
    outcome = evaluate("answers", ["ship_from", "cod"], obs)
    assert outcome.status == "failed" and "cod" in outcome.message


def test_no_menu_opening_and_no_emoji() -> None:
    assert status("no_menu", True, planned(sources=["facts"])) == "passed"
    assert status("no_menu", True, planned(sources=["menu"])) == "failed"
    assert status("opening", "brief", planned(opening="brief")) == "passed"
    assert status("opening", "none", planned(opening="banner")) == "failed"
    assert status("no_emoji", True, planned("非常抱歉，我马上处理。")) == "passed"
    assert status("no_emoji", True, planned("好的亲😊")) == "failed"
