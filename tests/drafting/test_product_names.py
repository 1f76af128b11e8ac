"""Product resolution (``understanding.product``): the screen wins unless the customer distinctly
names another product; generic words never count; ambiguity is reported, not guessed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from replydraft.drafting.models import Message
from replydraft.drafting.understanding.lexicon import load_lexicon
from replydraft.drafting.understanding.product import ProductResolution, resolve_product
from replydraft.knowledge.catalog import read_product_file
from replydraft.knowledge.models import Product

REPO = Path(__file__).resolve().parents[2]
LEXICON = load_lexicon(REPO / "prompts" / "offline" / "lexicon.yaml")
JEANS, SLIM, BOOTS, COAT = "BT-JN-4WS01", "BT-JN-4WS02", "BT-BT-WP01", "BT-CT-DN01"
JACKET, FLEECE, BELT, SHIRT = "BT-JK-WP01", "BT-FL-GD01", "BT-AC-BL01", "BT-SR-OX01"


def demo_products() -> list[Product]:
    products: list[Product] = []
    for path in sorted((REPO / "knowledge" / "products").iterdir()):
        if path.suffix in {".yaml", ".yml", ".json", ".csv"}:
            products += [lp.product for lp in read_product_file(path, path.name).products]
    return products


PRODUCTS = demo_products()


def resolve(text: str, screen: str | None = None, earlier: tuple[str, ...] = ()
            ) -> ProductResolution:
    """``earlier``: turns before ``text``, the customer's and the agent's in alternation."""
    turns = [Message(role="customer" if i % 2 == 0 else "agent", text=t)
             for i, t in enumerate(earlier)]
    return resolve_product(text, turns, on_screen=screen, products=PRODUCTS, lexicon=LEXICON)


@pytest.mark.parametrize("text", [
    "사이즈 어떻게 해요?", "사이즈 추천 부탁드려요", "这件大码的多少钱", "what size should i get",
    "this in 3xl?", "修身吗", "防水吗", "透气吗", "男装有大一码的吗", "这款还有吗"])
def test_generic_and_descriptive_words_stay_on_the_screen(text: str) -> None:
    assert resolve(text, JEANS) == ProductResolution(JEANS, "on_screen")


@pytest.mark.parametrize(("text", "screen", "sku", "how"), [
    ("羽绒外套能机洗吗", JEANS, COAT, "category"),  # coat ∩ outerwear, not the fleece
    ("登山靴有灰色吗", JEANS, BOOTS, "named"),  # as specific as the product's own name
    ("腰带多长", JEANS, BELT, "category"),  # a plain garment noun
    ("小脚牛仔裤有吗", JEANS, SLIM, "named"),  # a descriptive word within the jeans
    ("小脚的有烟灰色吗", JEANS, SLIM, "named"),  # a descriptive word used as a name
    ("does the straight cut sit high", SLIM, JEANS, "named"),
    ("直筒牛仔裤多少钱", None, JEANS, "named"),
    ("BT-SR-OX01 有货吗", JEANS, SHIRT, "named"),
    ("bt-jn-4ws02 还有吗", JEANS, SLIM, "named"),
    ("벨트 길이 어떻게 돼요", None, BELT, "category"),
    ("is the down coat warm", None, COAT, "named"),
    ("is the coat warm", None, COAT, "category"),
    ("牛仔裤呢", JEANS, JEANS, "on_screen"),  # a category word that fits the screen agrees
    ("外套有黑色吗", JACKET, JACKET, "on_screen"),
])
def test_a_distinct_name_wins(text: str, screen: str | None, sku: str, how: str) -> None:
    found = resolve(text, screen)
    assert (found.sku, found.how) == (sku, how)


def test_ambiguous_categories_are_reported_with_their_candidates() -> None:
    jeans = resolve("牛仔裤多少钱")
    assert jeans.sku is None and jeans.how == "ambiguous"
    assert set(jeans.candidates) == {JEANS, SLIM}
    outer = resolve("外套有黑色吗")
    assert outer.how == "ambiguous" and set(outer.candidates) == {JACKET, FLEECE, COAT}
    assert resolve("청바지 사이즈 추천해주세요").how == "ambiguous"
    assert resolve("外套防水吗").how == "ambiguous"  # a feature asked, not a name


def test_history_decides_what_the_latest_message_leaves_open() -> None:
    assert resolve("那黑色呢", None, ("登山靴有灰色吗", "亲，有的")) == \
        ProductResolution(BOOTS, "history")
    within = resolve("牛仔裤", None, ("我想要直筒的",))
    assert (within.sku, within.how) == (JEANS, "history")
    assert resolve("多少钱", JEANS, ("登山靴有灰色吗",)).how == "on_screen"  # the screen first
    assert resolve("多少钱") == ProductResolution(None, "none")
    # The customer's own words before the agent's: "薄羽绒" is a layer, not the product.
    layered = resolve("那帽子能拆吗", None, ("冲锋衣里面能穿毛衣不", "可以的 里面加薄羽绒都行"))
    assert (layered.sku, layered.how) == (JACKET, "history")


def test_with_nothing_on_screen_any_distinctive_word_names_the_product() -> None:
    # No marker needed when there is no screen to fall back on; a colour only one product comes
    # in finds it too, as a guess by a trait (the customer never named it; the reply names it).
    assert resolve("直筒黑色46有吗") == ProductResolution(JEANS, "named")
    assert resolve("煙灰44有貨嗎") == ProductResolution(SLIM, "category", (SLIM,))
    # A colour both jeans come in leaves the product to the conversation.
    assert resolve("深蓝呢", None, ("直筒黑色46有吗", "黑色46暂时缺货")) == \
        ProductResolution(JEANS, "history")
    assert resolve("深蓝呢").how == "none"
    # An English word alone is no name, even with nothing on screen.
    assert resolve("my internet is down again").how == "none"
    # With a product on screen the same words stay a description of it.
    assert resolve("直筒吗", SLIM) == ProductResolution(SLIM, "on_screen")


def test_two_things_named_and_one_is_on_screen_keeps_the_screen() -> None:
    assert resolve("등산화랑 같이 산 양말이 안 왔어요", "BT-SK-HK01") == \
        ProductResolution("BT-SK-HK01", "on_screen", (BOOTS,), ("BT-SK-HK01", BOOTS))
    assert resolve("登山鞋和袜子一起买有优惠吗").sku == BOOTS  # no screen: the first is the subject


def test_several_kinds_named_keep_every_item_of_each_kind() -> None:
    # the first kind stays the subject; the items of every kind named are kept beside it
    both = resolve("有卫衣和牛仔裤吗")
    assert both.sku == "BT-HD-HW01"
    assert set(both.kinds) == {"BT-HD-HW01", "BT-JN-4WS01", "BT-JN-4WS02"}
    # "裤" inside "牛仔裤" names no other trousers
    assert "BT-TR-CG01" not in both.kinds
    assert resolve("牛仔裤有几款").kinds == ()  # one kind: nothing beside it


def test_english_plurals_name_their_category() -> None:
    assert resolve("if i buy 5 tees do i get a deal").sku == "BT-TS-QD01"
    assert resolve("are the belts real leather").sku == BELT


def synthetic(count: int) -> list[Product]:
    base = PRODUCTS[0].model_dump()
    styles = ["四面", "弹力", "速干", "防水", "加绒"]
    return [Product.model_validate({
        **base, "sku": f"SY-{i:05d}",
        "names": {"zh-Hans": f"大码{styles[i % 5]}系列{i:05d}号裤",
                  "en": f"Big & Tall series {i:05d} trousers"}}) for i in range(count)]


def test_a_large_catalogue_resolves_quickly_and_by_sku() -> None:
    products = synthetic(3000)
    found = resolve_product("SY-00007 多少钱", [], on_screen="SY-00001", products=products,
                            lexicon=LEXICON)
    assert (found.sku, found.how) == ("SY-00007", "named")
    started = time.perf_counter()
    for _ in range(50):
        resolve_product("这条裤子的腰围多大", [], on_screen="SY-00001", products=products,
                        lexicon=LEXICON)
    assert time.perf_counter() - started < 5  # the catalogue's index is built once


@pytest.mark.parametrize(("earlier", "text"), [
    (("这件羊毛大衣还有吗", "有的亲"), "什么颜色"),
    (("is this a wool coat?", "Yes it is."), "what colours"),
    (("캐시미어 코트 보고 있어요", "이쪽에 있어요"), "얼마예요?"),
])
def test_a_material_ours_is_not_made_of_names_another_item(earlier: tuple[str, ...],
                                                          text: str) -> None:
    # Our only coat is a down coat: a wool or cashmere coat is some other shop's.
    assert resolve(text, earlier=earlier).sku is None


def test_a_material_ours_is_made_of_still_names_it() -> None:
    assert resolve("羽绒大衣多少钱").sku == COAT
    assert resolve("leather belt in brown?").sku == BELT


@pytest.mark.parametrize(("text", "first"), [
    ("跑步穿什么好", "shoes"), ("something for rainy days", "jacket"),
    ("등산할 때 입을 거", "boots"), ("冬天穿的有啥推荐", "coat")])
def test_a_use_names_the_kinds_it_calls_for_most_fitting_first(text: str, first: str) -> None:
    assert LEXICON.use_categories(text)[0] == first


def test_a_use_word_is_no_category_word() -> None:
    # "冬天穿会冷吗" asks about the item on screen, whatever it is: the use names no candidates
    assert not LEXICON.use_categories("你好")
    resolved = resolve_product("冬天穿会冷吗", [], on_screen="BT-JN-4WS01", products=PRODUCTS,
                               lexicon=LEXICON)
    assert (resolved.sku, resolved.how) == ("BT-JN-4WS01", "on_screen")


def test_a_use_naming_an_unknown_category_is_refused(tmp_path: Path) -> None:
    from replydraft.errors import ConfigurationError

    text = (REPO / "prompts" / "offline" / "lexicon.yaml").read_text(encoding="utf-8")
    broken = text.replace("categories: [shoes, tshirt, shorts, socks]}",
                          "categories: [shoes, skis]}", 1)
    assert broken != text
    path = tmp_path / "lexicon.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"uses\.running: unknown categories \['skis'\]"):
        load_lexicon(path)
