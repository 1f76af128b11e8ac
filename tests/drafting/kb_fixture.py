"""A small real knowledge base for the drafter tests: the repo's store profile and two products,
plus short playbooks written here (so tests do not shift when content staff edit the demo
playbooks). Built once per test session with the real embedder and an in-memory chromadb."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ("jeans-stretch-straight.yaml", "boots-waterproof-hiking.yaml")

PLAYBOOKS: dict[str, str] = {
    "zh-Hans/sizing.md": """---
language: zh-Hans
title: 尺码建议
---

## 按身高体重推荐尺码
intent: size_advice

先问身高体重，再对照尺码表给出码数。

> 亲，您身高175、体重90公斤的话，这款建议38码哦
""",
    "zh-Hans/pricing.md": """---
language: zh-Hans
title: 价格与邮费
---

## 顾客砍价
intent: bargaining

客服可以优惠20元以内，超过的需要主管同意。

## 包邮
intent: postage

满99元包邮，不满收8元。
""",
    "zh-Hans/shipping.md": """---
language: zh-Hans
title: 发货
---

## 什么时候发货
intent: shipping_time

16点前付款当天发出。

## 物流延误
intent: logistics_delay

先道歉，再查物流，催快递。
""",
    "zh-Hans/after_sales.md": """---
language: zh-Hans
title: 售后
---

## 质量问题
intent: quality_complaint

先道歉，请顾客拍照。

## 退换货
intent: return_exchange

支持7天无理由退换。
""",
    "zh-Hans/products.md": """---
language: zh-Hans
title: 商品
---

## 缺货和补货
intent: stock

告诉顾客补货时间。
""",
    "en/sizing.md": """---
language: en
title: Size advice
---

## Recommending a size
intent: size_advice

Ask height and weight, then read the size chart.
""",
    "en/shipping.md": """---
language: en
title: Shipping
---

## When we ship
intent: shipping_time

Orders paid before 16:00 ship the same day.
""",
    "ko/sizing.md": """---
language: ko
title: 사이즈
---

## 키와 몸무게로 사이즈 추천
intent: size_advice

키와 몸무게를 여쭤보고 사이즈표를 확인해요.
""",
    "zh-Hant/sizing.md": """---
language: zh-Hant
title: 尺碼建議
---

## 按身高體重推薦尺碼
intent: size_advice

先問身高體重，再對照尺碼表。
""",
}


def write_knowledge(root: Path) -> Path:
    knowledge = root / "knowledge"
    (knowledge / "products").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "knowledge" / "store.yaml", knowledge / "store.yaml")
    for name in PRODUCTS:
        shutil.copy(REPO_ROOT / "knowledge" / "products" / name, knowledge / "products" / name)
    for rel, text in PLAYBOOKS.items():
        path = knowledge / "playbooks" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return knowledge
