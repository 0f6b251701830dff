#!/usr/bin/env python
"""Speed benchmark of ``spec_augment.SpecAugment`` and its frontends against the floor, the peers and a baseline.

The command line and the run: each Keras backend in worker processes (ours, and with ``--baseline``
another checkout beside it, in the same interleaved rounds), then the stream. Run it from the
repository root; ``benchmarks/README.md`` explains what is measured and how.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import json
import os
import pathlib
import shlex
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # measure the checkout this script lives in, whatever is installed
    sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from benchmarks import report  # noqa: E402
from benchmarks.cases import frontend, headline, peers, stream  # noqa: E402
from benchmarks.harness import Config, Context, Worker, emit, machine_info, paired_ratio, time_row, \
    short_error, warm_up  # noqa: E402

RESULTS_MD = REPO / "benchmarks" / "results.md"
RESULTS_JSON = REPO / "benchmarks" / "results" / "latest.json"
QUICK_JSON = REPO / "benchmarks" / "results" / "quick.json"


def rows_for(ctx: Context, role: str) -> list:
    """The rows of this process's backend; the baseline runs the floor and the headline rows only."""
    config, backend = ctx.config, ctx.backend
    rows = headline.rows(ctx, role)
    if role == "ours":
        rows += peers.rows(ctx) if config.peers and backend == "tensorflow" else []
        rows += frontend.rows(ctx) if config.frontend else []
    return [row for row in rows if row.name.endswith("/floor") or not config.rows
            or any(word in row.name for word in config.rows)]


def targets_for(backend: str, config: Config, baseline: bool) -> list:
    out = headline.targets(backend, baseline)
    out += peers.targets() if config.peers and backend == "tensorflow" else []
    return out + (frontend.targets(backend) if config.frontend else [])


def worker_main(task: str, config: Config, params: dict) -> int:
    """The body of a worker process: answer on stdout (``harness.emit``), log on stderr."""
    try:
        if params.get("spec_augment"):  # the baseline's package (the benchmark's own modules are imported already)
            sys.path.insert(0, params["spec_augment"])
        import spec_augment

        ctx = Context(config)
        if ctx.backend == "tensorflow":
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # many tf.functions of one Python function: retracing warnings
        if task != "rows":
            emit({**{"stream-time": stream.time_worker, "stream-memory": stream.memory_worker}[task](ctx, params),
                  "notes": ctx.notes})
            return 0
        rows = rows_for(ctx, params["role"])
        n_calls = json.loads(sys.stdin.readline())["n_calls"]  # the baseline's come from ours' warm-up
        warm_up(rows, ctx, lambda line: print(line, file=sys.stderr, flush=True), n_calls)
        emit({"rows": [{k: getattr(row, k) for k in ("name", "label", "n_calls", "skipped")} for row in rows],
              "notes": ctx.notes,
              "spec_augment": f"{spec_augment.__version__} ({pathlib.Path(spec_augment.__file__).parent})"})
    except Exception as error:  # reported by the parent as a skip, never a crash of the whole run
        emit({"error": short_error(error)})
        return 1
    by_name = {row.name: row for row in rows}
    for line in sys.stdin:  # {"row": name, "gc": collect first}: time that row now
        message = json.loads(line)
        if message["gc"]:
            gc.collect()
        emit({"seconds": time_row(by_name[message["row"]], ctx)})
    return 0


def measure_backend(config: Config, backend: str, log=print) -> dict:
    """Ours (and the baseline) on ``backend``, each in its own process, in the same interleaved rounds:
    each round times every row once, the first row rotating, and a row both processes have in one
    and then at once in the other (the first process alternating), so that its pairs are close in time."""
    roles = {"ours": None, **({"baseline": config.baseline} if config.baseline else {})}
    workers, ready, notes = {}, {}, []
    # Both processes start (import) at once; then each warms up in turn.
    started = {role: Worker("rows", config, {"role": role, "spec_augment": path}, {"KERAS_BACKEND": backend})
               for role, path in roles.items()}
    try:
        for role, worker in started.items():
            log(f"  {backend} {role}: warm-up in its own process ...")
            n_calls = {row["name"]: row["n_calls"] for row in ready.get("ours", {}).get("rows", [])}
            answer = worker.ask({"n_calls": n_calls})
            if "error" in answer:
                if role == "ours":
                    return {"skipped": answer["error"]}
                notes.append(f"{backend}: baseline skipped: {answer['error']}")
                continue
            workers[role], ready[role] = worker, answer
        names = [row["name"] for row in ready["ours"]["rows"] if row["skipped"] is None]
        active = {role: {row["name"] for row in answer["rows"] if row["skipped"] is None}
                  for role, answer in ready.items()}
        times: dict = {}
        load = [os.getloadavg()[0]]
        for index in range(config.rounds):
            roles = list(workers)[index % len(workers):] + list(workers)[:index % len(workers)]
            fresh = set(roles)
            for name in names[index % len(names):] + names[:index % len(names)]:
                for role in (role for role in roles if name in active[role]):
                    answer = workers[role].ask({"row": name, "gc": role in fresh})
                    fresh.discard(role)
                    if "seconds" not in answer:
                        return {"skipped": f"{role} worker, round {index + 1}: {answer.get('error', answer)}"}
                    times.setdefault(f"{role}:{name}", []).append(answer["seconds"])
            load.append(os.getloadavg()[0])
            log(f"  {backend} round {index + 1}/{config.rounds}")
    except OSError as error:  # a worker died before its answer
        return {"skipped": f"a worker died: {short_error(error)}"}
    finally:
        for worker in started.values():
            worker.close()
    rows = []
    for role, answer in ready.items():
        notes += answer["notes"]
        for info in answer["rows"]:
            key = f"{role}:{info['name']}"
            row = {**info, "key": key, "role": role}
            if times.get(key):
                row["ms"] = [float(v) for v in np.percentile(times[key], [25, 50, 75]) * 1e3]
                floor = paired_ratio(times[key], times.get(key.rsplit("/", 1)[0] + "/floor"))
                row["to_floor"] = None if floor is None else floor[0]
            rows.append(row)
    return {"rows": rows, "times_ms": {k: [t * 1e3 for t in v] for k, v in times.items()}, "load": load,
            "notes": notes, "versions": {role: answer["spec_augment"] for role, answer in ready.items()},
            "targets": [t.evaluate(times) for t in targets_for(backend, config, "baseline" in workers)]}


def run(config: Config, log=print) -> dict:
    """Every case of ``config``; the result dict that ``report.render`` turns into Markdown."""
    started, load = time.perf_counter(), [os.getloadavg()[0]]
    results: dict = {"machine": machine_info(), "config": dataclasses.asdict(config), "backends": {}}
    log("Machine: " + "; ".join(f"{k}: {v}" for k, v in results["machine"].items()))
    for backend in config.backends:  # an unknown one fails in its worker, and is reported skipped
        results["backends"][backend] = measure_backend(config, backend, log)
        load += results["backends"][backend].get("load", [])
    if config.stream:
        log("Variable-length stream (fresh processes):")
        results["stream"] = stream.run_all(config, log)
    load.append(os.getloadavg()[0])
    results.update(date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), loads=load,
                   wall_s=time.perf_counter() - started)
    return results


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 short rounds, TensorFlow only, no stream, no results.md")
    p.add_argument("--rounds", type=int, help="interleaved rounds per backend (default 20; quick 3)")
    p.add_argument("--target-ms", type=float, help="time per row per round (default 75; quick 20)")
    p.add_argument("--rows", help="only rows whose name has one of these comma-separated words, e.g. LD,frontend")
    p.add_argument("--backends", help="comma-separated Keras backends (default tensorflow,jax,torch; quick tensorflow)")
    p.add_argument("--baseline", metavar="PATH", help="a checkout of another version, run side by side")
    p.add_argument("--no-peers", action="store_true", help="skip kapre and spec-augment 0.0.3")
    p.add_argument("--no-download", action="store_true", help="never pip-download spec-augment 0.0.3")
    p.add_argument("--no-frontend", action="store_true", help="skip the melspectrogram frontends")
    p.add_argument("--no-stream", action="store_true", help="skip the variable-length stream")
    p.add_argument("--stream-batches", type=int, help="new lengths of the timed stream (default 150)")
    p.add_argument("--stream-memory-batches", type=int, help="new lengths for the memory growth (default 300; 0: none)")
    p.add_argument("--markdown", help="the report (default benchmarks/results.md; quick: none); '-' for none")
    p.add_argument("--json", help="all raw numbers (default benchmarks/results/latest.json); '-' for none")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # JSON: task, config, params of a worker (harness.Worker)
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace):
    quick, default = args.quick, Config()
    backends = args.backends or ("tensorflow" if quick else ",".join(default.backends))
    if args.baseline and not (pathlib.Path(args.baseline) / "spec_augment" / "__init__.py").is_file():
        raise SystemExit(f"--baseline {args.baseline!r} is not a checkout of spec-augment (no spec_augment/ in it)")
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
        stream_memory_batches=default.stream_memory_batches if args.stream_memory_batches is None
        else args.stream_memory_batches,
    )


def main(argv=None, config=None) -> int:
    """Run the benchmark; ``config`` (a ``harness.Config``) replaces the one built from the flags."""
    args = parse_args(argv)
    if args.worker:  # KERAS_BACKEND comes from the parent; nothing imported Keras yet
        job = json.loads(args.worker)
        return worker_main(job["task"], Config(**job["config"]), job["params"])
    config = config or config_from_args(args)
    md_path, json_path = (None if path in (None, "-") else pathlib.Path(path) for path in (
        args.markdown or (None if args.quick else RESULTS_MD),
        args.json or (QUICK_JSON if args.quick else RESULTS_JSON)))
    results = run(config, log=lambda line: print(line, file=sys.stderr, flush=True))
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
