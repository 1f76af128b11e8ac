"""Fixtures for the policy tests: the demo store and small store profiles built in code."""

from __future__ import annotations

from typing import Any

import pytest

from replydraft.knowledge.models import StoreProfile

from .evalset import demo_store


@pytest.fixture(scope="session")
def store() -> StoreProfile:
    """The demo store's profile from knowledge/store.yaml (platform taobao)."""
    return demo_store()


def make_store(**overrides: Any) -> StoreProfile:
    """A minimal valid store profile; keyword arguments replace top-level fields."""
    data: dict[str, Any] = {
        "store_id": "test-store",
        "platform": "jd",
        "names": {"zh-Hans": "测试店", "en": "Test Store"},
        "agent": {"nickname": {"zh-Hans": "小测", "en": "Tess"}},
        "voice": {"honorific": {"zh-Hans": "亲", "en": "dear", "ko": "고객님"}},
        "policies": {
            "postage": {"free_over": 99, "standard_fee": 8,
                        "return_postage": {"quality_issue": "store", "wrong_item": "store",
                                           "no_reason": "customer", "size_exchange": "customer"}},
            "returns": {"no_reason_days": 7, "condition": {"zh-Hans": "吊牌完好"},
                        "exchange_days": 15, "refund_within_days": 3},
            "quality": {"report_within_days": 3},
            "shipping": {"cutoff_time": "16:00", "dispatch_within_hours": 48,
                         "couriers": [{"name": {"zh-Hans": "中通"}, "typical_days": [2, 5]}]},
            "discounts": {"agent_max": 20},
            "invoices": {},
            "fees": {},
        },
    }
    data.update(overrides)
    return StoreProfile.model_validate(data)


@pytest.fixture
def store_factory() -> Any:
    return make_store
