"""Read scraped article files into ``Document``s: metadata found, page furniture dropped.

The pages come from different sites, so the rules here describe kinds of furniture
(navigation, related-link lists, image links and captions, share prompts, comment
forms, tag lines, copyright footers) rather than any one site's layout.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from index.sentences import line_spans, split_sentences, strip_span
from index.types import Document, Span

if TYPE_CHECKING:
    from index.parse_cache import ParseCache

log = logging.getLogger(__name__)

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_DATE = re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_BYLINE = re.compile(r"^By\s*([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})(?:\s+on\b.*|\s*[|,].*)?$")
_PERSON_LINE = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’.-]*){1,2}$")
_URL_LINE = re.compile(r"^(?:source|original|url|canonical|link)\s*:\s*<?(https?://\S+?)>?$", re.I)
_COPYRIGHT = re.compile(r"^©\s*(.+)$")

_RELATED = re.compile(
    r"^(related|more|recommended|popular|trending|most read|most popular|you may also like|"
    r"read (more|next|also)|see also)\b[\w\s]{0,20}:?$",
    re.I,
)
_END_OF_ARTICLE = re.compile(
    r"^(leave a (reply|comment)|post a comment|comments \(\d+\))\s*$", re.I
)
_IMAGE = re.compile(r"^<?https?://\S+\.(?:jpe?g|png|gif|webp|svg|avif)(?:\.\w+)?>?$", re.I)
_FURNITURE = [
    re.compile(p, re.I)
    for p in (
        r"^tags?\s*:",
        r"^(categories|category|filed under)\s*:",
        r"^was this (article|post|page) helpful",
        r"^share\b.*\b(twitter|facebook|linkedin|whatsapp|email|x)\b",
        r"^(share|print|email) (this|on)\b",
        r"^source link$",
        r"^\d+\s+min(ute)?s?\s+read$",
        r"all rights reserved",
        r"^©",
        r"\byour use of this website\b",
        r"^your email address will not be published",
        r"\b(contact (us|them) here|sign up for our|subscribe to (our|the))\b",
        r"^(picture|photo|image|featured image|caption|credit)s?\b.{0,15}(:|courtesy|by\b)",
        r"^>$",
        r"\s>$",
    )
]
_BREADCRUMB = re.compile(r"^\s*\w[^/]{0,40}(?:\s/\s[^/]+){2,}$")
_NAV_BULLET = re.compile(r"^\s*[•·▪*\-]\s*\S+(?:\s\S+)?\s*$")


@dataclass
class _Line:
    start: int
    end: int
    text: str  # stripped of whitespace and bullets

    @property
    def words(self) -> int:
        return len(self.text.split())


def _is_prose(text: str) -> bool:
    """A sentence-like line: long enough and ends like a sentence."""
    return len(text.split()) >= 8 and text.rstrip("\"'”’)").endswith((".", "!", "?", ":"))


def _ends_related_list(text: str) -> bool:
    """Related-link lists hold headlines; a full declarative sentence means the article resumes."""
    return len(text.split()) >= 12 and text.rstrip("\"'”’)").endswith(".")


def _is_furniture(text: str) -> bool:
    return bool(
        _IMAGE.match(text) or _BREADCRUMB.match(text) or any(p.search(text) for p in _FURNITURE)
    )


def parse_date(text: str) -> str | None:
    """The first date written like 'April 10, 2024', 'Apr 11, 2024' or '2024-04-11', as ISO."""
    for match in _DATE.finditer(text):
        month = _MONTHS.get(match.group(1).lower())
        if month:
            try:
                return date(int(match.group(3)), month, int(match.group(2))).isoformat()
            except ValueError:
                continue
    iso = _ISO_DATE.search(text)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))).isoformat()
        except ValueError:
            return None
    return None


def _is_metadata(text: str) -> bool:
    """Date lines, bylines and 'date | publisher' lines: metadata, not article text."""
    if _BYLINE.match(text):
        return True
    if parse_date(text) and len(text.split()) <= 8:
        return True
    return bool(_PERSON_LINE.match(text))


def _headline_index(lines: list[_Line]) -> int | None:
    """Pick the headline among the first lines: a title-like line, preferring one repeated."""
    candidates = []
    for i, line in enumerate(lines[:25]):
        t = line.text
        if (
            4 <= line.words <= 30
            and not t.endswith(".")
            and not _is_furniture(t)
            and not _is_metadata(t)
            and not _NAV_BULLET.match(t)
        ):
            candidates.append(i)
    if not candidates:
        return None
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.text] = counts.get(line.text, 0) + 1
    repeated = [i for i in candidates if counts[lines[i].text] > 1]
    return (repeated or candidates)[0]


def read_article(path: Path) -> tuple[str, str]:
    """One article file's text (UTF-8) and the sha256 of its bytes, from one read."""
    raw = path.read_bytes()
    return raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()


def read_document(path: Path) -> Document:
    """Read one article file (UTF-8) into a ``Document``."""
    return parse_document(path.stem, *read_article(path))


def parse_document(doc_id: str, text: str, sha256: str | None = None) -> Document:
    """Find metadata and keep only article content, remembering offsets into ``text``."""
    lines = []
    for start, end in line_spans(text):
        s, e = strip_span(text, start, end)
        if s < e:
            lines.append(_Line(s, e, text[s:e]))

    head = _headline_index(lines)
    title = lines[head].text if head is not None else None
    keep = [False] * len(lines)
    seen: set[str] = set()
    source = url = author = published = None
    byline: Span | None = None  # the line that names the author (offsets kept)
    dateline: Span | None = None  # the line that gives the date
    in_related = False
    drop_next_short = False
    drop_next_paragraph = False
    header_zone = True  # between the headline and the first prose line
    start_at = head if head is not None else 0

    for i, line in enumerate(lines):
        t = line.text
        if url is None and (m := _URL_LINE.match(t)):
            url = m.group(1)
        if i < start_at:
            if (
                source is None
                and line.words <= 4
                and not _is_furniture(t)
                and not _NAV_BULLET.match(t)
            ):
                source = t
            continue
        if _END_OF_ARTICLE.match(t):
            break
        if (m := _COPYRIGHT.match(t)) and source is None:
            source = m.group(1).strip()
        if drop_next_short:
            drop_next_short = False
            if line.words <= 8 and not _is_prose(t):
                continue
        if drop_next_paragraph:
            drop_next_paragraph = False
            if line.words <= 80:
                continue
        if author and t == author and not header_zone:
            drop_next_paragraph = True  # an author box: the name, then a short bio
            continue
        if _RELATED.match(t) and line.words <= 6:
            in_related = True
            continue
        if in_related:
            if _ends_related_list(t) and not _is_furniture(t):
                in_related = False
            else:
                continue
        if _is_furniture(t):
            if re.match(r"^tags?\s*:\s*$", t, re.I):
                drop_next_short = True
            continue
        if header_zone and i != head and _is_metadata(t):
            if published is None and (published := parse_date(t)):
                dateline = Span(line.start, line.end, t)
            if (m := _BYLINE.match(t)) and author is None:
                author = m.group(1)
                byline = Span(line.start, line.end, t)
            elif author is None and _PERSON_LINE.match(t):
                author = t
                byline = Span(line.start, line.end, t)
            if "|" in t and source is None:
                source = t.rsplit("|", 1)[1].strip() or None
            continue
        if _is_prose(t):
            header_zone = False
        if t in seen:
            continue
        seen.add(t)
        keep[i] = True

    segments = _segments(text, lines, keep)
    return Document(
        doc_id=doc_id,
        text=text,
        title=title,
        source=source,
        author=author,
        published=published,
        url=url,
        sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
        segments=segments,
        byline=byline,
        dateline=dateline,
    )


def _segments(text: str, lines: list[_Line], keep: list[bool]) -> tuple[tuple[Span, ...], ...]:
    """Group kept lines into runs that no dropped line interrupts, and split them into sentences."""
    segments: list[tuple[Span, ...]] = []
    current: list[Span] = []
    for line, kept in zip(lines, keep, strict=True):
        if kept:
            current.extend(split_sentences(text, line.start, line.end))
        elif current:
            segments.append(tuple(current))
            current = []
    if current:
        segments.append(tuple(current))
    return tuple(segments)


def read_articles(
    seeds_dir: Path, cache: ParseCache | None = None
) -> tuple[list[Path], list[Document]]:
    """Every ``*.txt`` article file in ``seeds_dir``, sorted by name, and its ``Document``;
    with ``cache``, an article parsed by an earlier build (same bytes, same code) is not
    parsed again."""
    paths = sorted(seeds_dir.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"no *.txt articles in {seeds_dir}: put the article files there")
    docs = cache.read(paths) if cache is not None else [read_document(p) for p in paths]
    for doc in docs:
        log.info("read %s: %d segments, title=%r", doc.doc_id, len(doc.segments), doc.title)
    return paths, docs


def read_corpus(seeds_dir: Path, cache: ParseCache | None = None) -> list[Document]:
    """The ``Document`` of every ``*.txt`` article in ``seeds_dir``, sorted by file name."""
    return read_articles(seeds_dir, cache)[1]


def sentences_of(doc: Document) -> Iterable[Span]:
    """All kept sentences of a document, in order."""
    for segment in doc.segments:
        yield from segment
