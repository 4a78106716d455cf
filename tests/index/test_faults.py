"""Broken index files and interrupted builds: the service refuses or keeps the old index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.embed import model_id
from index.store import load, read_manifest
from tests.conftest import ROOT, run_index_cli

pytestmark = pytest.mark.integration


cli = run_index_cli


@pytest.fixture
def live(tmp_path: Path, index_dir: Path) -> Path:
    out = tmp_path / "index"
    shutil.copytree(index_dir, out)
    return out


def _gen(out: Path) -> Path:
    return out / (out / "CURRENT").read_text().strip()


def test_verify_passes_on_an_intact_index(live: Path) -> None:
    r = cli("verify", "--out", str(live))
    assert r.returncode == 0 and "intact" in r.stdout


@pytest.mark.parametrize("damage", ["truncate", "flip", "wrong-model", "count"])
def test_verify_refuses_damage_with_a_non_zero_exit(live: Path, damage: str) -> None:
    gen = _gen(live)
    if damage == "truncate":
        (gen / "sentences.faiss").write_bytes((gen / "sentences.faiss").read_bytes()[:1000])
    elif damage == "flip":
        data = bytearray((gen / "chunk_spans.npy").read_bytes())
        data[10] ^= 0x01
        (gen / "chunk_spans.npy").write_bytes(bytes(data))
    else:
        m = json.loads((gen / "manifest.json").read_text())
        if damage == "wrong-model":
            m["model"] = "sentence-transformers/all-mpnet-base-v2"
        else:
            m["counts"]["sentences"] -= 1
        (gen / "manifest.json").write_text(json.dumps(m))
    r = cli("verify", "--out", str(live))
    assert r.returncode == 1
    assert "python -m index build" in r.stderr


def test_kill_9_mid_build_leaves_the_previous_index_usable(live: Path, seeds_copy: Path) -> None:
    before = read_manifest(live)
    (seeds_copy / "005_extra.txt").write_text("A new article.\n\nTokyo is big.\n" * 50)
    # The real CLI, stopped for good half-way through writing the new generation's files.
    code = (
        "import sys, time\n"
        "import index.store as store\n"
        "real = store.write_atomic\n"
        "def slow(path, data):\n"
        "    digest = real(path, data)\n"
        "    if path.name == 'chunk_spans.npy':\n"
        "        print('STAGED', flush=True)\n"
        "        time.sleep(120)\n"
        "    return digest\n"
        "store.write_atomic = slow\n"
        "from index.__main__ import main\n"
        f"sys.exit(main(['build', '--seeds', {str(seeds_copy)!r}, '--out', {str(live)!r}]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "STAGED"
    assert list(live.glob(".staging-*"))
    assert list(live.glob(".vectors-*.npy"))  # its vectors, spilled to disk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_manifest(live) == before
    store = load(live, model=model_id(), dimension=384)
    assert store.manifest["counts"]["documents"] == 5
    # the next build succeeds and sweeps the abandoned staging folder
    r = cli("build", "--seeds", str(seeds_copy), "--out", str(live))
    assert r.returncode == 0, r.stderr
    assert not list(live.glob(".staging-*"))
    assert not list(live.glob(".vectors-*"))
    assert read_manifest(live)["counts"]["documents"] == 6


def test_disk_full_while_writing_keeps_the_previous_index(live: Path, seeds_copy: Path) -> None:
    before = read_manifest(live)
    (seeds_copy / "005_extra.txt").write_text("Another article about Osaka.\n")
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))\n"
        "from index.__main__ import main\n"
        f"sys.exit(main(['build', '--seeds', {str(seeds_copy)!r}, '--out', {str(live)!r}]))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 1
    assert "previous index is untouched" in r.stderr
    assert read_manifest(live) == before
    load(live, model=model_id(), dimension=384)
    assert not list(live.glob(".staging-*"))
