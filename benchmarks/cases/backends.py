"""Our layer on each Keras backend, in its own process, against that backend's floor compiled the same way.

At the main shape, LD masks without and with the time warp W=80:

* TensorFlow: ``tf.function`` (graph) and ``tf.function(jit_compile=True)`` (XLA);
* JAX: ``jax.jit`` of ``layer.stateless_call`` with the seed state passed in and out, as Keras'
  JAX trainer runs a layer that draws random numbers (see ``core.jitted_stateless``);
* PyTorch: eager calls (what ``model.fit`` runs on torch).

A backend on which the layer cannot run yet reports its rows as "skipped: <reason>".
"""

from __future__ import annotations

import sys

from benchmarks.cases import W
from benchmarks.cases.core import make_floor, make_ours
from benchmarks.harness import Config, Context, Row, Target, key, load_average, run_rounds, run_worker, \
    times_by_key, warm_up

NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
MODES = {"tensorflow": ("graph", "xla"), "jax": ("jit",), "torch": ("eager",)}
MODE_LABELS = {"graph": "tf.function", "xla": "XLA", "jit": "jax.jit", "eager": "eager"}
GOALS = {"tensorflow": 1.2, "jax": 1.2, "torch": 3.0}
VARIANTS = (("ld", "LD (2+2, no warp)", 0), ("warp_ld", f"warp W={W} + LD", W))


def row_key(backend: str, mode: str, what: str, shape) -> str:
    return key(f"{backend}_{mode}_{what}", shape)


def rows(ctx: Context) -> list:
    backend, s = ctx.adapter.name, tuple(ctx.config.main_shape)
    out = []
    for mode in MODES[backend]:
        label = f"{NAMES[backend]}, {MODE_LABELS[mode]}"
        out.append(Row(row_key(backend, mode, "floor", s), f"{label}: floor x * v", "backend", s,
                       lambda mode=mode: make_floor(ctx, s, mode), s))
        out += [Row(row_key(backend, mode, name, s), f"{label}: ours {text}", "backend", s,
                    lambda mode=mode, warp=warp: make_ours(ctx, time_warp_param=warp, mode=mode), s)
                for name, text, warp in VARIANTS]
    return out


def targets(backend: str, shape) -> list:
    return [Target(f"{NAMES[backend]} ({MODE_LABELS[mode]}): ours {text} / floor",
                   row_key(backend, mode, name, shape), row_key(backend, mode, "floor", shape), "<=", GOALS[backend])
            for mode in MODES[backend] for name, text, _ in VARIANTS]


def worker(ctx: Context, params: dict) -> dict:
    """Runs in the backend's own process (or in-process on TensorFlow, in tests)."""
    log = params.get("log") or (lambda line: print(line, file=sys.stderr, flush=True))
    load = [load_average()]
    measured = rows(ctx)
    warm_up(measured, ctx, must_run=(), log=log)
    run_rounds(measured, ctx, ctx.config.backend_rounds, log=log)
    load.append(load_average())
    return {"backend": ctx.adapter.name, "rounds": ctx.config.backend_rounds, "load": load,
            "rows": [row.to_dict() for row in measured],
            "targets": [t.evaluate(times_by_key(measured)) for t in targets(ctx.adapter.name, ctx.config.main_shape)]}


def run_all(config: Config, log=print) -> dict:
    """Each backend of ``config.backends`` in a fresh subprocess with ``KERAS_BACKEND`` set."""
    results = {}
    for backend in config.backends:
        if backend not in MODES:
            results[backend] = {"skipped": f"unknown backend {backend!r} (known: {', '.join(MODES)})"}
            continue
        log(f"  {backend}: subprocess with KERAS_BACKEND={backend} ...")
        results[backend] = run_worker("backend", config, env={"KERAS_BACKEND": backend}, log=log)
        for t in results[backend].get("targets", []):
            value = "-" if t["value"] is None else f"{t['value']:.2f}x"
            log(f"    {t['name']}: {value} ({t['target']}: {t['status']})")
        if "skipped" in results[backend]:
            log(f"    skipped: {results[backend]['skipped']}")
    return results
