"""The three backends of the bundled model agree (real model, exported locally to ONNX)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embed import Embedder, model_id

pytestmark = pytest.mark.integration
TEXTS = [
    "How much is Microsoft investing in Japan?",
    "who runs microsoft japan",
    "The company currently operates 2 Azure data centers in the country.",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models") / "minilm"


def test_onnx_gives_the_same_vectors_and_int8_nearly(embedder: Embedder, onnx_dir: Path) -> None:
    ref = embedder.encode(TEXTS)
    onnx = Embedder(backend="onnx", onnx_dir=onnx_dir).encode(TEXTS)
    int8 = Embedder(backend="onnx-int8", onnx_dir=onnx_dir).encode(TEXTS)
    assert (onnx_dir / "onnx" / "model.onnx").is_file()
    assert np.all((ref * onnx).sum(1) > 0.9999)
    assert np.all((ref * int8).sum(1) > 0.97)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


def test_model_ids_tell_int8_apart() -> None:
    assert model_id("torch") == model_id("onnx")
    assert model_id("onnx-int8").endswith("+onnx-int8")
    with pytest.raises(ValueError, match="backend must be one of"):
        Embedder(backend="tensorrt")  # type: ignore[arg-type]
