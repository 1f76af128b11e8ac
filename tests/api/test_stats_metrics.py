"""GET /v1/stats and GET /metrics reflect what agents did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.support import Api, assert_problem
from replydraft.api.metrics import llm_error_kind


def _decide(api: Api) -> dict[str, str]:
    unedited, edited, rejected, pending = (api.create_draft() for _ in range(4))
    api.client.post(f"/v1/drafts/{unedited['id']}/approve", headers=api.auth("agent"), json={})
    api.client.post(f"/v1/drafts/{edited['id']}/approve", headers=api.auth("agent"),
                    json={"text": edited["text"] + "祝您生活愉快。"})
    api.client.post(f"/v1/drafts/{rejected['id']}/reject", headers=api.auth("agent"),
                    json={"reason": "wrong product"})
    return {"pending": pending["id"], "language": unedited["language"],
            "backend": unedited["backend"]}


def test_stats_count_outcomes_and_break_them_down(api: Api) -> None:
    seen = _decide(api)
    stats = api.client.get("/v1/stats", headers=api.auth("supervisor")).json()
    assert stats["totals"] == {"created": 4, "pending": 1, "approved_unedited": 1,
                               "approved_edited": 1, "rejected": 1}
    assert stats["median_edit_distance"] == len("祝您生活愉快。") / 2  # median of 0 and 7
    assert stats["median_edit_distance_edited"] == len("祝您生活愉快。")
    assert stats["by_language"][seen["language"]]["created"] == 4
    assert stats["by_backend"][seen["backend"]]["rejected"] == 1
    assert sum(o["created"] for o in stats["by_intent"].values()) == 4
    assert stats["fallbacks"] == 0 and stats["overrides"] == 0


def test_stats_window_excludes_drafts_outside_it(api: Api) -> None:
    _decide(api)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    empty = api.client.get("/v1/stats", params={"since": later},
                           headers=api.auth("qa")).json()
    assert empty["totals"]["created"] == 0
    earlier = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    everything = api.client.get("/v1/stats", params={"since": earlier},
                                headers=api.auth("qa")).json()
    assert everything["totals"]["created"] == 4
    bad = assert_problem(api.client.get("/v1/stats", params={"since": later, "until": earlier},
                                        headers=api.auth("qa")), 400)
    assert bad["errors"][0]["loc"] == "query.until"
    assert_problem(api.client.get("/v1/stats", params={"since": "yesterday"},
                                  headers=api.auth("qa")), 422)


def test_metrics_count_requests_drafts_and_policy_actions(api: Api) -> None:
    _decide(api)
    draft = api.create_draft()
    api.client.post(f"/v1/drafts/{draft['id']}/approve", headers=api.auth("agent"),
                    json={"text": "亲，加我微信 abc123 发你优惠券"})
    text = api.client.get("/metrics").text
    assert 'replydraft_drafts_total{outcome="created"} 5.0' in text
    assert 'replydraft_drafts_total{outcome="approved_unedited"} 1.0' in text
    assert 'replydraft_drafts_total{outcome="rejected"} 1.0' in text
    assert 'replydraft_http_requests_total{method="POST",route="/v1/drafts",status="201"} 5.0' \
        in text
    assert ('replydraft_http_request_duration_seconds_count{method="POST",'
            'route="/v1/drafts/{draft_id}/approve"}') in text
    assert 'category="off_platform"' in text and 'stage="edit"' in text
    assert "replydraft_llm_fallbacks_total 0.0" in text


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("timeout", "timeout"),
        ("rate_limited", "rate_limited"),
        ("prompt_leak", "prompt_leak"),
        ("stream_error", "stream_error"),
        ("circuit_open", "circuit_open"),
        ("unavailable", "unavailable"),  # fallback_reason's default for LLMUnavailable
        ("http_503", "http_5xx"),
        ("http_401", "http_4xx"),
        ("the model said something odd", "other"),
    ],
)
def test_llm_error_labels_stay_a_bounded_set(reason: str, label: str) -> None:
    assert llm_error_kind(reason) == label
