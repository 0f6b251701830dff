"""One whole run: every case on the harness, in this process or in workers, gathered into one result dict.

``run(config)`` is what the command line calls; ``run_worker_here(name, ...)`` is the body of a
worker subprocess (``bench_specaugment.py --worker NAME``).
"""

from __future__ import annotations

import dataclasses
import datetime
import time

from benchmarks.cases import F, T, W, backends, breakdown, core, frontend, peers, stream
from benchmarks.harness import MEMORY_ENV, Config, Context, LoadSampler, can_probe_memory, emit, keras_backend, key, \
    machine_info, paired_ratio, run_rounds, run_worker, select, short_error, times_by_key, warm_up

WORKERS = {
    "memory": core.memory_worker,
    "backend": backends.worker,
    "stream-time": stream.time_worker,
    "stream-memory": stream.memory_worker,
}


def configure_tensorflow(config: Config) -> None:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # many tf.functions of one Python function: retracing warnings
    if config.threads:
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
    tf.random.set_seed(config.seed)


def run_worker_here(name: str, config: Config, params: dict) -> int:
    """The body of a worker subprocess: run one worker and print its JSON answer."""
    ctx = Context(config)
    if ctx.adapter.name == "tensorflow":
        configure_tensorflow(config)
    try:
        result = WORKERS[name](ctx, params)
    except Exception as error:  # reported as a skip by the parent, never a crash of the run
        result = {"skipped": short_error(error)}
    result.setdefault("notes", ctx.notes)
    emit(result)
    return 0


def main_rows(ctx: Context) -> list:
    rows = core.main_rows(ctx) + (peers.rows(ctx) if ctx.config.peers else []) + core.scaling_rows(ctx)
    rows += frontend.rows(ctx) if ctx.config.frontend else []
    rows += breakdown.rows(ctx) if ctx.config.breakdown else []
    return select(rows, ctx.config.rows)


def run(config: Config, log=print) -> dict:
    """Every case of ``config``; the result dict that ``report.render`` turns into Markdown."""
    started = time.perf_counter()
    if keras_backend() != "tensorflow":
        raise SystemExit(f"the benchmark's main process needs KERAS_BACKEND=tensorflow, not {keras_backend()!r}: "
                         "it runs the TensorFlow-only cases; other backends run in subprocesses")
    configure_tensorflow(config)
    ctx = Context(config, "tensorflow")
    with LoadSampler() as load:
        machine = machine_info()
        log("Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()))
        results = {"machine": machine, **_main_process(ctx, log), **_subprocesses(config, log)}
    notes = list(ctx.notes)
    for result in [results["memory"], *results["backends"].values(), *results["stream"].get("time", {}).values()]:
        notes += [n for n in result.get("notes", []) if n not in notes]
    results.update(date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                   config=dataclasses.asdict(config), masks={"F": F, "T": T, "W": W}, notes=notes,
                   loads=load.samples, wall_s=time.perf_counter() - started)
    return results


def _main_process(ctx: Context, log) -> dict:
    """The rows timed in this process: interleaved rounds, then their ratios and targets."""
    config = ctx.config
    rows = main_rows(ctx)
    log(f"\nWarm-up ({len(rows)} rows; target {config.target_ms:.0f} ms per row per round):")
    warm_up(rows, ctx, log=log)
    estimate = sum(row.n_calls * row.single_s for row in rows if row.skipped is None) * config.rounds
    log(f"\nTiming: {config.rounds} interleaved rounds (about {estimate:.0f} s):")
    run_rounds(rows, ctx, config.rounds, log=log)
    times = times_by_key(rows)
    main = tuple(config.main_shape)
    targets = core.targets(main) + (peers.targets(main) if config.peers else [])
    targets += frontend.targets(config.audio_shape) if config.frontend else []
    floor = key("floor", main)
    ratios_to_floor = {row.key: found[0] for row in rows
                       if (found := paired_ratio(times.get(row.key), times.get(floor))) is not None}
    return {"rows": [row.to_dict() for row in rows], "targets": [t.evaluate(times) for t in targets],
            "scaling_ratios": core.scaling_ratios(config, times), "ratios_to_floor": ratios_to_floor}


def _subprocesses(config: Config, log) -> dict:
    """The cases that need fresh processes: peak memory, each backend, the stream."""
    memory, backend_results, stream_result = {}, {}, {}
    if config.memory:
        log("\nPeak memory (subprocess):")
        memory = (run_worker("memory", config, env=MEMORY_ENV, log=log) if can_probe_memory()
                  else {"skipped": "/proc/self/clear_refs not writable: cannot reset the peak-RSS counter"})
    if config.backends:
        log("\nPer backend (one subprocess each):")
        backend_results = backends.run_all(config, log=log)
    if config.stream:
        log("\nVariable-length stream (subprocesses):")
        stream_result = stream.run_all(config, log=log)
        stream_result["targets"] = stream.targets(stream_result)
    return {"memory": memory, "backends": backend_results, "stream": stream_result}
