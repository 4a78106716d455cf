"""Integration: the real model, a real index, the real app under uvicorn, asked over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import numpy as np
import pytest

from index.embed import Embedder
from service.api import create_app
from service.config import Settings
from service.pipeline import Answer, Pipeline
from tests.conftest import SEEDS, Server

pytestmark = pytest.mark.integration


def _file_text(doc_id: str) -> str:
    return (SEEDS / f"{doc_id}.txt").read_bytes().decode("utf-8")


def ask(server: Server, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/ask", json=body, timeout=30)


def test_investment_size_is_answered_with_a_verifiable_citation(server: Server) -> None:
    r = ask(server, {"question": "How much is Microsoft investing in Japan?"})
    assert r.status_code == 200
    body = r.json()
    assert "2.9 billion" in body["answer"]
    assert 0 < body["confidence"] <= 1
    first = body["citations"][0]
    assert first["quote"] == _file_text(first["doc_id"])[first["start"] : first["end"]]
    assert body["answer"] in first["quote"]
    # several articles state it: each is cited once, strongest first
    doc_ids = [c["doc_id"] for c in body["citations"]]
    assert len(doc_ids) == len(set(doc_ids)) >= 3
    scores = [c["score"] for c in body["citations"]]
    assert scores == sorted(scores, reverse=True)
    for c in body["citations"]:
        assert c["quote"] == _file_text(c["doc_id"])[c["start"] : c["end"]]
    assert len(body["passages"]) == 5
    for p in body["passages"]:
        assert p["text"] == _file_text(p["doc_id"])[p["start"] : p["end"]]
    assert set(body["timings_ms"]) == {"embed", "search", "read", "total"}


def test_question_the_articles_do_not_answer_abstains(server: Server) -> None:
    r = ask(server, {"question": "Who won the 2022 World Cup?", "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["answer"] is None
    assert body["citations"] == []
    assert len(body["passages"]) == 3


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"question": ""}, ["body", "question"], "question must not be empty"),
        ({"question": "   "}, ["body", "question"], "question must not be empty"),
        ({"question": "x", "top_k": 0}, ["body", "top_k"], "greater than or equal to 1"),
        ({"question": "x", "top_k": 21}, ["body", "top_k"], "less than or equal to 20"),
        ({"question": "x", "top_k": "5"}, ["body", "top_k"], "valid integer"),
        ({"question": "x", "top_k": True}, ["body", "top_k"], "valid integer"),
        ({"question": "x", "extra": 1}, ["body", "extra"], "Extra inputs are not permitted"),
        ({"question": 5}, ["body", "question"], "valid string"),
        ({"question": "a" * 1001}, ["body", "question"], "at most 1000 characters"),
        ({}, ["body", "question"], "Field required"),
        # zero-width characters are as empty as spaces
        ({"question": "\u200b\u200c\u2060\ufeff"}, ["body", "question"], "must not be empty"),
        ({"question": " \u200b \u00a0"}, ["body", "question"], "must not be empty"),
    ],
)
def test_bad_input_gets_422_with_a_clear_message(
    server: Server, body: object, loc: list[str], msg: str
) -> None:
    r = ask(server, body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["title"] == "Invalid request"
    assert any(e["loc"] == loc and msg in e["msg"] for e in problem["errors"]), problem
    assert msg in problem["detail"]
    assert "a" * 200 not in r.text  # huge inputs are not echoed back


def test_question_is_trimmed(server: Server) -> None:
    r = ask(server, {"question": "   how much is microsoft investing in japan \n"})
    assert r.json()["question"] == "how much is microsoft investing in japan"


def test_documents(server: Server) -> None:
    docs = httpx.get(f"{server.url}/documents").json()
    assert [d["doc_id"] for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    one = httpx.get(f"{server.url}/documents/002_bc3d2b23fcc61d83").json()
    assert one["source"] == "iTnews Asia" and one["text"] == _file_text("002_bc3d2b23fcc61d83")
    missing = httpx.get(f"{server.url}/documents/nope")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no document with id 'nope'"


def test_documents_come_a_page_at_a_time(server: Server) -> None:
    ids = sorted(p.stem for p in SEEDS.glob("*.txt"))
    seen, url = [], f"{server.url}/documents?limit=2"
    while url:
        r = httpx.get(url)
        assert r.status_code == 200 and r.headers["x-total-count"] == str(len(ids))
        seen += [d["doc_id"] for d in r.json()]
        link = r.headers.get("link")
        url = server.url + link[1 : link.index(">")] if link else ""
        assert link is None or link.endswith('rel="next"')
    assert seen == ids  # every article once, in order, over three pages
    assert httpx.get(f"{server.url}/documents?offset=99").json() == []
    # past the last article: an empty page, however far (2**63 - 1 was a 500)
    assert httpx.get(f"{server.url}/documents?offset=9223372036854775807").json() == []
    for bad in ("limit=0", "limit=1001", "offset=-1", "limit=two", "offset=1" + "0" * 30):
        r = httpx.get(f"{server.url}/documents?{bad}")
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")


def test_health_and_readiness(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "detail": None}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200 and ready.json()["degraded"] is None
    assert ready.json()["generation"].startswith("gen-")


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/documents", "/metrics"])
def test_get_routes_answer_head_with_the_gets_headers_and_no_body(server: Server, path: str) -> None:
    got = httpx.get(f"{server.url}{path}")
    head = httpx.head(f"{server.url}{path}")
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path != "/metrics":  # (its counters move between the two requests)
        assert head.headers["content-length"] == got.headers["content-length"]


def test_wrong_method_keeps_allow_header(server: Server) -> None:
    r = httpx.get(f"{server.url}/ask")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


def test_a_damaged_index_never_becomes_ready(tmp_path: Path, index_dir: Path) -> None:
    import shutil

    broken = tmp_path / "index"
    shutil.copytree(index_dir, broken)
    gen = broken / (broken / "CURRENT").read_text().strip()
    data = bytearray((gen / "chunks.faiss").read_bytes())
    data[-1] ^= 0xFF
    (gen / "chunks.faiss").write_bytes(bytes(data))
    app = create_app(Settings(index_dir=broken))
    with Server(app) as srv:
        r = srv.wait_ready(timeout=60)
        assert r.status_code == 503
        detail = r.json()["detail"]
        assert detail == "index refused: chunks.faiss checksum differs from the manifest"
        assert str(tmp_path) not in r.text  # no paths or settings in public details
        asked = httpx.post(f"{srv.url}/ask", json={"question": "anything"}, timeout=30)
        assert asked.status_code == 503
        assert asked.headers["content-type"].startswith("application/problem+json")
        assert str(tmp_path) not in asked.text


QUESTIONS = [
    "How much is Microsoft investing in Japan?",
    "Who won the 2022 World Cup?",
    "how many data centres does microsoft run in japan",
    "Who wrote the iTnews Asia article?",
]


def _wire(body: dict[str, object]) -> dict[str, object]:
    """A response without its timings: what two ways of answering must agree on."""
    return {k: v for k, v in body.items() if k != "timings_ms"}


def test_the_one_request_at_a_time_baseline_answers_alike(
    server: Server, settings: Settings, embedder: Embedder
) -> None:
    """RAG_BATCHING=false (a thread per request) and the default (await the encoder thread)
    are two ways of scheduling the same answering code: the same answers come back."""
    baseline = settings.model_copy(update={"batching": False})
    plain = Pipeline.from_settings(baseline, encoder=embedder)
    assert plain.batcher is None
    with Server(create_app(baseline, pipeline_factory=lambda _s: plain)) as other:
        assert other.wait_ready().status_code == 200
        for q in QUESTIONS:
            batched, threaded = ask(server, {"question": q}), ask(other, {"question": q})
            assert batched.status_code == threaded.status_code == 200
            assert _wire(batched.json()) == _wire(threaded.json())


def test_async_and_sync_asks_agree(pipeline: Pipeline) -> None:
    assert pipeline.batcher is not None  # batching is the default
    for q in QUESTIONS:
        sync, async_ = pipeline.ask(q), asyncio.run(pipeline.ask_async(q))
        assert (sync.text, sync.confidence, sync.citations, sync.passages) == (
            async_.text,
            async_.confidence,
            async_.citations,
            async_.passages,
        )


def test_a_question_gets_the_same_vector_and_answer_whoever_shares_its_batch(
    pipeline: Pipeline,
) -> None:
    """Micro-batching must not make an answer depend on the traffic around it (int8 rows do
    depend on their batch, so the default encoder runs each waiting question alone)."""
    q, *others = QUESTIONS
    alone = pipeline._encode_batch([q])[0]
    assert np.array_equal(pipeline._encode_batch([q, *others])[0], alone)
    assert np.array_equal(pipeline._encode_batch([*others, q])[-1], alone)
    want = pipeline.ask(q)

    async def concurrently() -> list[Answer]:
        return await asyncio.gather(*(pipeline.ask_async(x) for x in [*others, q, *others]))

    pipeline.cache.clear()
    got = asyncio.run(concurrently())[len(others)]
    assert (got.text, got.confidence, got.citations) == (
        want.text,
        want.confidence,
        want.citations,
    )


def test_async_ask_needs_the_encoder_thread(settings: Settings, embedder: Embedder) -> None:
    plain = Pipeline.from_settings(settings.model_copy(update={"batching": False}), embedder)
    with pytest.raises(RuntimeError, match="needs batching"):
        asyncio.run(plain.ask_async("anything"))
