"""Each article's parse, kept on disk by the file's bytes: an updated build parses only the
articles it has not parsed before (``ParseCache``, an ``index.corpus.ParseStore``).

Parsing (finding the metadata, dropping page furniture, splitting sentences) is regex work
in Python: about 100 s for 100,000 articles on this project's machine, paid again by every
build although adding one article changes one parse. A parse depends only on the file's
bytes, the parsing code, and the Unicode tables that Python's regexes and string methods
read, so those name it; the text itself is always read from the file.

Layout of a cache folder (the same as the cut cache's)::

    <key>/              one way of parsing: code, Python version and Unicode tables, hashed
        parsing.json    that identity, checked when the cache is opened
        <sha256>.json   {file sha256: parse} for the last build's articles, named by the
                        sha256 of the file's own bytes and checked when read

A parse is its metadata and its sentences' offsets. One that does not fit its file
(offsets outside the text or out of order, a field of the wrong type) is parsed again.
"""

from __future__ import annotations

import logging
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index import corpus, sentences, types
from index.corpus import parse_document, read_article
from index.scale.kept import KeptJson, code_sha256, identity_folder
from index.types import Document, Span

log = logging.getLogger(__name__)

IDENTITY = "parsing.json"
FIELDS = ("title", "source", "author", "published", "url")  # the metadata a parse finds


def identity() -> dict[str, Any]:
    """Everything a parse depends on besides the file: code, Python, Unicode tables."""
    return {
        "code_sha256": code_sha256(corpus, sentences, types),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "unicode": unicodedata.unidata_version,
    }


def _pair(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.end]


def entry(doc: Document) -> dict[str, Any]:
    """What is kept of a parse: metadata and offsets (a sentence is ``[start, end]`` pairs
    run together, ``[s0, e0, s1, e1, ...]`` per segment), never the text."""
    return {
        **{field: getattr(doc, field) for field in FIELDS},
        "segments": [[x for s in segment for x in (s.start, s.end)] for segment in doc.segments],
        "byline": _pair(doc.byline),
        "dateline": _pair(doc.dateline),
    }


def _is_offset(x: object) -> bool:
    return type(x) is int  # not a bool, not a float


def _span(text: str, pair: object) -> Span:
    if not (isinstance(pair, list) and len(pair) == 2):
        raise ValueError("not a [start, end] pair")
    start, end = pair
    if not (_is_offset(start) and _is_offset(end) and 0 <= start < end <= len(text)):
        raise ValueError("offsets outside the text")
    return Span(start, end, text[start:end])


def document(doc_id: str, text: str, sha256: str, kept: Any) -> Document | None:
    """The ``Document`` that ``kept`` (an ``entry``) gives for this file, or None when it
    does not fit: every offset inside the text, sentences in order and not overlapping."""
    try:
        if not (
            isinstance(kept, dict) and set(kept) == {*FIELDS, "segments", "byline", "dateline"}
        ):
            raise ValueError("not a parse")
        if not all(kept[f] is None or isinstance(kept[f], str) for f in FIELDS):
            raise ValueError("metadata that is not text")
        raw_segments = kept["segments"]
        if not isinstance(raw_segments, list):
            raise ValueError("segments are not a list")
        at = 0
        segments = []
        for flat in raw_segments:
            if not (isinstance(flat, list) and flat and len(flat) % 2 == 0):
                raise ValueError("a segment is not pairs of offsets")
            if not all(map(_is_offset, flat)):
                raise ValueError("an offset is not an integer")
            spans = []
            for i in range(0, len(flat), 2):
                start, end = flat[i], flat[i + 1]
                if not at <= start < end <= len(text):
                    raise ValueError("offsets outside the text or out of order")
                spans.append(Span(start, end, text[start:end]))
                at = end
            segments.append(tuple(spans))
        byline = None if kept["byline"] is None else _span(text, kept["byline"])
        dateline = None if kept["dateline"] is None else _span(text, kept["dateline"])
    except ValueError as exc:
        log.debug("parsing %s again: %s", doc_id, exc)
        return None
    return Document(
        doc_id=doc_id,
        text=text,
        title=kept["title"],
        source=kept["source"],
        author=kept["author"],
        published=kept["published"],
        url=kept["url"],
        sha256=sha256,
        segments=tuple(segments),
        byline=byline,
        dateline=dateline,
    )


class ParseCache:
    """The parses one way of parsing (``identity()``) gave to article files before."""

    def __init__(self, root: Path) -> None:
        self.identity = identity()
        self.folder = identity_folder(root, self.identity, IDENTITY)
        self._kept = KeptJson(self.folder)

    def load(self) -> dict[str, Any]:
        """Every parse the last build stored, by the sha256 of the file's bytes."""
        return self._kept.load()

    def read(self, paths: Sequence[Path]) -> list[Document]:
        """Each file's ``Document``: from its kept parse when that fits, else parsed; then
        the parses of exactly these files kept for the next build."""
        kept = self.load()
        docs: list[Document] = []
        parsed: dict[str, Any] = {}  # entries made now, by file sha256
        count = 0
        for path in paths:
            text, sha256 = read_article(path)
            doc = document(path.stem, text, sha256, kept.get(sha256))
            if doc is None:
                doc = parse_document(path.stem, text, sha256)
                parsed[sha256] = entry(doc)
                count += 1
            docs.append(doc)
        hashes = {d.sha256 for d in docs}
        if parsed or set(kept) != hashes:
            self._kept.store({h: parsed[h] if h in parsed else kept[h] for h in sorted(hashes)})
        log.info("parsed %d of %d articles; the rest were cached", count, len(paths))
        return docs
