from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from index.corpus import parse_date, parse_document, read_corpus, read_document, sentences_of

FURNITURE = [
    "Related Posts",
    "Related News",
    "Related Articles",
    "Leave a Reply",
    "Was this Article helpful",
    "Tags:",
    "Share on Twitter",
    "Source link",
    "https://news.microsoft.com/wp-content",
    "Most Read Articles",
    "All rights reserved",
    "Your email address will not be published",
    "contact them here",
    "Featured Image",
    "Just a girl trying",
    "Microsoft Appoints Rodrigo Kede Lima",
    "4 min read",
    "Home / News",
    "Picture left to right",
]


@pytest.fixture(scope="module")
def docs(seeds_dir: Path) -> dict[str, object]:
    return {d.doc_id: d for d in read_corpus(seeds_dir)}


def test_doc_ids_are_file_names(docs: dict, seeds_dir: Path) -> None:
    assert sorted(docs) == sorted(p.stem for p in seeds_dir.glob("*.txt"))


@pytest.mark.parametrize(
    ("doc_id", "title", "source", "author", "published"),
    [
        (
            "000_05c040ee81c3ddd2",
            "Microsoft to invest US\\$2.9 billion in AI and cloud infrastructure in Japan while "
            "boosting the nation's skills, research and cybersecurity",
            "Microsoft Source",
            None,
            "2024-04-10",
        ),
        (
            "001_dc3bff88a7a8b71d",
            "Microsoft make biggest-ever investment in Japan",
            None,
            None,
            None,
        ),
        (
            "002_bc3d2b23fcc61d83",
            "Microsoft to invest US$2.9 billion in Japan to boost AI capabilities",
            "iTnews Asia",
            "Abbinaya Kuzhanthaivel",
            "2024-04-11",
        ),
        (
            "003_8dc220ab41ea8a82",
            "Microsoft Allocates $2.9 Billion to Enhance AI Technologies in Japan",
            "DMR News",
            "Yasmeeta Oon",
            "2024-04-28",
        ),
        (
            "004_851ebe4eaf63c61e",
            "Microsoft Commits $2.9 Billion to Support Japanese AI Sector, Joining AWS, NVIDIA and Others",
            None,
            "James Morales",
            "2024-04-10",
        ),
    ],
)
def test_metadata_found_in_the_page(
    docs: dict,
    doc_id: str,
    title: str,
    source: str | None,
    author: str | None,
    published: str | None,
) -> None:
    meta = docs[doc_id].metadata()
    assert (meta["title"], meta["source"], meta["author"], meta["published"]) == (
        title,
        source,
        author,
        published,
    )


def test_every_kept_sentence_is_a_verbatim_slice(docs: dict) -> None:
    for doc in docs.values():
        for s in sentences_of(doc):
            assert doc.text[s.start : s.end] == s.text
            assert s.text == s.text.strip() and s.text


@pytest.mark.parametrize("phrase", FURNITURE)
def test_page_furniture_is_never_kept(docs: dict, phrase: str) -> None:
    for doc in docs.values():
        for s in sentences_of(doc):
            assert phrase not in s.text, (doc.doc_id, s.text)


def test_article_body_is_kept(docs: dict) -> None:
    kept = " ".join(s.text for d in docs.values() for s in sentences_of(d))
    for phrase in [
        "Microsoft has unveiled plans to invest US$2.9 billion (S$3.9 billion)",
        "Today, Microsoft announced it will invest US\\$2.9 billion over the next two years",
        "to have spent nearly $18 billion bulking out its Japanese data center operations",
        "A total of $10 million will be donated over five years",
        "Microsoft Research Asia will allocate $9.9 million over five years",
    ]:
        assert phrase in kept


def test_segments_contain_no_dropped_text(docs: dict) -> None:
    """Between two sentences of one segment there is only whitespace or bullets: chunks stay clean."""
    for doc in docs.values():
        for seg in doc.segments:
            for a, b in pairwise(seg):
                gap = doc.text[a.end : b.start]
                assert gap.strip(" \n\t\u00a0•") == "", (doc.doc_id, gap)


def test_read_document_hashes_the_bytes(seeds_dir: Path) -> None:
    path = next(seeds_dir.glob("*.txt"))
    import hashlib

    assert read_document(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_generic_page_layout() -> None:
    text = (
        "Example Daily\n  • Home\n  • World\n\nCity council approves a new harbour bridge plan\n\n"
        "By Jane Roe on Mar 3, 2023 9:00AM\n\n"
        "The council voted 7 to 2 on Tuesday to approve the bridge, which will cost $40 million.\n"
        "<https://example.com/img/bridge.png>\nPhoto: the harbour at dawn\n"
        "Related Articles\n  • Another story here\nShare on Twitter Share on Facebook\n"
        "Leave a Reply\nGreat article!\n"
    )
    doc = parse_document("x", text)
    assert doc.title == "City council approves a new harbour bridge plan"
    assert (doc.source, doc.author, doc.published) == ("Example Daily", "Jane Roe", "2023-03-03")
    kept = [s.text for s in sentences_of(doc)]
    assert kept == [
        "City council approves a new harbour bridge plan",
        "The council voted 7 to 2 on Tuesday to approve the bridge, which will cost $40 million.",
    ]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("April 10, 2024 | Microsoft Source", "2024-04-10"),
        ("on Apr 11, 2024 8:57AM", "2024-04-11"),
        ("2023-02-28", "2023-02-28"),
        ("Feb 30, 2024", None),
        ("no date", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Oderfeld, 3 March 2026", "2026-03-03"),
        ("Monday 9 March 2026, 11:58 (first published 07:30)", "2026-03-09"),
        ("March 9, 2026 · 4:47 PM GMT+1 · 4 min read", "2026-03-09"),
        ("Release date: 21/11/2025", "2025-11-21"),
        ("Posted on 2025-11-18", "2025-11-18"),
        ("03/04/2026", None),  # day or month first? not guessed
        ("31 February 2026", None),
    ],
)
def test_dates_in_the_usual_forms(line: str, iso: str | None) -> None:
    assert parse_date(line) == iso


PAGE = """We use cookies to improve your experience. [Accept all]
THE HARBOUR GAZETTE
News for the coast since 1911
Home | News | Sport | Business | Weather
Friday, 6 March 2026   12°C
BUSINESS
Ferry maker Tolland Marine wins €80m order for six hybrid vessels
Written by Ines Varga-Holm, Business Reporter
6 March 2026, 09:15
[Photo: A Tolland hull in dry dock. Photo: Gazette / P. Rhee]
Tolland Marine will build six hybrid ferries for the island council, the company said on Friday.
Advertisement
The order is the largest in the yard's history, chief executive Ruth Obi said.
"""


def test_metadata_on_a_layout_with_menus_notices_and_captions() -> None:
    doc = parse_document("gazette", PAGE)
    assert doc.title == "Ferry maker Tolland Marine wins €80m order for six hybrid vessels"
    assert doc.source == "THE HARBOUR GAZETTE"
    assert doc.author == "Ines Varga-Holm"
    assert doc.published == "2026-03-06"
    kept = [s.text for s in sentences_of(doc)]
    assert kept[0] == doc.title  # the headline is text too, then the story
    assert kept[1].startswith("Tolland Marine will build")
    assert not any("Photo" in s or "Advertisement" in s or "cookies" in s for s in kept)
