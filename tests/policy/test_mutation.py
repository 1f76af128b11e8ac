"""Mutation testing: disguised violations are still caught, disguised hard negatives stay clean.

The operators of ``replydraft.policy.mutation`` are driven here by hypothesis strategies (many
random generators, derandomised so a failure reproduces) and, through ``measure``, with the
seeded generator the eval report uses.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.languages import LANGUAGES
from replydraft.policy import check, default_engine
from replydraft.policy.mutation import (
    OPERATORS,
    Context,
    MutationReport,
    Sample,
    app_families,
    measure,
    policy_check,
)
from replydraft.policy.normalize import TextViews

from .evalset import demo_store, load_cases

# Operators that change how a text is written, never what it shows: the normalised views of
# the disguised text must equal those of the original.
DISPLAY_PRESERVING = ("zero_width", "bidi_override", "confusable", "letter_spacing",
                      "separators", "full_width")


def _samples() -> list[Sample]:
    store = demo_store()
    samples = []
    for case in load_cases():
        expected = next((item["categories"] for item in case["expect"] if "categories" in item),
                        None)
        if "text" not in case["input"] or expected is None:
            continue
        language = next((t for t in case.get("tags", []) if t in LANGUAGES), "zh-Hans")
        samples.append(Sample(case["id"], case["input"]["text"], language, frozenset(expected),
                              case["input"].get("platform"), store))
    return samples


SAMPLES = _samples()
POSITIVES = [s for s in SAMPLES if s.expected]
CONTEXT = Context("zh-Hans", app_families(default_engine().rules.aliases))


def _spans(sample: Sample) -> list[tuple[int, int]]:
    return sorted({(s, e) for _, s, e in policy_check(sample.text, sample)})


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(POSITIVES), st.sampled_from(DISPLAY_PRESERVING),
       st.randoms(use_true_random=False))
def test_a_disguise_reads_as_the_original(sample: Sample, name: str, rng: random.Random
                                          ) -> None:
    mutated = OPERATORS[name](sample.text, _spans(sample), rng, CONTEXT)
    if mutated is None:
        return
    assert mutated != sample.text
    assert TextViews(mutated).compact == TextViews(sample.text).compact


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(POSITIVES),
       st.lists(st.sampled_from(DISPLAY_PRESERVING), min_size=2, max_size=3, unique=True),
       st.randoms(use_true_random=False))
def test_stacked_disguises_are_still_caught(sample: Sample, names: list[str],
                                            rng: random.Random) -> None:
    text = sample.text
    for name in names:
        spans = sorted({(s, e) for _, s, e in policy_check(text, sample)})
        text = OPERATORS[name](text, spans, rng, CONTEXT) or text
    found = {category for category, _, _ in policy_check(text, sample)}
    assert sample.expected <= found, (sample.id, names, text)


def test_spelled_digits_and_nicknames() -> None:
    rng = random.Random(1)
    spelled = OPERATORS["spelled_digits"]("电话13812345678", [(2, 13)], rng, CONTEXT)
    assert spelled == "电话一三八一二三四五六七八"
    assert OPERATORS["spelled_digits"]("3天内到", [(0, 4)], rng, CONTEXT) is None  # not an id
    swapped = OPERATORS["nickname"]("加我微信", [(0, 4)], rng, Context(
        "zh-Hans", CONTEXT.aliases, frozenset({"微信", "威信"})))
    assert swapped == "加我威信"
    # Only whole Latin words are app names: "online" holds no "line".
    assert OPERATORS["nickname"]("find us online", [(0, 14)], rng, Context(
        "en", CONTEXT.aliases, frozenset({"line", "라인"}))) is None


@pytest.fixture(scope="module")
def report() -> MutationReport:
    return measure(SAMPLES, policy_check, default_engine().rules.aliases, seed=13)


def test_recall_under_mutation_per_category_and_language(report: MutationReport) -> None:
    assert {category for category, _ in report.recall} == {
        "guarantee", "absolute_claim", "off_platform", "body_insult"}
    assert {language for _, language in report.recall} == set(LANGUAGES)
    low = {key: (t.caught, t.total) for key, t in report.recall.items()
           if t.rate is not None and t.rate < 0.99}
    assert low == {}, report.misses
    assert set(report.by_operator) == set(OPERATORS)  # every disguise was applied somewhere


def test_false_positives_on_mutated_hard_negatives(report: MutationReport) -> None:
    rate = report.false_positive_rate()
    assert rate is not None and rate <= 0.005, report.false_positives
    assert sum(t.total for t in report.negatives.values()) > 1000


def test_the_measure_is_deterministic() -> None:
    again = measure(SAMPLES[:120], policy_check, default_engine().rules.aliases, seed=13)
    first = measure(SAMPLES[:120], policy_check, default_engine().rules.aliases, seed=13)
    assert again.as_dict() == first.as_dict()


@pytest.mark.parametrize("text", [
    "加我\u202e信微\u202c abc123",  # displays as 加我微信
    "加我wеchat",  # Cyrillic е
    "加我𝕨𝕖𝕔𝕙𝕒𝕥",
    "保 证 明 天 到",
    "g u a r a n t e e",
    "뚱 뚱 한 분",
    "扣扣 8 6 5 3 2 1 7 7 9",
    "加我Line",
    "add me on line",
    "企鹅号：八六五三二一七七九",
    "The number is one three eight one two three four five six seven eight.",
])
def test_the_issues_disguises_are_caught(text: str) -> None:
    assert not check(text).clean, text


@pytest.mark.parametrize("text", [
    "退回到您的微信", "退款原路退回微信", "WeChat Pay", "We accept WeChat Pay and Alipay.",
    "微信支付", "알리페이", "카카오페이로 결제하실 수 있어요.", "无法保证",
    "we can't guarantee that", "보장할 수 없어요", "不建议机洗", "find us online", "请先扣扣子",
    "허리 라인이 예뻐요", "Sizes one, two and three, four and five are in stock, six soon.",
])
def test_allowed_uses_stay_clean(text: str) -> None:
    result = check(text)
    assert result.clean, result.violations


def test_the_stores_own_name_is_not_drainage() -> None:
    store = demo_store()
    named = store.model_copy(update={"names": {"zh-Hans": "微信小铺", "en": "Kakao Corner"}})
    assert check("欢迎光临微信小铺，这款有货。", store=named).clean
    assert check("Thanks for shopping at K a k a o Corner!", store=named).clean
    assert not check("Thanks for shopping at K a k a o Corner!", store=store).clean
    # The name does not excuse the app elsewhere in the text.
    assert not check("欢迎光临微信小铺，加我微信 bt88。", store=named).clean
    assert not check("欢迎光临微信小铺，这款有货。", store=store).clean
