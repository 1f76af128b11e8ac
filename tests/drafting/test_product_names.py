"""The indexed product lookup answers exactly what comparing the message with every product
answers, on the demo catalogue and on a large synthetic one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from replydraft.drafting.understanding import mentions
from replydraft.drafting.understanding.lexicon import load_lexicon
from replydraft.drafting.understanding.mentions import product_mention
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.catalog import read_product_file
from replydraft.knowledge.models import Product

REPO = Path(__file__).resolve().parents[2]
LEXICON = load_lexicon(REPO / "prompts" / "offline" / "lexicon.yaml")


def demo_products() -> list[Product]:
    products: list[Product] = []
    for path in sorted((REPO / "knowledge" / "products").iterdir()):
        if path.suffix in {".yaml", ".yml", ".json", ".csv"}:
            products += [lp.product for lp in read_product_file(path, path.name).products]
    return products


def every_product(text: str, products: Sequence[Product]) -> str | None:
    """The lookup as it was before the index: every product compared with the message."""
    upper = text.upper()
    for product in products:
        if re.search(rf"(?<![A-Z0-9-]){re.escape(product.sku)}(?![A-Z0-9-])", upper):
            return product.sku
    compact = re.sub(r"\s+", "", text)
    words = set(mentions._LATIN_WORD.findall(text))
    scores = {}
    for product in products:
        forms = mentions._name_forms(tuple(product.names.values()), LEXICON.generic_words)
        best = max((mentions._word_overlap(words, f) if mentions._is_latin(f)
                    else mentions._overlap(compact, f) for f in forms), default=0)
        if best >= 3:
            scores[product.sku] = best
    if scores:
        top = max(scores.values())
        winners = [sku for sku, score in scores.items() if score == top]
        if len(winners) == 1:
            return winners[0]
    return None


MESSAGES = [
    "这条四面弹牛仔裤我180斤穿多大?", "冲锋衣防水吗", "登山鞋44码有货吗", "那件polo衫有黑色吗",
    "牛仔裤和冲锋衣一起买能便宜吗", "這件外套有黑色3XL嗎", "羽绒服多少钱", "在吗",
    "Is the waterproof shell jacket breathable?", "do the hiking boots run small",
    "what size oxford shirt for 6'1 240 lbs", "stretch jeans elastic waist", "hello",
    "청바지 허리 36이면 몇 kg까지 입어요", "옥스퍼드 셔츠 세탁하면 줄어들어요?", "등산화 사이즈",
    "BT-JN-4WS01 还有货吗", "bt-jn-4ws01 and BT-JN-4WS01X", "XBT-JN-4WS01 是什么",
]


@pytest.mark.parametrize("message", MESSAGES)
def test_demo_catalogue_same_answer_as_comparing_every_product(message: str) -> None:
    products = demo_products()
    text = normalise_measures(message)
    assert mentions._by_sku_or_name(text, products, LEXICON) == every_product(text, products)


def synthetic(count: int) -> list[Product]:
    base = demo_products()[0].model_dump()
    styles = ["四面", "弹力", "速干", "防水", "加绒"]
    made = []
    for i in range(count):
        made.append(Product.model_validate({
            **base, "sku": f"SY-{i:05d}",
            "names": {"zh-Hans": f"大码{styles[i % 5]}系列{i:05d}号裤",
                      "en": f"Big & Tall series {i:05d} trousers"},
        }))
    return made


def test_large_catalogue_finds_the_named_product_and_agrees_with_the_scan() -> None:
    products = synthetic(3000)
    for message in ["系列01234号裤还有货吗", "series 02999 trousers size", "SY-00007 多少钱",
                    "大码四面弹裤子", "这条裤子多少钱"]:
        text = normalise_measures(message)
        assert mentions._by_sku_or_name(text, products, LEXICON) == every_product(text, products)
    assert product_mention(normalise_measures("系列01234号裤还有货吗"), products, LEXICON) \
        == ("SY-01234", True)


def test_a_new_catalogue_gets_a_new_index() -> None:
    first, second = synthetic(20), synthetic(20)
    assert mentions.product_names(first, LEXICON) is mentions.product_names(first, LEXICON)
    assert mentions.product_names(second, LEXICON) is not mentions.product_names(first, LEXICON)
