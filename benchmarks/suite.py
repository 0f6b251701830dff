"""One whole run: each Keras backend in worker processes (ours, and the baseline checkout beside
it in the same interleaved rounds), then the stream; gathered into one result dict for the report.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.util
import json
import os
import pathlib
import sys
import time

import numpy as np

from benchmarks.cases import frontend, headline, peers, stream
from benchmarks.harness import Config, Context, Worker, emit, machine_info, paired_ratio, run_round, short_error, \
    warm_up


def import_spec_augment(path: str) -> None:
    """Make ``import spec_augment`` load the package of the checkout at ``path`` (its root, or the
    package folder itself), before anything imports ours."""
    root = pathlib.Path(path).resolve()
    package = root if (root / "__init__.py").is_file() else root / "spec_augment"
    spec = importlib.util.spec_from_file_location("spec_augment", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    if spec is None or not (package / "__init__.py").is_file():
        raise FileNotFoundError(f"no spec_augment package at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["spec_augment"] = module
    spec.loader.exec_module(module)


def rows_for(ctx: Context, role: str) -> list:
    """The rows of this process's backend; the baseline runs the floor and the headline rows only."""
    config, backend = ctx.config, ctx.adapter.name
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
        if params.get("spec_augment"):
            import_spec_augment(params["spec_augment"])
        import spec_augment

        ctx = Context(config)
        if ctx.adapter.name == "tensorflow":
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # many tf.functions of one Python function: retracing warnings
        if task != "rows":
            emit({**{"stream-time": stream.time_worker, "stream-memory": stream.memory_worker}[task](ctx, params),
                  "notes": ctx.notes})
            return 0
        rows = rows_for(ctx, params["role"])
        warm_up(rows, ctx, lambda line: print(line, file=sys.stderr, flush=True), params.get("n_calls"))
        emit({"rows": [row.info() for row in rows], "notes": ctx.notes,
              "spec_augment": f"{spec_augment.__version__} ({pathlib.Path(spec_augment.__file__).parent})"})
    except Exception as error:  # reported by the parent as a skip, never a crash of the whole run
        emit({"error": short_error(error)})
        return 1
    for line in sys.stdin:
        emit({"times": run_round(rows, ctx, json.loads(line)["round"])})
    return 0


def measure_backend(config: Config, backend: str, log=print) -> dict:
    """Ours (and the baseline) on ``backend``, each in its own process, in the same interleaved rounds:
    each round runs one process's rows and then the other's, the first one alternating."""
    roles = {"ours": None, **({"baseline": config.baseline} if config.baseline else {})}
    workers, ready, notes = {}, {}, []
    try:
        for role, path in roles.items():
            log(f"  {backend} {role}: warm-up in its own process ...")
            n_calls = {row["name"]: row["n_calls"] for row in ready.get("ours", {}).get("rows", [])}
            params = {"role": role, "spec_augment": path, "n_calls": n_calls}
            worker = Worker("rows", config, params, {"KERAS_BACKEND": backend})
            answer = worker.read()
            if "error" in answer:
                worker.close()
                if role == "ours":
                    return {"skipped": answer["error"]}
                notes.append(f"{backend}: baseline skipped: {answer['error']}")
                continue
            workers[role], ready[role] = worker, answer
        times: dict = {}
        load = [os.getloadavg()[0]]
        for index in range(config.rounds):
            order = list(workers)[index % len(workers):] + list(workers)[:index % len(workers)]
            for role in order:
                answer = workers[role].ask({"round": index})
                if "times" not in answer:
                    raise RuntimeError(f"{backend} {role} worker: {answer.get('error', answer)}")
                for name, seconds in answer["times"].items():
                    times.setdefault(f"{role}:{name}", []).append(seconds)
            load.append(os.getloadavg()[0])
            log(f"  {backend} round {index + 1}/{config.rounds}")
    finally:
        for worker in workers.values():
            worker.close()
    rows = []
    for role, answer in ready.items():
        notes += [note for note in answer["notes"] if note not in notes]
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
    for backend in config.backends:
        if backend not in headline.MODES:
            results["backends"][backend] = {"skipped": f"unknown backend {backend!r}"}
            continue
        results["backends"][backend] = measure_backend(config, backend, log)
        load += results["backends"][backend].get("load", [])
    if config.stream:
        log("Variable-length stream (fresh processes):")
        results["stream"] = stream.run_all(config, log)
    load.append(os.getloadavg()[0])
    results.update(date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), loads=load,
                   wall_s=time.perf_counter() - started)
    return results
