from __future__ import annotations

import pytest

from replydraft.drafting.language import (
    chinese_script,
    convert_script,
    detect_language,
    detect_text_language,
)
from replydraft.drafting.models import Message


def conversation(*texts: str) -> list[Message]:
    return [Message(role="customer", text=t) for t in texts]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("多少钱？能便宜点吗？几天到？", "zh-Hans"),
        ("這件外套有XL嗎？幾天到？", "zh-Hant"),
        ("我身高180體重90公斤穿幾號", "zh-Hant"),
        ("How long does shipping take to Beijing?", "en"),
        ("키 175에 80키로인데 사이즈 뭐 입어요?", "ko"),
        # mixed scripts: the dominant one wins
        ("请问这个XL有吗", "zh-Hans"),
        ("Is the 大码 version available in black?", "en"),
        ("BT-JN-4WS01 사이즈 추천해 주세요", "ko"),
    ],
)
def test_detects_language_and_script(text: str, expected: str) -> None:
    assert detect_text_language(text) == expected


def test_text_without_letters_gives_no_clue() -> None:
    assert detect_text_language("42?") is None
    assert detect_text_language("👍👍") is None


def test_forced_language_wins() -> None:
    assert detect_language(conversation("多少钱"), forced="en") == "en"


def test_clueless_message_follows_earlier_customer_message() -> None:
    assert detect_language(conversation("這雙鞋有44碼嗎", "44?")) == "zh-Hant"
    assert detect_language(conversation("do you have size 44", "??")) == "en"


def test_chinese_of_shared_characters_takes_script_from_history() -> None:
    # "尺码" has no Traditional-only character; the customer wrote Traditional before
    assert chinese_script("好的") is None
    assert detect_language(conversation("這件會不會縮水", "好的")) == "zh-Hant"
    assert detect_language(conversation("好的")) == "zh-Hans"


def test_converts_between_scripts() -> None:
    assert convert_script("这条牛仔裤的尺码偏大", "zh-Hant") == "這條牛仔褲的尺碼偏大"
    assert convert_script("這條牛仔褲", "zh-Hans") == "这条牛仔裤"
    assert convert_script("jeans", "en") == "jeans"
