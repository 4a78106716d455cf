"""Pure scoring functions. Answer metrics follow the official SQuAD v2.0 evaluation script."""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Iterable, Sequence

# SQuAD's normalisation strips string.punctuation; curly quotes and dashes are punctuation
# too in news text, so they go as well.
_PUNCT = set(string.punctuation) | set("‘’“”–—…«»")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (SQuAD v2.0)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def _tokens(s: str | None) -> list[str]:
    return normalize_answer(s).split() if s else []


def exact_match(gold: str, pred: str | None) -> int:
    return int(normalize_answer(gold) == normalize_answer(pred or ""))


def f1(gold: str, pred: str | None) -> float:
    gold_toks, pred_toks = _tokens(gold), _tokens(pred)
    if not gold_toks or not pred_toks:
        # unanswerable gold or an abstention: 1 when both are empty, else 0 (SQuAD v2.0)
        return float(gold_toks == pred_toks)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_toks), same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def best_em(golds: Sequence[str], pred: str | None) -> int:
    """Max over gold answers; an unanswerable question's gold is the empty answer."""
    return max(exact_match(g, pred) for g in (golds or [""]))


def best_f1(golds: Sequence[str], pred: str | None) -> float:
    return max(f1(g, pred) for g in (golds or [""]))


def first_relevant_rank(retrieved: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first retrieved doc id that is relevant, None if absent."""
    rel = set(relevant)
    for i, doc_id in enumerate(retrieved, start=1):
        if doc_id in rel:
            return i
    return None


def recall_at_k(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def citation_valid(file_text: str, quote: str, start: int, end: int, answer: str) -> bool:
    """The quote is the file's text at its offsets and contains the answer."""
    return 0 <= start <= end <= len(file_text) and file_text[start:end] == quote and answer in quote


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]
