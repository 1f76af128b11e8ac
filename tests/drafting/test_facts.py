"""The facts a reply is written from."""

from __future__ import annotations

from replydraft.drafting.composing.facts import Retrieved
from replydraft.knowledge.models import SearchHit
from replydraft.knowledge.render import answer_section
from replydraft.languages import Language


def _answer(language: Language, text: str) -> SearchHit:
    return SearchHit(chunk_id=f"store-{language}", text=text, source="store.yaml",
                     source_type="store", section=answer_section("slow_courier"),
                     intent="complaint", language=language, sku="", score=1.0)


def test_a_store_answer_is_taken_in_the_replys_own_script() -> None:
    # A Simplified question can rank the Traditional copy of the same answer first: a reply
    # that switched script halfway would go out that way.
    retrieved = Retrieved([_answer("zh-Hant", "我們預設寄中通"),
                           _answer("zh-Hans", "我们默认发中通")])
    simplified = retrieved.store_answer("slow_courier", "zh-Hans")
    assert simplified is not None and simplified.text == "我们默认发中通"
    assert retrieved.store_answer("slow_courier", "en") is None
