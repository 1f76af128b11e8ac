"""Money and discount asks: one reader for drafting and the customer risk scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from replydraft.drafting.understanding.slots import normalise_measures, parse_amount_off
from replydraft.knowledge.models import StoreProfile
from replydraft.policy import scan_customer
from replydraft.text.money import (
    MoneyAsk,
    amount_off,
    quoted_prices,
    read_budget,
    read_money,
    zhe_percent_off,
)

from .numerals import CN

STORE_YAML = Path(__file__).resolve().parents[2] / "knowledge" / "store.yaml"


def store_with_authority(agent_max: float) -> StoreProfile:
    data: dict[str, Any] = yaml.safe_load(STORE_YAML.read_text(encoding="utf-8"))
    data["policies"]["discounts"] = {**data["policies"].get("discounts", {}),
                                     "agent_max": agent_max}
    return StoreProfile.model_validate(data)


def flagged(text: str, **kwargs: Any) -> bool:
    return any(f.type == "discount_over_authority" for f in scan_customer(text, **kwargs))


@pytest.mark.parametrize(("text", "ask"), [
    ("便宜30", MoneyAsk("amount", 30)),
    ("少算我80元", MoneyAsk("amount", 80)),
    ("返6元吧", MoneyAsk("amount", 6)),
    ("能不能便宜一百八", MoneyAsk("amount", 180)),
    ("便宜1.5万", MoneyAsk("amount", 15_000)),
    ("knock 30 off", MoneyAsk("amount", 30)),
    ("could you do 15 dollars off?", MoneyAsk("amount", 15)),
    ("20위안 깎아 주세요", MoneyAsk("amount", 20)),
    ("5만원 깎아주세요", MoneyAsk("amount", 50_000, won=True)),
    ("打85折", MoneyAsk("percent", 15)),
    ("打八五折", MoneyAsk("percent", 15)),
    ("打8.5折", MoneyAsk("percent", 15)),
    ("打个9折", MoneyAsk("percent", 10)),
    ("直接打五折吧", MoneyAsk("percent", 50)),
    ("30% off", MoneyAsk("percent", 30)),
    ("20% 할인해 주세요", MoneyAsk("percent", 20)),
    ("15프로 할인 가능할까요", MoneyAsk("percent", 15)),
    ("5퍼센트만 깎아 주세요", MoneyAsk("percent", 5)),
    ("20프로 정도 dc 돼요?", MoneyAsk("percent", 20)),
    ("how about 15 percent off", MoneyAsk("percent", 15)),
    ("半价", MoneyAsk("percent", 50)),
    ("对折卖吗", MoneyAsk("percent", 50)),
    ("half price?", MoneyAsk("percent", 50)),
    ("반값에 안 될까요", MoneyAsk("percent", 50)),
    ("150卖吗", MoneyAsk("target", 150)),
    ("can you sell it for 150", MoneyAsk("target", 150)),
])
def test_reads_every_form(text: str, ask: MoneyAsk) -> None:
    assert read_money(text) == ask


@pytest.mark.parametrize(("text", "amount"), [
    ("ok ok, at least 8 then?", 8),
    ("could you do 12 then", 12),
    ("fine, 30 bucks then?", 30),
    ("¥5 then?", 5),
    ("아 그럼 15이라도 빼 주세요", 15),
    ("그럼 3위안이라도요", 3),
    ("那15块行不行", 15),
    ("那就20能不能", 20),
    ("最少40元可以吗", 40),
])
def test_a_bare_small_number_in_a_haggle_is_money_off(text: str, amount: float) -> None:
    assert read_money(text) == MoneyAsk("amount", amount)


@pytest.mark.parametrize("text", [
    "38?",                    # a size
    "ok 11 then",             # a US shoe size picked
    "fine, 36 then",          # a size picked
    "那38行不行吗",             # jeans size 38 (a target price at most, never money off)
    "77이라도 괜찮아요",          # a Korean size 77
    "90이라도 있나요",            # a Korean size 90
    "주문번호 20241103이라도",    # an order number
    "order 3345 then?",
    "면 95프로예요?",             # 95 % cotton
])
def test_sizes_and_numbers_are_not_haggles(text: str) -> None:
    ask = read_money(text)
    assert ask is None or ask.kind == "target"


@pytest.mark.parametrize("text", ["能便宜点吗", "少一件怎么办", "少2件", "减5斤", "100%纯棉",
                                  "折叠伞有吗", "I'll take 2", "昨天看还贵 今天便宜了20块",
                                  "满199了怎么没减20"])
def test_not_asks(text: str) -> None:
    assert read_money(text) is None


@given(st.integers(min_value=1, max_value=99))
def test_zhe_and_percent_off_are_one_thing(percent: int) -> None:
    """Paying N tenths is (10 - N) × 10 % off: write the 折 for a percentage and read it back."""
    paid = 100 - percent  # in hundredths of the price
    assert read_money(f"打{paid / 10:g}折") == MoneyAsk("percent", percent)  # 8.5折, 0.9折
    if paid % 10 == 0 or paid > 10:
        zhe = str(paid // 10) if paid % 10 == 0 else str(paid)  # 8折, 85折
        assert read_money(f"打{zhe}折") == MoneyAsk("percent", percent)
        chinese = "".join(CN[int(d)] for d in zhe)  # 八折, 八五折
        assert read_money(f"打{chinese}折") == MoneyAsk("percent", percent)
    assert read_money(f"{percent}% off") == MoneyAsk("percent", percent)


def test_zhe_outside_one_to_ten_tenths_is_not_a_discount() -> None:
    assert zhe_percent_off("0") is None
    assert zhe_percent_off("10") is None  # not a way to write 1折
    assert zhe_percent_off("1") == 90
    assert zhe_percent_off("9.5") == 5


def test_an_ask_in_money_needs_the_price_only_for_percent_and_target() -> None:
    assert amount_off(MoneyAsk("amount", 30), None) == 30
    assert amount_off(MoneyAsk("percent", 10), None) is None
    assert amount_off(MoneyAsk("percent", 10), 189) == 18.9
    assert amount_off(MoneyAsk("target", 150), 189) == 39
    assert amount_off(MoneyAsk("target", 200), 189) is None


# ---------------------------------------------------------------- the former disagreements


def test_yi_bai_ba_is_180_in_drafting_and_in_the_risk_scan() -> None:
    assert parse_amount_off(normalise_measures("能便宜一百八吗"), 999, "CNY") == 180
    assert parse_amount_off(normalise_measures("能便宜一百八十吗"), 999, "CNY") == 180
    # 108 would be within an authority of 150; 180 is not.
    assert flagged("能便宜一百八吗", store=store_with_authority(150))
    assert not flagged("能便宜一百零八吗", store=store_with_authority(150))


def test_da_85_zhe_is_15_percent_off_in_drafting_and_in_the_risk_scan() -> None:
    assert parse_amount_off(normalise_measures("能打85折吗"), 200, "CNY") == 30  # 15 % of 200
    assert parse_amount_off(normalise_measures("能打八五折吗"), 200, "CNY") == 30
    # 15 % of 150 is 22.5 (over 20); 50 % would also be, so check the edge: 15 % of 120 is 18.
    assert flagged("能打85折吗", price=150)
    assert not flagged("能打85折吗", price=120)
    assert not flagged("能打85折吗")  # without a price only deep asks (20 %+) are flagged


def test_a_promotions_own_terms_are_no_ask() -> None:
    # "满99减30" quotes the shop's offer; the customer asks nothing off.
    for text in ("买什么满99减30呢", "每满200减20的券怎么用", "任选3件减30是吗", "这个是五折吗",
                 "is this 50% off?", "이거 반값이에요?", "50프로 할인하는 거에요?"):
        assert read_money(text) is None
    assert read_money("满99减30的话 再便宜10块行吗") == read_money("再便宜10块行吗")


@pytest.mark.parametrize(("text", "prices"), [
    ("那件外套 300000 原价", []),
    ("그 재킷은 이십오만 원이에요", [(250000.0, True)]),
    ("3만 9천 원부터 4만 5천 원까지 있어요", [(39000.0, True), (45000.0, True)]),
    ("这款189元，原价259元", [(189.0, False), (259.0, False)]),
    ("it's 129 yuan now", [(129.0, False)]),
    ("3켤레 한 세트에 39위안이에요", [(39.0, False)]),
    ("拍3件减30", []),
])
def test_quoted_prices(text: str, prices: list[tuple[float, bool]]) -> None:
    assert quoted_prices(text) == prices


@pytest.mark.parametrize(("text", "budget"), [
    ("我预算500左右", 500.0), ("预算在五百左右", 500.0), ("预算两千", 2000.0),
    ("300块以内的有吗", 300.0), ("budget is about 1000 yuan", 1000.0), ("under 400 yuan", 400.0),
    ("预算1.5k", 1500.0), ("i weigh 280 pounds, budget 500 yuan", 500.0),
])
def test_a_budget_in_yuan_is_read(text: str, budget: float) -> None:
    assert read_budget(normalise_measures(text)) == budget


@pytest.mark.parametrize("text", ["예산은 20만원 정도예요", "roughly 800 nok", "under $150",
                                  "便宜50", "500件以内", "budget is tight"])
def test_no_budget_or_one_in_another_currency_is_not_read(text: str) -> None:
    assert read_budget(normalise_measures(text)) is None
