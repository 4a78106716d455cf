"""Question sets: loading, validation, and the fixed dev/test split."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data" / "questions.jsonl"
TYPES = (
    "factoid",
    "paraphrase",
    "multi_doc",
    "small_doc",
    "chat",
    "list",
    "title",
    "explain",
    "unanswerable",
)
Split = Literal["dev", "test"]
SPLITS: tuple[Split, ...] = ("dev", "test")


class EvalItem(BaseModel):
    """One question; ``answers`` empty means the articles do not answer it.

    ``group`` ties rewordings of one question together (paraphrase consistency); a group
    is never split between dev and test.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str = Field(min_length=1)
    answers: list[str]
    doc_ids: list[str]
    type: str
    group: str | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def split(self) -> Split:
        """dev or test, by the parity of the sha256 of the group (or the id): fixed forever,
        whoever adds questions, and never depending on the order of the file."""
        key = (self.group or self.id).encode("utf-8")
        return "dev" if hashlib.sha256(key).digest()[-1] % 2 == 0 else "test"


def load(path: Path = DATA) -> list[EvalItem]:
    with open(path, encoding="utf-8") as fh:
        return [EvalItem.model_validate(json.loads(line)) for line in fh if line.strip()]


def article_texts(articles_dir: Path) -> dict[str, str]:
    """Every article file's text by doc id (the file name without ``.txt``)."""
    return {p.stem: p.read_bytes().decode("utf-8") for p in sorted(articles_dir.glob("*.txt"))}


def problems(items: list[EvalItem], articles_dir: Path) -> list[str]:
    """Everything wrong with the set: ids, types, and gold answers not verbatim in the articles.

    Each gold answer must occur verbatim in at least one of the item's articles, and each
    listed article must state at least one of the gold answers.
    """
    found: list[str] = []
    texts = article_texts(articles_dir)
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
    groups: dict[str, list[EvalItem]] = {}
    for it in items:
        if it.group:
            groups.setdefault(it.group, []).append(it)
    for name, members in groups.items():
        if len(members) < 2:
            found.append(f"group {name}: a single question")
        if len({tuple(sorted(m.answers)) for m in members}) > 1:
            found.append(f"group {name}: its questions' gold answers differ")
    return found
