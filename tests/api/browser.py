"""Helpers for the console's browser tests: Debian's Chromium driven by Playwright, signing in,
and the accessibility measurements (names of controls, contrast)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route

from api.support import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "var" / "console-shots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def launch_chromium(playwright: Playwright) -> Browser:
    """The system Chromium (never a downloaded one). Missing, the test fails: CI must install
    it (``.ci/run`` does)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    f"(apt-get install -y chromium; .ci/run does it) to run the console tests")
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])


class PageWatch:
    """What a page did that it must not: requests off this machine, CSP violations, script
    errors."""

    def __init__(self, page: Page) -> None:
        self.offsite: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._only_loopback)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _only_loopback(self, route: Route, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.offsite.append(request.url)
            route.abort()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.errors.append(message.text)

    def assert_clean(self) -> None:
        assert self.offsite == [], self.offsite
        assert self.errors == [], self.errors


@contextmanager
def console_page(browser: Browser, base_url: str, *, viewport: dict[str, int] = DESKTOP,
                 locale: str = "zh-CN") -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, locale=locale)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch = PageWatch(page)
    page.goto(f"{base_url}/console")
    try:
        yield page
        watch.assert_clean()
    finally:
        context.close()


def sign_in(page: Page, token: str) -> None:
    page.fill("#api-key", token)
    page.click("#signin-submit")
    page.wait_for_selector("#nav:not([hidden])")


def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


_UNNAMED_CONTROLS = """() => {
  const visible = (el) => el.getClientRects().length > 0;
  const name = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      return by.split(' ').map((id) => document.getElementById(id)?.textContent || '').join(' ');
    }
    if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(' ');
    if (['BUTTON', 'A'].includes(el.tagName)) return el.textContent;
    return el.getAttribute('title') || '';
  };
  return [...document.querySelectorAll('input, select, textarea, button, a[href], [role=img]')]
    .filter(visible).filter((el) => !name(el).trim())
    .map((el) => el.outerHTML.slice(0, 120));
}"""

_CONTRAST = """(selectors) => {
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const out = {};
  for (const sel of selectors) {
    const el = document.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const a = lum(rgba(getComputedStyle(el).color));
    const b = lum(background(el));
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
}"""


def unnamed_controls(page: Page) -> list[str]:
    """Visible controls a screen reader could not name (no label, aria-label or text)."""
    return page.evaluate(_UNNAMED_CONTROLS)  # type: ignore[no-any-return]


def contrast(page: Page, selectors: list[str]) -> dict[str, float | None]:
    """WCAG contrast ratio of each element's text against its (nearest opaque) background."""
    return page.evaluate(_CONTRAST, selectors)  # type: ignore[no-any-return]


def focus_order(page: Page, presses: int) -> list[str]:
    """The ids focused by ``presses`` Tab presses."""
    order = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    return order


def overflows_horizontally(page: Page) -> bool:
    return page.evaluate(  # type: ignore[no-any-return]
        "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
