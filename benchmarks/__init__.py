"""Benchmark of ``spec_augment`` (see ``benchmarks/README.md``): ``harness``, ``cases``, ``report`` and the
command line and run, ``bench_specaugment``."""
