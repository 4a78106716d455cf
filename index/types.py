"""The records that flow from an article file to the vector store.

Offsets are always character offsets into the original article file read as
UTF-8, so that ``file_text[start:end]`` reproduces any span exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

METADATA_FIELDS = ("doc_id", "title", "source", "author", "published", "url")


@dataclass(frozen=True)
class Span:
    """A kept piece of an article: ``text == file_text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Document:
    """One article: its metadata, its full original text, and the spans kept as content."""

    doc_id: str
    text: str
    title: str | None
    source: str | None
    author: str | None
    published: str | None  # ISO date, YYYY-MM-DD
    url: str | None
    sha256: str
    # Runs of kept sentences; nothing but whitespace separates two sentences of one segment,
    # so a chunk may span a segment and still be a verbatim slice of the file.
    segments: tuple[tuple[Span, ...], ...]
    byline: Span | None = None  # where the page names the author
    dateline: Span | None = None  # where the page gives the date

    def metadata(self) -> dict[str, str | None]:
        """The fields the API and the index files expose about a document."""
        return {field: getattr(self, field) for field in METADATA_FIELDS}


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document, the unit that the reader quotes."""

    sentence_id: int
    doc_id: str
    start: int
    end: int
    text: str
    chunk_ids: tuple[int, ...]


@dataclass(frozen=True)
class Chunk:
    """A token-bounded run of whole sentences, the unit that retrieval ranks."""

    chunk_id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score (higher is better)."""

    chunk: Chunk
    score: float
