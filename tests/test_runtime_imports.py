"""The service runs without the build extra: torch, transformers, sentence-transformers and
optimum are unimportable in these processes, as in the image's runtime venv."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.embed import BuildToolsMissing, Embedder, export_onnx
from tests.conftest import CONTRACT_THRESHOLD, ROOT, SEEDS

BUILD_TOOLS = ("torch", "transformers", "sentence_transformers", "optimum")

# Run first in each child: the build tools cannot be imported, as where they are not
# installed (a None in sys.modules: `import` raises ModuleNotFoundError, find_spec gives
# None), and each `import` statement that asks for one is recorded with its module.
HIDE_BUILD_TOOLS = f"""
import builtins
import sys

HIDDEN = {BUILD_TOOLS!r}
ATTEMPTS = []
for name in HIDDEN:
    sys.modules[name] = None
_import = builtins.__import__


def _recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] in HIDDEN:
        ATTEMPTS.append([name, (globals or {{}}).get("__name__", "?")])
    return _import(name, globals, locals, fromlist, level)


builtins.__import__ = _recording_import
"""

ASK = """
import json
from fastapi.testclient import TestClient
from service.api import create_app
from service.config import Settings

settings = Settings(
    index_dir=sys.argv[1],
    seeds_dir=sys.argv[2],
    model_dir=sys.argv[3],
    encoder_backend=sys.argv[4],
    abstain_threshold=float(sys.argv[5]),
)
with TestClient(create_app(settings, wait_until_loaded=True)) as client:
    ready = client.get("/readyz")
    asked = client.post("/ask", json={"question": "How much is Microsoft investing in Japan?"})
print(json.dumps({
    "ready": ready.status_code,
    "status": asked.status_code,
    "answer": asked.json().get("answer"),
    "loaded": sorted(m for m, module in sys.modules.items() if module is not None
                     and m.split(".")[0] in HIDDEN),
    "attempts": ATTEMPTS,
}))
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE_BUILD_TOOLS + code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.integration
def test_the_service_answers_with_the_build_tools_unimportable(
    index_dir: Path, embedder: Embedder
) -> None:
    """The app loads the index and the ONNX model the fixtures exported, and answers; nothing
    in index.* or service.* even tries to import a build tool (a library's optional probe,
    such as spaCy's thinc looking for torch, may)."""
    models = str(embedder.onnx_dir.resolve())
    result = _run(
        ASK, str(index_dir), str(SEEDS), models, embedder.backend, str(CONTRACT_THRESHOLD)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ready"] == 200 and out["status"] == 200
    assert "2.9 billion" in out["answer"]
    assert out["loaded"] == []
    ours = [a for a in out["attempts"] if a[1].split(".")[0] in ("index", "service", "__main__")]
    assert ours == []


def test_index_build_without_the_build_extra_says_what_to_run(tmp_path: Path) -> None:
    """No exported model and no build extra: one line naming the fix, no traceback."""
    models = tmp_path / "models" / "all-MiniLM-L6-v2"
    main = "import runpy\nrunpy.run_module('index', run_name='__main__')\n"
    result = _run(
        f"sys.argv = ['index', 'build', '--seeds', {str(SEEDS)!r}, "
        f"'--out', {str(tmp_path / 'index')!r}, '--model-dir', {str(models)!r}]\n" + main
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: the ONNX model is not exported yet to {models}: run `make index` (installs "
        "the build extra), or pip install '.[build]' and then python -m index build"
    )
    assert not models.exists()


def test_exporting_or_the_torch_backend_without_the_extra_raise_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("torch", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    with pytest.raises(BuildToolsMissing, match=r"not exported yet .*make index") as exported:
        export_onnx(tmp_path / "minilm")
    with pytest.raises(BuildToolsMissing, match=r"torch encoder backend needs the build extra"):
        Embedder(backend="torch").warm_up()
    assert exported.value.__cause__ is None and exported.value.__suppress_context__
    assert not (tmp_path / "minilm").exists()
