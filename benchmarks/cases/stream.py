"""A stream of batches of distinct time lengths, as an ASR pipeline feeds them, on TensorFlow.

Ours is the stream's layer (LD + warp W=80, ``mask_value="mean"``), the floor ``x * v``, both in one
dynamic-shape ``tf.function`` (``input_signature`` with a ``None`` time axis) or eager. Time: in a
fresh process per mode, ours and the floor take each batch in turn; the FIRST pass (every trace
and compile included) is the measure, a repeat pass the steady cost. Memory: in a fresh process per
mode under ``MEMORY_ENV``, our layer's resident memory growth over ``stream_memory_batches`` more
new lengths, after a warm-up batch and the first stream.
"""

from __future__ import annotations

import gc
import time

import numpy as np

from benchmarks.cases.headline import W, make_floor, make_layer
from benchmarks.harness import MEMORY_ENV, Config, Context, run_once

MODES, IMPLS = ("graph", "eager"), ("floor", "ours")
FIRST_PASS_GOAL, MEMORY_GOAL_MIB = 2.0, 50.0


def lengths(config: Config) -> tuple:
    """(first stream, second stream, warm-up length): distinct lengths, uniform on ``stream_lengths``."""
    low, high = config.stream_lengths
    n = config.stream_batches + config.stream_memory_batches + 1
    if high - low + 1 < n:
        raise ValueError(f"stream_lengths {low}..{high} has fewer than the {n} distinct lengths needed")
    drawn = [int(v) for v in np.random.default_rng(config.seed + 2).choice(np.arange(low, high + 1), n, False)]
    return drawn[:config.stream_batches], drawn[config.stream_batches:-1], drawn[-1]


def make(ctx: Context, impl: str, mode: str):
    import tensorflow as tf

    batch, n_freq, channels = ctx.config.stream_shape
    if impl == "floor":
        fn = make_floor(ctx, (batch, None, n_freq, channels), "eager")
    else:
        layer = make_layer(ctx, time_warp_param=W, mask_value="mean")
        fn = lambda x: layer(x, training=True)  # noqa: E731
    spec = tf.TensorSpec((batch, None, n_freq, channels), tf.float32)
    return fn if mode == "eager" else tf.function(fn, input_signature=[spec], autograph=False)


def batches(ctx: Context):
    batch, n_freq, channels = ctx.config.stream_shape
    source = ctx.array((batch, ctx.config.stream_lengths[1], n_freq, channels))
    return lambda length: ctx.tensor(np.ascontiguousarray(source[:, :length]))


def time_worker(ctx: Context, params: dict) -> dict:
    """First and repeat pass of the floor and ours over the first stream, alternating per batch."""
    first, _, _ = lengths(ctx.config)
    batch, force = batches(ctx), ctx.force
    fns = {impl: make(ctx, impl, params["mode"]) for impl in IMPLS}
    out = {"mode": params["mode"]}
    for name in ("first", "repeat"):
        seconds = {impl: 0.0 for impl in IMPLS}
        for index, length in enumerate(first):
            x = batch(length)
            for impl in IMPLS if index % 2 == 0 else IMPLS[::-1]:
                t0 = time.perf_counter()
                force(fns[impl](x))
                seconds[impl] += time.perf_counter() - t0
        out[name] = {**seconds, "ratio": seconds["ours"] / seconds["floor"]}
    return out


def memory_worker(ctx: Context, params: dict) -> dict:
    """Our layer's resident MiB after the warm-up batch, the first stream and the second (new lengths)."""
    first, second, warm = lengths(ctx.config)
    batch, fn, rss = batches(ctx), make(ctx, "ours", params["mode"]), []
    for stream in ([warm], first, second):
        for length in stream:
            ctx.force(fn(batch(length)))
        gc.collect()
        with open("/proc/self/status") as status:
            rss.append(next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")))
    return {"rss_mib": rss, "growth_mib": rss[2] - rss[1]}


def run_all(config: Config, log=print) -> dict:
    """Every stream measurement, each in a fresh process, and its goals."""
    out: dict = {"time": {}, "memory": {}, "goals": []}
    for mode in MODES:
        timing = out["time"][mode] = run_once("stream-time", config, {"mode": mode})
        out["goals"].append(goal(f"first pass, {mode}: ours / floor", timing.get("first", {}).get("ratio"),
                                 FIRST_PASS_GOAL, "x"))
        log(f"  stream {mode}: {out['goals'][-1]}")
        if config.stream_memory_batches:
            memory = out["memory"][mode] = run_once("stream-memory", config, {"mode": mode}, MEMORY_ENV)
            out["goals"].append(goal(f"memory growth, {mode}", memory.get("growth_mib"), MEMORY_GOAL_MIB, " MiB"))
    return out


def goal(name: str, value, limit: float, unit: str) -> dict:
    status = "n/a" if value is None else "PASS" if value <= limit else "MISS"
    return {"name": name, "value": value, "unit": unit, "target": f"<= {limit:g}{unit}", "status": status}
