"""`python -m eval.train_reader`: fit the reader's weights on the dev splits and save them.

For every dev question of every corpus (and of the original seed set), the service's own
code retrieves and measures the sentences and candidate spans. A logistic regression
learns which sentence holds the answer (it contains a gold answer); a second, fitted
listwise (the softmax over a question's spans), which span is the answer (F1 >= 0.5
against the gold); a third, from the best span's lead and support, whether that answer is
right. The third's out-of-fold output is Platt-calibrated, and the abstention threshold is
the lowest that keeps out-of-fold answered precision at 0.9 (over 20 or more answers), or
the most precise when none does. Test splits are never read. The result,
``service/reader.json``, is deterministic for a given index and encoder.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.corpus import SEEDS, corpus, names
from eval.dataset import DATA, EvalItem, load
from eval.metrics import best_f1
from service.features import ANSWER_FEATURES, SENTENCE_FEATURES, SPAN_FEATURES, SentenceInfo
from service.read import SPAN_SENTENCES, Reader, Scored, answer_row
from service.reader_model import (
    WEIGHTS,
    Calibration,
    Linear,
    ReaderWeights,
    Scorer,
    load_weights,
)

log = logging.getLogger(__name__)
RIGHT = 0.5  # a span is right when its F1 against the gold is at least this
TARGET_PRECISION = 0.9
MIN_ANSWERS = 20  # a threshold is judged on at least this many out-of-fold answers
FOLDS = 5
C = 0.5  # inverse regularisation of both regressions


@dataclass
class Example:
    """One dev question, as the reader measured it."""

    item: EvalItem
    question: Any
    infos: list[SentenceInfo]
    rows: np.ndarray
    labels: np.ndarray
    spans: list[Scored] = field(default_factory=list)
    span_labels: np.ndarray = field(default_factory=lambda: np.zeros(0))


def blank() -> ReaderWeights:
    """Weights of zero, so that the reader can measure before anything is learned."""

    def zero(names_: list[str]) -> Linear:
        n = len(names_)
        return Linear(features=names_, mean=[0.0] * n, scale=[1.0] * n, coef=[0.0] * n, intercept=0)

    return ReaderWeights(
        sentence=zero(SENTENCE_FEATURES),
        span=zero(SPAN_FEATURES),
        answer=zero(ANSWER_FEATURES),
        calibration=Calibration(),
        threshold=0.5,
        trained_on={},
        dev={},
    )


def measure(pipeline: Any, reader: Reader, items: list[EvalItem]) -> list[Example]:
    """The sentences the service reads for each question, and which hold a gold answer
    (``reader``: one over the pipeline's index, with any weights)."""
    out = []
    for it in items:
        mended = pipeline.speller.mend(it.question)
        vector = pipeline.encode(mended)
        hits = pipeline.search(mended, vector, pipeline.settings.top_k)
        q = pipeline.analyse(mended)
        if reader._about_article(q) is not None:
            continue  # answered from the byline or date line, not by the models
        infos, rows = reader.sentences(q, vector, hits)
        labels = np.asarray([float(any(a in i.sentence.text for a in it.answers)) for i in infos])
        out.append(Example(it, q, infos, rows, labels))
    return out


def _fit(x: np.ndarray, y: np.ndarray, names_: list[str]) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardise(x)
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return Linear(
        features=names_,
        mean=[round(float(v), 6) for v in mean],
        scale=[round(float(v), 6) for v in scale],
        coef=[round(float(v), 6) for v in model.coef_[0]],
        intercept=round(float(model.intercept_[0]), 6),
    )


def _span_examples(reader: Reader, scorer: Scorer, examples: list[Example]) -> None:
    for ex in examples:
        if not ex.infos:
            continue
        for info, z in zip(ex.infos, scorer.sentence_logits(ex.rows), strict=True):
            info.logit = float(z)
        ranked = sorted(ex.infos, key=lambda i: (-i.logit, i.sentence.sentence_id))
        ex.spans = reader.spans(ex.question, ranked[:SPAN_SENTENCES])
        f1s = [best_f1(ex.item.answers, s.text) if ex.item.answers else 0.0 for s in ex.spans]
        ex.span_labels = np.asarray([float(f >= RIGHT) for f in f1s])


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _fit_listwise(examples: list[Example], names_: list[str]) -> Linear:
    """Span weights that put a right span first: the softmax over each question's spans,
    maximising the mass on its right ones (questions with none teach nothing here)."""
    from scipy.optimize import minimize

    groups = [ex for ex in examples if ex.spans and ex.span_labels.any()]
    x_all = np.vstack([np.asarray([s.features for s in ex.spans]) for ex in groups])
    mean, scale = _standardise(x_all)
    xs = [(np.asarray([s.features for s in ex.spans]) - mean) / scale for ex in groups]
    ys = [ex.span_labels for ex in groups]
    lam = 1.0 / (C * len(groups))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, y in zip(xs, ys, strict=True):
            z = x @ w
            peak = z.max()
            e = np.exp(z - peak)
            ep = e * y  # the right spans' mass, each weighted by its F1 squared
            total += np.log(e.sum()) - np.log(ep.sum())
            grad += x.T @ (e / e.sum()) - x.T @ (ep / ep.sum())
        n = len(xs)
        return total / n + lam * float(w @ w), grad / n + 2 * lam * w

    w0 = np.zeros(x_all.shape[1])
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return Linear(
        features=names_,
        mean=[round(float(v), 6) for v in mean],
        scale=[round(float(v), 6) for v in scale],
        coef=[round(float(v), 6) for v in res.x],
        intercept=0.0,
    )


def _answer_rows(
    examples: list[Example], span: Linear
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: the answer model's features of its best span, whether it is right, and
    whether it is exactly right."""
    w, b = span.arrays()
    rows: list[list[float] | None] = []
    right: list[bool] = []
    exact: list[bool] = []
    for ex in examples:
        if not ex.spans:
            rows.append(None)
            right.append(False)
            exact.append(False)
            continue
        logits = (np.asarray([s.features for s in ex.spans]) @ w + b).tolist()
        best = int(np.argmax(logits))
        rows.append(answer_row(ex.question, ex.spans, logits, best, ex.infos))
        f1 = best_f1(ex.item.answers, ex.spans[best].text) if ex.item.answers else 0.0
        right.append(f1 >= RIGHT)
        exact.append(f1 == 1.0)
    width = len(ANSWER_FEATURES)
    filled = np.asarray([r if r is not None else [-10.0] + [0.0] * (width - 1) for r in rows])
    return filled, np.asarray(right), np.asarray(exact)


def _folds(n: int) -> np.ndarray:
    return np.arange(n) % FOLDS  # questions are sorted by id: a fixed, even spread


def _out_of_fold(
    examples: list[Example],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each question's answer probability from span and answer models fitted without it."""
    folds = _folds(len(examples))
    rows = np.zeros((len(examples), len(ANSWER_FEATURES)))
    right = np.zeros(len(examples), dtype=bool)
    exact = np.zeros(len(examples), dtype=bool)
    for f in range(FOLDS):
        train = [ex for ex, k in zip(examples, folds, strict=True) if k != f]
        test = [ex for ex, k in zip(examples, folds, strict=True) if k == f]
        span = _fit_listwise(train, SPAN_FEATURES)
        r, y, e = _answer_rows(test, span)
        rows[folds == f], right[folds == f], exact[folds == f] = r, y, e
    probs = np.zeros(len(examples))
    for f in range(FOLDS):  # the answer model, out of fold over those out-of-fold rows
        inside = folds != f
        w, b = _fit(rows[inside], right[inside].astype(float), ANSWER_FEATURES).arrays()
        probs[~inside] = 1.0 / (1.0 + np.exp(-(rows[~inside] @ w + b)))
    return probs, right, rows, exact


def _platt(probs: np.ndarray, right: np.ndarray) -> Calibration:
    """Platt scaling of out-of-fold probabilities against whether the answer was right."""
    from sklearn.linear_model import LogisticRegression

    p = np.clip(probs, 1e-9, 1 - 1e-9)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    model = LogisticRegression(C=1e6, max_iter=5000).fit(z, right.astype(int))
    return Calibration(a=round(float(model.coef_[0][0]), 6), b=round(float(model.intercept_[0]), 6))


def _threshold(
    conf: np.ndarray, right: np.ndarray, answerable: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The lowest threshold whose kept out-of-fold answers are right TARGET_PRECISION of
    the time, counting only thresholds that keep MIN_ANSWERS or more; when none is, the
    one among those whose answers are most often right (the lower on a tie), and
    ``target_reached`` 0. What it gives out of fold is reported beside it."""
    cuts = []
    for t in sorted(set(conf.tolist()), reverse=True):
        given = conf >= t
        if given.sum() >= MIN_ANSWERS:
            cuts.append((float(right[given].mean()), t))
    reaching = [t for p, t in cuts if p >= TARGET_PRECISION]
    if reaching:
        best_t, reached = min(reaching), 1.0
    elif cuts:
        top = max(p for p, _ in cuts)
        best_t, reached = min(t for p, t in cuts if p == top), 0.0
    else:
        best_t, reached = 1.0, 0.0
    given = conf >= best_t
    stats = {
        "precision": round(float(right[given].mean()) if given.any() else 1.0, 4),
        "coverage": round(float((given & answerable).sum() / max(1, answerable.sum())), 4),
        "target_reached": reached,
    }
    return float(best_t), stats


def train(sets: list[tuple[str, Any, list[EvalItem]]]) -> ReaderWeights:
    examples: list[Example] = []
    trained_on: dict[str, int] = {}
    readers: list[tuple[Reader, list[Example]]] = []
    for name, pipeline, items in sets:
        dev = sorted((it for it in items if it.split == "dev"), key=lambda it: it.id)
        reader = Reader(pipeline.store, weights=blank())
        got = measure(pipeline, reader, dev)
        trained_on[name] = len(got)
        readers.append((reader, got))
        examples += got
        log.info("%s: %d dev questions measured", name, len(got))
    sx = np.vstack([ex.rows for ex in examples if len(ex.rows)])
    sy = np.concatenate([ex.labels for ex in examples if len(ex.rows)])
    sentence = _fit(sx, sy, SENTENCE_FEATURES)
    scorer = Scorer(blank().model_copy(update={"sentence": sentence}))
    for reader, got in readers:
        _span_examples(reader, scorer, got)
    examples.sort(key=lambda ex: ex.item.id)
    span = _fit_listwise(examples, SPAN_FEATURES)
    probs, right, _, exact = _out_of_fold(examples)
    rows, labels, _ = _answer_rows(examples, span)
    answer = _fit(rows, labels.astype(float), ANSWER_FEATURES)
    calibration = _platt(probs, right)
    conf = np.asarray([calibration(p) for p in probs])
    answerable = np.asarray([bool(ex.item.answers) for ex in examples])
    threshold, dev_stats = _threshold(conf, right, answerable)
    dev_stats["right_first"] = round(float(right[answerable].mean()), 4)
    dev_stats["exact_first"] = round(float(exact[answerable].mean()), 4)
    log.info("threshold %.4f on dev: %s", threshold, dev_stats)
    return ReaderWeights(
        sentence=sentence,
        span=span,
        answer=answer,
        calibration=calibration,
        threshold=round(threshold, 4),
        trained_on=trained_on,
        dev=dev_stats,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.train_reader", description=__doc__)
    p.add_argument("--out", type=Path, default=WEIGHTS, help="where the weights go (JSON)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from contextlib import ExitStack

    from eval.__main__ import corpus_pipeline
    from index.embed import Embedder
    from service.config import get_settings

    settings = get_settings()
    encoder = Embedder(
        threads=settings.torch_threads,
        backend=settings.encoder_backend,
        onnx_dir=settings.model_dir,
    )
    # the reader's current weights must load for the pipeline to start; a blank file will do
    try:
        current = load_weights()
        usable = (current.sentence.features, current.span.features, current.answer.features) == (
            SENTENCE_FEATURES,
            SPAN_FEATURES,
            ANSWER_FEATURES,
        )
    except (OSError, ValueError):
        usable = False
    if not usable:  # the features changed: zero weights until these are fitted
        WEIGHTS.write_text(blank().model_dump_json(indent=1), encoding="utf-8")
    with ExitStack() as stack:
        sets = []
        for name in names():
            c = corpus(name, settings.seeds_dir)
            pipeline = stack.enter_context(corpus_pipeline(c, settings, encoder))
            sets.append((name, pipeline, load(c.questions)))
            if name == SEEDS:
                sets.append(("seeds-original", pipeline, load(DATA)))
        weights = train(sets)
    args.out.write_text(json.dumps(weights.model_dump(), indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: trained on {weights.trained_on}, threshold {weights.threshold}, "
        f"dev (out of fold) {weights.dev}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
