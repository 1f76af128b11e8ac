"""Building ``DraftContext`` values for backend tests without the drafter or the index.

The store here is self-contained (not knowledge/store.yaml), so these tests do not change when
content staff edit the demo store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replydraft.drafting.backend import DraftContext, Fact, Slots
from replydraft.drafting.models import DraftRequest, IntentScore
from replydraft.knowledge.models import SearchHit, StoreProfile
from replydraft.languages import Language

STORE: dict[str, Any] = {
    "store_id": "test-store",
    "platform": "taobao",
    "names": {"zh-Hans": "测试山野店", "zh-Hant": "測試山野店", "en": "Test Trail Store",
              "ko": "테스트 트레일"},
    "agent": {"nickname": {"zh-Hans": "阿木", "en": "Moe", "ko": "모"}},
    "voice": {"honorific": {"zh-Hans": "亲", "zh-Hant": "親", "en": "dear", "ko": "고객님"},
              "emoji": True, "emoji_set": ["😊"]},
    "policies": {
        "postage": {"free_over": 99, "standard_fee": 8, "remote_surcharge": 15,
                    "remote_regions": [{"zh-Hans": "新疆", "en": "Xinjiang"}],
                    "return_postage": {"quality_issue": "store", "no_reason": "customer"},
                    "freight_insurance": True},
        "returns": {"no_reason_days": 7, "condition": {"zh-Hans": "吊牌完好。", "en": "Tags on."},
                    "exchange_days": 15, "refund_within_days": 3},
        "quality": {"report_within_days": 3},
        "shipping": {"cutoff_time": "16:00", "dispatch_within_hours": 48,
                     "couriers": [{"name": {"zh-Hans": "中通", "en": "ZTO"},
                                   "typical_days": [2, 5]},
                                  {"name": {"zh-Hans": "顺丰", "en": "SF Express"},
                                   "express": True, "surcharge": 12, "typical_days": [1, 3]}]},
        "discounts": {"agent_max": 20},
        "invoices": {"kinds": [{"zh-Hans": "电子普通发票", "en": "e-invoice"}]},
        "fees": {},
    },
    "allowed_commitments": [
        {"id": "seven_day", "description": "7-day returns",
         "phrases": {"zh-Hans": ["支持7天无理由退换"], "en": ["7-day no-reason returns"]}},
    ],
}


def store(**overrides: Any) -> StoreProfile:
    return StoreProfile.model_validate({**STORE, **overrides})


def hit(chunk_id: str, text: str, *, rank: int = 1, source: str = "playbooks/zh-Hans/faq.md",
        section: str = "FAQ", language: Language = "zh-Hans") -> SearchHit:
    return SearchHit(chunk_id=chunk_id, text=text, source=source, source_type="playbook",
                     section=section, intent="", language=language, sku="",
                     score=1.0 / (60 + rank))


def context(
    *messages: tuple[str, str] | str,
    hits: Sequence[SearchHit] = (),
    facts: Sequence[Fact] = (),
    language: Language = "zh-Hans",
    intents: Sequence[tuple[str, float]] = (("size_advice", 0.9),),
    missing: Sequence[str] = (),
    first_reply: bool = False,
    store_profile: StoreProfile | None = None,
) -> DraftContext:
    """``context("customer text")`` or ``context(("customer", "..."), ("agent", "..."), "...")``."""
    turns = [m if isinstance(m, tuple) else ("customer", m) for m in messages]
    request = DraftRequest.model_validate(
        {"messages": [{"role": role, "text": text} for role, text in turns]}
    )
    return DraftContext(
        request=request,
        language=language,
        platform="taobao",
        intents=[IntentScore(intent=name, confidence=conf) for name, conf in intents],
        slots=Slots(),
        store=store_profile or store(),
        product=None,
        hits=list(hits),
        facts=list(facts),
        risks=[],
        first_reply=first_reply,
        missing=list(missing),
    )
