"""The lexical tokeniser and BM25 index."""

import numpy as np

from replydraft.knowledge.lexical import LexicalIndex, tokenize
from replydraft.text.script import language_of


def test_sku_is_kept_whole_and_split() -> None:
    terms = tokenize("这条 BT-JN-4WS01 还有36码吗")
    assert {"bt-jn-4ws01", "btjn4ws01", "4ws01"} <= set(terms)


def test_traditional_and_simplified_chinese_share_terms() -> None:
    assert {"尺码", "牛仔裤"} <= set(tokenize("這條牛仔褲的尺碼"))
    assert {"尺码", "牛仔裤"} <= set(tokenize("这条牛仔裤的尺码"))


def test_korean_words_lose_particles_and_give_bigrams() -> None:
    terms = tokenize("청바지는 허리가 고무줄이에요")
    assert {"청바지", "허리", "고무줄", "바지"} <= set(terms)


def test_english_is_lowercased_plural_folded_and_sizes_split() -> None:
    terms = tokenize("Do the Jeans come in 3XL?")
    assert {"jean", "3xl", "xl"} <= set(terms)
    assert "the" not in terms


def test_bm25_ranks_the_matching_document_and_respects_the_mask() -> None:
    docs = [tokenize(text) for text in (
        "退货运费由买家承担", "BT-JN-4WS01 四面弹牛仔裤 尺码表", "Shipping takes 2-5 days")]
    index = LexicalIndex(docs)
    assert index.top(tokenize("bt-jn-4ws01"), 3)[0][0] == 1
    assert index.top(tokenize("shipping days"), 3)[0][0] == 2
    masked = index.top(tokenize("bt-jn-4ws01"), 3, mask=np.array([True, False, True]))
    assert all(row != 1 for row, _ in masked)
    assert index.top(tokenize("完全无关的词语"), 3) == []


def test_language_detection() -> None:
    assert language_of("사이즈 추천해 주세요") == "ko"
    assert language_of("這條褲子的尺碼偏大還是偏小") == "zh-Hant"
    assert language_of("这条裤子的尺码偏大还是偏小") == "zh-Hans"
    assert language_of("Which size should I take?") == "en"
