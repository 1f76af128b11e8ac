"""Retrieval quality on the demo store (the shared ``demo_kb``): cross-lingual questions in each
language find the right section, SKUs find their product first, filters narrow."""

from __future__ import annotations

import fnmatch

import pytest

from replydraft.knowledge.base import KnowledgeBase

SIZE_SECTIONS = "playbooks/*/sizing.md"


def sources(kb: KnowledgeBase, query: str, k: int = 5, **filters: object) -> list[str]:
    return [hit.source for hit in kb.search(query, k=k, **filters)]  # type: ignore[arg-type]


@pytest.mark.parametrize("query", [
    "我身高180，体重200斤，穿什么码合适",  # zh-Hans
    "我身高183，體重95公斤，要穿幾號",  # zh-Hant
    "I'm 185 cm and 110 kg, which size should I order?",  # en
    "키 180에 몸무게 95kg인데 어떤 사이즈를 사야 하나요?",  # ko
])
def test_size_questions_find_a_sizing_section_in_every_language(
        demo_kb: KnowledgeBase, query: str) -> None:
    hits = demo_kb.search(query, k=5)
    assert any(fnmatch.fnmatch(h.source, SIZE_SECTIONS) and h.intent == "size_advice"
               for h in hits), [(h.source, h.section) for h in hits]


@pytest.mark.parametrize(("query", "language"), [
    ("how long does delivery take", "zh-Hans"),  # English question, Chinese-only results
    ("配送需要几天", "en"),
    ("배송은 며칠 걸려요", "zh-Hant"),
    ("出貨要多久", "ko"),
])
def test_cross_lingual_shipping_question(demo_kb: KnowledgeBase, query: str,
                                         language: str) -> None:
    hits = demo_kb.search(query, k=5, language=language)  # type: ignore[arg-type]
    assert hits and {h.language for h in hits} == {language}
    assert any(h.intent in ("shipping_time", "logistics_delay") for h in hits[:3]), \
        [(h.source, h.section, h.intent) for h in hits]


def test_sku_lookup_ranks_that_product_first(demo_kb: KnowledgeBase) -> None:
    for product in demo_kb.products()[:6]:
        hits = demo_kb.search(f"{product.sku} 还有货吗", k=3)
        assert hits[0].sku == product.sku, (product.sku, [(h.sku, h.source) for h in hits])
        assert hits[0].language == "zh-Hans"  # the block in the question's language first


def test_product_name_finds_the_product(demo_kb: KnowledgeBase) -> None:
    product = demo_kb.products()[0]
    name = product.names["en"]
    assert demo_kb.search(name, k=3)[0].sku == product.sku


def test_filters_narrow_and_never_widen(demo_kb: KnowledgeBase) -> None:
    query = "退货运费谁出"
    unfiltered = demo_kb.search(query, k=10)
    intent_hits = demo_kb.search(query, k=10, intent="return_exchange")
    assert intent_hits and {h.intent for h in intent_hits} == {"return_exchange"}
    ko_hits = demo_kb.search(query, k=10, language="ko")
    assert ko_hits and {h.language for h in ko_hits} == {"ko"}
    product = demo_kb.products()[0]
    sku_hits = demo_kb.search(query, k=10, sku=product.sku)
    assert sku_hits and {h.sku for h in sku_hits} == {product.sku}
    assert len(unfiltered) == 10


def test_store_policies_are_retrievable_and_citable(demo_kb: KnowledgeBase) -> None:
    hits = demo_kb.search("满多少包邮", k=5, intent="postage")
    store_hits = [h for h in hits if h.source == "store.yaml"]
    assert store_hits and str(int(demo_kb.store.policies.postage.free_over)) in store_hits[0].text


def test_catalog_matches_the_serving_version(demo_kb: KnowledgeBase) -> None:
    products = demo_kb.products()
    assert len(products) >= 12
    first = products[0]
    assert demo_kb.product(first.sku.lower()) == first
    assert demo_kb.product("NO-SUCH-SKU") is None
    assert demo_kb.store.store_id


@pytest.mark.parametrize(("query", "filters"), [
    ("我身高180，体重200斤，穿什么码合适", {}),
    ("waterproof boots for wide feet", {"language": "en"}),
    ("退货运费谁出", {"intent": "return_exchange"}),
    ("배송은 며칠 걸려요", {"language": "ko"}),
])
def test_in_memory_exact_search_ranks_like_chroma(
        demo_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, query: str,
        filters: dict[str, str]) -> None:
    from replydraft.knowledge import base

    assert demo_kb.status().chunks <= base.EXACT_SEARCH_MAX_CHUNKS  # searched in memory
    in_memory = [(h.chunk_id, h.dense_rank) for h in demo_kb.search(query, k=10, **filters)]
    through_chroma = KnowledgeBase(demo_kb.settings, embedder=demo_kb.embedder)
    monkeypatch.setattr(base, "EXACT_SEARCH_MAX_CHUNKS", 0)
    assert through_chroma._exact_vectors(through_chroma._require(),
                                         through_chroma._dense_index()) is None
    assert [(h.chunk_id, h.dense_rank)
            for h in through_chroma.search(query, k=10, **filters)] == in_memory
    assert any(rank is not None for _, rank in in_memory)


def test_store_answers_come_by_their_words_not_by_nearness(demo_kb: KnowledgeBase) -> None:
    # A short store answer embeds close to almost any question: only the lexical list brings
    # one in, so no answer is among the hits by nearness alone.
    hits = demo_kb.search("能货到付款吗", k=30)
    answers = [h for h in hits if h.source == "store.yaml" and h.section.startswith("answers.")]
    assert answers and all(h.dense_rank is None and h.lexical_rank is not None for h in answers)
    assert any(h.dense_rank is not None for h in hits)  # the dense list still takes part
