"""What the console needs from the API besides drafts: who the caller is (``/v1/me``), the
knowledge scan's findings, and the console's own files served with a strict CSP."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.support import Api, assert_problem, issue_role_keys, private_knowledge, repo_settings
from replydraft.api.main import create_app
from replydraft.db.engine import open_database


def test_me_names_the_key_its_role_and_what_it_may_do(api: Api) -> None:
    agent = api.client.get("/v1/me", headers=api.auth("agent")).json()
    assert agent["name"] == "agent-1" and agent["role"] == "agent"
    assert "create_drafts" in agent["permissions"]
    assert "override_policy" not in agent["permissions"]
    assert "manage_knowledge" not in agent["permissions"]
    supervisor = api.client.get("/v1/me", headers=api.auth("supervisor")).json()
    assert {"override_policy", "read_stats"} <= set(supervisor["permissions"])
    content = api.client.get("/v1/me", headers=api.auth("content")).json()
    assert "manage_knowledge" in content["permissions"]
    assert "create_drafts" not in content["permissions"]


def test_me_without_a_key_is_a_401_problem(api: Api) -> None:
    body = assert_problem(api.client.get("/v1/me"), 401)
    assert "API key" in body["detail"]


def test_findings_are_for_content_staff_and_empty_for_a_clean_store(api: Api) -> None:
    assert api.client.get("/v1/knowledge/findings", headers=api.auth("content")).json() == []
    assert_problem(api.client.get("/v1/knowledge/findings", headers=api.auth("agent")), 403)


def test_findings_name_the_playbook_line_that_says_add_me_on_wechat(
        knowledge: Any, drafter: Any, tmp_path: Path) -> None:
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(knowledge.settings.knowledge_dir, knowledge_dir)
    playbook = knowledge_dir / "playbooks" / "zh-Hans" / "after_sales.md"
    lines = playbook.read_text(encoding="utf-8").splitlines()
    lines.append("> 亲，退款太慢的话可以加我微信 abc12345 私聊哦")
    playbook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings, private = private_knowledge(knowledge, tmp_path / "var", knowledge_dir=knowledge_dir,
                                          database_url=f"sqlite:///{tmp_path / 'f.db'}")
    private.refresh()
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=private, drafter=drafter)
    tokens = issue_role_keys(database)
    with TestClient(app) as client:
        findings = client.get("/v1/knowledge/findings",
                              headers={"Authorization": f"Bearer {tokens['content']}"}).json()
    database.close()
    wechat = [f for f in findings if f["source"] == "playbooks/zh-Hans/after_sales.md"]
    assert wechat and wechat[0]["category"] == "off_platform", findings
    assert wechat[0]["line"] == len(lines)
    assert "微信" in wechat[0]["match"]


def test_the_console_page_is_served_with_a_strict_policy(api: Api) -> None:
    page = api.client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    html = page.text
    # No inline script or style, and no secret: the page is the same for everyone.
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert "onclick=" not in html and "rdk_" not in html.replace("rdk_…", "")
    assert api.client.get("/console/").text == html


@pytest.mark.parametrize(("name", "media_type"), [
    ("app.js", "text/javascript"), ("agent.js", "text/javascript"), ("style.css", "text/css")])
def test_console_files_are_served_from_the_package(api: Api, name: str, media_type: str) -> None:
    response = api.client.get(f"/console/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("name", ["missing.js", "..%2Fconfig.py", "__init__.py"])
def test_only_the_console_files_are_served(api: Api, name: str) -> None:
    assert_problem(api.client.get(f"/console/{name}"), 404)


def test_no_console_file_reaches_the_network() -> None:
    """Every asset ships in the package: no http(s) URL a browser would fetch."""
    folder = Path(__file__).resolve().parents[2] / "service" / "replydraft" / "console"
    for path in folder.iterdir():
        if path.suffix in (".html", ".js", ".css"):
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path
            assert "https://" not in text, path
            assert "@import" not in text and "//cdn" not in text, path



def test_eval_reports_are_the_kept_runs_for_qa_only(
        knowledge: Any, drafter: Any, tmp_path: Path,
        keep_eval_run: Callable[[Path, str, list[str]], Path]) -> None:
    settings = repo_settings(tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'e.db'}")
    keep_eval_run(settings.eval_reports_dir, "2026-03-01T10:00:00+00:00", ["passed", "failed"])
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
    tokens = issue_role_keys(database)
    with TestClient(app) as client:
        reports = client.get("/v1/evals/reports",
                             headers={"Authorization": f"Bearer {tokens['qa']}"}).json()["data"]
        assert [(r["id"], r["passed"]) for r in reports] == [("20260301T100000", False)]
        assert reports[0]["by_suite"]["policy"]["pass_rate"] == 0.5
        assert_problem(client.get("/v1/evals/reports",
                                  headers={"Authorization": f"Bearer {tokens['agent']}"}), 403)
    database.close()
