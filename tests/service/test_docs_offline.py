"""/docs and /redoc render in Chromium with every host but the app's own blocked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Server

pytestmark = pytest.mark.integration


@dataclass
class Offline:
    """A page whose requests to other hosts are aborted, and what it tried and logged."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def offline(browser: Any, server: Server) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Offline(page)
    own = urlsplit(server.url).netloc

    def only_own_host(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        else:
            seen.blocked.append(url)
            route.abort()

    def console(message: Any) -> None:
        if message.type == "error":
            seen.errors.append(message.text)

    context.route("**/*", only_own_host)
    page.on("console", console)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    yield seen
    context.close()


def test_swagger_ui_renders_offline(offline: Offline, server: Server) -> None:
    page = offline.page
    page.goto(f"{server.url}/docs", wait_until="networkidle")
    assert offline.blocked == []  # names the CDN URL at once, before a blank page times out
    page.wait_for_selector(".opblock")
    ask = page.locator(".opblock.opblock-post").filter(has=page.locator('[data-path="/ask"]'))
    assert ask.count() == 1
    assert ask.locator(".opblock-summary-method").inner_text() == "POST"
    assert page.get_by_text("/ask", exact=True).is_visible()
    assert "News QA" in page.locator(".info .title").inner_text()
    assert offline.blocked == []
    assert offline.errors == []


def test_redoc_renders_offline(offline: Offline, server: Server) -> None:
    page = offline.page
    page.goto(f"{server.url}/redoc", wait_until="networkidle")
    assert offline.blocked == []  # names the CDN URL at once, before a blank page times out
    page.wait_for_selector("h1")
    assert page.locator("h1").first.inner_text().startswith("News QA")
    ask = page.locator("[data-section-id='operation/ask_ask_post']")
    ask.wait_for()
    assert ask.locator("h2").first.inner_text() == "Ask"
    assert ask.locator(".http-verb").first.inner_text().lower() == "post"
    assert "/ask" in ask.inner_text()
    assert offline.blocked == []
    assert offline.errors == []
