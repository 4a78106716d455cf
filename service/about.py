"""Questions about an article itself ('who wrote the iTnews Asia article?'): answered from
the byline or date line that the page states, cited by its offsets like any other answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.corpus import date_span
from index.store import IndexStore, StoredDocument
from index.text import STOPWORDS, words

_AUTHOR = re.compile(
    r"\b(?:who (?:wrote|authored|reported|penned)|(?:author|writer|reporter) of|written by|"
    r"who is the (?:author|writer|reporter))\b"
)
_PUBLISHING = (
    r"publish|published|write|written|post|posted|release|released|come out|came out|appear|"
    r"appeared|run|ran|put out|carry|carried|print|printed|file|filed|go up|went up|go live|"
    r"went live|update|updated"
)
_WHEN = re.compile(
    rf"\b(?:(?:when|what date|which date|what day|on what (?:date|day))\b.*\b(?:{_PUBLISHING})|"
    r"publication date|date of (?:the )?(?:article|story|report|piece|post))\b"
)
# "which outlet ran Ann Lee's story", "who published the piece on ..."
_PUBLISHER = re.compile(
    r"\b(?:(?:which|what) (?:outlet|publication|site|website|newspaper|paper|magazine|blog|"
    r"publisher|news site|news outlet)|who (?:published|ran|carried|put out))\b"
)
_ARTICLE = re.compile(
    r"\b(?:article|story|report|piece|post|page|coverage|item|feature|interview|write up|"
    r"release|announcement|blog)\b"
)
_NOT_NAMES = frozenset(
    "article story report piece post page coverage news item feature interview release "
    "announcement blog outlet publication site website newspaper paper magazine".split()
)


@dataclass(frozen=True)
class AboutArticle:
    doc_id: str
    line: tuple[int, int]  # the byline or date line: the quote
    answer: tuple[int, int]  # the name or date inside it
    confidence: float


class ArticleNames:
    """Publisher, author and headline words of every article, indexed once: a question names
    an article by them ("the iTnews piece", "Ann Lee's report"), and scoring only the
    articles that share a word keeps this cheap at any corpus size."""

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
            for w in set(words(doc.author or "")) - STOPWORDS:
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
    """An answer when the question asks who wrote, who published, or when was published, a
    named article."""
    q = " ".join(words(question))
    wants_author = bool(_AUTHOR.search(q))
    wants_date = bool(_WHEN.search(q)) and bool(_ARTICLE.search(q))
    wants_source = bool(_PUBLISHER.search(q)) and bool(_ARTICLE.search(q))
    if not (wants_author or wants_date or wants_source):
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
        span = date_span(doc.text, s, e)
        if span:
            return AboutArticle(doc.doc_id, (s, e), span, 0.9)
    if wants_source and doc.source:
        at = doc.text.find(doc.source)  # the site's name, first where the page shows it
        if at >= 0:
            s = doc.text.rfind("\n", 0, at) + 1
            e = doc.text.find("\n", at)
            e = len(doc.text) if e < 0 else e
            return AboutArticle(doc.doc_id, (s, e), (at, at + len(doc.source)), 0.9)
    return None
