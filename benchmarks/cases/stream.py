"""A stream of batches of distinct time lengths, as an ASR pipeline feeds them, on TensorFlow.

Ours is the stream's layer (LD + warp W=80, ``mask_value="mean"``), the floor ``x * v``, both in one
dynamic-shape ``tf.function`` (``input_signature`` with a ``None`` time axis) or eager. Time: in a
fresh process per mode, ours and the floor take each batch in turn; the FIRST pass (every trace
and compile included) is the measure, a repeat pass the steady cost. Memory: in a fresh process per
mode and implementation under ``MEMORY_ENV``, resident memory growth over ``stream_memory_batches``
more new lengths, after a warm-up batch and the first stream.
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
    return lambda length: ctx.adapter.tensor(np.ascontiguousarray(source[:, :length]))


def time_worker(ctx: Context, params: dict) -> dict:
    """First and repeat pass of the floor and ours over the first stream, alternating per batch."""
    first, _, _ = lengths(ctx.config)
    batch, force = batches(ctx), ctx.adapter.force
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
    """Resident MiB after the warm-up batch, the first stream and the second (new lengths)."""
    first, second, warm = lengths(ctx.config)
    batch, fn = batches(ctx), make(ctx, params["impl"], params["mode"])
    rss = []
    for stream in ([warm], first, second):
        for length in stream:
            ctx.adapter.force(fn(batch(length)))
        gc.collect()
        with open("/proc/self/status") as status:
            rss.append(next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")))
    return {"rss_mib": rss, "growth_mib": rss[2] - rss[1]}


def run_all(config: Config, log=print) -> dict:
    """Every stream measurement, each in a fresh process, with the goals judged."""
    out: dict = {"time": {}, "memory": {}}
    for mode in MODES:
        out["time"][mode] = run_once("stream-time", config, {"mode": mode})
        log(f"  stream {mode}: {out['time'][mode]}")
        for impl in IMPLS if config.stream_memory_batches else ():
            out["memory"][f"{mode}/{impl}"] = run_once("stream-memory", config, {"mode": mode, "impl": impl},
                                                       MEMORY_ENV)
    out["goals"] = goals(out)
    return out


def goals(result: dict) -> list:
    rows = []
    for mode in MODES:
        value = result["time"].get(mode, {}).get("first", {}).get("ratio")
        rows.append({"name": f"first pass, {mode}: ours / floor", "value": value, "unit": "x",
                     "target": f"<= {FIRST_PASS_GOAL:g}x", "status": _status(value, FIRST_PASS_GOAL)})
        growth = result["memory"].get(f"{mode}/ours", {}).get("growth_mib")
        if f"{mode}/ours" in result["memory"]:
            rows.append({"name": f"memory growth, {mode}: ours over the second stream", "value": growth,
                         "unit": " MiB", "target": f"< {MEMORY_GOAL_MIB:g} MiB", "status": _status(growth, MEMORY_GOAL_MIB)})
    return rows


def _status(value, goal) -> str:
    return "n/a" if value is None else "PASS" if value <= goal else "MISS"
