"""Read scraped article files into ``Document``s: metadata found, page furniture dropped.

The first step of the core path (article file -> ``Document``). The pages come from
different sites, so the rules here describe kinds of furniture (navigation, related-link
lists, image links and captions, share prompts, comment forms, tag lines, copyright
footers) rather than any one site's layout. A large build may hand ``read_articles`` a
``ParseStore`` (``index.scale.parse_cache``) that keeps each article's parse between builds.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.sentences import line_spans, split_sentences, strip_span
from index.types import Document, Span

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
# "3 March 2026", "Monday 9 March 2026", "11 Mar. 2026"
_DAY_FIRST = re.compile(r"\b(\d{1,2})\s+([A-Z][a-z]{2,8})\.?,?\s+(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})([-/.])(\d{2})\2(\d{2})\b")  # 2025-10-07, 2025/10/07
# "21/11/2025", "3.4.2026": read only when the day cannot be the month (> 12)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_NAME = r"(?:(?:Dr|Prof|Mr|Ms|Mrs)\.?\s+)?[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
# "By Ann Lee", "Written by Ann Lee, Reporter", "Posted by Ann Lee · 9 March 2026",
# "By Ann Lee and Bo Chan", "ByAnn Lee on Apr 11, 2024"
_BYLINE = re.compile(
    rf"^(?:By|Written by|Posted by|Interview by|Words by|Story by|Report by|Author:|Words:|"
    rf"Text:)\s*({_NAME}(?:\s+(?:and|&)\s+{_NAME})?)(?:\s+on\b.*|\s*[|,·•]\s*.*|\s+[—–-]\s+.*)?$"
)
# a wire byline's name in capitals, then its agency: "By ANN LEE-WONG Nordvale Wire"
_CAPS_BYLINE = re.compile(
    r"^By\s+([A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){1,3})(?:\s+[A-Z][a-z].*)?$"
)
# the lines that date a page: "Published: 4 March 2026 | Updated: ...", "Last Updated ..."
_DATE_WORDS = re.compile(
    r"^(?:last\s+)?(?:published|updated|posted|first published|release date|date)\b", re.I
)
_STARTS_WITH_DATE = re.compile(
    r"^(?:[A-Z][a-z]+day,?\s+)?(?:\d{1,2}\s+[A-Z][a-z]{2,8}|[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{4}[-/.]\d{2})"
)
_NOTICE = re.compile(
    r"\b(?:cookies?|subscribe|sign in|log in|newsletter|javascript|advertisement|privacy|"
    r"skip to)\b",
    re.I,
)
_NAV_SEPARATORS = re.compile(r"\s(?:\||›|»|>|/|•|·)\s")
_PERSON_LINE = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’.-]*){1,2}$")
_URL_LINE = re.compile(r"^(?:source|original|url|canonical|link)\s*:\s*<?(https?://\S+?)>?$", re.I)
_COPYRIGHT = re.compile(r"^©\s*(.+)$")

_RELATED = re.compile(
    r"^(related|more|recommended|popular|trending|most read|most popular|you may also like|"
    r"you might also like|read (more|next|also)|also read|see also)\b[\w\s]{0,30}:?$",
    re.I,
)
_END_OF_ARTICLE = re.compile(
    r"^(leave a (reply|comment)|post a comment|(reader |user )?comments \(\d+\)|"
    r"\W*\d+ comments\W+join the conversation)\s*$",
    re.I,
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
        # media and their captions, wherever they sit: "[Photo: ...] ...", "Photograph: ..."
        r"^\[\s*(image|photo|photograph|picture|video|graphic|gallery|audio|map|chart)\b",
        r"^(photograph|video|watch|listen)s?\s*:",
        r"\b(photo|photograph|image|picture|credit|graphic|illustration)s?\s*:\s*[^.:]{0,80}$",
        r"^advertisement$",
        r"^(continue|keep) reading\b",
        r"^reading time\b",
        r"^about the author$",
        r"\bunsubscribe\b",
        r"^(e-?mail|tel|phone|fax)\s*:",
        r"^\[[^\]]*\](\s+\[[^\]]*\])*$",
        r"[─│┌┐└┘]",
        # comment counts and boxes, sponsored blocks, tag clouds, follow and sign-up prompts
        r"^\W*\d+\s+comments?\b",
        r"^(reader )?comments\s*\(\d+\)",
        r"\bshow (all )?\d+ comments\b|\blog in to comment\b|\bcomments are moderated\b",
        r"\bcommunity guidelines\b",
        r"^sponsored\b",
        r"^related \w+\s*:",
        r"^follow us\b",
        r"^(photo )?gallery\b",
        r"^(graphic|illustration)s?\s*:",
        r"^disclosure\s*:",
        r"\b(we use|uses|stores|use of) cookies\b",
        r"^(get|sign up for|subscribe to) (the |our )?[\w ]{0,30}newsletter\b",
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
    """The first date written like 'April 10, 2024', '3 March 2026' or '2024-04-11', as ISO.

    The regexes find where a date is written; python-dateutil reads it (month names and
    abbreviations, impossible days refused).
    """
    from dateutil import parser as dates

    found = []
    for pattern in (_DATE, _DAY_FIRST, _ISO_DATE):
        for match in pattern.finditer(text):
            if pattern is not _ISO_DATE:
                month = match.group(1) if pattern is _DATE else match.group(2)
                if month.lower().rstrip(".") not in _MONTHS:
                    continue
            found.append(match)
    for match in _NUMERIC_DATE.finditer(text):
        a, b = int(match.group(1)), int(match.group(2))
        if a > 12 >= b or b > 12 >= a:  # 03/04/2026 could be either: not read
            found.append(match)
    for match in sorted(found, key=lambda m: m.start()):
        numeric = match.re is _NUMERIC_DATE
        try:
            day_first = numeric and int(match.group(1)) > 12
            return dates.parse(match.group(0), dayfirst=day_first).date().isoformat()
        except (ValueError, OverflowError):
            continue
    return None


def date_span(text: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """Where ``text[start:end]`` writes the date ``parse_date`` reads, as offsets."""
    end = len(text) if end is None else end
    piece = text[start:end]
    iso = parse_date(piece)
    if iso is None:
        return None
    for pattern in (_DATE, _DAY_FIRST, _ISO_DATE, _NUMERIC_DATE):
        for m in pattern.finditer(piece):
            if parse_date(m.group(0)) == iso:
                return start + m.start(), start + m.end()
    return None


def _is_nav(text: str) -> bool:
    """Menus and breadcrumbs: several short items between separators."""
    return len(_NAV_SEPARATORS.findall(text)) >= 2 or text.count("|") >= 2


def byline_name(text: str) -> str | None:
    """The author a byline names ('By Ann Lee, Reporter' -> 'Ann Lee'); None for other lines."""
    m = _BYLINE.match(text) or _CAPS_BYLINE.match(text)
    return m.group(1) if m else None


def _is_metadata(text: str) -> bool:
    """Date lines, bylines and 'date | publisher' lines: metadata, not article text."""
    if byline_name(text):
        return True
    if parse_date(text) and (
        len(text.split()) <= 8
        or (len(text.split()) <= 16 and (_DATE_WORDS.match(text) or _STARTS_WITH_DATE.match(text)))
    ):
        return True
    return bool(_PERSON_LINE.match(text))


def _headline_index(lines: list[_Line]) -> int | None:
    """Pick the headline among the first lines: a title-like line, preferring one that the
    byline or date line follows, or that the page repeats; never a menu, notice or tagline
    in capitals."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.text] = counts.get(line.text, 0) + 1

    head = lines[:33]  # the 30 lines a headline may be, and the 3 after each
    texts = [line.text for line in head]
    bylines = [byline_name(t) is not None for t in texts]
    dated = [
        b or (_is_metadata(t) and parse_date(t) is not None)
        for b, t in zip(bylines, texts, strict=True)
    ]
    title_like = [
        4 <= line.words <= 30
        and not (
            line.text.endswith(".")
            or _is_furniture(line.text)
            or _is_metadata(line.text)
            or _NAV_BULLET.match(line.text)
            or _is_nav(line.text)
            or _NOTICE.search(line.text)
            or _RELATED.match(line.text)
        )
        for line in head
    ]
    best: tuple[int, int] | None = None
    for i, t in enumerate(texts[:30]):
        if not title_like[i]:
            continue
        score = 0
        if counts[t] > 1:
            score += 2
        if any(dated[i + 1 : i + 4]):
            score += 3
        if any(bylines[i + 1 : i + 4]):
            score += 1  # a byline follows a headline, a date may follow the site's banner
        # right above the byline or date, or above the standfirst that is
        if any(dated[i + 1 : i + 2]) or (i + 2 < len(head) and title_like[i + 1] and dated[i + 2]):
            score += 1
        if t.isupper():
            score -= 3  # a site's name or a section label
        if i < 2 and not (i + 1 < len(texts) and parse_date(texts[i + 1])):
            score -= 1  # the site's name and tagline come first
        if best is None or score > best[0]:
            best = (score, i)
    return best[1] if best is not None else None


def _publisher(text: str) -> str:
    """A site's name line without what follows a separator ('SITE | Newsroom', 'SITE — a
    tagline')."""
    return re.split(r"\s+[|·•—–]\s+", text, maxsplit=1)[0].strip()


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
    above: Span | None = None  # a date line just above the headline, used when none is below
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
            name = _publisher(t)
            if (
                source is None
                and 1 <= len(name.split()) <= 5
                and not _is_furniture(t)
                and not _NAV_BULLET.match(t)
                and not _is_nav(t)
                and not _NOTICE.search(name)
                and not parse_date(t)
                and not name.endswith(".")
            ):
                source = name
            if start_at - i <= 3 and _is_metadata(t) and parse_date(t):
                above = Span(line.start, line.end, t)  # a date just above the headline
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
        near_head = head is not None and 0 < i - head <= 4
        if (header_zone or near_head) and i != head and _is_metadata(t):
            if published is None and (published := parse_date(t)):
                dateline = Span(line.start, line.end, t)
            if (named := byline_name(t)) and author is None:
                author = named
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

    if published is None and above is not None:
        published, dateline = parse_date(above.text), above
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


class ParseStore(Protocol):
    """Parses kept from an earlier build (``index.scale.parse_cache.ParseCache``)."""

    def read(self, paths: Sequence[Path]) -> list[Document]:
        """Each file's ``Document``, as ``read_document`` would make it: taken from what
        is kept when the same bytes were parsed by the same code, else parsed."""
        ...


def read_articles(
    seeds_dir: Path, cache: ParseStore | None = None
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


def read_corpus(seeds_dir: Path, cache: ParseStore | None = None) -> list[Document]:
    """The ``Document`` of every ``*.txt`` article in ``seeds_dir``, sorted by file name."""
    return read_articles(seeds_dir, cache)[1]


def sentences_of(doc: Document) -> Iterable[Span]:
    """All kept sentences of a document, in order."""
    for segment in doc.segments:
        yield from segment
