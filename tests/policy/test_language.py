"""The script-based language guess that picks a replacement's language."""

from __future__ import annotations

import pytest

from replydraft.policy.language import detect_language


@pytest.mark.parametrize(("text", "language"), [
    ("亲，这件羽绒服很保暖。", "zh-Hans"),
    ("親，這件羽絨服很保暖。", "zh-Hant"),
    ("著名品牌，质量很好", "zh-Hans"),  # 著 exists in both scripts; 质 decides
    ("고객님, 3XL 추천드려요.", "ko"),
    ("Hi dear, the 2XL should fit.", "en"),
    ("亲，这件XL size可以吗", "zh-Hans"),  # Latin letters weigh less than Chinese characters
    ("😊👍 123", "en"),  # nothing to go on: the default
])
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_default_applies_only_without_letters() -> None:
    assert detect_language("!!!", default="ko") == "ko"
    assert detect_language("OK", default="ko") == "en"
