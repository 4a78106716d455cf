"""The reader: pick the sentences that answer, cut the short span asked for, decide to abstain.

Each step is a small function over plain data so that it can be tested alone:
``score_sentences`` ranks candidate sentences, ``pick_span`` extracts the answer of the
asked kind, ``confidence`` turns the evidence into a 0..1 score, ``cite`` chooses one
sentence per article that states the same answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.store import IndexStore
from index.types import Hit, Sentence
from service.question import Kind, Question
from service.spans import candidates
from service.text import STOPWORDS, stem, terms, words

TYPED = frozenset(
    {
        Kind.MONEY,
        Kind.COUNT,
        Kind.PERCENT,
        Kind.DATE,
        Kind.DURATION,
        Kind.PERSON,
        Kind.ORG,
        Kind.PLACE,
        Kind.NAME,
    }
)


@dataclass(frozen=True)
class Evidence:
    """A candidate sentence and how well it supports the question."""

    sentence: Sentence
    score: float  # ranking score
    dense: float  # cosine between question and sentence
    coverage: float  # IDF-weighted share of the question's terms found (sentence + context)
    entities: float  # share of the question's names and numbers found
    spans: tuple[tuple[int, int], ...]  # typed candidates, offsets into the sentence


@dataclass(frozen=True)
class Reading:
    """What the reader concluded: an answer span inside ``evidence[0]``, or an abstention."""

    answer: str | None
    answer_start: int | None  # offset into the article file
    confidence: float
    evidence: tuple[Evidence, ...]  # cited sentences, strongest first, one per article
    closest: tuple[Evidence, ...]  # best sentences overall, for an abstention's "closest sources"


class Reader:
    """Reads answers out of the sentences of retrieved chunks."""

    def __init__(self, store: IndexStore, abstain_threshold: float, cite_threshold: float) -> None:
        self.store = store
        self.abstain_threshold = abstain_threshold
        self.cite_threshold = cite_threshold
        self._terms = [frozenset(terms(s.text)) for s in store.sentences]
        self._words = [frozenset(words(s.text)) for s in store.sentences]
        df: dict[str, int] = {}
        for ts in self._terms:
            for t in ts:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(self._terms))
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = math.log((n + 1) / 0.5)
        self._titles = {
            d.doc_id: frozenset(words(d.title or "")) | frozenset(terms(d.title or ""))
            for d in store.documents.values()
        }

    # -- evidence -----------------------------------------------------------------------
    def _context(self, sentence: Sentence) -> frozenset[str]:
        """Terms of the sentence before (same article): pronouns often point there."""
        prev = sentence.sentence_id - 1
        if prev >= 0 and self.store.sentences[prev].doc_id == sentence.doc_id:
            return self._terms[prev]
        return frozenset()

    def _coverage(self, q: Question, sentence: Sentence) -> float:
        if not q.terms:
            return 0.0
        own, ctx = self._terms[sentence.sentence_id], self._context(sentence)
        total = got = 0.0
        for t in q.terms:
            w = self._idf.get(t, self._max_idf)
            total += w
            if t in own:
                got += w
            elif t in ctx or t in self._titles[sentence.doc_id]:
                got += 0.5 * w
        return got / total if total else 0.0

    def _entity_support(self, q: Question, sentence: Sentence) -> float:
        if not q.entities:
            return 1.0
        own = self._words[sentence.sentence_id]
        prev = sentence.sentence_id - 1
        ctx = (
            self._words[prev]
            if prev >= 0 and self.store.sentences[prev].doc_id == sentence.doc_id
            else frozenset()
        )
        title = self._titles[sentence.doc_id]
        found = 0
        for e in q.entities:
            parts = words(e)
            if parts and all(p in own or p in ctx or p in title or stem(p) in own for p in parts):
                found += 1
        return found / len(q.entities)

    def score_sentences(
        self, q: Question, query_vector: np.ndarray, hits: Sequence[Hit]
    ) -> list[Evidence]:
        """All sentences of the retrieved chunks, best first."""
        retrieval: dict[int, float] = {}
        for hit in hits:
            for sid in hit.chunk.sentence_ids:
                retrieval[sid] = max(retrieval.get(sid, 0.0), hit.score)
        if not retrieval:
            return []
        ids = sorted(retrieval)
        dense = self.store.sentence_vectors[ids] @ query_vector.astype(np.float32)
        qwords = set(words(q.text))
        out = []
        for sid, d in zip(ids, dense, strict=True):
            sentence = self.store.sentences[sid]
            spans = tuple(
                sp
                for sp in candidates(q.kind, sentence.text)
                if not _repeats_question(sentence.text[sp[0] : sp[1]], qwords)
            )
            cov = self._coverage(q, sentence)
            ent = self._entity_support(q, sentence)
            typed = 1.0 if spans else 0.0
            score = 0.40 * float(d) + 0.35 * cov + 0.10 * retrieval[sid] + 0.10 * ent
            if q.kind in TYPED:
                score += 0.15 * typed
            out.append(Evidence(sentence, score, float(d), cov, ent, spans))
        out.sort(key=lambda e: (-e.score, e.sentence.sentence_id))
        return out

    # -- reading ------------------------------------------------------------------------
    def read(self, q: Question, query_vector: np.ndarray, hits: Sequence[Hit]) -> Reading:
        ranked = self.score_sentences(q, query_vector, hits)
        if not ranked:
            return Reading(None, None, 0.0, (), ())
        best, span = pick_span(q, ranked)
        conf = confidence(q, best, span is not None)
        closest = tuple(_one_per_doc(ranked)[:3])
        if conf < self.abstain_threshold:
            return Reading(None, None, conf, (), closest)
        s = best.sentence
        if span is None:
            answer, start = s.text, s.start
        else:
            answer, start = s.text[span[0] : span[1]], s.start + span[0]
        cited = cite(q, best, answer if span else None, ranked, self.cite_threshold)
        return Reading(answer, start, conf, cited, closest)


def _repeats_question(span_text: str, qwords: set[str]) -> bool:
    """A span whose every word already appears in the question tells the asker nothing."""
    ws = [w for w in words(span_text) if w not in STOPWORDS]
    return bool(ws) and all(w in qwords for w in ws)


def _proximity(q: Question, evidence: Evidence, span: tuple[int, int]) -> float:
    """1 when the span sits right beside a question term, falling off with distance."""
    text = evidence.sentence.text
    positions = [
        m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if stem(m.group().lower()) in q.terms
    ]
    if not positions:
        return 0.0
    centre = (span[0] + span[1]) / 2
    distance = min(abs(p - centre) for p in positions)
    return 1.0 / (1.0 + distance / 40.0)


def pick_span(q: Question, ranked: Sequence[Evidence]) -> tuple[Evidence, tuple[int, int] | None]:
    """The best (sentence, span) for the question; span None means 'answer with the sentence'."""
    if q.kind not in TYPED:
        return ranked[0], None
    best: tuple[float, Evidence, tuple[int, int]] | None = None
    top = ranked[0].score
    for ev in ranked[:6]:
        if ev.score < top - 0.15:
            break
        for sp in ev.spans:
            s = ev.score + 0.08 * _proximity(q, ev, sp)
            if best is None or s > best[0]:
                best = (s, ev, sp)
    if best is None:
        return ranked[0], None
    return best[1], best[2]


def confidence(q: Question, best: Evidence, typed_found: bool) -> float:
    """0..1 from the reading evidence: are the question's words and names in the sentence?"""
    dense = min(1.0, max(0.0, best.dense) / 0.6)
    raw = 0.5 * best.coverage + 0.5 * dense
    if q.kind in TYPED and not typed_found:
        raw *= 0.7
    raw *= best.entities**1.5
    return round(max(0.0, min(1.0, raw)), 4)


def answer_key(text: str) -> str:
    """What two spans must share to state the same answer: digits and words, no symbols."""
    ws = [w for w in words(text.lower().replace(",", "")) if w not in {"us", "usd", "s"}]
    return " ".join(ws)


def _one_per_doc(ranked: Sequence[Evidence]) -> list[Evidence]:
    seen: set[str] = set()
    out = []
    for ev in ranked:
        if ev.sentence.doc_id not in seen:
            seen.add(ev.sentence.doc_id)
            out.append(ev)
    return out


def cite(
    q: Question, best: Evidence, span: str | None, ranked: Sequence[Evidence], threshold: float
) -> tuple[Evidence, ...]:
    """The answering sentence first, then the best sentence of each other article saying the same.

    ``span`` is the short answer when one was cut from the sentence, else None.
    """
    key = answer_key(span) if span else ""
    cited = [best]
    for ev in _one_per_doc(ranked):
        if ev.sentence.doc_id == best.sentence.doc_id:
            continue
        if confidence(q, ev, bool(ev.spans)) < threshold:
            continue
        if span:
            keys = {answer_key(ev.sentence.text[s:e]) for s, e in ev.spans}
            if key not in keys:
                continue
        elif ev.score < best.score - 0.1:
            continue
        cited.append(ev)
    return tuple(cited)
