"""The benchmark's cases, one short module per family, all on the harness of ``benchmarks.harness``:

* ``core``: the floor (``x * v``) and our layer, at the main shape and the scaling shapes; the
  peak-memory probe of those rows;
* ``peers``: kapre 0.4.1 and spec-augment 0.0.3;
* ``frontend``: the augmented melspectrogram frontend vs kapre's plain one;
* ``breakdown``: the stages of our layer;
* ``backends``: our layer vs the floor compiled the same way, on each Keras backend in its own process;
* ``stream``: a stream of batches of distinct time lengths (first pass and memory growth).

A new case is a function ``rows(ctx) -> list[Row]`` (and, for a subprocess, a worker registered in
``benchmarks.suite.WORKERS``).
"""

F, T, W = 27, 100, 80  # policy LD of Park et al. 2019, Table 1
