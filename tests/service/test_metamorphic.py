"""Renaming the entities of articles renames the answers: the reader knows no names.

A copy of three articles of the fictional corpus has its companies, people and places
renamed (whole words, every spelling); the renamed questions must get the renamed answers
wherever the original articles' questions were answered right.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.corpus import corpus
from eval.dataset import EvalItem, load
from eval.metrics import best_f1
from index.build import build_index
from index.embed import Embedder
from service.config import Settings
from service.pipeline import Pipeline

ARTICLES = (
    "ledgerline-halden-marrowgate",
    "meridian-halden-marrowgate-wire",
    "nbr-krell-anand-interview",
)
# longest first, so that "Halden Bay Airlines" is renamed before "Halden Bay"
RENAMES = {
    "Halden Bay Airlines": "Quillon Coast Airways",
    "Halden Bay": "Quillon Coast",
    "Marrowgate Air Link": "Tessaly Regional Air",
    "Marrowgate": "Tessaly",
    "MARROWGATE": "TESSALY",
    "Tobias Krell-Anand": "Oriane Vasquez-Holt",
    "Krell-Anand": "Vasquez-Holt",
    "Ingrid Solvaag-Mercer": "Bertil Amadou-Lasker",
    "Solvaag-Mercer": "Amadou-Lasker",
    "Esker Aviation Group": "Pardoe Flight Holdings",
    "Calloway Nordstern Bank": "Wexmoor Trust Bank",
    "Kessary": "Ulvenhavn",
    "KESSARY": "ULVENHAVN",
    "Brenholm": "Castellet",
    "Lundmoor": "Fairhollow",
    "Volantis Jet": "Corvane Jet",
}
_PATTERN = re.compile("|".join(rf"\b{re.escape(k)}\b" for k in RENAMES))


def rename(text: str) -> str:
    return _PATTERN.sub(lambda m: RENAMES[m.group()], text)


def _pipeline(folder: Path, index: Path, embedder: Embedder) -> Pipeline:
    build_index(folder, index, embedder)
    return Pipeline.from_settings(Settings(index_dir=index, seeds_dir=folder), encoder=embedder)


@pytest.mark.integration
def test_renamed_entities_give_renamed_answers(
    tmp_path: Path, embedder: Embedder, seeds_dir: Path
) -> None:
    c = corpus("fiction", seeds_dir)
    original, renamed = tmp_path / "original", tmp_path / "renamed"
    original.mkdir()
    renamed.mkdir()
    for name in ARTICLES:
        text = (c.articles / f"{name}.txt").read_bytes().decode("utf-8")
        (original / f"{name}.txt").write_text(text, encoding="utf-8")
        (renamed / f"{name}.txt").write_text(rename(text), encoding="utf-8")
    before = _pipeline(original, tmp_path / "index-original", embedder)
    after = _pipeline(renamed, tmp_path / "index-renamed", embedder)
    items = [
        it
        for it in load(c.questions)
        if it.answers
        and set(it.doc_ids) <= set(ARTICLES)
        and (rename(it.question) != it.question or any(rename(a) != a for a in it.answers))
    ]
    assert len(items) >= 10  # questions that name or are answered by a renamed entity
    kept = moved = 0
    for it in items:
        got = before.ask(it.question, abstain_threshold=0.0)
        if best_f1(it.answers, got.text) < 0.5:
            continue  # only what the reader gets right is held to the renaming
        kept += 1
        twin = EvalItem(
            id=it.id,
            question=rename(it.question),
            answers=[rename(a) for a in it.answers],
            doc_ids=it.doc_ids,
            type=it.type,
        )
        answer = after.ask(twin.question, abstain_threshold=0.0).text
        moved += best_f1(twin.answers, answer) >= 0.5
        # never a name that only the original articles use
        assert answer is None or not any(
            re.search(rf"\b{re.escape(k)}\b", answer) for k in RENAMES
        ), (it.id, answer)
    assert kept >= 5
    # the reader's choices depend on the parse and the dense vectors, which move a little
    # with the names; nearly every right answer must follow the renaming
    assert moved >= 0.8 * kept, (moved, kept)
