"""Benchmark of ``spec_augment.SpecAugment``: one harness (``harness``), short case modules (``cases``),
the Markdown report (``report``), the run of all cases (``suite``) and the command line
(``bench_specaugment.py``). See ``benchmarks/README.md``.
"""
