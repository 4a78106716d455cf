"""Each article's cut, kept on disk by its text: a resumed or updated build cuts only the
articles it has not cut before (``CutCache``, an ``index.records.CutStore``).

Cutting (fitting sentences to the chunk budget, packing them into overlapping chunks) is
Python around two tokenizers: about ten minutes for 100,000 articles on two cores, paid
again by every sitting of a build that spans several, and by adding one article to
thousands. A cut depends only on the article's text and sentence offsets, the chunk
parameters, the two tokenizers' files and the cutting code, so all of those name it.

Layout of a cache folder::

    <key>/              one way of cutting: parameters, tokenizers and code, hashed
        cutting.json    that identity, checked when the cache is opened
        <sha256>.json   {article key: cut} for the last build's articles, named by the
                        sha256 of the file's own bytes and checked when read

The file is written whole (temp file, fsync, rename) once the cutting is done, before the
encoding starts, and holds the last build's articles only, so it does not grow without
bound. A damaged file is skipped with a warning (everything is cut again), and a cut that
does not fit its article (offsets outside the text or out of order) is cut again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tiktoken
import tokenizers

from index import chunk, records
from index.chunk import TokenCounter
from index.files import sha256_file
from index.scale.kept import KeptJson, code_sha256, identity_folder, sha256_parts

log = logging.getLogger(__name__)

IDENTITY = "cutting.json"


def identity(counter: TokenCounter) -> dict[str, Any]:
    """Everything a cut depends on besides the article: parameters, tokenizers, code."""
    params = counter.params
    wordpieces = counter.wordpiece_file
    return {
        "max_tokens": params.max_tokens,
        "overlap_tokens": params.overlap_tokens,
        "max_wordpieces": params.max_wordpieces,
        "tiktoken": params.encoding,
        "tiktoken_version": getattr(tiktoken, "__version__", "unknown"),
        "wordpieces_sha256": sha256_file(wordpieces) if wordpieces else None,
        "tokenizers_version": tokenizers.__version__,
        "code_sha256": code_sha256(chunk, records),
    }


def article_key(text: str, segments: records.Segments) -> str:
    """Names one article's input to the cutter: its text and its sentences' offsets."""
    return sha256_parts(text.encode("utf-8"), json.dumps(segments).encode("ascii"))


def fits(cut: Any, text_length: int, segments: records.Segments) -> bool:
    """Whether ``cut`` is a well-formed cut of an article of ``text_length`` characters
    with these segments: one entry per segment, offsets inside the segment and the text
    and in order, every chunk a run of that segment's sentences."""
    if not isinstance(cut, list) or len(cut) != len(segments):
        return False
    for entry, segment in zip(cut, segments, strict=True):
        if not (isinstance(entry, list) and len(entry) == 2):
            return False
        offsets, groups = entry
        if not isinstance(offsets, list) or not isinstance(groups, list):
            return False
        if not segment:
            if offsets or groups:
                return False
            continue
        if not offsets:
            return False
        at = segment[0][0]
        for pair in offsets:
            if not (isinstance(pair, list) and len(pair) == 2):
                return False
            start, end = pair
            if not (isinstance(start, int) and isinstance(end, int) and at <= start < end):
                return False
            at = end
        if at > min(text_length, segment[-1][1]):  # inside the text and the segment
            return False
        for pair in groups:
            if not (isinstance(pair, list) and len(pair) == 2):
                return False
            first, last = pair
            if not (isinstance(first, int) and isinstance(last, int)):
                return False
            if not 0 <= first <= last < len(offsets):
                return False
    return True


class CutCache:
    """The cuts one way of cutting (``identity(counter)``) gave to articles before."""

    def __init__(self, root: Path, counter: TokenCounter) -> None:
        self.identity = identity(counter)
        self.folder = identity_folder(root, self.identity, IDENTITY)
        self._kept = KeptJson(self.folder)

    def load(self) -> dict[str, Any]:
        """Every cut the last build stored, by article key; empty when there is none."""
        return self._kept.load()

    def cut_all(
        self,
        jobs: list[tuple[str, records.Segments]],
        cut: Callable[[list[tuple[str, records.Segments]]], list[Any]],
    ) -> list[Any]:
        """Each job's (text, segments) cut: kept when it fits, else made by ``cut`` (which
        gets only the jobs that need it), then all of them kept for the next build."""
        keys = [article_key(text, segments) for text, segments in jobs]
        kept = self.load()
        cuts = [kept.get(key) for key in keys]
        missing = [
            i
            for i, (found, (text, segments)) in enumerate(zip(cuts, jobs, strict=True))
            if found is None or not fits(found, len(text), segments)
        ]
        for i, made in zip(missing, cut([jobs[i] for i in missing]), strict=True):
            cuts[i] = made
        if missing or set(kept) != set(keys):
            self.store(keys, cuts)
        log.info("cut %d of %d articles; the rest were cached", len(missing), len(jobs))
        return cuts

    def store(self, keys: Sequence[str], cuts: Sequence[Any]) -> Path:
        """Keep exactly these articles' cuts (the last build's), replacing what was kept."""
        return self._kept.store(dict(zip(keys, cuts, strict=True)))
