"""index.tables: sentences and chunks as integer columns, records made on demand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import tables
from index.types import Chunk, Sentence

DOCS = ["a", "b"]
TEXTS = ["One. Two. Three.", "Four five. Six."]


def _records() -> tuple[list[Sentence], list[Chunk]]:
    cuts = [
        (0, 0, 4, (0,)),
        (0, 5, 9, (0, 1)),
        (0, 10, 16, (1,)),
        (1, 0, 10, (2,)),
        (1, 11, 15, ()),
    ]
    sentences = [
        Sentence(i, DOCS[d], s, e, TEXTS[d][s:e], owners)
        for i, (d, s, e, owners) in enumerate(cuts)
    ]
    chunks = [
        Chunk(0, "a", 0, 9, TEXTS[0][0:9], (0, 1)),
        Chunk(1, "a", 5, 16, TEXTS[0][5:16], (1, 2)),
        Chunk(2, "b", 0, 10, TEXTS[1][0:10], (3,)),
    ]
    return sentences, chunks


def _write(folder: Path) -> None:
    sentences, chunks = _records()
    for name, data in tables.payloads(tables.columns(DOCS, sentences, chunks)).items():
        (folder / name).write_bytes(data)


def test_records_come_back_as_they_went_in(tmp_path: Path) -> None:
    _write(tmp_path)
    sentences, chunks = tables.read(tmp_path, DOCS, TEXTS)
    want_s, want_c = _records()
    assert list(sentences) == want_s and list(chunks) == want_c
    assert [sentences[i] for i in range(len(sentences))] == want_s  # looked up one by one
    assert sentences[-1] == want_s[-1] and chunks[np.int64(2)] == want_c[2]
    assert sentences[1:3] == want_s[1:3]
    assert sentences[1] is sentences[1]  # kept once made
    with pytest.raises(IndexError):
        sentences[5]
    assert sentences.of_document(1) == want_s[3:]
    assert sentences.first_chunks().tolist() == [0, 0, 1, 2, -1]


def test_the_cache_stays_within_its_bound(tmp_path: Path) -> None:
    _write(tmp_path)
    sentences, _ = tables.read(tmp_path, DOCS, TEXTS)
    small = tables.SentenceTable(
        DOCS, TEXTS, sentences.spans, sentences.chunks, sentences.offsets, 2
    )
    got = [small[i] for i in (0, 1, 2, 3, 4, 0)]
    assert got[-1] == got[0] and len(small._cache) <= 2


def test_a_chunk_must_be_one_run_of_sentences() -> None:
    sentences, chunks = _records()
    chunks[1] = Chunk(1, "a", 0, 16, TEXTS[0], (0, 2))
    with pytest.raises(ValueError, match="not one run"):
        tables.columns(DOCS, sentences, chunks)


def test_ids_must_match_their_rows() -> None:
    sentences, chunks = _records()
    with pytest.raises(ValueError, match="row 0"):
        tables.columns(DOCS, sentences[1:], chunks)


def _damage(folder: Path, name: str, change: object) -> None:
    array = np.load(folder / name)
    array = change(array)  # type: ignore[operator]
    np.save(folder / name, array, allow_pickle=False)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (tables.SENTENCE_SPANS, lambda a: a.astype(np.int32), "not int64"),
        (tables.SENTENCE_SPANS, lambda a: a[:, :2], "wrong shape"),
        (tables.SENTENCE_CHUNK_OFFSETS, lambda a: a[:-1], "offsets"),
        (tables.SENTENCE_CHUNKS, lambda a: a + 5, "does not exist"),
        (tables.SENTENCE_SPANS, lambda a: np.add(a, [0, 0, 100]), "outside their articles"),
        (tables.CHUNK_SPANS, lambda a: np.add(a, [2, 0, 0, 0, 0]), "outside their articles"),
        (tables.CHUNK_SPANS, lambda a: np.add(a, [0, 0, 0, 0, 9]), "do not exist"),
    ],
)
def test_refuses_tables_that_do_not_fit_together(
    tmp_path: Path, name: str, change: object, message: str
) -> None:
    _write(tmp_path)
    _damage(tmp_path, name, change)
    with pytest.raises(ValueError, match=message):
        tables.read(tmp_path, DOCS, TEXTS)
