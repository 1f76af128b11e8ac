from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from replydraft.drafting.models import DraftRequest
from replydraft.drafting.understanding.conversation import extract_slots, message_slots
from replydraft.drafting.understanding.lexicon import load_lexicon, word_in
from replydraft.drafting.understanding.mentions import find_colour
from replydraft.drafting.understanding.slots import (
    chinese_number,
    normalise_measures,
    parse_amount_off,
    parse_clothing_size,
    parse_foot_length,
    parse_height,
    parse_height_weight_pair,
    parse_shoe_size,
    parse_waist,
    parse_weight,
)
from replydraft.knowledge.models import Product

REPO = Path(__file__).resolve().parents[2]
LEXICON = load_lexicon(REPO / "prompts" / "offline" / "lexicon.yaml")


def product(name: str) -> Product:
    return Product.model_validate(
        yaml.safe_load((REPO / "knowledge" / "products" / name).read_text(encoding="utf-8")))


JEANS = product("jeans-stretch-straight.yaml")
SLIM = product("jeans-stretch-slim.yaml")
BOOTS = product("boots-waterproof-hiking.yaml")
SHELL = product("jacket-waterproof-shell.yaml")
PRODUCTS = [JEANS, SLIM, BOOTS, SHELL]


def height_weight(text: str, family: str) -> tuple[float | None, float | None]:
    norm = normalise_measures(text)
    height, weight = parse_height(norm), parse_weight(norm, family)
    pair_height, pair_weight = parse_height_weight_pair(norm, family)
    return (height if height is not None else pair_height,
            weight if weight is not None else pair_weight)


@pytest.mark.parametrize(
    ("text", "family", "height", "weight"),
    [
        ("我175cm，90kg穿什么码", "zh", 175, 90),
        ("身高1米75体重180斤", "zh", 175, 90),
        ("一米七五，一百八十斤", "zh", 175, 90),
        ("一米八，两百斤", "zh", 180, 100),
        ("1.75m 90公斤", "zh", 175, 90),
        ("175 180斤", "zh", 175, 90),
        ("175/85", "zh", 175, 85),
        ("身高180 体重160", "zh", 180, 80),  # a bare 体重 of 140+ is jin
        ("體重95公斤身高183", "zh", 183, 95),
        ("我178 一百九十多斤", "zh", 178, 95),
        ("I'm 5'10\" and 200 lbs", "en", 177.8, 90.7),
        ("6 ft 2, 250 pounds", "en", 188, 113.4),
        ("i'm 180 and about 100kg", "en", 180, 100),
        ("I weigh 220", "en", None, 99.8),  # pounds when above 150
        ("14 stone", "en", None, 88.9),
        ("5'8 190", "en", 172.7, 86.2),  # a bare 3-digit number after feet and inches: pounds
        ("about 5 ft 11, 215", "en", 180.3, 97.5),
        ("5ft 230 lbs", "en", 152.4, 104.3),  # feet with no inches
        ("im 6 foot 300lb", "en", 182.9, 136.1),
        ("5呎9吋 180磅", "zh", 175.3, 81.6),  # Hong Kong feet and inches
        ("6'2 38 waist", "en", 188, None),  # a waist is not a weight
        ("키 175에 80키로인데요", "ko", 175, 80),
        ("키가 72에 몸무게 한 60이면", "ko", 172, 60),  # 72 means 172
        ("몸무게 80", "ko", None, 80),
    ],
)
def test_height_and_weight_in_every_form(
    text: str, family: str, height: float | None, weight: float | None
) -> None:
    got_height, got_weight = height_weight(text, family)
    assert got_height == (pytest.approx(height, abs=0.1) if height is not None else None)
    assert got_weight == (pytest.approx(weight, abs=0.1) if weight is not None else None)


def test_prices_and_sizes_are_not_mistaken_for_measurements() -> None:
    assert height_weight("189元包邮吗", "zh") == (None, None)
    assert height_weight("42码有货吗", "zh") == (None, None)
    assert height_weight("5'9 and 160 in jin", "zh")[1] is None  # pounds only in English


@pytest.mark.parametrize(
    ("run", "value"),
    [("一百八十", 180), ("一百八", 180), ("七五", 75), ("两百", 200), ("十五", 15), ("三十二", 32)],
)
def test_chinese_numerals(run: str, value: int) -> None:
    assert chinese_number(run) == value


def test_single_numerals_that_are_words_stay_words() -> None:
    assert normalise_measures("能便宜一点吗") == "能便宜一点吗"
    assert parse_amount_off(normalise_measures("少一点吧"), 189, "CNY") is None


@pytest.mark.parametrize(
    ("text", "foot_mm"),
    [("脚长26.5cm", 265), ("265mm", 265), ("발 길이 270", 270), ("270 신어요", 270),
     ("my foot is 27 cm", 270), ("平时穿42码", None)],
)
def test_foot_length(text: str, foot_mm: float | None) -> None:
    assert parse_foot_length(normalise_measures(text)) == foot_mm


@pytest.mark.parametrize(
    ("text", "footwear", "foot_mm"),
    [("245 주세요", True, 245), ("네 265 있어요?", True, 265), ("등산화 255 있나요", False, 255),
     ("250위안이에요?", True, None), ("241 주세요", True, None),
     # asked for or ordered, a 220-300 in steps of 5 is a shoe size with no shoe in view
     # (Korean clothes go by 90-110 or letters); said in passing it is not
     ("245 주세요", False, 245), ("사이즈 235로 할게요", False, 235), ("105 주세요", False, None),
     ("245번 버스 타고 왔어요", False, None)],
)
def test_a_bare_korean_shoe_size_is_the_foot_length_about_footwear(
    text: str, footwear: bool, foot_mm: float | None
) -> None:
    assert message_slots(text, "ko", LEXICON, footwear=footwear).foot_length_mm == foot_mm
    assert message_slots(text, "zh", LEXICON, footwear=footwear).foot_length_mm is None


@pytest.mark.parametrize(
    ("text", "size"),
    [("平时穿42码", "42"), ("EU 43", "43"), ("穿44的", "44"), ("US 10", "43"), ("us 9.5", "43"),
     ("I wear size 11 US", "45"), ("脚长26.5cm", None),
     # US sizes running into a particle, or written in Korean and Chinese
     ("us 8이면 뭐 사요", "41"), ("US 12요", "46"), ("미국 사이즈 9.5", "43"), ("美码11", "45"),
     # a US size worn, said about footwear
     ("usually wearing a 9 in trainers", "42"), ("my running shoes are size 12", "46"),
     ("I wear a 10 in these jeans", None),
     # a bare EU size among footwear words
     ("got those hiking boots in 44?", "44"), ("러닝화 블랙 42 있나요", "42"),
     ("跑鞋尺码选错了 换成41的", "41"),
     # not shoe sizes
     ("jeans in 44?", None), ("44 有货吗", None), ("boots took 40 days to arrive", None),
     ("these sneakers are 45 dollars?", None), ("鞋子能便宜40吗", None), ("sneakers 180 cm", None),
     ("boots for a 42 waist guy", None), ("bootcut in 36?", None),
     ("can the shoes ship to us 10 days", None), ("미국 10일 걸려요?", None)],
)
def test_shoe_size_with_us_to_eu(text: str, size: str | None) -> None:
    assert parse_shoe_size(normalise_measures(text), LEXICON.us_to_eu) == size


def test_a_bare_size_is_a_shoe_size_when_the_conversation_is_about_shoes() -> None:
    assert parse_shoe_size(normalise_measures("45有"), LEXICON.us_to_eu) is None
    assert parse_shoe_size(normalise_measures("45有"), LEXICON.us_to_eu, footwear=True) == "45"
    # still not a price, a discount or a number of days
    for text in ("便宜40吗", "45块可以吗", "40天了"):
        assert parse_shoe_size(normalise_measures(text), LEXICON.us_to_eu, footwear=True) is None


@pytest.mark.parametrize(
    ("text", "waist_cm"),
    [("腰围2尺8", 93.3), ("腰围二尺八", 93.3), ("waist 32", 81.3), ("32 inch waist", 81.3),
     ("허리 34", 86.4), ("허리 86cm", 86.0), ("W36", 91.4), ("腰围95", 95.0),
     # the number first, as English writes it; the leg after it is not the waist
     ("38 waist", 96.5), ("34 waist 30 leg, which fits", 86.4), ("need a 44\" waist", 111.8),
     ("90cm waist", 90.0), ("5'11 40 waist", 101.6)],
)
def test_waist(text: str, waist_cm: float) -> None:
    assert parse_waist(normalise_measures(text)) == pytest.approx(waist_cm, abs=0.1)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("便宜30", 30), ("少20块", 20), ("能不能便宜二十", 20), ("便宜个十块", 10), ("减50行不行", 50),
     ("knock 30 off", 30), ("can you do 25 off?", 25), ("20위안 깎아 주세요", 20),
     ("打个9折", 18.9), ("150卖吗", 39), ("can you sell it for 150", 39),
     ("能便宜点吗", None), ("5천원 깎아 주세요", None),
     ("come on, 15 then?", 15), ("그럼 3이라도요", 3), ("那20块行不行", 20),
     ("10프로 할인요", 18.9), ("42?", None), ("order 20231107 then?", None)],
)
def test_amount_asked_off(text: str, amount: float | None) -> None:
    assert parse_amount_off(normalise_measures(text), 189, "CNY") == amount


def test_won_amounts_count_for_a_won_store() -> None:
    assert parse_amount_off(normalise_measures("5000원 깎아 주세요"), 50000, "KRW") == 5000


@pytest.mark.parametrize(
    ("text", "product", "colour"),
    [("那黑色呢", JEANS, "black"), ("浅蓝的有吗", JEANS, "light-blue"), ("深藍色", JEANS, "indigo"),
     ("what about black?", JEANS, "black"), ("블랙은요?", JEANS, "black"),
     ("灰色的", BOOTS, "grey"), ("红色", JEANS, None),
     ("and the light blue?", JEANS, "light-blue"), ("48 in indigo?", JEANS, "indigo"),
     ("买的浅蓝 发来的是黑色", JEANS, "light-blue")],  # the one named first
)
def test_colour_against_the_products_colours(text: str, product: Product, colour: str | None
                                             ) -> None:
    assert find_colour(normalise_measures(text), product, LEXICON) == colour


def request(*turns: tuple[str, str], **extra: object) -> DraftRequest:
    return DraftRequest.model_validate(
        {"messages": [{"role": r, "text": t} for r, t in turns], **extra})


def test_history_keeps_product_and_measurements_for_a_follow_up() -> None:
    conversation = request(
        ("customer", "直筒牛仔裤我175，180斤穿什么码"),
        ("agent", "亲，建议38码哦"),
        ("customer", "那黑色呢?"),
    )
    slots = extract_slots(conversation, family="zh", products=PRODUCTS, lexicon=LEXICON,
                          sku="BT-JN-4WS01")
    assert slots.colour == "black"
    assert (slots.height_cm, slots.weight_kg) == (175, 90)


def test_latest_message_overrides_history() -> None:
    conversation = request(("customer", "我175 180斤"), ("customer", "现在两百斤了，登山靴呢"),
                           sku="BT-JN-4WS01")
    slots = extract_slots(conversation, family="zh", products=PRODUCTS, lexicon=LEXICON,
                          sku="BT-BT-WP01")
    assert (slots.height_cm, slots.weight_kg) == (175, 100)
    assert slots.sku == "BT-BT-WP01"


def test_percent_off_is_read_once_for_drafting_and_the_risk_scan() -> None:
    slots = extract_slots(request(("customer", "打85折行不行")), family="zh", products=PRODUCTS,
                          lexicon=LEXICON, sku="BT-JN-4WS01")
    assert slots.percent_off == 15


def test_order_state_comes_from_the_request() -> None:
    conversation = request(("customer", "能取消吗"), order={"id": "123456789012", "status": "paid"})
    slots = extract_slots(conversation, family="zh", products=PRODUCTS, lexicon=LEXICON, sku=None)
    assert slots.order_status == "paid"


def test_a_cue_word_made_of_digits_is_no_part_of_a_longer_number() -> None:
    assert word_in("3q", "3q 亲")
    assert not word_in("3q", "13q")
    assert word_in("2xl", "我要2xl")  # a word of letters after a digit still reads
    assert not word_in("2xl", "32xl")


def test_a_cue_false_friend_is_blanked_for_that_cue_only() -> None:
    # "主要是" holds the "要是" of a supposition; "!主要是" in the cue's list rules it out
    assert LEXICON.cue("hypothetical", "要是不合适能退吗")
    assert not LEXICON.cue("hypothetical", "主要是年前送人的")
    assert "!主要是" not in LEXICON.words("hypothetical")


def test_a_false_friend_counts_where_the_cue_is_affirmed_too() -> None:
    # an offer accepted ("that would be great") praises nothing
    assert LEXICON.cue_affirmed("praise", "that looks great")
    assert not LEXICON.cue_affirmed("praise", "that would be great")
    assert LEXICON.cue("acknowledge", "that would be great")


@pytest.mark.parametrize("text", ["i'll take the grey", "i will take the grey",
                                  "ill take the grey"])
def test_a_cue_word_with_a_contraction_counts_spelt_every_way(text: str) -> None:
    assert LEXICON.cue("ordering", text)
    assert not LEXICON.cue("ordering", "i will think about it")


@pytest.mark.parametrize(("text", "kinds"), [
    ("鞋子最大多大码", {"shoes", "boots"}),
    ("牛仔裤有多大的码", {"jeans"}),  # "裤" inside "牛仔裤" names nothing more
    ("바지 L 있어요?", {"jeans", "trousers", "shorts"}),
    ("你们家最大多大码", set()),
])
def test_the_kinds_a_message_names(text: str, kinds: set[str]) -> None:
    assert LEXICON.kinds_named(text) == kinds


@pytest.mark.parametrize(("text", "foot"), [
    ("285이요", 285.0), ("255mm요", 255.0), ("260으로 주세요", 260.0), ("275", 275.0),
    ("275개요", None), ("270원이요", None), ("키 180이요", None)])
def test_a_korean_shoe_size_given_alone(text: str, foot: float | None) -> None:
    slots = message_slots(normalise_measures(text), "ko", LEXICON)
    assert slots.foot_length_mm == foot


@pytest.mark.parametrize(
    ("text", "size"),
    [("in a medium", ("M", "M")), ("Large", ("L", "L")), ("large.", ("L", "L")),
     ("a large guy", None), ("small talk", None), ("엠사이즈요", ("M", "M")),
     ("105 있어요?", ("XL", "105")), ("i'm fine", None), ("이 옷 엠인가요?", ("M", "M")),
     ("저 66 입어요", ("M", "66"))],
)
def test_a_letter_size_asked_or_given(text: str, size: tuple[str, str] | None) -> None:
    assert parse_clothing_size(normalise_measures(text)) == size


@pytest.mark.parametrize(
    ("text", "family", "sizes"),
    [("牛仔裤有28码吗", "zh", ("28",)), ("有36和38的牛仔裤吗", "zh", ("36", "38")),
     ("jeans in a 29?", "en", ("29",)), ("청바지 44랑 50 있어요?", "ko", ("44", "50")),
     # an age, a weight, a length or a price beside trousers is no waist size
     ("我28岁 想买条牛仔裤", "zh", ()), ("牛仔裤 体重45kg", "zh", ()),
     ("jeans 30 inch leg?", "en", ()), ("牛仔裤40块卖吗", "zh", ()),
     # and numbers with no trousers named are not read as waists
     ("有28码吗", "zh", ()), ("hoodie in 40?", "en", ())],
)
def test_waist_sizes_are_read_only_of_trousers(text: str, family: str,
                                               sizes: tuple[str, ...]) -> None:
    slots = extract_slots(request(("customer", text)), family=family, products=PRODUCTS,
                          lexicon=LEXICON, sku=None)
    assert slots.waist_sizes == sizes


def test_a_cue_word_in_compatibility_jamo_is_found_in_a_normalised_message() -> None:
    # messages are NFKC-normalised, which turns "ㅋ" into a conjoining jamo; the lexicon's words
    # are read the same way, or "ㅋㅋ" would never be found
    assert LEXICON.cue("laughing", normalise_measures("ㅋㅋㅋ 고양이가 키보드 밟음"))
    assert not LEXICON.cue("laughing", normalise_measures("고양이가 키보드 밟음"))
