"""What only a build of thousands of articles needs: work kept between builds, and reuse.

At five articles a build takes seconds and none of this matters; at 100,000 a build takes
hours, and these keep a resumed or updated build from redoing what an earlier one did. Each
module implements one interface the core declares, and ``index.build`` hands it to that
step; without it the step does the work itself, with the same result::

    parse_cache   ParseCache     -> index.corpus.ParseStore     each article's parse, by its bytes
    cut_cache     CutCache       -> index.records.CutStore      each article's cut, by its text
    vector_cache  VectorCache    -> index.build.VectorStore     each text's vector, by its sha256
    ivf_reuse     live_centroids -> index.store.CentroidSource  the live generation's IVF
                  (``Centroids`` -> index.ivf.Pretrained)       centroids, and the list of
                                                                each vector whose text it held
    kept          folders named by what made their contents, and JSON files named by
                  their bytes (the caches' storage)

The caches live under the index folder (``OUT/parse-cache``, ``OUT/cut-cache``,
``OUT/vector-cache``; ``python -m index build --no-cache`` uses none). Modules here import
the core, never ``index.build`` or the CLI.
"""
