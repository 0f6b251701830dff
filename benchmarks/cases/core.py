"""The floor and our layer: the main rows, the scaling rows and their peak memory.

The floor is ``x * v`` with ``v`` of shape (1, 1, freq, 1): one read and one write of the tensor,
the least any out-of-place augmentation must do. Both are compiled the same way as the row they
are compared with (``mode``: TensorFlow graph/xla/eager, JAX jit/eager, torch eager).
"""

from __future__ import annotations

import statistics

import numpy as np

from benchmarks.cases import F, T, W
from benchmarks.harness import Context, Row, Target, key, paired_ratio, peak_extra_bytes, warm_up


def make_floor(ctx: Context, shape, mode: str = "graph"):
    """``x * v``, ``v`` of shape (1, 1, freq, 1) (channels last; ``shape[2]`` is the frequency axis)."""
    rng = np.random.default_rng(ctx.config.seed + 1)
    v_shape = (1, 1, shape[2]) + (1,) * (len(shape) - 3)
    v = ctx.adapter.tensor(rng.uniform(0.5, 1.5, size=v_shape).astype(np.float32))

    def floor(x):
        return x * v

    return ctx.adapter.compile(floor, mode)


def make_layer(ctx: Context, n_freq_mask: int = 2, n_time_mask: int = 2, time_warp_param: int = 0, **layer_args):
    from spec_augment import SpecAugment

    return SpecAugment(F, T, n_freq_mask=n_freq_mask, n_time_mask=n_time_mask, time_warp_param=time_warp_param,
                       seed=ctx.config.seed, **layer_args)


def make_ours(ctx: Context, n_freq_mask: int = 2, n_time_mask: int = 2, time_warp_param: int = 0,
              mode: str = "graph", **layer_args):
    """Our layer called with ``training=True``, compiled as ``mode``."""
    layer = make_layer(ctx, n_freq_mask, n_time_mask, time_warp_param, **layer_args)
    if ctx.adapter.name == "jax" and mode == "jit":
        return jitted_stateless(layer)

    def ours(x):
        return layer(x, training=True)

    return ctx.adapter.compile(ours, mode)


def jitted_stateless(layer):
    """``jax.jit`` of the layer as Keras' JAX trainer runs it: ``stateless_call`` with the seed
    generator's state passed in and the advanced state passed out (a stateful draw cannot be
    traced), so every call draws new masks, as in training."""
    import jax

    @jax.jit
    def step(state, x):
        return layer.stateless_call([], state, x, training=True)

    state = None

    def ours(x):
        nonlocal state
        if state is None:
            layer.build(tuple(x.shape))
            state = [v.value for v in layer.non_trainable_variables]
        out, state = step(state, x)
        return out

    return ours


MAIN_ROWS = (
    # (name, label, builder arguments)
    ("floor", "floor: x * v (graph)", None),
    ("floor_xla", "floor: x * v (XLA)", None),
    ("ours_1x1", "ours 1+1 masks", dict(n_freq_mask=1, n_time_mask=1)),
    ("ours_ld", "ours LD (2+2, no warp)", dict()),
    ("ours_10x10", "ours 10+10 masks", dict(n_freq_mask=10, n_time_mask=10)),
    ("ours_warp_ld", f"ours warp W={W} + LD", dict(time_warp_param=W)),
    ("ours_default", f"ours warp W={W} + LD, mask_value='mean' (the stream's layer)",
     dict(time_warp_param=W, mask_value="mean")),
    ("ours_ld_xla", "ours LD (XLA)", dict(mode="xla")),
)
SCALING_ROWS = ("floor", "ours_ld", "ours_10x10")


def _row(ctx: Context, name: str, label: str, args, shape, group: str) -> Row:
    shape = tuple(shape)
    if args is None:
        build = lambda: make_floor(ctx, shape, "xla" if name.endswith("_xla") else "graph")  # noqa: E731
    else:
        build = lambda: make_ours(ctx, **args)  # noqa: E731
    return Row(key(name, shape), label, group, shape, build, shape)


def main_rows(ctx: Context) -> list:
    return [_row(ctx, name, label, args, ctx.config.main_shape, "main") for name, label, args in MAIN_ROWS]


def scaling_shapes(config) -> list:
    s = tuple(config.main_shape)
    shapes = [(s[0], t) + s[2:] for t in config.time_scaling] + [(b,) + s[1:] for b in config.batch_scaling]
    return list(dict.fromkeys(shapes))


def scaling_rows(ctx: Context) -> list:
    """The floor, LD and 10+10 at each scaling shape other than the main one (already a main row)."""
    spec = {name: (label, args) for name, label, args in MAIN_ROWS}
    return [_row(ctx, name, *spec[name], shape, "scaling")
            for shape in scaling_shapes(ctx.config) if shape != tuple(ctx.config.main_shape)
            for name in SCALING_ROWS]


def targets(shape) -> list:
    k = lambda name: key(name, shape)  # noqa: E731
    return [
        Target("ours LD / floor (graph)", k("ours_ld"), k("floor"), "<=", 1.5, 2.0),
        Target("ours LD XLA / floor XLA", k("ours_ld_xla"), k("floor_xla"), "<=", 1.2),
        Target("ours warp+LD / floor (graph)", k("ours_warp_ld"), k("floor"), "<=", 3.0, 4.0),
        Target("ours warp+LD, mean (stream layer) at a fixed shape / floor (graph)", k("ours_default"), k("floor"),
               "<=", 1.2),
        Target("ours 10+10 / ours 1+1", k("ours_10x10"), k("ours_1x1"), "<=", 1.2),
    ]


def scaling_ratios(config, times: dict) -> dict:
    """Per scaling shape: LD / floor, 10+10 / floor and 10+10 / LD (paired), when all three ran."""
    out = {}
    for shape in scaling_shapes(config):
        k = {name: key(name, shape) for name in SCALING_ROWS}
        pairs = {"ld_floor": (k["ours_ld"], k["floor"]), "tt_floor": (k["ours_10x10"], k["floor"]),
                 "tt_ld": (k["ours_10x10"], k["ours_ld"])}
        found = {name: paired_ratio(times.get(a), times.get(b)) for name, (a, b) in pairs.items()}
        if None not in found.values():
            out["x".join(map(str, shape))] = {name: value[0] for name, value in found.items()}
    return out


# ------------------------------------------------------------------------------------ memory
MEMORY_ROWS = ("floor", "ours_1x1", "ours_ld", "ours_10x10", "ours_warp_ld", "ours_default", "ours_ld_xla",
               "kapre_ld", "kapre_10x10", "seed_ld", "seed_10x10")
MEMORY_TARGET = Target("memory: ours 10+10 / ours 1+1 (peak extra)", "ours_10x10", "ours_1x1", "<=", 1.25)


def memory_worker(ctx: Context, params: dict) -> dict:
    """In a subprocess under ``MEMORY_ENV``: peak extra resident memory of one call per row."""
    from benchmarks.cases import peers

    rows = main_rows(ctx) + (peers.rows(ctx) if ctx.config.peers else [])
    by_name = {row.key.split("@")[0]: row for row in rows}
    wanted = [by_name[name] for name in params.get("names", MEMORY_ROWS) if name in by_name]
    warm_up(wanted, ctx, must_run=(), log=lambda line: None)
    x = ctx.input(ctx.config.main_shape)
    out = {}
    for row in wanted:
        name = row.key.split("@")[0]
        if row.skipped:
            out[name] = {"skipped": row.skipped}
            continue
        peaks = peak_extra_bytes(row.fn, x, ctx.adapter.force, repeats=params.get("repeats", 3))
        out[name] = {"peak_extra_bytes": int(statistics.median(peaks)), "all_bytes": peaks}
    one, ten = (out.get(n, {}).get("peak_extra_bytes") for n in ("ours_1x1", "ours_10x10"))
    value = ten / one if one and ten is not None else None
    check = {"name": MEMORY_TARGET.name, "value": value, "target": "<= 1.25x (no full-size temporary per mask)",
             "status": MEMORY_TARGET.status(value)}
    return {"rows": out, "check": check}

