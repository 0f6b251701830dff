"""A stream of batches of distinct time lengths, as an ASR pipeline feeds them (issue 9).

The default layer of the stream is LD + time warp W=80 with ``mask_value="mean"``; the floor is
``x * v`` on the same stream, compiled the same way. Two modes:

* ``graph``: one dynamic-shape ``tf.function`` (``input_signature`` with a ``None`` time axis), as
  ``tf.data`` or ``fit`` with a ``None`` time axis run it;
* ``eager``: plain eager calls.

Time: in one fresh process per mode, the layer and the floor take the batches in turn (the order
alternating per batch, so drift hits both alike); the FIRST pass over ``stream_batches`` new lengths
is the measure (every trace and compile included), then a repeat pass over the same lengths shows
the steady cost. Memory: in one fresh process per (mode, implementation) under ``MEMORY_ENV``,
resident memory after a warm-up batch, after the first stream and after a second stream of
``stream_memory_batches`` more new lengths (the growth over that one is judged).
"""

from __future__ import annotations

import gc
import time

import numpy as np

from benchmarks.cases import W
from benchmarks.cases.core import make_floor, make_layer
from benchmarks.harness import MEMORY_ENV, Config, Context, Skip, can_probe_memory, load_average, proc_status, \
    run_worker

MODES = ("graph", "eager")
IMPLS = ("floor", "ours")
FIRST_PASS_GOAL, MEMORY_GOAL_MIB = 2.0, 50.0


def stream_lengths(config: Config) -> tuple:
    """(first stream, second stream): distinct time lengths, uniform on ``config.stream_lengths``."""
    low, high = config.stream_lengths
    needed = config.stream_batches + config.stream_memory_batches
    if high - low < needed:  # one more length is kept for the memory workers' warm-up batch
        raise ValueError(f"stream_lengths {low}..{high} has fewer than the {needed} distinct lengths needed")
    lengths = np.random.default_rng(config.seed + 2).choice(np.arange(low, high + 1), needed, replace=False)
    return [int(n) for n in lengths[:config.stream_batches]], [int(n) for n in lengths[config.stream_batches:]]


def make_stream_fn(ctx: Context, impl: str, mode: str):
    """The floor or the default layer, as a dynamic-shape ``tf.function`` (graph) or eager."""
    if ctx.adapter.name != "tensorflow":
        raise Skip("the stream case measures the TensorFlow backend (tf.function with a None time axis, eager)")
    import tensorflow as tf

    batch, n_freq, channels = ctx.config.stream_shape
    if impl == "floor":
        fn = make_floor(ctx, (batch, None, n_freq, channels), mode="eager")
    else:
        layer = make_layer(ctx, time_warp_param=W, mask_value="mean")

        def fn(x):
            return layer(x, training=True)

    if mode == "eager":
        return fn
    spec = tf.TensorSpec((batch, None, n_freq, channels), tf.float32)
    return tf.function(fn, input_signature=[spec], autograph=False)


class _Batches:
    """Batches of the stream: slices of one standard-normal array, made into tensors outside the timing."""

    def __init__(self, ctx: Context):
        batch, n_freq, channels = ctx.config.stream_shape
        self.ctx, self.source = ctx, ctx.array((batch, ctx.config.stream_lengths[1], n_freq, channels))

    def __call__(self, length: int):
        return self.ctx.adapter.tensor(np.ascontiguousarray(self.source[:, :length]))


def _timed(fn, x, force) -> float:
    t0 = time.perf_counter()
    force(fn(x))
    return time.perf_counter() - t0


def time_worker(ctx: Context, params: dict) -> dict:
    """First and repeat pass of the floor and the layer, interleaved batch by batch, in one mode."""
    mode, force = params["mode"], ctx.adapter.force
    first, _ = stream_lengths(ctx.config)
    batches = _Batches(ctx)
    fns = {impl: make_stream_fn(ctx, impl, mode) for impl in IMPLS}
    load = [load_average()]
    passes = {}
    for name in ("first", "repeat"):
        seconds = {impl: [] for impl in IMPLS}
        for index, length in enumerate(first):
            x = batches(length)
            for impl in IMPLS if index % 2 == 0 else IMPLS[::-1]:
                seconds[impl].append(_timed(fns[impl], x, force))
        passes[name] = seconds
    load.append(load_average())
    out = {"mode": mode, "batches": len(first), "load": load}
    for name, seconds in passes.items():
        total = {impl: float(sum(s)) for impl, s in seconds.items()}
        out[name] = {"total_s": total, "ratio": total["ours"] / total["floor"],
                     "slowest_ms": {impl: float(max(s) * 1e3) for impl, s in seconds.items()},
                     "median_ms": {impl: float(np.median(s) * 1e3) for impl, s in seconds.items()}}
    return out


def memory_worker(ctx: Context, params: dict) -> dict:
    """Resident memory (MiB) before, after the first stream and after the second (new lengths)."""
    mode, impl, force = params["mode"], params["impl"], ctx.adapter.force
    first, second = stream_lengths(ctx.config)
    batches = _Batches(ctx)
    fn = make_stream_fn(ctx, impl, mode)
    # One batch of a length in neither stream first, so that one-time costs (tracing, runtime and
    # compiler start-up) are not counted as growth.
    low, high = ctx.config.stream_lengths
    warm = next(n for n in range(low, high + 1) if n not in set(first + second))
    rss = []
    for lengths in ((warm,), first, second):
        for length in lengths:
            force(fn(batches(length)))
        gc.collect()
        rss.append(proc_status("VmRSS:") / 2**20)
    return {"mode": mode, "impl": impl, "rss_mib": rss, "growth_first_mib": rss[1] - rss[0],
            "growth_second_mib": rss[2] - rss[1], "batches": [len(first), len(second)]}


def run_all(config: Config, log=print) -> dict:
    """Every stream measurement, each in a fresh subprocess; {"time": {mode: ...}, "memory": {...}}."""
    out = {"time": {}, "memory": {}, "lengths": list(config.stream_lengths),
           "batches": [config.stream_batches, config.stream_memory_batches]}
    for mode in MODES:
        log(f"  {mode}: first pass over {config.stream_batches} new lengths (floor and ours interleaved) ...")
        result = out["time"][mode] = run_worker("stream-time", config, {"mode": mode}, log=log)
        if "first" in result:
            log(f"    ours / floor = {result['first']['ratio']:.2f}x "
                f"({result['first']['total_s']['ours']:.2f} s / {result['first']['total_s']['floor']:.2f} s)")
        if not can_probe_memory():
            continue
        for impl in IMPLS:
            result = run_worker("stream-memory", config, {"mode": mode, "impl": impl}, env=MEMORY_ENV, log=log)
            out["memory"][f"{mode}/{impl}"] = result
            if "growth_second_mib" in result:
                log(f"    memory {impl}: +{result['growth_first_mib']:.1f} MiB over the first stream, "
                    f"+{result['growth_second_mib']:.1f} MiB over {config.stream_memory_batches} more lengths")
    return out


def targets(result: dict) -> list:
    """The issue's goals, evaluated on ``run_all``'s result (rows of the report's stream table)."""
    rows = []
    for mode in MODES:
        timing = result.get("time", {}).get(mode, {})
        value = timing.get("first", {}).get("ratio")
        rows.append({"kind": "first_pass", "mode": mode, "name": f"first pass, {mode}: ours / floor", "value": value,
                     "target": f"<= {FIRST_PASS_GOAL:g}x",
                     "status": "n/a" if value is None else "PASS" if value <= FIRST_PASS_GOAL else "MISS",
                     "skipped": timing.get("skipped")})
        memory = result.get("memory", {}).get(f"{mode}/ours", {})
        growth = memory.get("growth_second_mib")
        rows.append({"kind": "memory", "mode": mode, "name": f"memory growth, {mode}: ours over the second stream",
                     "value": growth,
                     "target": f"< {MEMORY_GOAL_MIB:g} MiB",
                     "status": "n/a" if growth is None else "PASS" if growth < MEMORY_GOAL_MIB else "MISS",
                     "skipped": memory.get("skipped")})
    return rows
