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
    conf = np.linspace(0.99, 0.01, 40)
    # the top 20 right, then 2 wrong, then 8 right, then wrong ones
    right = np.array([True] * 20 + [False] * 2 + [True] * 8 + [False] * 10)
    answerable = np.ones(40, dtype=bool)
    t, stats = _threshold(conf, right, answerable)
    # keeping 31 is 28/31 = 0.903 right; a 32nd makes it 28/32 = 0.875
    assert t == pytest.approx(conf[30])
    assert stats == {"precision": round(28 / 31, 4), "coverage": 0.775, "target_reached": 1.0}


def test_unreachable_target_takes_the_most_precise_threshold_with_enough_answers() -> None:
    conf = np.linspace(0.99, 0.01, 40)
    right = np.array(([True] * 4 + [False]) * 8)  # 0.8 right wherever one cuts on a 5
    t, stats = _threshold(conf, right, np.ones(40, dtype=bool))
    assert stats["target_reached"] == 0.0
    assert stats["precision"] == max(round(float(right[:k].mean()), 4) for k in range(20, 41))
    t, _ = _threshold(conf[:10], right[:10], np.ones(10, dtype=bool))
    assert t == 1.0  # fewer than 20 answers judge nothing: answer nothing


def test_a_reader_refuses_weights_for_other_features() -> None:
    from service.read import Reader

    w = blank()
    wrong = w.model_copy(
        update={"span": w.span.model_copy(update={"features": ["x"] * len(w.span.features)})}
    )
    with pytest.raises(ValueError, match="retrain"):
        Reader(object(), weights=wrong)  # type: ignore[arg-type]  # checked before the index


@pytest.mark.integration
def test_training_is_reproducible_and_reads_dev_only(pipeline: object) -> None:
    from eval.dataset import load
    from eval.train_reader import train

    items = load()[:60]  # a slice of the original seed set: quick, still both splits
    first = train([("seeds", pipeline, items)])
    again = train([("seeds", pipeline, items)])
    assert first == again
    assert first.trained_on == {"seeds": sum(1 for it in items if it.split == "dev")}
