"""The three backends of the bundled model agree (real model, exported locally to ONNX)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embed import Embedder, model_id
from service.pipeline import Pipeline

pytestmark = pytest.mark.integration
TEXTS = [
    "How much is Microsoft investing in Japan?",
    "who runs microsoft japan",
    "The company currently operates 2 Azure data centers in the country.",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models") / "minilm"


def test_onnx_gives_the_same_vectors_and_int8_nearly(onnx_dir: Path) -> None:
    ref = Embedder(backend="torch").encode(TEXTS)
    onnx = Embedder(backend="onnx", onnx_dir=onnx_dir).encode(TEXTS)
    int8 = Embedder(backend="onnx-int8", onnx_dir=onnx_dir).encode(TEXTS)
    assert (onnx_dir / "onnx" / "model.onnx").is_file()
    assert np.all((ref * onnx).sum(1) > 0.9999)
    assert np.all((ref * int8).sum(1) > 0.97)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_batch_invariant_says_whether_a_neighbour_in_the_batch_moves_a_row(
    backend: str, onnx_dir: Path
) -> None:
    """The flag the micro-batcher trusts: fp32 rows do not depend on their batch; int8 rows do
    (dynamic quantisation scales over the batch), so the service runs int8 questions alone."""
    enc = Embedder(backend=backend, onnx_dir=onnx_dir)  # type: ignore[arg-type]
    alone = enc.encode(TEXTS[:1], batch_size=1)[0]
    together = enc.encode(TEXTS, batch_size=len(TEXTS))[0]
    moved = float(np.abs(alone - together).max())
    if enc.batch_invariant:
        assert moved < 1e-5
    else:
        assert moved > 1e-3
    assert Embedder(backend="torch").batch_invariant


def test_model_ids_tell_int8_apart() -> None:
    assert model_id("torch") == model_id("onnx")
    assert model_id("onnx-int8").endswith("+onnx-int8")
    with pytest.raises(ValueError, match="backend must be one of"):
        Embedder(backend="tensorrt")  # type: ignore[arg-type]


def test_onnx_runtime_path_matches_sentence_transformers_onnx_backend(onnx_dir: Path) -> None:
    """index.ort reproduces sentence-transformers' own ONNX backend: padding, truncation."""
    from sentence_transformers import SentenceTransformer

    from index.embed import ONNX_FILE, export_onnx
    from index.ort import OrtModel

    folder = export_onnx(onnx_dir)
    texts = [*TEXTS, "word " * 400, "é"]  # mixed lengths pad; 400 words truncate at 256
    reference = SentenceTransformer(
        str(folder), backend="onnx", device="cpu", model_kwargs={"file_name": ONNX_FILE}
    ).encode(texts, normalize_embeddings=True, batch_size=len(texts))
    ours = OrtModel(folder, ONNX_FILE).encode(texts, batch_size=len(texts))
    one_by_one = OrtModel(folder, ONNX_FILE).encode(texts, batch_size=1)
    in_pairs = OrtModel(folder, ONNX_FILE).encode(texts, batch_size=2)  # batched by length
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    assert np.all((reference * ours).sum(1) > 0.99999)
    assert np.allclose(ours, one_by_one, atol=1e-5)  # padding never leaks into the mean
    assert np.allclose(in_pairs, one_by_one, atol=1e-5)  # rows come back in input order


def test_onnx_runtime_path_refuses_a_pooling_it_does_not_implement(tmp_path: Path) -> None:
    from index.ort import OrtModel

    (tmp_path / "modules.json").write_text(
        '[{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]'
    )
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        '{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}'
    )
    with pytest.raises(RuntimeError, match="only mean pooling"):
        OrtModel(tmp_path, "onnx/model.onnx")


def test_sessions_side_by_side_give_the_one_session_rows(onnx_dir: Path) -> None:
    """A build's pool of one-thread sessions: the same rows, in input order, as one session."""
    texts = [*TEXTS, "word " * 400, "é", "Tokyo", "A longer sentence about data centres."]
    one = Embedder(backend="onnx-int8", onnx_dir=onnx_dir).encode(texts, batch_size=1)
    pool = Embedder(backend="onnx-int8", onnx_dir=onnx_dir, sessions=3)
    assert np.array_equal(pool.encode(texts, batch_size=1), one)
    assert pool.encode([], batch_size=1).shape == (0, 384)


def test_an_index_sentence_asked_verbatim_gets_its_own_vector(pipeline: Pipeline) -> None:
    """int8 build vectors are encoded one text per run, as questions are: a row depends on its
    text alone, so a sentence's stored vector is the one its text gets as a question (and a
    cached row is the one a fresh build would compute)."""
    store = pipeline.store
    for sid in (0, len(store.sentences) // 2, len(store.sentences) - 1):
        text = store.sentences[sid].text
        assert np.array_equal(
            pipeline.encoder.encode([text], batch_size=1)[0], store.sentence_vectors([sid])[0]
        )
