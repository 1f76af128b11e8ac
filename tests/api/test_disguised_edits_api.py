"""An agent's edit that hides a violation behind a Unicode trick is refused at approval, over
the wire (a real uvicorn server: the bidi and look-alike characters travel as JSON)."""

from __future__ import annotations

import httpx

from api.support import create_draft

DISGUISED = {
    # Shows as "加我微信 bigtrail88" on screen: the override reverses 信微.
    "rlo_wechat": ("亲，加我\u202e信微\u202c bigtrail88，发您实拍。", "off_platform"),
    # A Cyrillic е inside "wechat".
    "cyrillic_wechat": ("Sure! Add me on w\u0435chat: bigtrail88", "off_platform"),
    # Letter-spaced delivery promise.
    "spaced_promise": ("亲，保 证 明 天 到，放心拍。", "guarantee"),
}


def test_an_approval_edit_with_a_disguise_is_refused_with_422(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for name, (edit, category) in DISGUISED.items():
            url = f"/v1/drafts/{create_draft(client, agent, '这件外套什么时候能到？')['id']}"
            refused = client.post(f"{url}/approve", headers=agent, json={"text": edit})
            assert refused.status_code == 422, (name, refused.text)
            problem = refused.json()
            assert problem["type"] == "/problems/policy-violation", name
            assert category in {v["category"] for v in problem["violations"]}, name
            # The span points at the disguised characters as the agent typed them.
            for violation in problem["violations"]:
                start, end = violation["span"]
                assert edit[start:end] == violation["match"]
            assert client.get(url, headers=agent).json()["status"] == "pending"


def test_an_approval_edit_naming_wechat_as_the_refund_destination_is_accepted(
    live_api: tuple[str, dict[str, str]],
) -> None:
    base_url, tokens = live_api
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        draft = create_draft(client, agent, "退款退到哪里？")
        edit = "亲，退款会原路退回到您的微信，1到3个工作日到账，请注意查收。"
        approved = client.post(f"/v1/drafts/{draft['id']}/approve", headers=agent,
                               json={"text": edit})
        assert approved.status_code == 200, approved.text
        assert approved.json()["final_text"] == edit
