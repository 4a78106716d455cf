"""Questions about an article itself ('who wrote the iTnews Asia article?'): answered from
the byline or date line that the page states, cited by its offsets like any other answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.corpus import _DATE
from index.store import IndexStore, StoredDocument
from index.text import STOPWORDS, words

_AUTHOR = re.compile(
    r"\b(?:who (?:wrote|authored|reported|penned)|(?:author|writer|reporter) of|written by|"
    r"who is the (?:author|writer|reporter))\b"
)
_WHEN = re.compile(
    r"\b(?:when (?:was|were|did)\b.*\b(?:published|written|posted|released|come out|appear)|"
    r"publication date|date of (?:the )?(?:article|story|report))\b"
)
_ARTICLE = re.compile(r"\b(?:article|story|report|piece|post|page|coverage)\b")
_NOT_NAMES = frozenset("article story report piece post page coverage news".split())


@dataclass(frozen=True)
class AboutArticle:
    doc_id: str
    line: tuple[int, int]  # the byline or date line: the quote
    answer: tuple[int, int]  # the name or date inside it
    confidence: float


class ArticleNames:
    """Publisher and headline words of every article, indexed once: a question names an
    article by them, and scoring only the articles that share a word keeps this cheap at
    any corpus size."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._weights: dict[str, dict[str, int]] = {}
        publishers: dict[str, set[str]] = {}  # a few publishers name thousands of articles
        for doc in store.documents.values():
            source = doc.source or ""
            if source not in publishers:
                publishers[source] = set(words(source))
            for w in publishers[source]:
                self._add(w, doc.doc_id, 2)
            for w in set(words(doc.title or "")) - STOPWORDS:
                self._add(w, doc.doc_id, 1)

    def _add(self, word: str, doc_id: str, weight: int) -> None:
        per_doc = self._weights.setdefault(word, {})
        per_doc[doc_id] = per_doc.get(doc_id, 0) + weight

    def named(self, question: str) -> StoredDocument | None:
        """The article the question names by its publisher or headline words; None if unclear."""
        asked = {w for w in words(question) if w not in STOPWORDS and w not in _NOT_NAMES}
        scores: dict[str, int] = {}
        for w in asked:
            for doc_id, weight in self._weights.get(w, {}).items():
                scores[doc_id] = scores.get(doc_id, 0) + weight
        ranked = sorted(((v, k) for k, v in scores.items()), reverse=True)
        if not ranked or ranked[0][0] < 2 or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
            return None
        return self.store.documents[ranked[0][1]]


def about_article(question: str, names: ArticleNames) -> AboutArticle | None:
    """An answer when the question asks who wrote, or when was published, a named article."""
    q = " ".join(words(question))
    wants_author = bool(_AUTHOR.search(q))
    wants_date = bool(_WHEN.search(q)) and bool(_ARTICLE.search(q))
    if not (wants_author or wants_date):
        return None
    doc = names.named(question)
    if doc is None:
        return None
    if wants_author and doc.author and doc.byline:
        s, e = doc.byline
        at = doc.text.find(doc.author, s, e)
        if at >= 0:
            return AboutArticle(doc.doc_id, (s, e), (at, at + len(doc.author)), 0.9)
    if wants_date and doc.dateline:
        s, e = doc.dateline
        m = _DATE.search(doc.text, s, e)
        if m:
            return AboutArticle(doc.doc_id, (s, e), (m.start(), m.end()), 0.9)
    return None
