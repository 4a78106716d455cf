"""How fast and how big: the benchmark, load and scale tools (the quality harness, `python -m
eval`, is the rest of ``eval``).

- ``bench``: `python -m eval.bench`, latency and throughput of the real service, side by side
  with its baselines;
- ``load``: `python -m eval.load`, a bounded load test of the real service; its ``serve``
  and ``run_load`` are what the other tools and the serving tests start and load it with;
- ``growth``: `python -m eval.perf.growth`, real indexes of growing synthetic corpora, built
  and served;
- ``scale``: `python -m eval.perf.scale`, retrieval's cost up to a million chunks;
- ``fuzz``: `python -m eval.perf.fuzz` (`make fuzz`), schemathesis against the service;
- ``synth``: the synthetic news-like articles ``growth`` indexes;
- ``machine``: the CPU a measurement ran on, recorded with every row.
"""
