"""POST /v1/policy/check: the filter as a service."""

from __future__ import annotations

from api.support import Api, assert_problem


def test_off_platform_text_is_flagged_and_filtered(api: Api) -> None:
    response = api.client.post("/v1/policy/check", headers=api.auth("agent"), json={
        "text": "亲，这款有货哦。加我微信 bigtrail88 再给您优惠。", "platform": "taobao"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["clean"] is False
    assert "off_platform" in {v["category"] for v in result["violations"]}
    assert "微信" not in result["text"]


def test_clean_text_comes_back_unchanged(api: Api) -> None:
    text = "亲，这款牛仔裤是弹力面料，建议您选XL码哦。"
    result = api.client.post("/v1/policy/check", headers=api.auth("content"),
                             json={"text": text, "language": "zh-Hans"}).json()
    assert result == {"clean": True, "text": text, "violations": [],
                      "empty_after_filter": False}


def test_bad_input_is_422(api: Api) -> None:
    assert_problem(api.client.post("/v1/policy/check", headers=api.auth("agent"),
                                   json={"text": ""}), 422)
    wrong = assert_problem(api.client.post("/v1/policy/check", headers=api.auth("agent"),
                                           json={"text": "hi", "platform": "amazon"}), 422)
    assert wrong["errors"][0]["loc"] == "body.platform"
