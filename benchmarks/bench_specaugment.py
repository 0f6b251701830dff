#!/usr/bin/env python
"""Speed and memory benchmark of ``spec_augment.SpecAugment`` against its floor and its peers.

Run from the repository root::

    python benchmarks/bench_specaugment.py            # full run, ~8 min on 2 busy cores; writes benchmarks/results.md
    python benchmarks/bench_specaugment.py --quick    # ~1 min smoke run; writes only benchmarks/results/quick.json

The harness is ``benchmarks/harness.py``, the cases ``benchmarks/cases/``, the report
``benchmarks/report.py``; this file only reads the command line. ``benchmarks/README.md`` explains
what is measured and how.
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS_MD = REPO / "benchmarks" / "results.md"
RESULTS_JSON = REPO / "benchmarks" / "results" / "latest.json"
QUICK_JSON = REPO / "benchmarks" / "results" / "quick.json"
BACKENDS = "tensorflow,jax,torch"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 3 rounds, short rows; no memory, frontend, "
                   "breakdown, backends (unless --backends) or stream (unless --stream-batches); "
                   "does not overwrite results.md")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 30; quick 3)")
    p.add_argument("--target-ms", type=float, help="time per row per round, sets N (default 75; quick 30)")
    p.add_argument("--rows", help="only main-process rows whose key contains one of these comma-separated words")
    p.add_argument("--no-peers", action="store_true", help="skip kapre and spec-augment 0.0.3")
    p.add_argument("--no-download", action="store_true", help="never pip-download spec-augment 0.0.3")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocess")
    p.add_argument("--no-frontend", action="store_true", help="skip the melspectrogram frontend rows")
    p.add_argument("--no-breakdown", action="store_true", help="skip the stage breakdown of our layer")
    p.add_argument("--no-scaling", action="store_true", help="skip the time/batch scaling rows")
    p.add_argument("--backends", help=f"Keras backends measured each in its own subprocess (default {BACKENDS}; "
                   "quick: none)")
    p.add_argument("--no-backends", action="store_true", help="skip the per-backend subprocesses")
    p.add_argument("--backend-rounds", type=int, help="rounds of each per-backend run (default 20; quick 3)")
    p.add_argument("--no-stream", action="store_true", help="skip the variable-length stream")
    p.add_argument("--stream-batches", type=int, help="batches (distinct lengths) of the timed stream (default 150)")
    p.add_argument("--stream-memory-batches", type=int,
                   help="new lengths of the second stream, for the memory growth (default 300)")
    p.add_argument("--markdown", help=f"Markdown output (default {RESULTS_MD.relative_to(REPO)}; quick: none); "
                   "'-' for none")
    p.add_argument("--json", help=f"JSON output (default {RESULTS_JSON.relative_to(REPO)}; quick: "
                   f"{QUICK_JSON.relative_to(REPO)}); '-' for none")
    p.add_argument("--threads", type=int, help="TensorFlow intra-op threads (default: TensorFlow's)")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # the body of a subprocess (harness.run_worker)
    p.add_argument("--worker-config", help=argparse.SUPPRESS)
    p.add_argument("--worker-params", default="{}", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace):
    from benchmarks.harness import Config

    quick = args.quick
    backends = args.backends if args.backends is not None else ("" if quick else BACKENDS)
    config = Config(
        rounds=args.rounds or (3 if quick else 30),
        target_ms=args.target_ms or (30.0 if quick else 75.0),
        rows=tuple(w.strip() for w in (args.rows or "").split(",") if w.strip()),
        peers=not args.no_peers,
        allow_download=not args.no_download,
        memory=not (args.no_memory or quick),
        frontend=not (args.no_frontend or quick),
        breakdown=not (args.no_breakdown or quick),
        backends=() if args.no_backends else tuple(b.strip() for b in backends.split(",") if b.strip()),
        backend_rounds=args.backend_rounds or (3 if quick else 20),
        stream=not (args.no_stream or (quick and args.stream_batches is None)),
        threads=args.threads,
    )
    if args.no_scaling:
        config.time_scaling = config.batch_scaling = ()
    config.stream_batches = args.stream_batches or config.stream_batches
    config.stream_memory_batches = args.stream_memory_batches or config.stream_memory_batches
    return config


def _output(value, default):
    path = default if value is None else value
    return None if path in (None, "-") else pathlib.Path(path)


def main(argv=None, config=None) -> int:
    """Run the benchmark; ``config`` (a ``harness.Config``) replaces the one built from the flags."""
    args = parse_args(argv)
    if args.worker:  # KERAS_BACKEND comes from the parent; nothing imported Keras yet
        from benchmarks.harness import Config
        from benchmarks.suite import run_worker_here

        return run_worker_here(args.worker, Config.from_json(args.worker_config), json.loads(args.worker_params))
    from benchmarks import report, suite

    config = config or config_from_args(args)
    md_path = _output(args.markdown, None if args.quick else RESULTS_MD)
    json_path = _output(args.json, QUICK_JSON if args.quick else RESULTS_JSON)
    results = suite.run(config, log=lambda line: print(line, flush=True))
    shown = sys.argv[1:] if argv is None else list(argv)
    results["command"] = "python benchmarks/bench_specaugment.py" + "".join(" " + shlex.quote(a) for a in shown)
    text = report.render(results)
    print("\n" + text, flush=True)
    if md_path:
        md_path.write_text(text)
        print(f"wrote {md_path}")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
        print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    if "--worker" not in sys.argv:
        # The main process runs the TensorFlow-only cases (kapre, frontends, tf.function); the other
        # backends are measured in subprocesses of their own.
        os.environ["KERAS_BACKEND"] = "tensorflow"
    sys.exit(main())
