"""The reader: rank the retrieved sentences, pick the span that answers, or abstain.

Three small learned models do the choosing (``service.reader_model``), from explainable
features (``service.features``): one scores each retrieved sentence for the question, one
ranks the candidate spans (``service.candidates``) of the best sentences, and one says
from the best span's lead and support whether it is right. That, calibrated on dev
questions, is the answer's ``confidence``; below the threshold chosen on dev the reader
abstains and shows the closest sentences instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from index.analysis import Parse
from index.memo import BoundedMemo
from index.store import IndexStore
from index.text import STOPWORDS, stem, terms, word_spans, words
from index.types import Hit, Sentence
from service.about import ArticleNames, about_article
from service.candidates import Candidate, candidates
from service.features import (
    ANSWER_FEATURES,
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    SentenceInfo,
    SentenceShape,
    SpanContext,
    SpanShape,
    answer_features,
    content_lemmas,
    sentence_features,
    span_features,
    span_shape,
)
from service.lexicon import PREFIX, SentenceWords, idf_table, prefix, prefixes
from service.question import Question
from service.reader_model import ReaderWeights, Scorer, load_weights

MEMO_LIMIT = 50_000  # sentences' candidate spans and articles' headline words kept
SPAN_SENTENCES = 3  # the best sentences whose spans are scored


@dataclass(frozen=True)
class Evidence:
    """A sentence the reader cites or shows, with its score (0..1)."""

    sentence: Sentence
    score: float


@dataclass(frozen=True)
class Scored:
    """A candidate span of a read sentence, with its features and (once scored) its logit."""

    info: SentenceInfo
    candidate: Candidate
    features: list[float]
    logit: float = 0.0

    @property
    def text(self) -> str:
        return self.info.sentence.text[self.candidate.start : self.candidate.end]

    @property
    def key(self) -> str:
        return self.candidate.key


@dataclass(frozen=True)
class Reading:
    """What the reader concluded: an answer span inside ``evidence[0]``, or an abstention."""

    answer: str | None
    answer_start: int | None  # offset into the article file
    confidence: float
    evidence: tuple[Evidence, ...]  # cited sentences, strongest first, one per article
    closest: tuple[Evidence, ...]  # best sentences overall, for an abstention's "closest sources"


class _Word(NamedTuple):
    start: int  # offsets into the sentence
    end: int
    word: str  # as ``index.text.words`` gives it
    term: str | None  # its stem; None for a stopword
    prefix: str | None  # its first PREFIX letters, for a longer word


class _Weights(NamedTuple):
    terms: tuple[tuple[str, float], ...]  # the question's terms and their IDF, in set order
    total: float
    rarest: float


class Reader:
    """Reads answers out of the sentences of retrieved chunks."""

    def __init__(
        self,
        store: IndexStore,
        abstain_threshold: float | None = None,
        cite_threshold: float = 0.1,
        weights: ReaderWeights | None = None,
    ) -> None:
        self.store = store
        self.weights = weights or load_weights()
        if (
            self.weights.sentence.features != SENTENCE_FEATURES
            or self.weights.span.features != SPAN_FEATURES
            or self.weights.answer.features != ANSWER_FEATURES
        ):
            raise ValueError(
                "the reader's weights name other features than the code computes: "
                "retrain them with `python -m eval.train_reader`"
            )
        self.scorer = Scorer(self.weights)
        # unset: the threshold chosen on dev for an answered precision of 0.9
        self.abstain_threshold = (
            self.weights.threshold if abstain_threshold is None else abstain_threshold
        )
        self.cite_threshold = cite_threshold
        self._sets = SentenceWords(store.lexicon)
        self._names = ArticleNames(store)
        # Document frequencies are the sentence BM25's column lengths: it indexes the same
        # terms per sentence (counting them from the word ids took 1 s at 10,000 articles).
        self._idf = idf_table(store.sentence_bm25.document_frequencies(), len(store.sentences))
        # A word the articles never use may be a paraphrase: weigh it like a typical word.
        self._unseen_idf = statistics.median(self._idf.values()) if self._idf else 1.0
        self._max_idf = max(self._idf.values(), default=1.0)  # once: the vocabulary is large
        self._candidates: BoundedMemo[int, tuple[Candidate, ...]] = BoundedMemo(
            self._cut, MEMO_LIMIT
        )
        self._word_memo: BoundedMemo[int, tuple[_Word, ...]] = BoundedMemo(
            self._cut_words, MEMO_LIMIT
        )
        self._sentence_shapes: BoundedMemo[int, SentenceShape] = BoundedMemo(
            lambda sid: SentenceShape.of(self.parse(sid), self.candidates(sid)), MEMO_LIMIT
        )
        self._shapes: BoundedMemo[int, tuple[tuple[SpanShape, ...], tuple[list[_Word], ...]]] = (
            BoundedMemo(self._shape, MEMO_LIMIT)
        )
        self._headline = {d.doc_id: d.title for d in store.documents.values()}
        self._title_words: BoundedMemo[str, tuple[frozenset[str], frozenset[str]]] = BoundedMemo(
            self._title_sets, MEMO_LIMIT
        )

    # --- per sentence -------------------------------------------------------------------

    def parse(self, sentence_id: int) -> Parse:
        return self.store.analyses.get(sentence_id, self.store.sentences[sentence_id].text)

    def candidates(self, sentence_id: int) -> tuple[Candidate, ...]:
        """Candidate spans of one sentence; sentences never change, so each is cut once."""
        return self._candidates[sentence_id]

    def _cut(self, sentence_id: int) -> tuple[Candidate, ...]:
        return tuple(candidates(self.parse(sentence_id)))

    def _title_sets(self, doc_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """The headline's words and terms, and their prefixes."""
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

    def _next(self, sentence_id: int) -> int | None:
        nxt = sentence_id + 1
        if nxt < len(self.store.sentences) and (
            self.store.sentences[nxt].doc_id == self.store.sentences[sentence_id].doc_id
        ):
            return nxt
        return None

    def _weights(self, q: Question) -> _Weights:
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

    def sentences(
        self, q: Question, query_vector: np.ndarray, hits: Sequence[Hit]
    ) -> tuple[list[SentenceInfo], np.ndarray]:
        """Every sentence of the retrieved chunks, measured, with its feature rows."""
        retrieval: dict[int, float] = {}
        for hit in hits:
            for sid in hit.chunk.sentence_ids:
                retrieval[sid] = max(retrieval.get(sid, 0.0), hit.score)
        if not retrieval:
            return [], np.zeros((0, len(self.scorer.sentence_names)))
        ids = sorted(retrieval)
        # the sentences either side, in the same article: context for pronouns and lists
        near = {sid: (self._prev(self.store.sentences[sid]), self._next(sid)) for sid in ids}
        every = sorted(set(ids) | {n for pair in near.values() for n in pair if n is not None})
        cosines = dict(
            zip(
                every,
                (self.store.sentence_vectors(every) @ query_vector.astype(np.float32)).tolist(),
                strict=True,
            )
        )
        dense = np.asarray([cosines[sid] for sid in ids], dtype=np.float32)
        entity_words = [w for e in q.entities for w in words(e)]
        weights = self._weights(q)
        infos = []
        for sid, d in zip(ids, dense, strict=True):
            sentence = self.store.sentences[sid]
            prev = near[sid][0]
            cov, missing = self._coverage(weights, sentence, prev)
            infos.append(
                SentenceInfo(
                    sentence=sentence,
                    parse=self.parse(sid),
                    dense=float(d),
                    retrieval=retrieval[sid],
                    coverage=cov,
                    missing=missing,
                    entities=self._share_found(entity_words, sentence, prev, stemmed=False),
                    focus=self._share_found(q.focus, sentence, prev, stemmed=True),
                    is_heading=_is_heading(sentence.text),
                    is_headline=sentence.text == self._headline.get(sentence.doc_id),
                    candidates=self.candidates(sid),
                    shape=self._sentence_shapes[sid],
                    dense_prev=_cosine(cosines, prev),
                    dense_next=_cosine(cosines, near[sid][1]),
                )
            )
        for rank, i in enumerate(np.argsort(-dense, kind="stable")):
            infos[int(i)].rank = rank
        best = float(dense.max())
        q_lemmas = question_lemmas(q)
        rows = np.asarray(
            [sentence_features(q, info, best, q_lemmas) for info in infos], dtype=np.float64
        )
        return infos, rows

    # --- per span -----------------------------------------------------------------------

    def spans(self, q: Question, infos: Sequence[SentenceInfo]) -> list[Scored]:
        """The candidate spans of ``infos`` (already ranked best first), with features;
        spans made only of the question's own words are never offered."""
        q_lemmas = question_lemmas(q)
        qlist = words(q.text)
        qwords, qjoined = frozenset(qlist), " ".join(qlist)
        entity_words = [w for e in q.entities for w in words(e)]
        q_names = set(entity_words)
        qterms = frozenset(q.terms)
        total = sum(self.idf(t) for t in q.terms) or 1.0
        out = []
        for rank, info in enumerate(infos):
            matched = [
                i
                for i, t in enumerate(info.parse.tokens)
                if t.lemma in q_lemmas or stem(t.lemma) in q.terms
            ]
            named = [
                i
                for i, t in enumerate(info.parse.tokens)
                if info.sentence.text[t.start : t.end].lower() in q_names
            ]
            ws = self._words(info.sentence.sentence_id)
            found = [(w.start, w.term) for w in ws if w.term is not None and w.term in qterms]
            shapes, windows = self._shapes[info.sentence.sentence_id]
            for k, c in enumerate(info.candidates):
                if _repeats_question(c.words, qwords, qjoined):
                    continue
                window = windows[k]
                ctx = SpanContext(
                    dep_near=self._dep_near(info.parse, c, matched),
                    proximity=self.proximity(found, c, total),
                    local_support=self.local_support(q, window),
                    local_entities=self.local_entities(entity_words, info, window),
                    sentence_rank=rank,
                    q_entity_near=_near(c, named),
                )
                out.append(Scored(info, c, span_features(q, info, c, shapes[k], ctx, q_lemmas)))
        return out

    @staticmethod
    def _dep_near(p: Parse, c: Candidate, matched: Sequence[int]) -> float:
        """1 / (1 + arcs from the span's head to the nearest question word outside it)."""
        if c.head < 0 or not matched:
            return 0.0
        outside = [i for i in matched if not c.start <= p.tokens[i].start < c.end]
        if not outside:
            return 0.0
        return 1.0 / (1.0 + min(p.distance(c.head, i) for i in outside))

    def _words(self, sentence_id: int) -> tuple[_Word, ...]:
        return self._word_memo[sentence_id]

    def _shape(self, sentence_id: int) -> tuple[tuple[SpanShape, ...], tuple[list[_Word], ...]]:
        """Each candidate's question-independent features and the words around it."""
        ws = self._words(sentence_id)
        cands = self.candidates(sentence_id)
        parse, text = self.parse(sentence_id), self.store.sentences[sentence_id].text
        return (
            tuple(span_shape(parse, text, c, self.rarity(ws, c)) for c in cands),
            tuple(self._window(ws, c) for c in cands),
        )

    def _cut_words(self, sentence_id: int) -> tuple[_Word, ...]:
        """A sentence's words with offsets, stems and prefixes, made once."""
        out = []
        for s, e, w in word_spans(self.store.sentences[sentence_id].text):
            out.append(_Word(s, e, w, None if w in STOPWORDS else stem(w), prefix(w)))
        return tuple(out)

    def proximity(self, found: Sequence[tuple[int, str]], c: Candidate, total: float) -> float:
        """0..1: how close the span sits to the question's words, rarer words counting more.

        ``found``: (offset, term) of the sentence's words that are question terms; ``total``:
        the question's terms' summed IDF."""
        nearest: dict[str, float] = {}
        centre = (c.start + c.end) / 2
        for start, term in found:
            if c.start <= start < c.end:
                continue
            d = abs(start - centre)
            if d < nearest.get(term, 1e9):
                nearest[term] = d
        if not nearest:
            return 0.0
        return sum(self.idf(t) / (1.0 + d / 30.0) for t, d in nearest.items()) / total

    @staticmethod
    def _window(ws: Sequence[_Word], c: Candidate, width: int = 50) -> list[_Word]:
        """The words on either side of a span, within ``width`` characters."""
        return [
            w
            for w in ws
            if (c.start - width <= w.start and w.end <= c.start)
            or (c.end <= w.start and w.end <= c.end + width)
        ]

    def local_support(self, q: Question, window: Sequence[_Word]) -> float:
        """IDF-weighted share of the question's words within 50 characters of the span:
        "Meta CEO Mark Zuckerberg" is no answer to "who is the CEO of Microsoft"."""
        found = frozenset(w.term for w in window if w.term is not None)
        near = frozenset(w.prefix for w in window if w.prefix is not None)
        total = got = 0.0
        for t in q.terms:
            weight = self.idf(t)
            total += weight
            if _found(t, found, near):
                got += weight
        return got / total if total else 1.0

    def local_entities(
        self, names: Sequence[str], info: SentenceInfo, window: Sequence[_Word]
    ) -> float:
        """Share of the question's names near the span ('CEO of MICROSOFT' next to the name)."""
        if not names:
            return 1.0
        pool = frozenset(w.word for w in window)
        near = frozenset(w.prefix for w in window if w.prefix is not None)
        title, _ = self._title_words[info.sentence.doc_id]
        found = 0.0
        for n in names:
            if _found(n, pool, near):
                found += 1.0
            elif n in title:
                found += 0.5
        return found / len(names)

    def rarity(self, ws: Sequence[_Word], c: Candidate) -> float:
        """0..1: how rare the span's words are in the articles; 'Japan' is everywhere."""
        idfs = [
            self.idf(w.term)
            for w in ws
            if w.term is not None and c.start <= w.start and w.end <= c.end
        ]
        return min(1.0, max(idfs) / self._max_idf) if idfs else 0.0

    # --- the whole reading --------------------------------------------------------------

    def rank_sentences(
        self, q: Question, query_vector: np.ndarray, hits: Sequence[Hit]
    ) -> list[SentenceInfo]:
        infos, rows = self.sentences(q, query_vector, hits)
        if not infos:
            return []
        logits = self.scorer.sentence_logits(rows)
        for info, z in zip(infos, logits, strict=True):
            info.logit = float(z)
        return sorted(infos, key=lambda i: (-i.logit, i.sentence.sentence_id))

    def _about_article(self, q: Question) -> Reading | None:
        """'Who wrote the iTnews Asia article?': the byline or date line is the evidence."""
        about = about_article(q.text, self._names)
        if about is None:
            return None
        start, end = about.line
        text = self.store.documents[about.doc_id].text[start:end]
        line = Sentence(-1, about.doc_id, start, end, text, ())
        ev = Evidence(line, about.confidence)
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
        ranked = self.rank_sentences(q, query_vector, hits)
        if not ranked:
            return Reading(None, None, 0.0, (), ())
        closest = tuple(Evidence(i.sentence, _prob(i.logit)) for i in _one_per_doc(ranked)[:3])
        scored = self.score_spans(q, ranked[:SPAN_SENTENCES])
        if not scored:
            return Reading(None, None, 0.0, (), closest)
        logits = [s.logit for s in scored]
        best = max(
            range(len(scored)), key=lambda i: (logits[i], -scored[i].info.sentence.sentence_id)
        )
        conf = self.scorer.confidence(answer_row(q, scored, logits, best, ranked))
        threshold = self.abstain_threshold if abstain_threshold is None else abstain_threshold
        if conf < threshold:
            return Reading(None, None, conf, (), closest)
        chosen = scored[best]
        s = chosen.info.sentence
        cited = self.cite(q, scored, logits, best, conf, ranked)
        return Reading(chosen.text, s.start + chosen.candidate.start, conf, cited, closest)

    def score_spans(self, q: Question, infos: Sequence[SentenceInfo]) -> list[Scored]:
        scored = self.spans(q, infos)
        if not scored:
            return []
        logits = self.scorer.span_logits(np.asarray([s.features for s in scored]))
        return [
            Scored(s.info, s.candidate, s.features, float(z))
            for s, z in zip(scored, logits, strict=True)
        ]

    def cite(
        self,
        q: Question,
        scored: Sequence[Scored],
        logits: Sequence[float],
        best: int,
        conf: float,
        read: Sequence[SentenceInfo] = (),
    ) -> tuple[Evidence, ...]:
        """The answering sentence first, then the best sentence of each other article whose
        span states the same answer (same digits and words) with enough confidence."""
        key = scored[best].key
        cited = [Evidence(scored[best].info.sentence, conf)]
        seen = {scored[best].info.sentence.doc_id}
        for i in sorted(range(len(scored)), key=lambda i: -logits[i]):
            s = scored[i]
            doc = s.info.sentence.doc_id
            if doc in seen or s.key != key:
                continue
            c = self.scorer.confidence(answer_row(q, scored, logits, i, read))
            if c < self.cite_threshold:
                continue
            seen.add(doc)
            # a further article stating the answer is no surer than the answer itself
            cited.append(Evidence(s.info.sentence, min(c, conf)))
        # the answering sentence, then the others strongest first
        return (cited[0], *sorted(cited[1:], key=lambda e: -e.score))


_FIT = SPAN_FEATURES.index("fit_label"), SPAN_FEATURES.index("fit_pattern")
_NOFIT = SPAN_FEATURES.index("typed_nofit")


def answer_row(
    q: Question,
    scored: Sequence[Scored],
    logits: Sequence[float],
    i: int,
    read: Sequence[SentenceInfo] = (),
) -> list[float]:
    """The answer model's features for span ``i`` of a question's scored spans; ``read``:
    every sentence read for the question, to count the other articles saying the same."""
    f = scored[i].features
    key = scored[i].key
    own = scored[i].info.sentence.sentence_id
    agree = len({s.info.sentence.sentence_id for s in scored if s.key == key} - {own})
    own_doc = scored[i].info.sentence.doc_id
    docs = {
        info.sentence.doc_id
        for info in read
        if info.sentence.doc_id != own_doc and key in info.shape.keys
    }
    return answer_features(
        q,
        logits,
        i,
        scored[i].info,
        bool(f[_FIT[0]] or f[_FIT[1]]),
        bool(f[_NOFIT]),
        agree,
        len(docs),
    )


def _near(c: Candidate, tokens: Sequence[int]) -> float:
    """1 / (1 + tokens between the span and the nearest of ``tokens`` outside it)."""
    gaps = [
        c.first - i - 1 if i < c.first else i - c.stop for i in tokens if not c.first <= i < c.stop
    ]
    return 1.0 / (1.0 + min(gaps)) if gaps else 0.0


def _cosine(cosines: dict[int, float], sentence_id: int | None) -> float:
    return cosines[sentence_id] if sentence_id is not None else 0.0


def question_lemmas(q: Question) -> set[str]:
    return content_lemmas(q.parse) if q.parse is not None else set(q.terms)


def _prob(logit: float) -> float:
    return round(1.0 / (1.0 + float(np.exp(-np.clip(logit, -50, 50)))), 4)


def _found(needle: str, pool: frozenset[str], prefixes: frozenset[str]) -> bool:
    """In the pool, or sharing a PREFIX-letter prefix with one of its longer words."""
    return needle in pool or (len(needle) >= PREFIX and needle[:PREFIX] in prefixes)


def _is_heading(text: str) -> bool:
    """Section headings and list labels: short, or ending with a colon."""
    return len(text.split()) < 5 or text.rstrip().endswith(":")


def _repeats_question(all_ws: Sequence[str], qws: frozenset[str], qjoined: str) -> bool:
    """A span the question already says ('Keio University' when asked about Keio University),
    or one of function words only; ``all_ws``: the span's words."""
    ws = [w for w in all_ws if w not in STOPWORDS]
    if not ws or not all(w in qws for w in ws):
        return not ws
    return len(ws) == 1 or " ".join(all_ws) in qjoined


def _one_per_doc(ranked: Sequence[SentenceInfo]) -> list[SentenceInfo]:
    seen: set[str] = set()
    out = []
    for info in ranked:
        if info.sentence.doc_id not in seen:
            seen.add(info.sentence.doc_id)
            out.append(info)
    return out
