"""The reader's explainable features: of a sentence for a question, and of a span in it.

Each is a number a person can check by hand (a cosine, a share of the question's words, a
distance in the parse, whether the span is of the type asked for). Their weights are
learned (``service.reader_model``); nothing here is tuned to any article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from index.analysis import Parse
from index.types import Sentence
from service.candidates import Candidate
from service.question import Kind, Question

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
# which pattern answers which kind
PATTERN_KIND = {
    Kind.MONEY: "MONEY",
    Kind.COUNT: "COUNT",
    Kind.PERCENT: "PERCENT",
    Kind.DATE: "DATE",
    Kind.DURATION: "DURATION",
}
_NUMERIC = frozenset({Kind.MONEY, Kind.COUNT, Kind.PERCENT})
_NUMERIC_LABELS = frozenset({"MONEY", "PERCENT", "COUNT", "CARDINAL", "QUANTITY"})
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_PURPOSE = re.compile(
    r"(?:in order to|so that|so as to|to|because|since|as|by|for|due to|aim(?:ing|s|ed)? to)\s",
    re.I,
)
_CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
_AUX_LEMMAS = frozenset({"be", "have", "do", "will", "would", "can", "could", "should", "may"})

SENTENCE_FEATURES = [
    "dense",
    "dense_gap",
    "dense_rank",
    "retrieval",
    "coverage",
    "missing",
    "entities",
    "focus",
    "focus_lemma",
    "lemma_overlap",
    "heading",
    "headline",
    "has_fit",
    "length",
    "dense_prev",
    "dense_next",
]
_SOURCES = (
    "entity",
    "chunk",
    "extended",
    "list",
    "apposition",
    "clause",
    "pattern",
    "proper",
    "quoted",
    "sentence",
)
SPAN_FEATURES = [
    "sentence_logit",
    "sentence_rank",
    "dense",
    "coverage",
    "entities",
    "fit_label",
    "fit_pattern",
    "typed_nofit",
    "other_label",
    "focus_in_span",
    "focus_near",
    "repeat",
    "all_repeat",
    "tokens",
    "long",
    *(f"src_{s}" for s in _SOURCES),
    "open_clause",
    "open_sentence",
    "open_chunk",
    "reason_clause",
    "reason_sentence",
    "plural_list",
    "single_list",
    "purpose",
    "reason_purpose",
    "open_purpose",
    "pattern_mismatch",
    "numeric_fit",
    "year_fit",
    "who_org",
    "q_entity_near",
    "role_fit",
    "dep_near",
    "proximity",
    "local_support",
    "local_entities",
    "in_parens",
    "rarity",
    "currency",
    "capitals",
    "digits",
    *(f"kind_{k.value}" for k in Kind),
]


_KINDS = tuple(Kind)


@cache
def kind_row(kind: Kind) -> tuple[float, ...]:
    """The kind as one flag per kind."""
    return tuple(float(kind is k) for k in _KINDS)


def content_lemmas(p: Parse) -> set[str]:
    return {
        t.lemma
        for t in p.tokens
        if t.pos in _CONTENT_POS and t.lemma not in _AUX_LEMMAS and t.lemma.isalnum()
    }


@dataclass(frozen=True)
class SentenceShape:
    """What a sentence holds, whatever the question: made once per sentence and kept."""

    lemmas: frozenset[str]
    labels: frozenset[str]  # its entities' labels
    patterns: frozenset[str]  # the typed patterns its candidates match
    keys: frozenset[str] = frozenset()  # its candidates' answer keys

    @classmethod
    def of(cls, parse: Parse, cands: Sequence[Candidate]) -> SentenceShape:
        return cls(
            frozenset(t.lemma for t in parse.tokens),
            frozenset(c.label for c in cands if "entity" in c.sources and c.label),
            frozenset(c.pattern for c in cands if c.pattern),
            frozenset(c.key for c in cands),
        )


@dataclass
class SentenceInfo:
    """One sentence read for a question, and what was measured of it."""

    sentence: Sentence
    parse: Parse
    dense: float
    retrieval: float
    coverage: float
    missing: float
    entities: float
    focus: float
    is_heading: bool
    is_headline: bool
    candidates: Sequence[Candidate]
    rank: int = 0  # by dense cosine among the sentences read
    logit: float = 0.0  # the sentence model's
    shape: SentenceShape = SentenceShape(frozenset(), frozenset(), frozenset())
    dense_prev: float = 0.0  # cosine of the question and the sentence before
    dense_next: float = 0.0  # ... and the sentence after (same article)


def has_fit(q: Question, shape: SentenceShape) -> bool:
    """The sentence holds an entity or pattern of the kind asked for."""
    pattern = PATTERN_KIND.get(q.kind)
    return bool(q.labels & shape.labels) or (pattern is not None and pattern in shape.patterns)


def sentence_features(
    q: Question, info: SentenceInfo, best_dense: float, q_lemmas: set[str]
) -> list[float]:
    lemmas = info.shape.lemmas
    return [
        info.dense,
        info.dense - best_dense,
        1.0 / (1.0 + info.rank),
        info.retrieval,
        info.coverage,
        info.missing,
        info.entities,
        info.focus,
        float(q.focus_lemma is not None and q.focus_lemma in lemmas),
        len(q_lemmas & lemmas) / len(q_lemmas) if q_lemmas else 0.0,
        float(info.is_heading),
        float(info.is_headline),
        float(has_fit(q, info.shape)),
        math.log1p(len(info.parse.tokens)),
        info.dense_prev,
        info.dense_next,
    ]


@dataclass(frozen=True)
class SpanContext:
    """What span features need besides the candidate: computed by the reader."""

    dep_near: float
    proximity: float
    local_support: float
    local_entities: float
    sentence_rank: int
    q_entity_near: float  # 1 / (1 + tokens to the nearest of the question's names)


@dataclass(frozen=True)
class SpanShape:
    """What a candidate is, whatever the question: made once per sentence and kept."""

    piece: str
    lemmas: frozenset[str]  # its content lemmas
    nearby: frozenset[str]  # lemmas of the span and three tokens either side
    tokens: int
    sources: tuple[float, ...]  # one flag per _SOURCES
    is_list: bool
    in_parens: bool
    purpose: bool  # starts like a purpose or cause: "to", "because", "by", "in order to"
    year: bool
    numeric: bool  # an amount, count or percentage by label or pattern
    role_like: bool  # a noun phrase that is not a person's name
    capitals: float
    digits: bool
    rarity: float


def span_shape(p: Parse, text: str, c: Candidate, rarity: float) -> SpanShape:
    """``c``'s shape in the sentence ``text`` parsed as ``p``."""
    piece = text[c.start : c.end]
    toks = p.tokens[c.first : c.stop]
    words = piece.split()
    return SpanShape(
        piece=piece,
        lemmas=frozenset(t.lemma for t in toks if t.pos in _CONTENT_POS and t.lemma.isalnum()),
        nearby=frozenset(t.lemma for t in p.tokens[max(0, c.first - 3) : c.stop + 3])
        if toks
        else frozenset(),
        tokens=len(toks),
        sources=tuple(float(s in c.sources) for s in _SOURCES),
        is_list="list" in c.sources or " and " in piece or ", " in piece,
        in_parens=text[: c.start].count("(") > text[: c.start].count(")"),
        purpose=_PURPOSE.match(piece) is not None,
        year=_YEAR.search(piece) is not None,
        numeric=c.label in _NUMERIC_LABELS or c.pattern in _NUMERIC_LABELS,
        role_like=bool(c.sources & {"apposition", "chunk", "extended"}) and c.label != "PERSON",
        capitals=sum(1 for w in words if w[:1].isupper()) / len(words) if words else 0.0,
        digits=any(ch.isdigit() for ch in piece),
        rarity=rarity,
    )


def span_features(
    q: Question,
    info: SentenceInfo,
    c: Candidate,
    shape: SpanShape,
    ctx: SpanContext,
    q_lemmas: set[str],
) -> list[float]:
    span_lemmas = shape.lemmas
    repeat = len(span_lemmas & q_lemmas) / len(span_lemmas) if span_lemmas else 1.0
    pattern = PATTERN_KIND.get(q.kind)
    fit_label = c.label in q.labels and "entity" in c.sources
    fit_pattern = pattern is not None and c.pattern == pattern
    typed = q.kind in TYPED
    open_kind = q.kind is Kind.OTHER
    reason = q.kind is Kind.REASON
    focus = q.focus_lemma
    currency = 0.0
    if q.kind is Kind.MONEY and q.currency and fit_pattern:
        sym = shape.piece.replace("\\", "")
        same = q.currency in sym or (q.currency == "US$" and sym.lstrip().startswith("$"))
        currency = 1.0 if same else -1.0
    clause = "clause" in c.sources
    whole = "sentence" in c.sources
    return [
        info.logit,
        1.0 / (1.0 + ctx.sentence_rank),
        info.dense,
        info.coverage,
        info.entities,
        float(fit_label),
        float(fit_pattern),
        float(typed and not (fit_label or fit_pattern)),
        float(bool(c.label) and not (fit_label or fit_pattern)),
        float(focus is not None and focus in span_lemmas),
        float(focus is not None and focus in shape.nearby),
        repeat,
        float(bool(span_lemmas) and repeat == 1.0),
        math.log1p(shape.tokens),
        float(shape.tokens > 12),
        *shape.sources,
        float(open_kind and clause),
        float(open_kind and whole),
        float(open_kind and ("chunk" in c.sources or "extended" in c.sources)),
        float(reason and clause),
        float(reason and whole),
        float(q.plural and shape.is_list),
        float(not q.plural and shape.is_list),
        float(shape.purpose),
        float(reason and shape.purpose),
        float(open_kind and shape.purpose),
        float(pattern is not None and bool(c.pattern) and c.pattern != pattern),
        float(q.kind in _NUMERIC and shape.numeric),
        float(focus == "year" and shape.year),
        float(q.wh in ("who", "whom") and c.label == "ORG"),
        ctx.q_entity_near,
        float(q.kind is Kind.ROLE and shape.role_like),
        ctx.dep_near,
        ctx.proximity,
        ctx.local_support,
        ctx.local_entities,
        float(shape.in_parens),
        shape.rarity,
        currency,
        shape.capitals,
        float(shape.digits),
        *kind_row(q.kind),
    ]


ANSWER_FEATURES = [
    "top",
    "margin",
    "share",
    "sentence_logit",
    "dense",
    "coverage",
    "entities",
    "fit",
    "typed_nofit",
    "agree",
    "agree_articles",
    *(f"kind_{k.value}" for k in Kind),
]


def answer_features(
    q: Question,
    logits: Sequence[float],
    best: int,
    info: SentenceInfo,
    fit: bool,
    typed_nofit: bool,
    agree: int,
    agree_articles: int = 0,
) -> list[float]:
    """How sure the best span is: its score, its lead over the next, its share of the
    question's probability mass, how well its sentence is supported, how many other
    sentences state the same answer, and what kind of question it answers."""
    top = logits[best]
    rest = [z for i, z in enumerate(logits) if i != best]
    second = max(rest) if rest else top - 10.0
    peak = max(logits)
    mass = sum(math.exp(z - peak) for z in logits)
    return [
        top,
        top - second,
        math.exp(top - peak) / mass,
        info.logit,
        info.dense,
        info.coverage,
        info.entities,
        float(fit),
        float(typed_nofit),
        math.log1p(agree),
        math.log1p(agree_articles),
        *kind_row(q.kind),
    ]
