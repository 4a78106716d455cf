"""The web page in a real browser: Debian's Chromium driven by Playwright, against uvicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.build import build_index
from index.embed import Embedder
from service.api import create_app
from service.config import Settings
from service.pipeline import Pipeline
from tests.conftest import ROOT, Server

pytestmark = pytest.mark.integration
ARTIFACTS = ROOT / "test-artifacts"


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


# --- Asking with the keyboard only, at a laptop's and a phone's size -------------------------

LAPTOP, PHONE = (1280, 800), (390, 844)
INVEST = "How much is Microsoft investing in Japan?"
ABSTAIN = "Who won the 2022 World Cup?"  # three of its closest passages are one article's
ESCAPED = (  # answered from the seed that writes "US\$2.9 billion"
    "How much will Microsoft invest in hyperscale cloud computing in Japan according to "
    "Microsoft Source?"
)
DOC_DETAIL = "/documents/"


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Opens the page at a viewport size; it records requests, console errors and failed
    responses from the first request on."""
    contexts: list[Any] = []

    def _open(url: str, size: tuple[int, int] = LAPTOP) -> Any:
        width, height = size
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=width < 500
        )
        contexts.append(context)
        pg = context.new_page()
        pg.requests, pg.errors = [], []
        pg.on("request", lambda r: pg.requests.append(r.url))
        pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on(
            "response",
            lambda r: r.status >= 400 and pg.errors.append(f"{r.status} {r.url}"),
        )
        pg.goto(url)
        pg.wait_for_selector("#documents li")
        return pg

    yield _open
    for context in contexts:
        context.close()


def _ask(pg: Any, question: str) -> None:
    """Types the question into the focused box and presses Enter, as a keyboard user does."""
    assert pg.evaluate("document.activeElement.id") == "question"
    pg.keyboard.press("Control+A")
    pg.keyboard.type(question)
    pg.keyboard.press("Enter")


def _answered(pg: Any) -> None:
    pg.wait_for_selector("#result:not([hidden]) #answer:not(.abstain):not(:empty)")
    pg.wait_for_selector("#article-text .hl")


def _in_view(pg: Any, selector: str) -> bool:
    return bool(
        pg.eval_on_selector(
            selector,
            "e => { const r = e.getBoundingClientRect();"
            " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }",
        )
    )


def _doc_fetches(pg: Any) -> list[str]:
    return [u.split(DOC_DETAIL, 1)[1] for u in pg.requests if DOC_DETAIL in u]


def _ask_api(server: Server, question: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(
        f"{server.url}/ask", json={"question": question}, timeout=30
    ).json()
    return body


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_answer_and_its_confidence_are_in_view_after_enter(
    open_page: Any, server: Server, size: tuple[int, int]
) -> None:
    pg = open_page(server.url, size)
    _ask(pg, INVEST)
    _answered(pg)
    assert _in_view(pg, "#answer") and _in_view(pg, "#confidence")
    assert pg.text_content("#confidence").startswith(("High", "Medium", "Low"))
    # the quote is scrolled into view inside the article's own pane, not by moving the page
    inside = pg.eval_on_selector(
        "#article-text .hl",
        "e => { const r = e.getBoundingClientRect();"
        " const b = document.getElementById('article-text').getBoundingClientRect();"
        " return r.top >= b.top - 1 && r.top < b.bottom; }",
    )
    assert inside


def test_opening_an_article_from_the_list_moves_focus_to_its_heading(
    open_page: Any, server: Server
) -> None:
    pg = open_page(server.url, LAPTOP)
    pg.focus("#documents li:nth-child(3) button")
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#article:not([hidden]) #article-text span")
    pg.wait_for_function("document.activeElement.id === 'article-title'")
    doc = httpx.get(f"{server.url}/documents/002_bc3d2b23fcc61d83").json()
    assert pg.text_content("#article-title") == doc["title"]
    assert _in_view(pg, "#article-title")


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_an_abstention_starts_at_the_top_of_the_result(
    open_page: Any, server: Server, size: tuple[int, int]
) -> None:
    pg = open_page(server.url, size)
    _ask(pg, INVEST)
    _answered(pg)
    pg.keyboard.press("Control+A")
    pg.keyboard.type(ABSTAIN)
    # the reader goes on down the page to the article before pressing Enter
    pg.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#answer.abstain")
    pg.wait_for_timeout(200)  # let any late scrolling happen
    top = pg.eval_on_selector("#result", "e => e.getBoundingClientRect().top")
    assert -1 < top < size[1] / 2  # (a fraction of a pixel above: rounding)
    assert _in_view(pg, "#answer") and _in_view(pg, "#confidence")


def test_each_article_is_fetched_once(open_page: Any, server: Server) -> None:
    pg = open_page(server.url, LAPTOP)
    cited = _ask_api(server, INVEST)["citations"][0]["doc_id"]
    _ask(pg, INVEST)
    _answered(pg)
    pg.wait_for_timeout(300)
    assert _doc_fetches(pg) == [cited]
    pg.focus("#citations li:first-child button")  # open its source again: already here
    pg.keyboard.press("Enter")
    pg.wait_for_timeout(300)
    assert _doc_fetches(pg) == [cited]
    pg.focus("#question")
    # an abstention lists passages, three of them from one article: no article is fetched twice
    _ask(pg, ABSTAIN)
    pg.wait_for_selector("#answer.abstain")
    pg.wait_for_timeout(500)
    fetched = _doc_fetches(pg)
    assert len(fetched) == len(set(fetched)) and fetched[0] == cited


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who wrote the iTnews Asia article?", "Abbinaya Kuzhanthaivel"),
        ("Who wrote the DMR News article?", "Yasmeeta Oon"),
    ],
)
def test_an_answer_from_the_byline_is_shown_and_marked(
    open_page: Any, server: Server, question: str, name: str
) -> None:
    expected = _ask_api(server, question)
    assert expected["answer"] == name
    first = expected["citations"][0]
    pg = open_page(server.url, LAPTOP)
    _ask(pg, question)
    pg.wait_for_selector("#article-text .hl", timeout=5000)
    assert pg.text_content("#article-text .hl") == first["quote"]
    assert pg.get_attribute("#article-text .hl", "data-start") == str(first["start"])
    assert pg.text_content("#article-text .hl mark.answer-span") == name


ASTRAL_ARTICLE = """Harbor Robotics \U0001f916 opens its first factory in Osaka

By Mina Sato \U0001f680 on May 2, 2024

Harbor Robotics said on Thursday that it will spend $40 million on a new robot factory in \
Osaka \U0001f3ed over the next three years.

The Osaka factory \U0001f3ed will employ 300 engineers when it opens in 2026, the company said.

Harbor Robotics was founded in Kyoto in 2015 and makes warehouse robots for retailers.
"""


@pytest.fixture(scope="module")
def astral_server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Server]:
    """The real app over an index of one article with emoji (outside the BMP: two UTF-16
    units each in JavaScript, one code point in the API's offsets) before its quotes."""
    root = tmp_path_factory.mktemp("astral")
    articles, index = root / "articles", root / "index"
    articles.mkdir()
    (articles / "astral.txt").write_text(ASTRAL_ARTICLE, encoding="utf-8")
    build_index(articles, index, embedder)
    settings = Settings(index_dir=index, seeds_dir=articles)
    app = create_app(
        settings, pipeline_factory=lambda s: Pipeline.from_settings(s, encoder=embedder)
    )
    with Server(app) as srv:
        assert srv.wait_ready().status_code == 200
        yield srv


def test_a_character_outside_the_bmp_before_the_quote_keeps_the_highlight(
    open_page: Any, astral_server: Server
) -> None:
    question = "How many engineers will the Osaka factory employ?"
    expected = _ask_api(astral_server, question)
    first = expected["citations"][0]
    text = httpx.get(f"{astral_server.url}/documents/astral").json()["text"]
    assert first["start"] > text.index("\U0001f680")  # code points: astral characters before
    assert text[first["start"] : first["end"]] == first["quote"]
    assert "\U0001f3ed" in first["quote"].split(expected["answer"])[0]  # and inside, before it
    pg = open_page(astral_server.url, LAPTOP)
    _ask(pg, question)
    _answered(pg)
    assert pg.text_content("#answer") == expected["answer"] == "300"
    assert pg.text_content("#article-text .hl") == first["quote"]
    assert pg.text_content("#article-text .hl mark.answer-span") == "300"
    assert pg.text_content("#article-title") == first["title"]


def test_no_console_errors_and_a_favicon(open_page: Any, server: Server) -> None:
    pg = open_page(server.url, LAPTOP)
    _ask(pg, INVEST)
    _answered(pg)
    pg.wait_for_timeout(300)
    assert pg.errors == []
    icon = httpx.get(f"{server.url}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_a_markdown_escape_is_not_shown_but_the_highlight_keeps_its_place(
    open_page: Any, server: Server
) -> None:
    expected = _ask_api(server, ESCAPED)
    assert expected["answer"] == "US\\$2.9 billion"  # the API stays verbatim
    first = expected["citations"][0]
    assert "US\\$2.9 billion" in first["quote"]
    pg = open_page(server.url, LAPTOP)
    _ask(pg, ESCAPED)
    _answered(pg)
    assert pg.text_content("#answer") == "US$2.9 billion"
    assert pg.text_content("#citations li:first-child blockquote") == first["quote"].replace(
        "\\$", "$"
    )
    hl = "#article-text .hl"
    assert pg.text_content(hl) == first["quote"].replace("\\$", "$")
    assert pg.get_attribute(hl, "data-start") == str(first["start"])
    assert pg.get_attribute(hl, "data-end") == str(first["end"])
    assert pg.text_content(f"{hl} mark.answer-span") == "US$2.9 billion"
    assert pg.text_content("#article-title") == first["title"].replace("\\$", "$")
    assert "\\" not in pg.text_content("#article-text")


def test_list_markers_sit_beside_the_first_line_of_a_wrapped_title(
    open_page: Any, server: Server
) -> None:
    """A probe put before each title sits on the baseline that its bullet or number uses:
    the baseline must be the title's first line, not its last."""
    pg = open_page(server.url, PHONE)
    _ask(pg, INVEST)
    _answered(pg)
    lines = pg.evaluate(
        """() => [...document.querySelectorAll('#documents li, #citations li')]
          .map((li) => {
            const button = li.querySelector('button');
            if (!button) return null;
            const probe = document.createElement('span');  // no width: the layout stays
            probe.style.cssText = 'display: inline-block; width: 0; height: 1em';
            li.insertBefore(probe, li.firstChild);
            const p = probe.getBoundingClientRect(), b = button.getBoundingClientRect();
            probe.remove();
            const line = parseFloat(getComputedStyle(button).lineHeight);
            return { wrapped: b.height > 1.5 * line, baseline: p.bottom - b.top, line };
          }).filter(Boolean)"""
    )
    assert any(x["wrapped"] for x in lines)
    assert all(0 < x["baseline"] < x["line"] for x in lines), lines


@pytest.mark.skipif(
    os.environ.get("NEWSQA_SCREENSHOTS") != "1", reason="set NEWSQA_SCREENSHOTS=1 to write them"
)
@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_screenshots_for_the_docs(open_page: Any, server: Server, size: tuple[int, int]) -> None:
    """docs/page-1280.png and docs/page-390.png: the page as it looks after an answer."""
    pg = open_page(server.url, size)
    _ask(pg, INVEST)
    _answered(pg)
    pg.screenshot(path=str(ROOT / "docs" / f"page-{size[0]}.png"))
