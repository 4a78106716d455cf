"""How much a question borrows from the sentence that answers it.

Questions that reuse the article's words are easy for any retriever; a fair set asks
mostly in other words. The share is measured against the most similar sentence that
holds a gold answer, so it is the generous reading of how easy a question is.
"""

from __future__ import annotations

from eval.dataset import EvalItem
from index.corpus import parse_document, sentences_of
from index.text import terms

BORROWED = 0.5  # "shares more than half of its content words"


def answer_sentences(articles: dict[str, str]) -> dict[str, list[str]]:
    """Each article's kept sentences, as the index cuts them."""
    return {
        doc_id: [s.text for s in sentences_of(parse_document(doc_id, text))]
        for doc_id, text in articles.items()
    }


def overlap(item: EvalItem, sentences: dict[str, list[str]]) -> float | None:
    """Largest share of the question's content terms found in a sentence holding an answer."""
    if not item.answers:
        return None
    q = set(terms(item.question))
    if not q:
        return 0.0
    best = 0.0
    for doc_id in item.doc_ids:
        for s in sentences.get(doc_id, []):
            if any(a in s for a in item.answers):
                best = max(best, len(q & set(terms(s))) / len(q))
    return round(best, 4)
