"""Questions about an article itself ('who wrote the iTnews Asia article?'): answered from
the byline or date line that the page states, cited by its offsets like any other answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.corpus import _DATE
from index.store import IndexStore, StoredDocument
from service.text import STOPWORDS, words

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


def _named_article(question: str, store: IndexStore) -> StoredDocument | None:
    """The article the question names by its publisher or headline words; None if unclear."""
    asked = {w for w in words(question) if w not in STOPWORDS and w not in _NOT_NAMES}
    scored = []
    for doc in store.documents.values():
        source = set(words(doc.source or ""))
        title = set(words(doc.title or "")) - STOPWORDS
        score = 2 * len(asked & source) + len(asked & title)
        scored.append((score, doc.doc_id))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < 2 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return store.documents[scored[0][1]]


def about_article(question: str, store: IndexStore) -> AboutArticle | None:
    """An answer when the question asks who wrote, or when was published, a named article."""
    q = " ".join(words(question))
    wants_author = bool(_AUTHOR.search(q))
    wants_date = bool(_WHEN.search(q)) and bool(_ARTICLE.search(q))
    if not (wants_author or wants_date):
        return None
    doc = _named_article(question, store)
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
