"""Sentence analyses are made at build time, stored as arrays and read back identically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.analysis import Analyses, cased_forms, english_words, parse_text

TEXTS = [
    "Zentara will open a lab in Lyon, its chief executive Ada Brun said on Monday.",
    "The €40 million lab, Zentara's largest, employs 120 people.",
    "",
]


def _write(a: Analyses, folder: Path) -> None:
    for name, data in a.payloads().items():
        (folder / name).write_bytes(data)


def test_analyses_round_trip(tmp_path: Path) -> None:
    built = Analyses.build(TEXTS)
    _write(built, tmp_path)
    read = Analyses.read(tmp_path)
    assert len(read) == len(TEXTS)
    for i, text in enumerate(TEXTS):
        want, got = parse_text(text), read.get(i, text)
        assert got == want
    p = read.get(0, TEXTS[0])
    # offsets slice the sentence; entities and noun chunks come with the parse
    assert all(TEXTS[0][t.start : t.end] for t in p.tokens)
    labels = {TEXTS[0][slice(*p.span(a, b))]: label for a, b, label in p.entities()}
    assert labels.get("Ada Brun") == "PERSON"
    assert "Lyon" in labels
    assert p.chunks  # noun chunks
    root = next(i for i, t in enumerate(p.tokens) if t.dep == "ROOT")
    assert p.distance(root, root) == 0
    assert read.get(2, "").tokens == ()


def test_damaged_analyses_are_refused(tmp_path: Path) -> None:
    _write(Analyses.build(TEXTS), tmp_path)
    offsets = np.load(tmp_path / "analysis_token_offsets.npy")
    offsets[-1] += 1  # claims a token that is not there
    np.save(tmp_path / "analysis_token_offsets.npy", offsets)
    with pytest.raises(ValueError, match="do not match"):
        Analyses.read(tmp_path)


def test_cased_forms_and_english_words() -> None:
    cased = cased_forms(["Shares of Zentara rose. Analysts at Zentara said us and May.", "us"])
    assert cased["zentara"] == "Zentara"
    assert "us" not in cased and "analysts" not in cased  # sentence-initial or function word
    english = english_words()
    assert {"reason", "bridge", "investment"} <= english
    assert "zentara" not in english
