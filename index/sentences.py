"""Split text into sentence spans that keep their offsets into the original file."""

from __future__ import annotations

import re

from index.types import Span

# Punctuation that ends a sentence, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
# What may start the next sentence: a capital, a digit, an opening quote or bracket.
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "no",
        "nos",
        "fig",
        "approx",
        "est",
        "dept",
        "gov",
        "gen",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "e.g",
        "i.e",
    ]
)
_INITIALISM = re.compile(r"(?:\b[A-Za-z]\.)+[A-Za-z]?$")
_BULLET = re.compile(r"^[\s•·▪◦‣*\-–—>]+")


def _is_abbreviation(before: str) -> bool:
    """True when the word ending right before a period is an abbreviation, not a sentence end."""
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    if _INITIALISM.search(word):
        return True
    return word.lower().rstrip(".") in _ABBREVIATIONS


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) past surrounding whitespace and leading bullet marks."""
    piece = text[start:end]
    lead = _BULLET.match(piece)
    if lead:
        start += lead.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split ``text[start:end]`` (one line or paragraph) into trimmed sentence spans."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        if not _NEXT_START.match(text, stop, end):
            continue
        if match.group().startswith(".") and _is_abbreviation(text[cursor : match.start()]):
            continue
        spans.extend(_trimmed(text, cursor, stop))
        cursor = stop
    spans.extend(_trimmed(text, cursor, end))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    s, e = strip_span(text, start, end)
    return [Span(s, e, text[s:e])] if s < e else []


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text``, without its line break."""
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85")
        spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def segment_text(text: str) -> tuple[tuple[Span, ...], ...]:
    """Treat all of ``text`` as content: one segment of the sentences of each line."""
    sentences: list[Span] = []
    for start, end in line_spans(text):
        sentences.extend(split_sentences(text, start, end))
    return (tuple(sentences),) if sentences else ()
