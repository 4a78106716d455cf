"""The reader: pick the sentences that answer, cut the short span asked for, decide to abstain.

Each step is a small function over plain data so that it can be tested alone:
``Reader.score_sentences`` ranks candidate sentences, ``pick_span`` extracts the answer of
the asked kind, ``confidence`` turns the evidence into a 0..1 score, ``cite`` chooses one
sentence per article that states the same answer.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from index.memo import BoundedMemo
from index.store import IndexStore
from index.text import STOPWORDS, stem, terms, words
from index.types import Hit, Sentence
from service.about import ArticleNames, about_article
from service.lexicon import PREFIX, SentenceWords, idf_table, prefixes
from service.question import Kind, Question
from service.spans import candidates, open_spans

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
_TOKEN = re.compile(r"[A-Za-z0-9]+")
MEMO_LIMIT = 50_000  # sentences' candidate spans and articles' headline words kept
# "whom did X meet": X is the question's subject, so the answer is someone else
_OBJECT_QUESTION = re.compile(
    r"^\s*(?:who|whom)\s+(?:did|does|do|will|would|has|have|had|can|could)\b"
)
_CURRENCY = re.compile(r"(?:US|S|A|C|HK|NZ)?\\?\$|€|£|¥")


@dataclass(frozen=True)
class Evidence:
    """A candidate sentence and how well it supports the question."""

    sentence: Sentence
    score: float  # ranking score
    dense: float  # cosine between question and sentence
    coverage: float  # IDF-weighted share of the question's terms found (sentence + context)
    missing: float  # 0..1: weight of the rarest question term not found, against the rarest term
    entities: float  # share of the question's names and numbers found
    focus: float  # share of the asked-about noun's words found
    spans: tuple[tuple[int, int], ...]  # answer candidates, offsets into the sentence


@dataclass(frozen=True)
class Reading:
    """What the reader concluded: an answer span inside ``evidence[0]``, or an abstention."""

    answer: str | None
    answer_start: int | None  # offset into the article file
    confidence: float
    evidence: tuple[Evidence, ...]  # cited sentences, strongest first, one per article
    closest: tuple[Evidence, ...]  # best sentences overall, for an abstention's "closest sources"


def _opens_with_span(q: Question) -> bool:
    """Open 'what/which' questions are answered with a phrase; others with the sentence."""
    return q.kind is Kind.OTHER and q.wh in ("what", "which")


class _Weights(NamedTuple):
    terms: tuple[tuple[str, float], ...]  # the question's terms and their IDF, in set order
    total: float
    rarest: float


class Reader:
    """Reads answers out of the sentences of retrieved chunks."""

    def __init__(
        self,
        store: IndexStore,
        abstain_threshold: float,
        cite_threshold: float,
    ) -> None:
        self.store = store
        self.abstain_threshold = abstain_threshold
        self.cite_threshold = cite_threshold
        self._sets = SentenceWords(store.lexicon)
        self._names = ArticleNames(store)
        # Document frequencies are the sentence BM25's column lengths: it indexes the same
        # terms per sentence (counting them from the word ids took 1 s at 10,000 articles).
        self._idf = idf_table(store.sentence_bm25.document_frequencies(), len(store.sentences))
        # A word the articles never use may be a paraphrase: weigh it like a typical word.
        self._unseen_idf = statistics.median(self._idf.values()) if self._idf else 1.0
        self._max_idf = max(self._idf.values(), default=1.0)  # once: the vocabulary is large
        self._candidates: BoundedMemo[tuple[Kind, int], tuple[tuple[int, int], ...]] = BoundedMemo(
            self._cut, MEMO_LIMIT
        )
        self._headline = {d.doc_id: d.title for d in store.documents.values()}
        self._title_words: BoundedMemo[str, tuple[frozenset[str], frozenset[str]]] = BoundedMemo(
            self._title_sets, MEMO_LIMIT
        )
        self.common = store.corpus_words.lowercase  # counted when the index was built

    def candidates(self, kind: Kind, sentence_id: int) -> tuple[tuple[int, int], ...]:
        """Typed spans of one sentence; sentences never change, so each is cut once."""
        return self._candidates[(kind, sentence_id)]

    def _cut(self, key: tuple[Kind, int]) -> tuple[tuple[int, int], ...]:
        kind, sentence_id = key
        return tuple(candidates(kind, self.store.sentences[sentence_id].text, self.common))

    def _title_sets(self, doc_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """The headline's words and terms, and their prefixes: made when a question first
        reaches the article (for every article at start-up: 1 s at 10,000 articles)."""
        title = self.store.documents[doc_id].title or ""
        pool = frozenset(words(title)) | frozenset(terms(title))
        return pool, prefixes(pool)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen_idf)

    def _prev(self, sentence: Sentence) -> int | None:
        """The sentence before, in the same article: pronouns often point there."""
        prev = sentence.sentence_id - 1
        if prev >= 0 and self.store.sentences[prev].doc_id == sentence.doc_id:
            return prev
        return None

    def _weights(self, q: Question) -> _Weights:
        """The question's terms with their IDF, their sum and the largest: once a question."""
        weighted = tuple((t, self.idf(t)) for t in q.terms)
        total = rarest = 0.0
        for _, w in weighted:
            total += w
            rarest = max(rarest, w)
        return _Weights(weighted, total, rarest)

    def _coverage(
        self, weights: _Weights, sentence: Sentence, prev: int | None
    ) -> tuple[float, float]:
        """(IDF-weighted share of question terms found, weight of the rarest one missing)."""
        if not weights.terms:
            return 0.0, 0.0
        own = self._sets[sentence.sentence_id].terms
        ctx = self._sets[prev].terms if prev is not None else frozenset()
        got = rarest_missing = 0.0
        for t, w in weights.terms:
            if t in own:
                got += w
            elif t in ctx:
                got += 0.5 * w
            else:
                rarest_missing = max(rarest_missing, w)
        total, rarest = weights.total, weights.rarest
        return (got / total if total else 0.0), (rarest_missing / rarest if rarest else 0.0)

    def _share_found(
        self, needles: Sequence[str], sentence: Sentence, prev: int | None, stemmed: bool
    ) -> float:
        """Share of ``needles`` in the sentence (full credit), the one before or the headline."""
        if not needles:
            return 1.0
        own = self._sets[sentence.sentence_id]
        before = self._sets[prev] if prev is not None else None
        own_pool = own.terms if stemmed else own.words
        title, title_prefixes = self._title_words[sentence.doc_id]
        credit = 0.0
        for n in needles:
            if _found(n, own_pool, own.prefixes):
                credit += 1.0
            elif before is not None and _found(
                n, before.terms if stemmed else before.words, before.prefixes
            ):
                credit += 0.75
            elif _found(n, title, title_prefixes):
                credit += 0.5
        return credit / len(needles)

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
        dense = self.store.sentence_vectors(ids) @ query_vector.astype(np.float32)
        qlist = words(q.text)
        qwords, qjoined = frozenset(qlist), " ".join(qlist)
        entity_words = [w for e in q.entities for w in words(e)]
        weights = self._weights(q)
        out = []
        for sid, d in zip(ids, dense, strict=True):
            sentence = self.store.sentences[sid]
            prev = self._prev(sentence)
            if q.kind in TYPED:
                spans = tuple(
                    sp
                    for sp in self.candidates(q.kind, sid)
                    if not _repeats_question(sentence.text[sp[0] : sp[1]], qwords, qjoined)
                )
            else:
                spans = ()  # open spans are cut later, for the best sentence only
            cov, missing = self._coverage(weights, sentence, prev)
            ent = self._share_found(entity_words, sentence, prev, stemmed=False)
            foc = self._share_found(q.focus, sentence, prev, stemmed=True)
            score = 0.40 * float(d) + 0.30 * cov + 0.10 * retrieval[sid] + 0.10 * ent + 0.10 * foc
            if q.kind in TYPED and spans:
                score += 0.15
            if _is_heading(sentence.text):
                score -= 0.10
            elif sentence.text == self._headline.get(sentence.doc_id):
                score -= 0.03  # the same fact in the body gives the reader more context
            out.append(Evidence(sentence, score, float(d), cov, missing, ent, foc, spans))
        out.sort(key=lambda e: (-e.score, e.sentence.sentence_id))
        return out

    def proximity(self, q: Question, ev: Evidence, span: tuple[int, int]) -> float:
        """0..1: how close the span sits to the question's words, rarer words counting more."""
        text = ev.sentence.text
        nearest: dict[str, float] = {}
        centre = (span[0] + span[1]) / 2
        for m in _TOKEN.finditer(text):
            if span[0] <= m.start() < span[1]:
                continue
            t = stem(m.group().lower())
            if t in q.terms:
                d = abs(m.start() - centre)
                nearest[t] = min(nearest.get(t, d), d)
        if not nearest:
            return 0.0
        total = sum(self.idf(t) for t in q.terms) or 1.0
        return sum(self.idf(t) / (1.0 + d / 30.0) for t, d in nearest.items()) / total

    def local_support(self, q: Question, ev: Evidence, span: tuple[int, int]) -> float:
        """IDF-weighted share of the question's words within 50 characters of the span.

        For people: "Meta CEO Mark Zuckerberg" is no answer to "who is the CEO of Microsoft".
        """
        window = _window(ev, span)
        found = frozenset(terms(window))
        near = prefixes(words(window))
        total = got = 0.0
        for t in q.terms:
            w = self.idf(t)
            total += w
            if _found(t, found, near):
                got += w
        return got / total if total else 1.0

    def local_entities(self, q: Question, ev: Evidence, span: tuple[int, int]) -> float:
        """Share of the question's names near the span ('CEO of MICROSOFT' next to the name)."""
        needles = [w for e in q.entities for w in words(e)]
        if not needles:
            return 1.0
        pool = frozenset(words(_window(ev, span)))
        near = prefixes(pool)
        title, _ = self._title_words[ev.sentence.doc_id]
        found = 0.0
        for n in needles:
            if _found(n, pool, near):
                found += 1.0
            elif n in title:
                found += 0.5
        return found / len(needles)

    def rarity(self, piece: str) -> float:
        """0..1: how rare the span's words are in the articles; 'Japan' is everywhere."""
        ts = terms(piece)
        if not ts:
            return 0.0
        return min(1.0, max(self.idf(t) for t in ts) / self._max_idf)

    def pick_span(
        self, q: Question, ranked: Sequence[Evidence]
    ) -> tuple[Evidence, tuple[int, int] | None]:
        """The best (sentence, span); span None means 'answer with the whole sentence'."""
        if q.kind not in TYPED and not _opens_with_span(q):
            return ranked[0], None
        if q.kind in TYPED:
            pool = list(ranked[:6])
        else:
            ev = ranked[0]
            said = frozenset(words(q.text)) | frozenset(q.terms)
            pool = [replace(ev, spans=tuple(open_spans(ev.sentence.text, said)))]
        top = ranked[0].score
        best: tuple[float, Evidence, tuple[int, int]] | None = None
        for ev in pool:
            if ev.score < top - 0.15:
                break
            for sp in ev.spans:
                local = self.local_support(q, ev, sp) if q.kind is Kind.PERSON else 0.0
                s = (
                    ev.score
                    + 0.1 * local
                    + 0.15 * self.proximity(q, ev, sp)
                    + _span_prior(q, ev, sp)
                    + 0.05 * self.rarity(ev.sentence.text[sp[0] : sp[1]])
                )
                if best is None or s > best[0]:
                    best = (s, ev, sp)
        if best is None:
            return ranked[0], None
        if q.kind is Kind.PERSON:
            ev, sp = best[1], best[2]
            local = self.local_support(q, ev, sp)
            return replace(
                ev,
                coverage=min(ev.coverage, local),
                entities=min(ev.entities, self.local_entities(q, ev, sp)),
            ), sp
        return best[1], best[2]

    def _about_article(self, q: Question) -> Reading | None:
        """'Who wrote the iTnews Asia article?': the byline or date line is the evidence."""
        about = about_article(q.text, self._names)
        if about is None:
            return None
        start, end = about.line
        text = self.store.documents[about.doc_id].text[start:end]
        line = Sentence(-1, about.doc_id, start, end, text, ())
        ev = Evidence(line, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, ())
        a, b = about.answer
        return Reading(text[a - start : b - start], a, about.confidence, (ev,), (ev,))

    def read(
        self,
        q: Question,
        query_vector: np.ndarray,
        hits: Sequence[Hit],
        abstain_threshold: float | None = None,
    ) -> Reading:
        about = self._about_article(q)
        if about is not None:
            return about
        ranked = self.score_sentences(q, query_vector, hits)
        if not ranked:
            return Reading(None, None, 0.0, (), ())
        best, span = self.pick_span(q, ranked)
        conf = confidence(q, best, span is not None)
        closest = tuple(_one_per_doc(ranked)[:3])
        threshold = self.abstain_threshold if abstain_threshold is None else abstain_threshold
        if conf < threshold:
            return Reading(None, None, conf, (), closest)
        s = best.sentence
        if span is None:
            answer, start = s.text, s.start
        else:
            answer, start = s.text[span[0] : span[1]], s.start + span[0]
        cited = cite(
            q, best, answer if span and q.kind in TYPED else None, ranked, self.cite_threshold
        )
        return Reading(answer, start, conf, cited, closest)


def _found(needle: str, pool: frozenset[str], prefixes: frozenset[str]) -> bool:
    """In the pool, or sharing a PREFIX-letter prefix with one of its longer words."""
    return needle in pool or (len(needle) >= PREFIX and needle[:PREFIX] in prefixes)


def _window(ev: Evidence, span: tuple[int, int], width: int = 50) -> str:
    """The text on either side of a span, within its sentence."""
    text = ev.sentence.text
    return text[max(0, span[0] - width) : span[0]] + " " + text[span[1] : span[1] + width]


def _is_heading(text: str) -> bool:
    """Section headings and list labels: short, or ending with a colon."""
    return len(text.split()) < 5 or text.rstrip().endswith(":")


def _repeats_question(span_text: str, qws: frozenset[str], qjoined: str) -> bool:
    """A span the question already says ('Keio University' when asked about Keio University)."""
    all_ws = words(span_text)
    ws = [w for w in all_ws if w not in STOPWORDS]
    if not ws or not all(w in qws for w in ws):
        return False
    return len(ws) == 1 or " ".join(all_ws) in qjoined


def _span_prior(q: Question, ev: Evidence, span: tuple[int, int]) -> float:
    """Small preferences by kind: the asked currency, the main figure over a conversion."""
    text = ev.sentence.text
    piece = text[span[0] : span[1]]
    bonus = 0.0
    in_parens = text[: span[0]].count("(") > text[: span[0]].count(")")
    if q.kind is Kind.MONEY and q.currency:
        m = _CURRENCY.search(piece)
        sym = m.group().replace("\\", "") if m else ""
        same = sym == q.currency or (q.currency == "US$" and sym == "$")
        bonus += 0.2 if same else -0.2
    elif in_parens:
        bonus -= 0.05
    if q.kind is Kind.OTHER:
        n = len(piece.split())
        bonus -= 0.01 * max(0, n - 6) + 0.002 * n  # short phrases answer more precisely
        if text[span[0] - 1 : span[0]] in ("“", '"'):
            bonus += 0.1  # a quoted phrase is usually the thing asked about
    if q.kind in (Kind.ORG, Kind.PLACE):
        is_list = " and " in piece or ", " in piece
        bonus += (0.2 if is_list else 0.0) if q.plural else (-0.1 if is_list else 0.0)
    if q.kind is Kind.PERSON and _OBJECT_QUESTION.match(q.text.lower()):
        # "whom did the Japanese Prime Minister meet": "Prime Minister Fumio Kishida" is the
        # question's own subject, not its answer
        before = words(text[max(0, span[0] - 40) : span[0]])[-3:]
        if len([w for w in before if w in words(q.text)]) >= 2:
            bonus -= 0.2
    # "which ministry" -> a span that says "Ministry"
    if q.kind in (Kind.ORG, Kind.PLACE, Kind.NAME) and any(
        stem(w) in q.focus for w in words(piece)
    ):
        bonus += 0.2
    return bonus


def confidence(q: Question, best: Evidence, span_found: bool) -> float:
    """0..1 from the reading evidence: are the question's words, names and focus supported?"""
    dense = min(1.0, max(0.0, (best.dense - 0.25) / 0.45))
    raw = 0.3 * best.coverage + 0.7 * dense
    if q.kind in TYPED and not span_found:
        raw *= 0.4  # nothing of the asked kind (no amount for "how much"): not answered here
    raw *= 0.3 + 0.7 * best.entities
    if q.focus_required:
        raw *= 0.5 + 0.5 * best.focus  # "how many EMPLOYEES": the sentence must be about them
    raw *= 1.0 - 0.3 * best.missing
    if q.kind not in TYPED and not span_found:
        raw *= 0.85  # a whole sentence answers less precisely than a span
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

    ``span`` is the short typed answer when one was cut from the sentence, else None.
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
