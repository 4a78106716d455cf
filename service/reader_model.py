"""The reader's learned weights: three linear models and a calibration, as JSON.

``python -m eval.train_reader`` fits them on the dev splits and writes ``reader.json``
beside this file; the service only evaluates them (a dot product and a sigmoid), so it
needs no machine-learning library at run time.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

WEIGHTS = Path(__file__).parent / "reader.json"


class Linear(BaseModel):
    """A standardised logistic regression: sigmoid(((x - mean) / scale) . coef + intercept)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    @model_validator(mode="after")
    def _same_lengths(self) -> Linear:
        n = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == n):
            raise ValueError("features, mean, scale and coef must have one entry each")
        return self

    def arrays(self) -> tuple[np.ndarray, float]:
        """(weights, bias) with the standardisation folded in: x . w + b is the logit."""
        coef = np.asarray(self.coef, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        w = coef / scale
        b = self.intercept - float(np.dot(np.asarray(self.mean), w))
        return w, b


class Calibration(BaseModel):
    """Platt scaling: the answer model's probability, mapped to the chance that the answer is
    right as measured out of fold on dev questions (sigmoid(a * logit(p) + b))."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: float = 1.0
    b: float = 0.0

    def __call__(self, p: float) -> float:
        p = min(max(p, 1e-9), 1 - 1e-9)
        return sigmoid(self.a * math.log(p / (1 - p)) + self.b)


class ReaderWeights(BaseModel):
    """``sentence`` scores sentences, ``span`` ranks a question's spans (trained listwise:
    only their differences matter), ``answer`` says from the best span's lead and support
    whether it is right, and ``calibration`` maps that to the observed precision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 2
    sentence: Linear
    span: Linear
    answer: Linear
    calibration: Calibration
    threshold: float = Field(ge=0.0, le=1.0)  # answer at or above (chosen on dev)
    trained_on: dict[str, int]  # questions per set, dev splits only
    dev: dict[str, float]  # what the chosen threshold gave on dev (out of fold)


class Scorer:
    """The weights as arrays, ready for many rows at once."""

    def __init__(self, weights: ReaderWeights) -> None:
        self.weights = weights
        self.sentence_names = weights.sentence.features
        self.span_names = weights.span.features
        self._sw, self._sb = weights.sentence.arrays()
        self._pw, self._pb = weights.span.arrays()
        self._aw, self._ab = weights.answer.arrays()

    def sentence_logits(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self._sw + self._sb

    def span_logits(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self._pw + self._pb

    def answer_probability(self, features: list[float]) -> float:
        """The answer model's probability that the best span is right (uncalibrated)."""
        return sigmoid(float(np.dot(features, self._aw) + self._ab))

    def confidence(self, features: list[float]) -> float:
        return round(self.weights.calibration(self.answer_probability(features)), 4)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def load_weights(path: Path = WEIGHTS) -> ReaderWeights:
    return ReaderWeights.model_validate_json(path.read_text(encoding="utf-8"))
