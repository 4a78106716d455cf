"""The corpora the harness scores: articles, their question set and their true metadata.

``seeds`` is the service's own articles (``RAG_SEEDS_DIR``); every other corpus lives in
``eval/corpora/<name>/`` as ``articles/*.txt``, ``questions.jsonl`` and ``metadata.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

ROOT = Path(__file__).parent / "corpora"
SEEDS = "seeds"


class TrueMetadata(BaseModel):
    """What a person reading the page finds: its headline, outlet, author and date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    publisher: str | None
    author: str | None
    date: str | None  # ISO, YYYY-MM-DD; None when the page states none


@dataclass(frozen=True)
class Corpus:
    name: str
    articles: Path
    questions: Path
    metadata: Path

    def true_metadata(self) -> dict[str, TrueMetadata]:
        rows = json.loads(self.metadata.read_text(encoding="utf-8"))
        return {doc_id: TrueMetadata.model_validate(row) for doc_id, row in rows.items()}


def names() -> list[str]:
    """Every corpus the harness knows, seeds first."""
    return [SEEDS, *sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name != SEEDS)]


def corpus(name: str, seeds_dir: Path) -> Corpus:
    """The named corpus; ``seeds`` reads its articles from ``seeds_dir``."""
    folder = ROOT / name
    if name not in names():
        raise ValueError(f"unknown corpus {name!r}; known: {', '.join(names())}")
    articles = seeds_dir if name == SEEDS else folder / "articles"
    return Corpus(name, articles, folder / "questions.jsonl", folder / "metadata.json")
