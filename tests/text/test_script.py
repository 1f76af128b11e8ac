"""Language and script detection and OpenCC conversion: one detector for every layer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.text.script import (
    chinese_script,
    convert_script,
    detect_language,
    language_of,
    simplified_only,
    t2s_table,
    text_clue,
    to_simplified,
    to_traditional,
    traditional_only,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("多少钱？能便宜点吗？几天到？", "zh-Hans"),
        ("這件外套有XL嗎？幾天到？", "zh-Hant"),
        ("我身高180體重90公斤穿幾號", "zh-Hant"),
        ("How long does shipping take to Beijing?", "en"),
        ("키 175에 80키로인데 사이즈 뭐 입어요?", "ko"),
        # mixed scripts: the dominant one wins; SKUs and size labels are not English
        ("请问这个XL有吗", "zh-Hans"),
        ("Is the 大码 version available in black?", "en"),
        ("BT-JN-4WS01 사이즈 추천해 주세요", "ko"),
        ("BT-JN-4WS01 有货吗", "zh-Hans"),
        # English words in a Korean sentence: the Korean ending decides
        ("made in china 맞죠?", "ko"),
        ("free size 있어요", "ko"),
        ("thanks a lot, 네", "en"),  # one Hangul syllable is no Korean sentence
    ],
)
def test_one_message_decides_language_and_script(text: str, expected: str) -> None:
    assert detect_language([text]) == expected


def test_text_without_letters_gives_no_clue() -> None:
    assert text_clue("42?") is None
    assert text_clue("👍👍") is None


def test_chinese_of_shared_characters_decides_no_script() -> None:
    assert chinese_script("好的") is None
    assert text_clue("好的") == ("zh", None)
    assert chinese_script("著名品牌，质量很好") == "zh-Hans"  # 著 exists in both; 质 decides


@pytest.mark.parametrize("text", ["可以寄到台北", "唔該晒", "付咗錢未", "可以7-11取嗎", "超商取",
                                  "物流好慢喔"])
def test_cantonese_and_taiwan_words_read_traditional(text: str) -> None:
    # Shared characters only, but written by Traditional-script customers (Taiwan, Hong Kong).
    assert chinese_script(text) == "zh-Hant"
    assert detect_language([text]) == "zh-Hant"


def test_a_japanese_form_of_a_shared_character_decides_no_script() -> None:
    # 査 (a Japanese input method's 查) is in OpenCC's t2s table, yet neither Taiwan nor Hong
    # Kong writes it: a Simplified customer's message stays Simplified.
    assert chinese_script("我想査一下") is None
    assert chinese_script("帮我査一下") == "zh-Hans"  # 帮 decides, 査 does not outweigh it
    assert chinese_script("幫我査一下") == "zh-Hant"  # 幫 still decides


def test_a_mainland_message_about_taiwan_stays_simplified() -> None:
    assert chinese_script("能发台湾吗 运费多少") == "zh-Hans"
    assert chinese_script("好的喔") == "zh-Hant"  # 喔 alone, as Taiwan writes it
    assert chinese_script("这个好看喔") == "zh-Hans"  # 这 and 个 outweigh it


# ---------------------------------------------------------------- precedence


def test_forced_language_wins() -> None:
    assert detect_language(["多少钱"], forced="en") == "en"
    assert detect_language(["這件", "好的"], forced="ko", channel_default="zh-Hans") == "ko"


def test_latest_message_that_decides_wins_over_history_and_defaults() -> None:
    assert detect_language(["這件會縮水嗎", "这件呢"], channel_default="zh-Hant") == "zh-Hans"
    assert detect_language(["多少钱", "How much?"], store_default="zh-Hans") == "en"
    assert detect_language(["Hi", "사이즈 추천해 주세요"]) == "ko"


def test_clueless_message_follows_the_most_recent_earlier_message_that_decides() -> None:
    assert detect_language(["這雙鞋有44碼嗎", "44?"]) == "zh-Hant"
    assert detect_language(["do you have size 44", "??"]) == "en"
    assert detect_language(["这双鞋", "這雙鞋有44碼嗎", "👍"]) == "zh-Hant"


def test_shared_characters_take_the_script_from_history() -> None:
    assert detect_language(["這件會不會縮水", "好的"]) == "zh-Hant"
    assert detect_language(["這件會不會縮水", "OK", "好的"]) == "zh-Hant"
    # an English message cannot tell the script of a Chinese one
    assert detect_language(["do you ship to Taipei", "好的"]) == "zh-Hans"


def test_then_the_channel_default_then_the_store_default() -> None:
    assert detect_language(["好的"], channel_default="zh-Hant", store_default="zh-Hans") \
        == "zh-Hant"
    assert detect_language(["好的"], store_default="zh-Hant") == "zh-Hant"
    # a non-Chinese default cannot say how a Chinese message is written
    assert detect_language(["好的"], channel_default="en", store_default="zh-Hant") == "zh-Hant"
    assert detect_language(["👍"], channel_default="ko", store_default="en") == "ko"
    assert detect_language(["👍"], store_default="zh-Hant") == "zh-Hant"


def test_last_resort_is_zh_hans_for_chinese_and_en_otherwise() -> None:
    assert detect_language(["好的"]) == "zh-Hans"
    assert detect_language(["👍", "42"]) == "en"
    assert detect_language([]) == "en"


# ---------------------------------------------------------------- the cheap single-text helper


@pytest.mark.parametrize(("text", "language"), [
    ("亲，这件羽绒服很保暖。", "zh-Hans"),
    ("親，這件羽絨服很保暖。", "zh-Hant"),
    ("고객님, 3XL 추천드려요.", "ko"),
    ("Hi dear, the 2XL should fit.", "en"),
    ("亲，这件XL size可以吗", "zh-Hans"),  # Latin letters weigh less than Chinese characters
    ("😊👍 123", "en"),  # nothing to go on: the default
])
def test_language_of_one_text(text: str, language: str) -> None:
    assert language_of(text) == language


def test_default_applies_only_without_letters() -> None:
    assert language_of("!!!", default="ko") == "ko"
    assert language_of("OK", default="ko") == "en"


# ---------------------------------------------------------------- conversion


def test_converts_between_scripts() -> None:
    assert convert_script("这条牛仔裤的尺码偏大", "zh-Hant") == "這條牛仔褲的尺碼偏大"
    assert convert_script("這條牛仔褲", "zh-Hans") == "这条牛仔裤"
    assert convert_script("jeans", "en") == "jeans"


# One-to-one pairs only: 发 → 發/髮 and the like cannot round-trip character by character.
_PAIRS = sorted(
    (chr(cp), s) for cp, s in t2s_table().items()
    if cp <= 0xFFFF and ord(s) <= 0xFFFF and s in simplified_only()
    and chr(cp) not in simplified_only() and s not in traditional_only()
    and to_traditional(s) == chr(cp) and to_simplified(chr(cp)) == s
)


def test_script_only_character_sets_barely_overlap() -> None:
    # OpenCC chains a few characters (苧 is t2s of 薴 and s2t's 苎): a vote either way.
    assert len(traditional_only() & simplified_only()) <= 5
    assert len(_PAIRS) > 1000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PAIRS), min_size=1, max_size=12))
def test_script_conversion_round_trips_on_script_only_characters(
    pairs: list[tuple[str, str]],
) -> None:
    # One character a line: OpenCC converts phrases, and random neighbours can form one.
    traditional = "\n".join(t for t, _ in pairs)
    simplified = "\n".join(s for _, s in pairs)
    assert chinese_script(traditional) == "zh-Hant"
    assert chinese_script(simplified) == "zh-Hans"
    assert to_simplified(traditional) == simplified
    assert to_traditional(simplified) == traditional
    assert convert_script(convert_script(simplified, "zh-Hant"), "zh-Hans") == simplified


def test_a_latin_token_in_a_chinese_or_korean_chat_keeps_the_chat_language() -> None:
    assert detect_language(["今天能发吗", "ok"]) == "zh-Hans"
    assert detect_language(["배송 언제 돼요?", "OK thx"]) == "ko"
    assert detect_language(["ok"]) == "en"  # alone, it is English
    assert detect_language(["今天能发吗", "ok and when does it arrive"]) == "en"


def test_an_order_or_tracking_number_alone_decides_no_language() -> None:
    # Pasted into a Chinese or Korean chat, an id is no switch to English.
    for pasted in ("SF1234567890", "JD0012345678", "[ORDERID_10044]&nbsp;"):
        assert text_clue(pasted) is None
        assert detect_language(["之前买的", pasted]) == "zh-Hans"
    assert detect_language(["where is it SF1234567890"]) == "en"


def test_a_tax_or_company_number_is_no_english() -> None:
    # Digits and letters in any order ("91330100MA2…") are an id, not English words.
    assert detect_language(["税号91330100MA2XXXXX"]) == "zh-Hans"
    assert detect_language(["사업자 번호 1234ABCD5678 입니다"]) == "ko"
    assert detect_language(["our vat number is GB123456789"]) == "en"


def test_a_pasted_link_or_email_address_is_no_english() -> None:
    assert detect_language(["这件有XL吗 https://bit.ly/3xYz"]) == "zh-Hans"
    assert detect_language(["이거 재고 있어요? www.example.com/item/7"]) == "ko"
    assert detect_language(["发票发到 wang.lei@example.com 就行"]) == "zh-Hans"
    assert text_clue("https://t.co/abcDEF") is None  # a link alone says nothing
    assert detect_language(["check this out https://t.co/abcDEF"]) == "en"


@pytest.mark.parametrize("text", ["so-so", "x-large?", "t-shirt pls"])
def test_a_hyphenated_word_without_a_digit_is_english_not_a_code(text: str) -> None:
    # "BT-JN-4WS01" says nothing of the language, so a code falls to the store's default; a
    # word like "so-so" is English even in a Chinese store
    assert detect_language([text], store_default="zh-Hans") == "en"
    assert detect_language(["BT-JN-4WS01"], store_default="zh-Hans") == "zh-Hans"
