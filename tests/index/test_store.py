from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import ivf, store
from index.build import build_index
from index.chunk import ChunkParams
from index.scale import ivf_reuse
from index.store import IndexLoadError, load, read_manifest, staleness
from tests.fakes import HashingEncoder

ENC = HashingEncoder()


@pytest.fixture
def built(tmp_path: Path, seeds_copy: Path) -> Path:
    out = tmp_path / "index"
    build_index(seeds_copy, out, ENC)
    return out


def _gen(out: Path) -> Path:
    return store.current_generation(out)


def _mapped(gen: Path) -> set[str]:
    """Names of the files of ``gen`` this process has memory-mapped (Linux /proc)."""
    maps = Path("/proc/self/maps").read_text().splitlines()
    return {Path(line.split()[-1]).name for line in maps if str(gen) in line}


def test_roundtrip_keeps_offsets_verbatim(built: Path) -> None:
    st = load(built, model=ENC.name, dimension=ENC.dimension)
    # below the IVF size nothing is mapped: a file damaged under a running service cannot
    # take the process down with SIGBUS (a large index is mapped: see the IVF test below)
    assert not store.is_large(read_manifest(built)) and _mapped(st.path) == set()
    assert st.chunk_index.ntotal == len(st.chunks) > 0
    for c in st.chunks:
        assert st.documents[c.doc_id].text[c.start : c.end] == c.text
    for s in st.sentences:
        assert st.documents[s.doc_id].text[s.start : s.end] == s.text
        assert all(s.sentence_id in st.chunks[cid].sentence_ids for cid in s.chunk_ids)


def test_manifest_records_what_was_built(built: Path, seeds_copy: Path) -> None:
    m = read_manifest(built)
    assert m["model"] == ENC.name and m["dimension"] == 384
    assert m["chunking"]["max_tokens"] == ChunkParams().max_tokens
    assert m["seeds"] == store.seeds_fingerprint(seeds_copy)  # the bytes that were read
    assert set(m["files"]) == set(store.REQUIRED_FILES)
    assert set(m["files"]) >= {
        "documents.jsonl",
        "sentence_spans.npy",
        "sentence_chunks.npy",
        "sentence_chunk_offsets.npy",
        "chunk_spans.npy",
        "chunks.faiss",
        "sentences.faiss",
        "lexicon.json",
        "sentence_words.npy",
        "corpus_words.json",
        "bm25-chunks/data.csc.index.npy",
        "bm25-sentences/vocab.index.json",
    }
    for name, entry in m["files"].items():  # every file, bm25s's own included, is hashed
        assert entry["bytes"] == (_gen(built) / name).stat().st_size
    assert m["faiss"]["type"] == m["faiss_sentences"]["type"] == "IndexFlatIP"  # small corpus


def test_search_clamps_k_and_never_returns_missing_ids(built: Path) -> None:
    st = load(built, model=ENC.name, dimension=ENC.dimension)
    q = ENC.encode(["Microsoft invests in Japan"])[0]
    hits = st.search(q, 10_000)
    assert len(hits) == len(st.chunks)
    assert all(0 <= cid < len(st.chunks) for cid, _ in hits)
    assert st.search(q, 0) == []
    ids, scores = st.search_sentences(q, 10_000)
    assert len(ids) == len(st.sentences) and np.all(np.diff(scores) <= 1e-6)  # best first
    exact = st.sentence_vectors(np.arange(len(st.sentences))) @ q
    assert np.isclose(scores[0], exact.max()) and exact[ids[0]] == exact.max()
    assert len(st.search_sentences(q, 0)[0]) == 0


def test_refuses_another_model(built: Path) -> None:
    with pytest.raises(IndexLoadError, match=r"expected other/model.*python -m index build"):
        load(built, model="other/model", dimension=384)


def test_refuses_another_dimension(built: Path) -> None:
    with pytest.raises(IndexLoadError, match="dimension 384, expected 768"):
        load(built, model=ENC.name, dimension=768)


@pytest.mark.parametrize(
    "fname",
    [
        "chunks.faiss",
        "sentences.faiss",
        "chunk_spans.npy",
        "sentence_chunk_offsets.npy",
        "documents.jsonl",
        "sentence_words.npy",
        "corpus_words.json",
        "bm25-sentences/data.csc.index.npy",
    ],
)
def test_refuses_a_flipped_byte(built: Path, fname: str) -> None:
    path = _gen(built) / fname
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexLoadError, match=f"{fname} checksum differs"):
        load(built, model=ENC.name, dimension=ENC.dimension)


def test_refuses_a_truncated_file(built: Path) -> None:
    path = _gen(built) / "chunks.faiss"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexLoadError, match="checksum differs"):
        load(built, model=ENC.name, dimension=ENC.dimension)


@pytest.mark.parametrize(
    "fname", ["lexicon.json", "corpus_words.json", "bm25-chunks/indptr.csc.index.npy"]
)
def test_refuses_a_missing_file(built: Path, fname: str) -> None:
    (_gen(built) / fname).unlink()
    with pytest.raises(IndexLoadError, match=f"{fname} missing"):
        load(built, model=ENC.name, dimension=ENC.dimension)


def test_refuses_an_index_of_the_previous_format(built: Path) -> None:
    """Format 4 had no corpus word statistics: the service says to rebuild, `--if-stale` does."""
    mpath = _gen(built) / "manifest.json"
    m = json.loads(mpath.read_text())
    m["format_version"] = 4
    mpath.write_text(json.dumps(m))
    with pytest.raises(IndexLoadError, match=r"format 4, expected 7.*python -m index build"):
        load(built, model=ENC.name, dimension=ENC.dimension)


def test_refuses_a_count_mismatch(built: Path) -> None:
    mpath = _gen(built) / "manifest.json"
    m = json.loads(mpath.read_text())
    m["counts"]["chunks"] += 1
    mpath.write_text(json.dumps(m))
    with pytest.raises(IndexLoadError, match=r"chunks: .* manifest says"):
        load(built, model=ENC.name, dimension=ENC.dimension)


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="python -m index build"):
        load(tmp_path / "nothing", model=ENC.name, dimension=384)


def test_failed_build_leaves_previous_index_live(
    built: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = read_manifest(built)

    def boom(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    (seeds_copy / "005_new.txt").write_text("A new article about Tokyo.\n", encoding="utf-8")
    monkeypatch.setattr(store.faiss, "write_index", boom)
    with pytest.raises(OSError, match="disk full"):
        build_index(seeds_copy, built, ENC)
    assert read_manifest(built) == before
    load(built, model=ENC.name, dimension=ENC.dimension)
    assert not list(built.glob(".staging-*"))
    assert not list(built.glob(".vectors-*"))  # the vectors spilled for the build


def test_rebuild_switches_generation_and_prunes(built: Path, seeds_copy: Path) -> None:
    first = _gen(built)
    (seeds_copy / "005_new.txt").write_text("A new article about Tokyo.\n", encoding="utf-8")
    build_index(seeds_copy, built, ENC)
    build_index(seeds_copy, built, ENC)
    assert _gen(built) != first
    assert len(list(built.glob("gen-*"))) == 2  # live + one previous
    assert load(built, model=ENC.name, dimension=384).manifest["counts"]["documents"] == 6


def test_staleness(built: Path, seeds_copy: Path) -> None:
    params = ChunkParams()
    assert staleness(built, seeds_copy, ENC.name, params) is None
    assert "chunking" in (staleness(built, seeds_copy, ENC.name, ChunkParams(max_tokens=100)) or "")
    assert "built with" in (staleness(built, seeds_copy, "m2", params) or "")
    with open(next(seeds_copy.glob("*.txt")), "a", encoding="utf-8") as fh:
        fh.write("\nMore.")
    assert "changed" in (staleness(built, seeds_copy, ENC.name, params) or "")


def test_large_indexes_are_ivf_for_chunks_and_sentences_and_load_back(
    tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(seeds_copy, tmp_path / "flat", ENC)
    monkeypatch.setattr(ivf, "FLAT_LIMIT", 30)  # the five articles count as "large"
    out = tmp_path / "ivf"
    build_index(seeds_copy, out, ENC)
    m = read_manifest(out)
    for key in ("faiss", "faiss_sentences"):
        assert m[key]["type"] == "IndexIVFFlat" and m[key]["nprobe"] >= 1
    st = load(out, model=ENC.name, dimension=ENC.dimension)
    assert store.faiss.extract_index_ivf(st.sentence_index).nprobe == m["faiss_sentences"]["nprobe"]
    assert store.is_large(m)
    assert _mapped(st.path) >= {"chunks.faiss", "sentences.faiss"}  # shared, not copied
    q = st.sentence_vectors([7])[0]  # a sentence's own vector finds that sentence first
    ids, _ = st.search_sentences(q, 5)
    assert ids[0] == 7
    # read back by id through the IVF lists' map: the same rows as the flat index holds
    flat = load(tmp_path / "flat", model=ENC.name, dimension=ENC.dimension)
    assert read_manifest(tmp_path / "flat")["faiss_sentences"]["type"] == "IndexFlatIP"
    rows = np.array([5, 0, len(st.sentences) - 1, 5])  # any order, repeats allowed
    for ids in (np.arange(len(st.sentences)), rows):
        assert np.array_equal(st.sentence_vectors(ids), flat.sentence_vectors(ids))


def test_a_rebuild_reuses_the_live_index_centroids(
    tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding an article to a large index need not train k-means again: the next build
    takes the live generation's centroids, and the manifest says whose they are."""
    monkeypatch.setattr(ivf, "FLAT_LIMIT", 30)  # the five articles count as "large"
    out = tmp_path / "index"
    build_index(seeds_copy, out, ENC)
    first = _gen(out)
    trained = read_manifest(out)
    (seeds_copy / "005_new.txt").write_text(
        "A new article about Tokyo.\n\nTokyo opened a new rail line on Monday.\n",
        encoding="utf-8",
    )
    build_index(seeds_copy, out, ENC)
    added = read_manifest(out)
    build_index(seeds_copy, out, ENC)  # a chain of reuses still names who trained them
    m = read_manifest(out)
    # the live index's vectors keep their lists: only the new article's are assigned
    for key, counted in (("faiss", "chunks"), ("faiss_sentences", "sentences")):
        assert 0 < added[key]["assigned"] == added["counts"][counted] - trained["counts"][counted]
        assert m[key]["assigned"] == 0
    for key, counted in (("faiss", "chunks"), ("faiss_sentences", "sentences")):
        assert trained[key]["centroids_from"] is None
        assert trained[key]["trained_for"] == trained["counts"][counted]
        assert m[key]["centroids_from"] == first.name
        assert m[key]["trained_for"] == trained["counts"][counted] < m["counts"][counted]
        assert m[key]["nlist"] == trained[key]["nlist"]
    st = load(out, model=ENC.name, dimension=ENC.dimension)
    assert st.manifest["counts"]["documents"] == 6
    # carried or assigned, every vector sits in the list of its nearest centroid
    index = store.faiss.extract_index_ivf(st.sentence_index)
    centroids = index.quantizer.reconstruct_n(0, index.nlist)
    every = st.sentence_vectors(np.arange(len(st.sentences)))
    assert np.array_equal(ivf_reuse.lists_of(st.sentence_index), ivf.assign(every, centroids))
    q = st.sentence_vectors([len(st.sentences) - 1])[0]  # the new article's sentence
    assert st.search_sentences(q, 1)[0][0] == len(st.sentences) - 1
    build_index(seeds_copy, out, ENC, retrain=True)
    m = read_manifest(out)
    assert m["faiss_sentences"]["centroids_from"] is None
    assert m["faiss_sentences"]["trained_for"] == m["counts"]["sentences"]


def test_centroids_are_reused_only_from_an_intact_index_of_the_same_model(
    tmp_path: Path,
    seeds_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(ivf, "FLAT_LIMIT", 30)
    out = tmp_path / "index"
    assert ivf_reuse.previous_centroids(out, "chunks.faiss", model=ENC.name, dimension=384) is None
    build_index(seeds_copy, out, ENC)
    for fname in ("chunks.faiss", "sentences.faiss"):
        kept = ivf_reuse.previous_centroids(out, fname, model=ENC.name, dimension=384)
        assert kept is not None and kept.source == _gen(out).name
    # another model's vectors live in another space; another dimension cannot fit
    assert ivf_reuse.previous_centroids(out, "chunks.faiss", model="m2", dimension=384) is None
    assert ivf_reuse.previous_centroids(out, "chunks.faiss", model=ENC.name, dimension=8) is None
    path = _gen(out) / "sentences.faiss"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="index.scale.ivf_reuse"):
        assert (
            ivf_reuse.previous_centroids(out, "sentences.faiss", model=ENC.name, dimension=384)
            is None
        )
    assert "checksum differs" in caplog.text
    build_index(seeds_copy, out, ENC)  # a damaged live index: the build trains afresh
    m = read_manifest(out)
    assert m["faiss_sentences"]["centroids_from"] is None
    assert m["faiss"]["centroids_from"] is not None


def test_sentence_vectors_refuse_ids_outside_the_index(built: Path) -> None:
    st = load(built, model=ENC.name, dimension=ENC.dimension)
    assert st.sentence_vectors([]).shape == (0, ENC.dimension)
    for bad in ([-1], [len(st.sentences)]):
        with pytest.raises(IndexError, match="sentence ids must be in"):
            st.sentence_vectors(bad)


def test_a_rebuild_cut_another_way_assigns_the_rows_whose_text_changed(
    tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other chunk parameters cut the same files into other chunks: those are assigned
    afresh, while the sentences, the same text at the same offsets, keep their lists."""
    monkeypatch.setattr(ivf, "FLAT_LIMIT", 30)
    out = tmp_path / "index"
    build_index(seeds_copy, out, ENC)
    before = np.load(_gen(out) / "chunk_spans.npy")[:, :3]
    build_index(seeds_copy, out, ENC, ChunkParams(max_tokens=140, overlap_tokens=20))
    m = read_manifest(out)
    after = np.load(_gen(out) / "chunk_spans.npy")[:, :3]
    new_chunks = len({tuple(r) for r in after.tolist()} - {tuple(r) for r in before.tolist()})
    assert m["faiss"]["centroids_from"] is not None and m["faiss"]["assigned"] == new_chunks > 0
    assert m["faiss_sentences"]["assigned"] == 0
