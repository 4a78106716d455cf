"""Checking a generation's files once: a supervisor's `Verified` spares its workers the
hashing, and never covers a file that changed after it was hashed."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from blake3 import blake3

from index import generation
from index.build import build_index
from index.files import blake3_file
from index.generation import IndexLoadError, Stamp, Verified, check_files, verify
from index.store import REQUIRED_FILES, load
from tests.fakes import HashingEncoder

ENC = HashingEncoder()


@pytest.fixture
def built(tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh index whose files count as settled (written more than RACY_S ago)."""
    out = tmp_path / "index"
    build_index(seeds_copy, out, ENC)
    monkeypatch.setattr(generation, "RACY_S", 0.05)
    time.sleep(0.1)  # past it, and past any tick of the file system's clock
    yield out
    generation.trust(None)  # a test's trust must not reach the next test's loads


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files hashed from here on."""
    names: list[str] = []
    real = generation.blake3_file

    def counting(path: Path) -> str:
        names.append(path.name)
        return real(path)

    monkeypatch.setattr(generation, "blake3_file", counting)
    return names


def _flip_byte_in_place(path: Path) -> None:
    """Change one byte, same size, and set the modification time back as it was."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with open(path, "r+b") as fh:  # in place: the same inode
        fh.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_hashes_every_file_the_manifest_lists(built: Path, hashed: list[str]) -> None:
    v = verify(built, threads=3)
    gen = generation.current_generation(built)
    manifest = generation.manifest_of(gen)
    assert set(v.files) == set(manifest["files"]) == set(REQUIRED_FILES)
    assert sorted(hashed) == sorted(Path(n).name for n in REQUIRED_FILES)
    assert {n: digest for n, (digest, _) in v.files.items()} == {
        n: e["blake3"] for n, e in manifest["files"].items()
    }
    assert v.folder == str(gen.resolve())


def test_threads_give_the_same_result_as_one(built: Path) -> None:
    assert verify(built, threads=1) == verify(built, threads=4)


def test_a_trusted_check_spares_the_hashing(built: Path, hashed: list[str]) -> None:
    generation.trust(verify(built))
    hashed.clear()
    store = load(built, model=ENC.name, dimension=ENC.dimension)
    assert hashed == []
    assert len(store.chunks) > 0


def test_a_file_changed_after_the_check_is_hashed_again(built: Path, hashed: list[str]) -> None:
    generation.trust(verify(built))
    gen = generation.current_generation(built)
    _flip_byte_in_place(gen / "sentences.faiss")  # mtime set back: the ctime still moves
    hashed.clear()
    with pytest.raises(IndexLoadError, match=r"sentences\.faiss checksum differs"):
        load(built, model=ENC.name, dimension=ENC.dimension)
    assert hashed == ["sentences.faiss"]  # only the changed file


def test_a_replaced_file_is_hashed_again(built: Path, hashed: list[str]) -> None:
    generation.trust(verify(built))
    path = generation.current_generation(built) / "documents.jsonl"
    copy = path.with_name("copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # the same bytes under a new inode
    hashed.clear()
    load(built, model=ENC.name, dimension=ENC.dimension)
    assert hashed == ["documents.jsonl"]


def test_trust_covers_only_its_own_generation(built: Path, seeds_copy: Path) -> None:
    old = verify(built)
    build_index(seeds_copy, built, ENC)  # a new generation goes live
    gen = generation.current_generation(built)
    assert str(gen.resolve()) != old.folder
    manifest = generation.manifest_of(gen)
    assert not any(old.covers(gen, n, e["blake3"]) for n, e in manifest["files"].items())


def test_trust_needs_the_manifests_hash(built: Path) -> None:
    v = verify(built)
    gen = generation.current_generation(built)
    assert v.covers(gen, "sentences.faiss", v.files["sentences.faiss"][0])
    assert not v.covers(gen, "sentences.faiss", "0" * 64)  # a manifest that says otherwise
    assert not v.covers(gen, "not-a-file", v.files["sentences.faiss"][0])


def test_verify_refuses_a_damaged_or_missing_index(built: Path, tmp_path: Path) -> None:
    gen = generation.current_generation(built)
    _flip_byte_in_place(gen / "chunks.faiss")
    with pytest.raises(IndexLoadError, match=r"chunks\.faiss checksum differs") as exc:
        verify(built)
    assert "chunks.faiss" in exc.value.reason and str(gen) not in exc.value.reason
    (gen / "sentences.faiss").unlink()
    assert check_files(gen, generation.manifest_of(gen), ["sentences.faiss"]) == [
        "sentences.faiss missing"
    ]
    with pytest.raises(IndexLoadError, match="no CURRENT file") as exc:
        verify(tmp_path / "nothing-here")
    assert exc.value.reason == "no index has been built"


def test_a_file_changed_just_before_the_check_is_not_trusted(built: Path) -> None:
    gen = generation.current_generation(built)
    path = gen / "documents.jsonl"
    path.write_bytes(path.read_bytes())  # the same bytes, written less than RACY_S ago
    v = verify(built)  # it matches the manifest, so the check passes
    assert "documents.jsonl" not in v.files
    assert set(v.files) == set(REQUIRED_FILES) - {"documents.jsonl"}


def test_a_stamp_changes_with_a_write(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    before = Stamp.of(path)
    assert Stamp.of(path) == before
    path.write_bytes(b"abd")
    assert Stamp.of(path) != before


def test_the_supervisor_verifies_or_leaves_it_to_the_workers(built: Path, tmp_path: Path) -> None:
    from service.serve import verify_index

    v = verify_index(built)
    assert isinstance(v, Verified) and set(v.files) == set(REQUIRED_FILES)
    assert verify_index(tmp_path / "nothing-here") is None  # the workers report it on /readyz


def _relist(gen: Path, entry: Callable[[Path], dict[str, object]]) -> None:
    """Rewrite the manifest's file list, each file's entry made by ``entry``."""
    path = gen / generation.MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = {n: entry(gen / n) for n in manifest["files"]}
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_a_file_listed_without_its_blake3_is_refused(built: Path) -> None:
    gen = generation.current_generation(built)
    _relist(gen, lambda p: {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()})
    with pytest.raises(IndexLoadError, match=r"documents\.jsonl has no BLAKE3 in the manifest"):
        load(built, model=ENC.name, dimension=ENC.dimension)


def test_blake3_file_is_the_blake3_of_the_bytes(tmp_path: Path) -> None:
    for size in (0, 1, 1024, 3 * 1024 * 1024 + 7):  # empty, and several BLAKE3 chunks
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        assert blake3_file(path) == blake3(data).hexdigest()
