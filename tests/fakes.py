"""Fast stand-ins for unit tests only; integration tests use the real model."""

from __future__ import annotations

import hashlib

import numpy as np

from index.text import terms


class HashingEncoder:
    """Bag of stemmed words hashed into 384 dimensions: similar words, similar vectors."""

    name = "test/hashing-encoder"
    dimension = 384
    batch_invariant = True

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text) or ["<empty>"]:
                h = int(hashlib.md5(term.encode(), usedforsecurity=False).hexdigest(), 16)
                out[row, h % self.dimension] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out
