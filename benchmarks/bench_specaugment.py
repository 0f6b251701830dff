#!/usr/bin/env python
"""Speed benchmark of ``spec_augment.SpecAugment`` and its frontends, against the floor, the peers and a baseline.

Run from the repository root::

    python benchmarks/bench_specaugment.py                  # full run; writes benchmarks/results.md
    python benchmarks/bench_specaugment.py --quick          # smoke run on TensorFlow; writes nothing but quick.json
    python benchmarks/bench_specaugment.py --baseline /tmp/base   # side by side with another checkout

``benchmarks/README.md`` explains what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # measure the checkout this script lives in, whatever is installed
    sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS_MD = REPO / "benchmarks" / "results.md"
RESULTS_JSON = REPO / "benchmarks" / "results" / "latest.json"
QUICK_JSON = REPO / "benchmarks" / "results" / "quick.json"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 rounds of short rows, TensorFlow only (unless --backends), "
                   "no stream (unless --stream-batches); does not overwrite results.md")
    p.add_argument("--rounds", type=int, help="interleaved rounds per backend (default 20; quick 3)")
    p.add_argument("--target-ms", type=float, help="time per row per round, sets its calls per round "
                   "(default 75; quick 20)")
    p.add_argument("--rows", help="only rows whose name contains one of these comma-separated words "
                   "(the floors always run), e.g. 'LD,frontend'")
    p.add_argument("--backends", help="comma-separated Keras backends, each in its own processes "
                   "(default tensorflow,jax,torch; quick tensorflow)")
    p.add_argument("--baseline", metavar="PATH", help="a checkout of another spec-augment version: its headline rows "
                   "run in a process of their own in the same rounds as ours, and ours / baseline is reported")
    p.add_argument("--no-peers", action="store_true", help="skip kapre and spec-augment 0.0.3")
    p.add_argument("--no-download", action="store_true", help="never pip-download spec-augment 0.0.3")
    p.add_argument("--no-frontend", action="store_true", help="skip the melspectrogram frontends")
    p.add_argument("--no-stream", action="store_true", help="skip the variable-length stream")
    p.add_argument("--stream-batches", type=int, help="new lengths of the timed stream (default 150)")
    p.add_argument("--stream-memory-batches", type=int, help="more new lengths for the memory growth "
                   "(default 300; 0: no memory measurement)")
    p.add_argument("--markdown", help="Markdown output (default benchmarks/results.md; quick none); '-' for none")
    p.add_argument("--json", help="all raw numbers (default benchmarks/results/latest.json; quick "
                   "benchmarks/results/quick.json); '-' for none")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # the body of a worker process (harness.Worker)
    p.add_argument("--worker-config", help=argparse.SUPPRESS)
    p.add_argument("--worker-params", default="{}", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace):
    from benchmarks.harness import Config

    quick, default = args.quick, Config()
    backends = args.backends or ("tensorflow" if quick else ",".join(default.backends))
    if args.baseline and not pathlib.Path(args.baseline).is_dir():
        raise SystemExit(f"--baseline {args.baseline!r} is not a folder")
    return Config(
        rounds=args.rounds or (3 if quick else default.rounds),
        target_ms=args.target_ms or (20.0 if quick else default.target_ms),
        backends=tuple(b.strip() for b in backends.split(",") if b.strip()),
        rows=tuple(w.strip() for w in (args.rows or "").split(",") if w.strip()),
        baseline=str(pathlib.Path(args.baseline).resolve()) if args.baseline else None,
        peers=not args.no_peers,
        allow_download=not args.no_download,
        frontend=not args.no_frontend,
        stream=not (args.no_stream or (quick and args.stream_batches is None)),
        stream_batches=args.stream_batches or default.stream_batches,
        stream_memory_batches=(default.stream_memory_batches if args.stream_memory_batches is None
                               else args.stream_memory_batches),
    )


def main(argv=None, config=None) -> int:
    """Run the benchmark; ``config`` (a ``harness.Config``) replaces the one built from the flags."""
    args = parse_args(argv)
    if args.worker:  # KERAS_BACKEND comes from the parent; nothing imported Keras yet
        from benchmarks.harness import Config
        from benchmarks.suite import worker_main

        return worker_main(args.worker, Config(**json.loads(args.worker_config)), json.loads(args.worker_params))
    from benchmarks import report, suite

    config = config or config_from_args(args)
    outputs = {"markdown": (args.markdown, None if args.quick else RESULTS_MD),
               "json": (args.json, QUICK_JSON if args.quick else RESULTS_JSON)}
    md_path, json_path = (None if (v if v is not None else d) in (None, "-") else pathlib.Path(v or d)
                          for v, d in outputs.values())
    results = suite.run(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    shown = sys.argv[1:] if argv is None else list(argv)
    results["command"] = " ".join(["python benchmarks/bench_specaugment.py", *map(shlex.quote, shown)])
    text = report.render(results)
    print(text, flush=True)
    if md_path:
        md_path.write_text(text)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
