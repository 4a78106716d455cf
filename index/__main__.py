"""`python -m index build | info`: build the index from the articles, or show its manifest."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from index.chunk import ChunkParams
from index.embed import (
    BACKENDS,
    DEFAULT_BACKEND,
    Backend,
    BuildToolsMissing,
    Embedder,
    export_onnx,
    model_id,
)
from index.scale.vector_cache import VectorCache
from index.space import describe
from index.store import IndexLoadError, read_manifest, staleness

DEFAULT_SEEDS = Path("seeds")
DEFAULT_OUT = Path("var/index")
DEFAULT_MODEL_DIR = Path("var/models/all-MiniLM-L6-v2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the index from the article files")
    b.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="folder of *.txt articles")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index folder")
    b.add_argument("--max-tokens", type=int, default=ChunkParams.max_tokens)
    b.add_argument("--overlap-tokens", type=int, default=ChunkParams.overlap_tokens)
    b.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="encoder backend (torch and onnx give the same vectors; int8 its own)",
    )
    b.add_argument(
        "--model-dir",
        type=Path,
        default=DEFAULT_MODEL_DIR,
        help="where the ONNX export of the bundled model is written",
    )
    cached = b.add_mutually_exclusive_group()
    cached.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="folder of vectors already computed, by text (default: OUT/vector-cache): "
        "a killed build resumes and a rebuild encodes only new text; each article's parse "
        "and cut (sentences and chunks) are kept in OUT/parse-cache and OUT/cut-cache, so "
        "only new articles are parsed and cut",
    )
    cached.add_argument(
        "--no-cache",
        action="store_true",
        help="parse, cut and encode everything, cache nothing",
    )
    b.add_argument(
        "--if-stale",
        action="store_true",
        help="do nothing when the index already matches these articles, model and chunking",
    )
    b.add_argument(
        "--retrain",
        action="store_true",
        help="train a large index's IVF centroids afresh; by default a build reuses the live "
        "index's while its vector count stays within 0.8-1.25x of what they were trained for",
    )
    i = sub.add_parser("info", help="print the manifest of the live index")
    i.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index folder")
    v = sub.add_parser("verify", help="check every index file against the manifest")
    v.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index folder")
    v.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "verify":
        from index.store import load

        try:
            store = load(args.out, model=model_id(args.backend), dimension=Embedder.dimension)
        except IndexLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"index at {store.path} is intact: {store.manifest['counts']}")
        return 0

    if args.command == "info":
        try:
            print(json.dumps(read_manifest(args.out), indent=2))
        except IndexLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    try:
        params = ChunkParams(max_tokens=args.max_tokens, overlap_tokens=args.overlap_tokens)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.seeds.is_dir():
        print(f"error: no articles folder at {args.seeds}", file=sys.stderr)
        return 2
    if args.backend != "torch":
        try:  # the service's encoder, exported once from the bundled model
            export_onnx(args.model_dir)
        except BuildToolsMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # a full disk while writing the export
            return _failed(describe(exc, args.model_dir))
    if args.if_stale:
        reason = staleness(args.out, args.seeds, model_id(args.backend), params)
        if reason is None:
            print(f"index at {args.out} is up to date")
            return 0
        print(f"rebuilding index: {reason}")

    from index.build import build_index

    try:
        # torch encodes long chunks in batches as fast as ONNX (measured) and gives the same
        # vectors; ONNX wins on one short question at a time, so the service uses it.
        build_backend: Backend = "onnx-int8" if args.backend == "onnx-int8" else "torch"
        cores = os.cpu_count() or 1  # as index.generation.hash_threads counts them
        encoder = (
            Embedder(backend=build_backend, onnx_dir=args.model_dir, sessions=cores)
            if build_backend != "torch"
            else Embedder(threads=cores, backend="torch")
        )
        cache = None
        if not args.no_cache:
            cache = VectorCache(
                args.cache or args.out / "vector-cache",
                encoder.name,
                encoder.weights_sha256(),
                encoder.dimension,
            )
        # progress of a long build (``index.scale``: what was cached, whose centroids)
        for name in ("index.build", "index.ivf", "index.scale"):
            logging.getLogger(name).setLevel(logging.INFO)
        report = build_index(
            args.seeds,
            args.out,
            encoder,
            params,
            cache=cache,
            cuts=None if args.no_cache else args.out / "cut-cache",
            retrain=args.retrain,
            parses=None if args.no_cache else args.out / "parse-cache",
        )
    except OSError as exc:  # a full disk, a quota, a read-only folder: no traceback
        return _failed(describe(exc, args.out))
    except (ValueError, UnicodeDecodeError, BuildToolsMissing) as exc:
        return _failed(str(exc))
    print(
        f"built {report.path}: {report.documents} documents, {report.chunks} chunks, "
        f"{report.sentences} sentences in {report.seconds:.1f} s "
        f"({report.encoded} texts encoded"
        + (f", the rest repeated or cached in {cache.folder}" if cache else "")
        + (f"; {report.cache_dropped} stale cached vectors removed" if report.cache_dropped else "")
        + ")"
    )
    return 0


def _failed(why: str) -> int:
    """Report a failed build in one line on stderr; the exit status."""
    why = " ".join(why.split())
    print(f"error: build failed, the previous index is untouched: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
