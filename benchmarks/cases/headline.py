"""The floor and our layer in named configurations, on every Keras backend and compile mode.

The floor is ``x * v`` with ``v`` of shape (1, 1, freq, 1): one read and one write of the tensor,
the least any out-of-place augmentation must do, compiled the same way as the rows it is compared
with. A baseline checkout (``--baseline``) runs the floor and the ``HEADLINE`` configurations.
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Context, Row, Target

F, T, W = 27, 100, 80  # policy LD of Park et al. 2019, Table 1
LD = dict(n_freq_mask=2, n_time_mask=2)
MODES = {"tensorflow": ("graph", "xla"), "jax": ("jit",), "torch": ("eager",)}
MODE_LABELS = {"graph": "tf.function", "xla": "XLA", "jit": "jax.jit", "eager": "eager"}
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
GOALS = {"tensorflow": 1.2, "jax": 1.2, "torch": 3.0}  # ours / floor, headline rows
BASELINE_GOAL = 1.1  # ours / baseline, headline rows: unchanged within noise

# (name, arguments of SpecAugment(F, T, ...) on top of LD). The README's rows; run on the baseline too.
HEADLINE = (("LD", {}), ("warp+LD", dict(time_warp_param=W)))
REFERENCE = (
    ("1+1", dict(n_freq_mask=1, n_time_mask=1)),
    ("10+10", dict(n_freq_mask=10, n_time_mask=10)),
    ("warp+LD mean", dict(time_warp_param=W, mask_value="mean")),  # the stream's layer
)
# One line per feature, on top of LD; its cost is published as extra passes over the tensor
# ((feature - LD) / floor, goal <= 1). A row whose arguments the installed SpecAugment rejects is
# skipped with its error, which names them.
FEATURES = (
    ("time budget 0.5", dict(time_mask_budget=0.5)),
    ("apply p=0.5", dict(apply_probability=0.5)),
    ("rectangles", dict(n_rect_mask=4, rect_time_param=40, rect_freq_param=20)),
    ("freq warp", dict(freq_warp_param=10)),
    ("noise fill", dict(mask_value="noise")),
)


def make_floor(ctx: Context, shape, mode: str):
    v_shape = (1, 1, shape[2]) + (1,) * (len(shape) - 3)
    v = ctx.tensor(np.random.default_rng(ctx.config.seed + 1).uniform(0.5, 1.5, v_shape).astype(np.float32))
    return ctx.compile(lambda x: x * v, mode)


def make_layer(ctx: Context, **arguments):
    from spec_augment import SpecAugment

    return SpecAugment(F, T, **{**LD, **arguments}, seed=ctx.config.seed)


def compiled_call(ctx: Context, model, mode: str, training: bool = True):
    """``model(x, training=...)`` compiled as ``mode``. Under ``jax.jit`` it is ``stateless_call``
    with the variables passed in and the advanced seed state out, as Keras' JAX trainer runs a layer
    that draws random numbers (a stateful draw cannot be traced): every call draws new masks."""
    if mode != "jit":
        return ctx.compile(lambda x: model(x, training=training), mode)
    import jax

    step = jax.jit(lambda trainable, state, x: model.stateless_call(trainable, state, x, training=training))
    held = {}

    def call(x):
        if not held:
            if not model.built:
                model.build(tuple(x.shape))
            held["trainable"] = [v.value for v in model.trainable_variables]
            held["state"] = [v.value for v in model.non_trainable_variables]
        out, held["state"] = step(held["trainable"], held["state"], x)
        return out

    return call


def rows(ctx: Context, role: str = "ours") -> list:
    s, out = tuple(ctx.config.main_shape), []
    configs = [(n, a, False) for n, a in HEADLINE]
    if role == "ours":
        configs += [(n, a, False) for n, a in REFERENCE] + [(n, a, True) for n, a in FEATURES]
    for mode in MODES[ctx.backend]:
        out.append(Row(f"{mode}/floor", f"floor x * v ({MODE_LABELS[mode]})", s,
                       lambda mode=mode: make_floor(ctx, s, mode), must_run=True))
        out += [Row(f"{mode}/{name}", f"ours {name} ({MODE_LABELS[mode]})", s,
                    lambda mode=mode, a=arguments: compiled_call(ctx, make_layer(ctx, **a), mode), must_run=not feature)
                for name, arguments, feature in configs]
    return out


def targets(backend: str, baseline: bool) -> list:
    out = []
    for mode in MODES[backend]:
        label, short = f"{NAMES[backend]} {MODE_LABELS[mode]}", MODE_LABELS[mode]
        out += [Target(f"{label}: ours {name} / floor", f"ours:{mode}/{name}", f"ours:{mode}/floor", GOALS[backend],
                       group="ours / its floor compiled the same way", short=f"{short} {name}") for name, _ in HEADLINE]
        if mode == "graph":
            out.append(Target(f"{label}: ours 10+10 / ours 1+1", f"ours:{mode}/10+10", f"ours:{mode}/1+1", 1.2))
        out += [Target(f"{label}: {name}, extra passes over LD", f"ours:{mode}/{name}", f"ours:{mode}/floor", 1.0,
                       minus=f"ours:{mode}/LD", unit=" passes") for name, _ in FEATURES]
        if baseline:  # the floors show how alike the two processes run
            out.append(Target(f"{label}: floor / baseline's floor", f"ours:{mode}/floor", f"baseline:{mode}/floor",
                              BASELINE_GOAL, "~"))
            out += [Target(f"{label}: ours {name} / baseline {name}", f"ours:{mode}/{name}", f"baseline:{mode}/{name}",
                           BASELINE_GOAL, group="ours / baseline in the same rounds", short=f"{short} {name}")
                    for name, _ in HEADLINE]
    return out
