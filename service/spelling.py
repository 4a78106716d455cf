"""Mend chat-typed questions against the articles' own vocabulary: typos and run-together words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from index.corpus_words import LETTER_RUN, letter_counts
from index.memo import BoundedMemo
from index.text import CHAT_WORDS, STOPWORDS, stem

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SEEN_LIMIT = 50_000


class Speller:
    """Replaces a question word the articles never use by the article word it most likely meant.

    Only two repairs, both conservative: one edit (insert, delete, swap, replace) to a known
    word of 5+ letters ('microsft' -> 'microsoft'), or a split into two known words
    ('datacenters' -> 'data centers'). Known words, stopwords and chat shorthand are kept.
    """

    def __init__(self, counts: Mapping[str, int], english: frozenset[str] = frozenset()) -> None:
        """``counts``: case-folded runs of letters in the articles (``index.corpus_words``);
        ``english``: words of the language, kept even when no article uses them."""
        self.counts = counts
        self.english = english
        self._seen: BoundedMemo[str, str] = BoundedMemo(self._correct, _SEEN_LIMIT)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Speller:
        return cls(letter_counts(texts))

    def correct(self, word: str) -> str:
        """``word`` repaired, or ``word``; one result per word is remembered (edits are ~1k)."""
        return self._seen[word]

    def _edits1(self, w: str) -> set[str]:
        splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
        deletes = {a + b[1:] for a, b in splits if b}
        swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        inserts = {a + c + b for a, b in splits for c in _LETTERS}
        return deletes | swaps | replaces | inserts

    def _correct(self, word: str) -> str:
        w = word.lower()
        if len(w) < 4 or w in self.counts or w in STOPWORDS or w in CHAT_WORDS:
            return word
        if self._is_english(w):
            return word  # 'reason' is no typo of 'season' because no article says 'reason'
        known = [c for c in self._edits1(w) if len(c) >= 5 and c in self.counts]
        if any(stem(c) == stem(w) for c in known):
            return word  # an inflection of a known word ('concern'/'concerns'): stems match
        if known:
            return max(known, key=lambda c: (self.counts[c], c))
        for i in range(3, len(w) - 2):
            a, b = w[:i], w[i:]
            if a in self.counts and b in self.counts and a not in STOPWORDS:
                return f"{a} {b}"
        return word

    def _is_english(self, w: str) -> bool:
        """The word, or it without an inflection ('reasons', 'closing', 'tried'), is English."""
        if not self.english:
            return False
        forms = {w}
        for suffix, repl in (
            ("ies", "y"),
            ("es", ""),
            ("s", ""),
            ("ed", ""),
            ("ed", "e"),
            ("ing", ""),
            ("ing", "e"),
            ("ly", ""),
            ("er", ""),
            ("est", ""),
        ):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                forms.add(w[: -len(suffix)] + repl)
        return bool(forms & self.english)

    def mend(self, text: str) -> str:
        """The question with unknown words repaired; unchanged when nothing needs it."""
        return LETTER_RUN.sub(lambda m: self.correct(m.group()), text)
