"""The reader's weights: how they are evaluated, calibrated and checked against the code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval.train_reader import _threshold, blank
from service.features import ANSWER_FEATURES, SENTENCE_FEATURES, SPAN_FEATURES
from service.reader_model import WEIGHTS, Calibration, Linear, Scorer, load_weights


def test_standardisation_is_folded_into_the_weights() -> None:
    lin = Linear(
        features=["a", "b"], mean=[1.0, -2.0], scale=[2.0, 4.0], coef=[0.5, 1.0], intercept=0.25
    )
    w, b = lin.arrays()
    x = np.array([3.0, 6.0])
    assert float(x @ w + b) == pytest.approx(((3 - 1) / 2) * 0.5 + ((6 + 2) / 4) * 1.0 + 0.25)
    with pytest.raises(ValueError, match="one entry each"):
        Linear(features=["a"], mean=[0.0, 1.0], scale=[1.0], coef=[1.0], intercept=0.0)


def test_platt_calibration_is_monotone_and_bounded() -> None:
    cal = Calibration(a=0.8, b=-0.1)
    values = [cal(p) for p in (0.0, 0.1, 0.5, 0.9, 1.0)]
    assert values == sorted(values)
    assert all(0.0 < v < 1.0 for v in values)
    assert cal(0.5) == pytest.approx(1 / (1 + math.exp(0.1)))


def test_shipped_weights_match_the_features_the_code_computes() -> None:
    w = load_weights(WEIGHTS)
    assert w.sentence.features == SENTENCE_FEATURES
    assert w.span.features == SPAN_FEATURES
    assert w.answer.features == ANSWER_FEATURES
    assert 0.0 < w.threshold < 1.0
    assert w.trained_on and all(n > 0 for n in w.trained_on.values())
    scorer = Scorer(w)
    assert 0.0 <= scorer.confidence([0.0] * len(ANSWER_FEATURES)) <= 1.0


def test_threshold_is_the_lowest_keeping_the_target_precision() -> None:
    conf = np.array([0.95, 0.92, 0.9, 0.85, 0.4, 0.3])
    right = np.array([True, True, True, False, False, True])
    answerable = np.array([True, True, True, True, False, True])
    t, stats = _threshold(conf, right, answerable)
    # mean confidence above 0.85 is 0.905; adding 0.4 drops it below 0.9
    assert t == 0.85
    assert stats == {"precision": 0.75, "coverage": 0.8}
    t, _ = _threshold(np.array([0.2, 0.1]), np.array([False, False]), np.array([True, True]))
    assert t == 1.0  # nothing reaches the target: answer nothing


def test_a_reader_refuses_weights_for_other_features() -> None:
    from service.read import Reader

    w = blank()
    wrong = w.model_copy(
        update={"span": w.span.model_copy(update={"features": ["x"] * len(w.span.features)})}
    )
    with pytest.raises(ValueError, match="retrain"):
        Reader(object(), weights=wrong)  # type: ignore[arg-type]  # checked before the index
