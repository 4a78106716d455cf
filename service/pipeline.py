"""The one code path that answers a question; HTTP, Slack, the web page and eval all call it."""

from __future__ import annotations

import functools
import logging
import sys
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from index.analysis import english_words
from index.embed import Embedder, Encoder, safe_batch
from index.store import IndexStore, load_generation, load_servable
from index.types import Hit
from service.batching import EmbeddingCache, MicroBatcher
from service.config import Settings
from service.question import Question, analyse
from service.read import Evidence, Reader
from service.retrieve import Retriever, chunk_ref
from service.spelling import Speller

log = logging.getLogger(__name__)
SWITCH_INTERVAL_S = 0.0005


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    quote: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Passage:
    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    """An extractive answer; ``text`` None means the articles do not say."""

    question: str
    text: str | None
    answer_start: int | None  # offset of ``text`` in the article of citations[0]
    confidence: float
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    closest: tuple[Citation, ...]  # best sentences even when abstaining (for UIs)
    timings_ms: dict[str, float]
    context: str | None = None  # the earlier question it was retrieved with (None: alone)


class Pipeline:
    """Retriever + reader over one loaded index and one encoder."""

    def __init__(
        self,
        store: IndexStore,
        encoder: Encoder,
        settings: Settings,
        shared_from: Pipeline | None = None,
        degraded: str | None = None,
    ) -> None:
        """``shared_from``: a pipeline over another generation whose encoder thread and
        question-vector cache this one takes over (vectors depend on the model only).
        ``degraded``: why this is not the live generation (None: it is)."""
        self.store = store
        self.degraded = degraded
        self.encoder = encoder
        self.settings = settings
        self.retriever = Retriever(store)
        self.reader = Reader(store, settings.abstain_threshold, settings.cite_threshold)
        self.cased = store.analyses.cased
        # a question asked again is not analysed again (as its vector is not encoded again)
        self.analyse = lru_cache(maxsize=settings.embed_cache_size)(self._analyse)
        self.speller = Speller(store.corpus_words.counts, english_words())
        self.cache: EmbeddingCache
        self.batcher: MicroBatcher | None
        if shared_from is not None:
            self.cache, self.batcher = shared_from.cache, shared_from.batcher
            return
        self.cache = EmbeddingCache(settings.embed_cache_size)
        self.batcher = (
            # bound to the encoder, not to this pipeline: a reloaded pipeline shares the
            # batcher, and the old generation's store must not stay alive through it
            MicroBatcher(
                functools.partial(encode_batch, encoder), settings.batch_max, settings.batch_wait_ms
            )
            if settings.batching
            else None
        )

    @property
    def threshold(self) -> float:
        """The abstention threshold in use."""
        return self.reader.abstain_threshold

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder | None = None) -> Pipeline:
        """Load and verify the index named by the settings; load the model once."""
        # One question is a few small matrix products: numpy's and faiss's helper threads
        # only spin and take CPU from the other requests (measured: +60% CPU per question).
        threadpool_limits(limits=settings.torch_threads)
        if settings.batching:
            # The encoder thread holds the GIL only for moments between ONNX runs, but under
            # load it queues behind the event loop's reading for a whole switch interval
            # (5 ms by default). Measured in one process at 16 clients: 145 -> 183 req/s.
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        encoder = encoder or Embedder(
            threads=settings.torch_threads,
            backend=settings.encoder_backend,
            onnx_dir=settings.model_dir,
        )
        store, degraded = load_servable(
            Path(settings.index_dir), model=encoder.name, dimension=encoder.dimension
        )
        pipeline = cls(store, encoder, settings, degraded=degraded)
        # the encoder, spaCy's question pipeline and the reader's tables, before the first
        # question (the first answer otherwise takes about 250 ms more)
        pipeline.ask("warm up")
        return pipeline

    def reloaded(self, generation: Path) -> Pipeline:
        """A pipeline over another generation folder, verified, with this one's encoder;
        IndexLoadError when it fails its checks. Warmed up before it is returned."""
        store = load_generation(
            generation, model=self.encoder.name, dimension=self.encoder.dimension
        )
        pipeline = Pipeline(store, self.encoder, self.settings, shared_from=self)
        pipeline.ask("warm up")
        return pipeline

    def _analyse(self, mended: str) -> Question:
        return analyse(mended, self.cased)

    def search(self, mended: str, vector: np.ndarray, top_k: int) -> list[Hit]:
        """The chunks the reader reads: at least ``top_k`` (to return) and ``read_k``."""
        return self.retriever.search(mended, vector, max(top_k, self.settings.read_k))

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return encode_batch(self.encoder, texts)

    def encode(self, question: str) -> np.ndarray:
        """The question's vector: from the cache, or batched with concurrent questions."""
        cached = self.cache.get(question)
        if cached is not None:
            return cached
        if self.batcher is not None:
            vector = self.batcher.encode(question)
        else:
            vector = self._encode_batch([question])[0]
        self.cache.put(question, vector)
        return vector

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        abstain_threshold: float | None = None,
        context: str | None = None,
    ) -> Answer:
        """Answer ``question`` from the articles, with ``top_k`` retrieved passages.

        ``abstain_threshold`` overrides the configured one (the eval sweep uses 0).
        ``context``: an earlier question (a chat thread's) that a follow-up such as "and when
        was it announced?" leaves unsaid; retrieved with only when the question alone abstains.
        """
        t0 = time.perf_counter()
        mended = self.speller.mend(question)
        vector = self.encode(mended)
        answer = self._answer(question, mended, vector, top_k, abstain_threshold, t0)
        if context is None or answer.text is not None:
            return answer
        joined = self._joined(context, question)
        together = self._answer(
            question, joined, self.encode(joined), top_k, abstain_threshold, t0, read_as=mended
        )
        return _with_context(answer, together, context)

    async def ask_async(
        self, question: str, top_k: int | None = None, context: str | None = None
    ) -> Answer:
        """``ask`` on the event loop: it awaits the encoder thread, then reads (about 1.5 ms).

        Only with batching: one process then hands each question to one other thread, not to
        a pool thread that hands it on again, and reads while the encoder runs.
        """
        if self.batcher is None:
            raise RuntimeError("ask_async needs batching (RAG_BATCHING=true)")
        t0 = time.perf_counter()
        mended = self.speller.mend(question)
        vector = await self._encode_async(mended)
        answer = self._answer(question, mended, vector, top_k, None, t0)
        if context is None or answer.text is not None:
            return answer
        joined = self._joined(context, question)
        vector = await self._encode_async(joined)
        together = self._answer(question, joined, vector, top_k, None, t0, read_as=mended)
        return _with_context(answer, together, context)

    async def _encode_async(self, mended: str) -> np.ndarray:
        """The vector from the cache, or from the encoder thread, batched with the others."""
        assert self.batcher is not None  # noqa: S101 - ask_async checked it
        vector = self.cache.get(mended)
        if vector is None:
            vector = await self.batcher.encode_async(mended)
            self.cache.put(mended, vector)
        return vector

    def _joined(self, context: str, question: str) -> str:
        """What a follow-up retrieves with: the earlier question and the follow-up, mended."""
        return self.speller.mend(f"{context} {question}")

    def _answer(
        self,
        question: str,
        mended: str,
        vector: np.ndarray,
        top_k: int | None,
        abstain_threshold: float | None,
        t0: float,
        read_as: str | None = None,
    ) -> Answer:
        """Retrieve and read for a question already mended and encoded (``t0``: its start).

        ``read_as``: the mended question the reader looks for an answer to, when ``mended``
        and ``vector`` (what retrieves and ranks sentences) also hold an earlier question.
        """
        top_k = self.settings.top_k if top_k is None else top_k
        t1 = time.perf_counter()
        hits = self.search(mended, vector, top_k)
        t2 = time.perf_counter()
        q = self.analyse(mended if read_as is None else read_as)
        reading = self.reader.read(q, vector, hits, abstain_threshold)
        t3 = time.perf_counter()
        citations = tuple(self._citation(ev) for ev in reading.evidence)
        passages = tuple(
            Passage(
                h.chunk.doc_id,
                chunk_ref(h.chunk),
                h.chunk.text,
                h.chunk.start,
                h.chunk.end,
                h.score,
            )
            for h in hits[:top_k]
        )
        timings = {
            "embed": _ms(t1 - t0),
            "search": _ms(t2 - t1),
            "read": _ms(t3 - t2),
            "total": _ms(time.perf_counter() - t0),
        }
        return Answer(
            question=question,
            text=reading.answer,
            answer_start=reading.answer_start,
            confidence=reading.confidence,
            citations=citations,
            passages=passages,
            closest=tuple(self._citation(ev) for ev in reading.closest),
            timings_ms=timings,
        )

    def _citation(self, ev: Evidence) -> Citation:
        doc = self.store.documents[ev.sentence.doc_id]
        s = ev.sentence
        return Citation(
            doc_id=doc.doc_id,
            title=doc.title,
            source=doc.source,
            url=doc.url,
            published=doc.published,
            quote=doc.text[s.start : s.end],
            start=s.start,
            end=s.end,
            score=round(max(0.0, min(1.0, ev.score)), 4),
        )


def encode_batch(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """One encoder call for the questions waiting together, when that cannot change them.

    With int8 (not batch-invariant) each question runs alone, so its answer never
    depends on who else is asking at that moment. Measured on this CPU, that costs no
    throughput: ONNX Runtime encodes 220-290 questions/s at batch 1, 4, 8 or 16 alike.
    """
    return encoder.encode(texts, batch_size=safe_batch(encoder, len(texts)))


def _with_context(alone: Answer, together: Answer, context: str) -> Answer:
    """The answer retrieved with ``context`` when it found one; the abstention alone otherwise
    (timed to the end of both tries)."""
    if together.text is None:
        return replace(alone, timings_ms=together.timings_ms)
    return replace(together, context=context)


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
