"""End to end over real HTTP: uvicorn on 127.0.0.1, driven with httpx."""

from __future__ import annotations

import httpx

from api.support import create_draft


def test_create_refuse_a_wechat_edit_approve_a_clean_one_and_see_it_in_stats(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        draft = create_draft(client, agent, "我175cm，80kg，穿什么码？")
        approve = f"/v1/drafts/{draft['id']}/approve"

        wechat = client.post(approve, headers=agent,
                             json={"text": draft["text"] + "加我微信，给你更便宜的价格。"})
        assert wechat.status_code == 422
        assert wechat.headers["content-type"].startswith("application/problem+json")
        assert "off_platform" in {v["category"] for v in wechat.json()["violations"]}

        clean_text = draft["text"] + "有任何问题都可以在这里留言哦。"
        approved = client.post(approve, headers=agent, json={"text": clean_text})
        assert approved.status_code == 200, approved.text
        assert approved.json()["edited"] is True

        stats = client.get("/v1/stats", headers={
            "Authorization": f"Bearer {tokens['supervisor']}"}).json()
        assert stats["totals"]["created"] == 1
        assert stats["totals"]["approved_edited"] == 1
        assert stats["totals"]["approved_unedited"] == 0
        assert stats["median_edit_distance"] == len("有任何问题都可以在这里留言哦。")
        assert any(r["category"] == "off_platform" and r["stage"] == "blocked"
                   for r in stats["top_policy_rules"])
        assert stats["by_language"]["zh-Hans"]["approved_edited"] == 1

        metrics = client.get("/metrics").text
        assert 'replydraft_drafts_total{outcome="approved_edited"} 1.0' in metrics
        assert 'route="/v1/drafts/{draft_id}/approve"' in metrics
