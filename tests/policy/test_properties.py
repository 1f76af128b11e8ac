"""Properties of check() that must hold for any text (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from replydraft.knowledge.models import StoreProfile
from replydraft.policy import check
from replydraft.policy.normalize import compact_form

CLEAN = [
    "亲，这款是纯棉的，建议拍大一码。", "身高180体重100公斤建议3XL。", "支持7天无理由退换。",
    "快递时效我们没法保证，请您理解。", "親，這件很保暖喔！", "Hi dear, the 2XL should fit.",
    "We dispatch within 48 hours.", "The jeans are 100% cotton.", "고객님, 3XL 추천드려요.",
    "보통 2~3일이면 도착해요.", "您最好量一下腰围。", "订单号 202611230012345678 已发货。",
    "合肥仓发货，洗的时候用肥皂就行。", "돼지띠 고객님 이벤트예요.", "Best regards, Sam.",
]
DIRTY = [
    "保证明天到！", "加我微信bigtrail。", "全网最低价。", "胖子也能穿。", "We guarantee it.",
    "DM us now.", "내일 꼭 도착해요.", "카톡 주세요.", "The best jeans in the world.",
    "电话13812345678。", "www.bigtrail-shop.com", "假一赔十，绝对正品。", "fatty", "뚱보",
    "淘宝上也有。", "史上最舒服的。", "세계 최고의 원단.", "100%满意，包您满意。",
]
NOISE = st.sampled_from([" ", "，", "。", "！", "\n", "😊", "~", " - ", "\u200b", ",", ". "])

DRAFTS = st.lists(
    st.one_of(st.sampled_from(CLEAN), st.sampled_from(DIRTY), NOISE,
              st.text(max_size=6)),
    max_size=10,
).map("".join)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DRAFTS, st.sampled_from([None, "jd", "taobao", "own"]))
def test_filtered_text_is_clean_and_filtering_is_idempotent(text: str, platform: str | None
                                                           ) -> None:
    result = check(text, platform=platform)  # type: ignore[arg-type]
    again = check(result.text, platform=platform)  # type: ignore[arg-type]
    assert again.clean, (text, result.text, again.violations)
    assert again.text == result.text
    if result.clean:
        assert result.text == text and not result.violations
    else:
        assert result.violations


@settings(max_examples=250, deadline=None)
@given(DRAFTS)
def test_spans_point_at_the_offending_input_text(text: str) -> None:
    for violation in check(text).violations:
        start, end = violation.span
        assert 0 <= start < end <= len(text)
        assert text[start:end] == violation.match
        assert compact_form(violation.match)  # never only spaces or symbols


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(CLEAN), max_size=4).map("".join))
def test_clean_sentences_stay_byte_identical(text: str) -> None:
    result = check(text)
    assert result.clean and result.text == text


# Words caught by literal rules, with their category, for the obfuscation property.
TERMS = [("微信", "off_platform"), ("wechat", "off_platform"), ("whatsapp", "off_platform"),
         ("telegram", "off_platform"), ("카톡", "off_platform"), ("胖子", "body_insult"),
         ("肥仔", "body_insult"), ("뚱보", "body_insult"), ("肉堆", "body_insult")]
INSIDE = st.sampled_from(["", " ", ".", "❤", "\u200b", "\u200d", "*", "-", "\ufe0f", "·"])


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    term, category = draw(st.sampled_from(TERMS))
    chars = []
    for char in term:
        if char.isascii() and draw(st.booleans()):
            char = chr(ord(char.upper()) + 0xFEE0)  # full-width capital
        chars.append(char)
    glue = [draw(INSIDE) for _ in chars[1:]]
    word = chars[0] + "".join(g + c for g, c in zip(glue, chars[1:], strict=True))
    return word, category


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CLEAN), obfuscated(), st.sampled_from(CLEAN),
       st.sampled_from([" ", "，", "\u200b "]))
def test_obfuscated_words_are_found_with_exact_spans(before: str, word_and_category: tuple[
        str, str], after: str, gap: str) -> None:
    word, category = word_and_category
    text = before + gap + word + gap + after
    start = len(before) + len(gap)
    assume(compact_form(word))
    hits = [v for v in check(text).violations if v.category == category]
    assert any(v.span == (start, start + len(word)) for v in hits), (text, hits)


def test_allowed_commitment_wordings_survive_filtering_around_them(store: StoreProfile) -> None:
    for commitment in store.allowed_commitments:
        for wordings in commitment.phrases.values():
            for wording in wordings:
                text = f"{wording}。加我微信。"
                result = check(text, store=store)
                assert wording in result.text, (wording, result.text)
                assert {v.category for v in result.violations} == {"off_platform"}
