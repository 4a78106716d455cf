"""The hand-written evaluation set: loading and validation."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data" / "questions.jsonl"
TYPES = ("factoid", "paraphrase", "multi_doc", "small_doc", "chat", "unanswerable")


class EvalItem(BaseModel):
    """One question; ``answers`` empty means the articles do not answer it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str = Field(min_length=1)
    answers: list[str]
    doc_ids: list[str]
    type: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load(path: Path = DATA) -> list[EvalItem]:
    with open(path, encoding="utf-8") as fh:
        return [EvalItem.model_validate(json.loads(line)) for line in fh if line.strip()]


def problems(items: list[EvalItem], seeds_dir: Path) -> list[str]:
    """Everything wrong with the set: ids, types, and gold answers not verbatim in the articles.

    Each gold answer must occur verbatim in at least one of the item's articles, and each
    listed article must state at least one of the gold answers.
    """
    found: list[str] = []
    texts = {p.stem: p.read_bytes().decode("utf-8") for p in seeds_dir.glob("*.txt")}
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            found.append(f"{it.id}: duplicate id")
        seen.add(it.id)
        if it.type not in TYPES:
            found.append(f"{it.id}: unknown type {it.type!r}")
        if (it.type == "unanswerable") != (not it.answers):
            found.append(f"{it.id}: only unanswerable items have no answers")
        if it.answers and not it.doc_ids:
            found.append(f"{it.id}: answerable but no doc_ids")
        for doc_id in it.doc_ids:
            if doc_id not in texts:
                found.append(f"{it.id}: unknown doc_id {doc_id}")
            elif not any(a in texts[doc_id] for a in it.answers):
                found.append(f"{it.id}: no gold answer occurs in {doc_id}")
        for a in it.answers:
            if not any(a in texts.get(d, "") for d in it.doc_ids):
                found.append(f"{it.id}: gold answer {a!r} is in none of its doc_ids")
    return found
