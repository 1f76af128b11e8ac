"""The console in a real headless Chromium (Debian's, driven by Playwright) against the real
server on 127.0.0.1: agents draft, check, approve and reject; content staff refresh the
knowledge base; QA read the charts; each key sees only what its role may do. Screenshots of each
view go to var/console-shots/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from api.browser import (
    DESKTOP,
    PHONE,
    console_page,
    contrast,
    focus_order,
    launch_chromium,
    overflows_horizontally,
    screenshot,
    sign_in,
    unnamed_controls,
)
from api.support import (
    LiveServer,
    create_draft,
    issue_role_keys,
    private_knowledge,
    repo_settings,
)
from fakes import FakeOpenAIServer, Reply
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import Database, open_database
from replydraft.drafting.drafter import build_drafter

CHINESE = "这条牛仔裤我180斤穿多大？方便的话加我微信聊"
KOREAN = "택배가 언제 와요? 카톡으로 연락주세요"
CLEAN_ADDITION = "有任何问题都可以在这里留言哦。"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def server(app_factory: Callable[..., tuple[FastAPI, Database, Settings]], tmp_path: Path
           ) -> Iterator[tuple[str, dict[str, str]]]:
    app, database, _ = app_factory(data_dir=tmp_path / "var")
    tokens = issue_role_keys(database)
    with LiveServer(app) as live:
        yield live.base_url, tokens


def _read(base_url: str, token: str, path: str) -> Any:
    response = httpx.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def _draft_in_the_page(page: Page, text: str, *, sku: str = "", stream: bool = True) -> None:
    page.fill("#turn-text-0", text)
    page.fill("#sku", sku)
    page.set_checked("#use-stream", stream)
    page.click("#draft-submit")
    expect(page.locator("#draft-meta")).to_contain_text("offline")


def test_sign_in_api_problems_shown_as_title_and_detail_and_the_key_kept_in_the_tab_only(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url) as page:
        expect(page.locator("#api-key")).to_be_focused()  # the page starts where you type
        page.focus("#skip")
        assert focus_order(page, 3) == ["ui-lang", "api-key", "signin-submit"]
        page.fill("#api-key", "rdk_00000000_" + "x" * 30)
        page.click("#signin-submit")
        expect(page.locator("#problem")).to_be_visible()
        expect(page.locator("#problem-title")).to_have_text("Unauthorized")
        expect(page.locator("#problem-detail")).to_contain_text("unknown API key")
        screenshot(page, "sign-in")
        sign_in(page, tokens["agent"])
        expect(page.locator("#whoami")).to_contain_text("agent-1")
        page.click("#draft-submit")  # no conversation: the API's 422, as its title and detail
        expect(page.locator("#problem-title")).to_have_text("Invalid request")
        expect(page.locator("#problem-detail")).to_contain_text("messages")
        expect(page.locator("#draft")).to_be_hidden()
        # Only this tab's sessionStorage holds the key: nothing in localStorage or cookies.
        assert page.evaluate("sessionStorage.getItem('replydraft.key')") == tokens["agent"]
        assert tokens["agent"] not in page.evaluate("JSON.stringify(localStorage)")
        assert page.context.cookies() == []
        page.select_option("#ui-lang", "en")
        expect(page.locator("#tab-agent")).to_have_text("Agent")
        page.select_option("#ui-lang", "zh-Hans")
        expect(page.locator("#tab-agent")).to_have_text("客服")


def test_an_agent_drafts_chinese_and_korean_checks_an_edit_approves_and_rejects(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url) as page:
        sign_in(page, tokens["agent"])
        page.evaluate("""() => { window.streamed = 0; new MutationObserver((changes) => {
            for (const c of changes) for (const n of c.addedNodes)
              if (n.classList && n.classList.contains('streamed')) window.streamed += 1;
          }).observe(document.getElementById('draft-text'), {childList: true}); }""")

        # Chinese, streamed: sentences arrive one by one, then the stored draft with citations.
        _draft_in_the_page(page, CHINESE, sku="BT-JN-4WS01")
        assert page.evaluate("window.streamed") >= 2
        expect(page.locator("#risk-banner")).to_be_visible()
        expect(page.locator("#risk-list")).to_contain_text("off_platform_request")
        expect(page.locator("#risk-list")).to_contain_text("加我微信")
        page.locator("#draft-text mark.cited", has_text="38码").hover()
        expect(page.locator("#tooltip")).to_be_visible()
        expect(page.locator("#tooltip")).to_contain_text("jeans-stretch-straight.yaml")
        expect(page.locator("#tooltip .cite-snippet").first).not_to_be_empty()
        expect(page.locator("#draft-meta")).to_contain_text("size_advice")
        draft_text = page.input_value("#edit-box")
        expect(page.locator("#check-status")).to_contain_text("没有问题")

        # "加我微信" typed into the edit box is flagged before approving, and refused on approve.
        box = page.locator("#edit-box")
        box.press("End")
        box.press_sequentially("加我微信")
        violation = page.locator("#check-preview mark.violation")
        expect(violation).to_contain_text("微信")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#check-list")).to_contain_text("off_platform")
        screenshot(page, "agent")
        page.click("#approve")
        expect(page.locator("#problem-title")).to_have_text("Text violates the store policy")
        expect(page.locator("#problem-detail")).to_contain_text("off_platform")
        expect(page.locator("#override")).to_be_hidden()  # an agent may not override

        # A clean edit is approved.
        box.fill(draft_text + CLEAN_ADDITION)
        expect(page.locator("#check-status")).to_contain_text("没有问题")
        page.click("#approve")
        expect(page.locator("#decision")).to_contain_text("已通过")
        approved = _read(base_url, tokens["agent"], "/v1/drafts?status=approved")["data"]
        assert len(approved) == 1 and approved[0]["edited"] is True
        assert approved[0]["final_text"] == draft_text + CLEAN_ADDITION

        # Korean, in one response; rejected with a reason by keyboard (Alt+R).
        _draft_in_the_page(page, KOREAN, stream=False)
        expect(page.locator("#draft-meta")).to_contain_text("ko")
        expect(page.locator("#risk-list")).to_contain_text("카톡")
        expect(page.locator("#draft-text mark.cited").first).to_be_visible()
        page.fill("#reject-reason", "고객에게 직접 전화하기로 함")
        page.keyboard.press("Alt+R")
        expect(page.locator("#decision")).to_contain_text("已驳回")
        rejected = _read(base_url, tokens["agent"], "/v1/drafts?status=rejected")["data"]
        assert [d["language"] for d in rejected] == ["ko"]
        assert rejected[0]["reject_reason"] == "고객에게 직접 전화하기로 함"
        expect(page.locator("#queue-empty")).to_be_visible()


def test_the_queue_opens_drafts_with_their_checks_alt_n_moves_on_alt_c_copies(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        first = create_draft(client, agent, "在吗？发什么快递？")
        second = create_draft(client, agent, "Can I get this in purple?")
    assert second["needs_check"], second  # the store's data cannot say: the agent checks
    with console_page(browser, base_url, locale="en-US") as page:
        sign_in(page, tokens["agent"])
        items = page.locator("#queue-list .queue-item")
        expect(items).to_have_count(2)
        items.first.click()  # newest first
        expect(page.locator("#turn-text-0")).to_have_value(second["request"]["messages"][0]["text"])
        expect(page.locator("#edit-box")).to_have_value(second["text"])
        expect(page.locator("#needs-check")).to_be_visible()
        expect(page.locator("#needs-check-list")).to_contain_text(second["needs_check"][0]["what"])
        expect(page.locator("#draft-meta")).to_contain_text("needs checking")
        expect(page.locator("#draft-meta")).to_contain_text("calm")
        page.keyboard.press("Alt+N")
        expect(page.locator("#edit-box")).to_have_value(first["text"])
        page.keyboard.press("Alt+A")  # approve as written
        expect(page.locator("#decision")).to_contain_text("Approved")
        expect(items).to_have_count(1)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page.keyboard.press("Alt+C")
        expect(page.locator("#decision")).to_contain_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == first["text"]


def test_a_supervisor_can_override_the_filter_with_a_reason(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url, locale="en-US") as page:
        sign_in(page, tokens["supervisor"])
        _draft_in_the_page(page, "这件T恤会缩水吗？")
        box = page.locator("#edit-box")
        box.fill(box.input_value() + "保证不会缩水")
        expect(page.locator("#check-preview mark.violation")).to_be_visible()
        page.click("#approve")
        expect(page.locator("#override")).to_be_visible()
        page.fill("#override-reason", "tested by our lab, wording agreed with legal")
        page.click("#override-submit")
        expect(page.locator("#decision")).to_contain_text("Approved")
        approved = _read(base_url, tokens["supervisor"], "/v1/drafts?status=approved")["data"]
        assert approved[0]["override_reason"] == "tested by our lab, wording agreed with legal"


def test_what_the_filter_changed_in_a_model_draft_shows_as_a_diff_with_rule_and_category(
        browser: Browser, knowledge: Any, kb_data_dir: Path, tmp_path: Path) -> None:
    llm = FakeOpenAIServer().start()
    llm.script(Reply.sentences(("亲，这款直筒牛仔裤建议您选38码。", []),
                               ("保证明天一定送到！", [])))
    settings = repo_settings(kb_data_dir, database_url=f"sqlite:///{tmp_path / 'llm.db'}",
                             drafter="llm", llm_base_url=llm.base_url, llm_model="fake-model",
                             llm_max_retries=0)
    database = open_database(settings)
    tokens = issue_role_keys(database)
    app = create_app(settings, database=database, knowledge=knowledge,
                     drafter=build_drafter(settings, knowledge))
    try:
        with LiveServer(app) as live, console_page(browser, live.base_url) as page:
            sign_in(page, tokens["agent"])
            page.fill("#turn-text-0", "这条牛仔裤我180斤穿多大？")
            page.fill("#sku", "BT-JN-4WS01")
            page.set_checked("#use-stream", False)
            page.click("#draft-submit")
            expect(page.locator("#draft-meta")).to_contain_text("openai:fake-model")
            changes = page.locator("#policy-changes")
            expect(changes).to_be_visible()
            expect(changes.locator("del").first).to_contain_text("保证")
            expect(changes).to_contain_text("guarantee")
            expect(changes.locator("code").first).to_contain_text("guarantee.")
            assert "保证" not in page.input_value("#edit-box")
    finally:
        database.close()
        llm.stop()


def test_a_sign_in_sent_while_the_first_check_is_on_its_way_keeps_its_key(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    # On a slow server the page's first /v1/me (no key yet) can come back after the user has
    # signed in; its 401 must not wipe the key the sign-in stored.
    base_url, tokens = server
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[arg-type]
    held: list[Route] = []

    def hold_the_first_check(route: Route, request: Request) -> None:
        if not held and "authorization" not in request.headers:
            held.append(route)  # answered only after the sign-in below
        else:
            route.continue_()

    try:
        page = context.new_page()
        page.route("**/v1/me", hold_the_first_check)
        page.goto(f"{base_url}/console")
        page.wait_for_selector("#signin-submit")
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the page sent no first check"
        sign_in(page, tokens["agent"])
        with page.expect_response("**/v1/me") as answered:
            held[0].continue_()
        assert answered.value.status == 401
        page.wait_for_timeout(200)  # the first check's failure handled
        assert page.evaluate("sessionStorage.getItem('replydraft.key')") == tokens["agent"]
        expect(page.locator("#nav")).to_be_visible()
        expect(page.locator("#problem")).to_be_hidden()
    finally:
        context.close()


def test_a_content_user_runs_a_refresh_and_sees_the_job_finish(
        browser: Browser, private_kb: tuple[Settings, Any], drafter: Any) -> None:
    settings, knowledge = private_kb
    before = knowledge.version
    database = open_database(settings)
    tokens = issue_role_keys(database)
    app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
    try:
        with LiveServer(app) as live, console_page(browser, live.base_url) as page:
            sign_in(page, tokens["content"])
            expect(page.locator("#view-content")).to_be_visible()
            expect(page.locator("#tab-agent")).to_be_hidden()
            expect(page.locator("#kb-status")).to_contain_text(str(before))
            page.click("#kb-refresh")
            expect(page.locator("#kb-job")).to_be_visible()
            expect(page.locator("#kb-job-state")).to_have_attribute(
                "data-state", "succeeded", timeout=120_000)
            expect(page.locator("#kb-job-report")).to_contain_text(str(before + 1))
            expect(page.locator("#kb-versions tr")).to_have_count(2)
            page.fill("#kb-q", "180斤穿多大")
            page.click("#kb-search-submit")
            expect(page.locator("#kb-hits .hit").first).to_be_visible()
            screenshot(page, "content")
            page.click("#kb-versions button")  # roll back to the earlier version
            expect(page.locator("#kb-job-state")).to_contain_text(str(before))
            assert knowledge.version == before
    finally:
        database.close()


def test_a_qa_user_sees_the_stats_chart_the_draft_list_an_audit_trail_and_eval_reports(
        browser: Browser, server: tuple[str, dict[str, str]], tmp_path: Path,
        keep_eval_run: Callable[[Path, str, list[str]], Path]) -> None:
    base_url, tokens = server
    keep_eval_run(tmp_path / "var" / "eval-reports", "2026-03-01T10:00:00+00:00",
                  ["passed", "failed"])
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        kept = create_draft(client, agent, "在吗？发什么快递？")
        client.post(f"/v1/drafts/{kept['id']}/approve", headers=agent, json={})
        thrown = create_draft(client, agent, "Do you ship to Hong Kong?")
        client.post(f"/v1/drafts/{thrown['id']}/reject", headers=agent, json={"reason": "wrong"})
        create_draft(client, agent, "택배가 언제 와요?")
    with console_page(browser, base_url) as page:
        sign_in(page, tokens["qa"])
        expect(page.locator("#tab-agent")).to_be_hidden()
        expect(page.locator("#view-qa")).to_be_visible()
        chart = page.locator("#chart-totals svg[role=img]")
        expect(chart).to_be_visible()
        for outcome in ("approved_unedited", "rejected", "pending"):
            expect(chart.locator(f"rect.bar.{outcome}")).to_have_count(1)
        expect(page.locator("#chart-language rect.bar")).to_have_count(3)  # en, ko, zh-Hans
        expect(page.locator("#stats-totals")).to_contain_text("3")
        today = datetime.now(UTC).date().isoformat()
        page.fill("#stats-since", today)
        page.fill("#stats-until", today)  # the whole of today: all three drafts
        page.click("#stats-submit")
        expect(chart.locator("rect.bar")).to_have_count(3)
        page.fill("#stats-since", "2099-01-01")
        page.fill("#stats-until", "2099-01-02")
        page.click("#stats-submit")
        expect(page.locator("#chart-totals svg")).to_have_count(0)
        page.fill("#stats-since", "")
        page.fill("#stats-until", "")
        page.click("#stats-submit")
        expect(chart.locator("rect.bar")).to_have_count(3)
        expect(page.locator("#drafts-rows tr")).to_have_count(3)
        page.select_option("#f-status", "rejected")
        page.click("#drafts-submit")
        expect(page.locator("#drafts-rows tr")).to_have_count(1)
        page.click("#drafts-rows button")
        expect(page.locator("#trail-list li")).to_have_count(2)  # created, rejected
        expect(page.locator("#trail-list")).to_contain_text("wrong")
        expect(page.locator("#eval-rows tr")).to_have_count(1)
        expect(page.locator("#eval-rows")).to_contain_text("policy 50.0%")
        expect(page.locator("#eval-rows")).to_contain_text("未通过")
        screenshot(page, "qa")


def test_an_agent_key_cannot_open_the_content_or_qa_actions(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url, locale="en-US") as page:
        sign_in(page, tokens["agent"])
        expect(page.locator("#tab-content")).to_be_hidden()
        expect(page.locator("#tab-qa")).to_be_hidden()
        for view in ("content", "qa"):
            page.goto(f"{base_url}/console#{view}")
            expect(page.locator("#view-forbidden")).to_be_visible()
            expect(page.locator(f"#view-{view}")).to_be_hidden()
            expect(page.locator("#forbidden-detail")).to_contain_text("agent")
        # And the API refuses the key whatever the page shows.
        statuses = page.evaluate("""async () => {
            const auth = {Authorization: 'Bearer ' + sessionStorage.getItem('replydraft.key')};
            const refresh = await fetch('/v1/knowledge/refresh', {method: 'POST', headers: auth});
            const stats = await fetch('/v1/stats', {headers: auth});
            return [refresh.status, stats.status];
        }""")
        assert statuses == [403, 403]


def test_accessibility_basics_names_focus_order_and_contrast(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url) as page:
        assert unnamed_controls(page) == []
        sign_in(page, tokens["admin"])
        _draft_in_the_page(page, CHINESE, sku="BT-JN-4WS01")
        assert unnamed_controls(page) == []
        page.focus("#turn-role-0")
        assert focus_order(page, 8) == ["turn-text-0", "add-turn", "sku", "order-id",
                                        "order-status", "platform", "use-stream", "draft-submit"]
        ratios = contrast(page, ["#draft-submit", "#approve", "#reject", "#copy", "#edit-box",
                                 "#tab-agent", "#risk-banner", "#check-status",
                                 ".meta dt", "#whoami"])
        assert all(ratio is not None and ratio >= 4.5 for ratio in ratios.values()), ratios
        for view in ("content", "qa"):
            page.goto(f"{base_url}/console#{view}")
            expect(page.locator(f"#view-{view}")).to_be_visible()
            page.wait_for_load_state("networkidle")
            assert unnamed_controls(page) == [], view


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE],
                         ids=["desktop", "phone"])
def test_the_agent_view_is_usable_at_1280_and_on_a_390px_phone(
        browser: Browser, server: tuple[str, dict[str, str]], viewport: dict[str, int]) -> None:
    base_url, tokens = server
    with console_page(browser, base_url, viewport=viewport) as page:
        assert not overflows_horizontally(page)
        sign_in(page, tokens["agent"])
        _draft_in_the_page(page, CHINESE, sku="BT-JN-4WS01")
        assert not overflows_horizontally(page)
        for control in ("#edit-box", "#approve", "#reject", "#copy", "#draft-submit"):
            box = page.locator(control).bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= viewport["width"], control
        page.locator("#approve").click()
        expect(page.locator("#decision")).to_contain_text("已通过")
        if viewport is PHONE:
            screenshot(page, "agent-phone")


def test_the_content_and_qa_views_fit_a_390px_phone(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        create_draft(client, agent, "这条牛仔裤我180斤穿多大？顺便问一下发什么快递，几天能到？")
    with console_page(browser, base_url, viewport=PHONE) as page:
        sign_in(page, tokens["admin"])
        for view, ready in (("qa", "#chart-totals svg"), ("content", "#kb-versions tr")):
            page.goto(f"{base_url}/console#{view}")
            expect(page.locator(ready).first).to_be_visible()
            page.wait_for_load_state("networkidle")
            assert not overflows_horizontally(page), view
            screenshot(page, f"{view}-phone")


def test_in_dev_mode_the_console_opens_without_a_key(
        browser: Browser, app_factory: Callable[..., tuple[FastAPI, Database, Settings]],
        tmp_path: Path) -> None:
    app, _, _ = app_factory(data_dir=tmp_path / "var", auth_disabled=True)
    with LiveServer(app) as live, console_page(browser, live.base_url) as page:
        expect(page.locator("#whoami")).to_contain_text("dev")
        expect(page.locator("#view-signin")).to_be_hidden()
        for tab in ("#tab-agent", "#tab-content", "#tab-qa"):
            expect(page.locator(tab)).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0


def test_a_failed_refresh_shows_its_errors_with_file_and_line(
        browser: Browser, knowledge: Any, drafter: Any, tmp_path: Path) -> None:
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(knowledge.settings.knowledge_dir, knowledge_dir)
    (knowledge_dir / "products" / "zz-broken.yaml").write_text(
        "sku: BROKEN-1\nnames: {en: Broken}\nprice: -5\n", encoding="utf-8")
    settings, private = private_knowledge(knowledge, tmp_path / "var", knowledge_dir=knowledge_dir,
                                          database_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    database = open_database(settings)
    tokens = issue_role_keys(database)
    app = create_app(settings, database=database, knowledge=private, drafter=drafter)
    try:
        with LiveServer(app) as live, console_page(browser, live.base_url, locale="en-US") as page:
            sign_in(page, tokens["content"])
            page.click("#kb-refresh")
            expect(page.locator("#kb-job-state")).to_have_attribute(
                "data-state", "failed", timeout=120_000)
            expect(page.locator("#kb-job-state")).to_have_text("failed")
            expect(page.locator("#kb-job-errors")).to_contain_text(
                re.compile(r"zz-broken\.yaml:\d+"))
            expect(page.locator("#kb-versions tr")).to_have_count(1)  # nothing changed
    finally:
        database.close()


def test_a_conversation_pasted_from_a_chat_tool_becomes_turns(
        browser: Browser, server: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = server
    pasted = ("顾客：这条牛仔裤有弹力吗？\n客服：亲，有的，四面弹哦\n"
              "顾客：那我180斤穿多大？\n腰围100")
    with console_page(browser, base_url) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        sign_in(page, tokens["agent"])
        page.evaluate("(text) => navigator.clipboard.writeText(text)", pasted)
        page.focus("#turn-text-0")
        page.keyboard.press("Control+V")
        expect(page.locator("#turns li")).to_have_count(3)
        assert [page.input_value(f"#turn-role-{i}") for i in range(3)] == [
            "customer", "agent", "customer"]
        expect(page.locator("#turn-text-2")).to_have_value("那我180斤穿多大？\n腰围100")
        page.fill("#sku", "BT-JN-4WS01")
        page.click("#draft-submit")
        expect(page.locator("#draft-meta")).to_contain_text("offline")
        stored = _read(base_url, tokens["agent"], "/v1/drafts")["data"][0]["request"]["messages"]
        assert [m["role"] for m in stored] == ["customer", "agent", "customer"]
        assert stored[1]["text"] == "亲，有的，四面弹哦"
