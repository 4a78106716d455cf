"""The web page in a real browser: Debian's Chromium driven by Playwright, against uvicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Server

pytestmark = pytest.mark.integration
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "install Debian's chromium: apt-get install chromium chromium-driver"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requests.append(r.url))  # type: ignore[attr-defined]
    pg.goto(server.url)
    yield pg
    context.close()


def _shot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    pg.screenshot(path=str(path), full_page=True)
    return path


def test_ask_shows_answer_and_highlights_the_quote(page: Any, server: Server) -> None:
    question = "How much is Microsoft investing in Japan?"
    expected = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=30).json()
    page.fill("#question", question)
    page.press("#question", "Enter")  # keyboard: Enter asks
    page.wait_for_selector("#result:not([hidden]) #answer:not(:empty)")
    assert page.text_content("#answer") == expected["answer"]
    assert "confidence" in page.text_content("#confidence").lower()
    page.wait_for_selector("#article-text .hl")
    first = expected["citations"][0]
    assert page.text_content("#article-text .hl") == first["quote"]
    assert page.get_attribute("#article-text .hl", "data-start") == str(first["start"])
    assert page.text_content("#article-text .hl mark.answer-span") == expected["answer"]
    assert page.text_content("#article-title") == first["title"]
    assert page.locator("#citations li").count() == len(expected["citations"])
    _shot(page, "web-answer.png")
    # every request stayed on the app's own origin: no CDN, no external network
    assert page.requests and all(u.startswith(server.url) for u in page.requests)


def test_abstention_is_plain(page: Any) -> None:
    page.fill("#question", "Who won the 2022 World Cup?")
    page.click("#ask-button")
    page.wait_for_selector("#answer.abstain")
    assert page.text_content("#answer") == "The articles don't say."
    assert page.text_content("#sources-heading") == "Closest passages"
    assert page.locator("#citations li").count() > 0
    _shot(page, "web-abstain.png")


def test_articles_open_with_their_cleaned_text(page: Any, server: Server) -> None:
    page.wait_for_selector("#documents li")
    assert page.locator("#documents li").count() == 5
    page.click("#documents li:nth-child(3) button")
    page.wait_for_selector("#article:not([hidden]) #article-text span")
    doc = httpx.get(f"{server.url}/documents/002_bc3d2b23fcc61d83").json()
    assert page.text_content("#article-title") == doc["title"]
    text = page.text_content("#article-text")
    assert "Microsoft has unveiled plans" in text
    assert "Share on Twitter" not in text and "Most Read Articles" not in text


def test_a_long_article_list_says_how_many_more_there_are(browser: Any, server: Server) -> None:
    """GET /documents is paged (100 a page): the page lists the first page and says how many
    more the service holds (here the service's real first page, its total raised to 250)."""
    context = browser.new_context()
    pg = context.new_page()

    def bigger_corpus(route: Any) -> None:
        real = route.fetch()
        route.fulfill(response=real, headers={**real.headers, "x-total-count": "250"})

    pg.route("**/documents", bigger_corpus)
    pg.goto(server.url)
    pg.wait_for_selector("#documents li.meta")
    items = pg.locator("#documents li")
    assert items.count() == 6 and items.nth(5).text_content() == "and 245 more"
    context.close()


def test_bad_input_shows_the_services_message(page: Any) -> None:
    page.evaluate("document.getElementById('question').removeAttribute('maxlength')")
    page.fill("#question", "x" * 1001)
    page.press("#question", "Enter")
    page.wait_for_function(
        "document.getElementById('status').textContent.length > 0 && "
        "!document.getElementById('status').textContent.startsWith('Looking')"
    )
    assert "1000 characters" in page.text_content("#status")


def test_readable_on_a_phone(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(server.url)
    pg.fill("#question", "who is the president of microsoft japan")
    pg.press("#question", "Enter")
    pg.wait_for_selector("#article-text .hl")
    _shot(pg, "web-phone.png")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
