#!/usr/bin/env python
"""Speed and memory benchmark of ``spec_augment.SpecAugment`` against its floor and its peers.

Run from the repository root::

    python benchmarks/bench_specaugment.py            # full run, ~3 min; writes benchmarks/results.md
    python benchmarks/bench_specaugment.py --quick    # ~30-60 s smoke run; writes nothing but JSON

What is timed (every row a ``tf.function``, all rows in ONE process, interleaved round-robin):

* the floor: one broadcast multiply ``x * v`` with ``v`` of shape ``(1, 1, freq, 1)`` (graph and XLA);
* our layer (``training=True``) at 1+1, LD (2+2, F=27, T=100, no warp), 10+10 masks, time warp W=80
  + LD masks, and LD under ``jit_compile=True``;
* kapre 0.4.1 ``SpecAugment`` and spec-augment 0.0.3 (the PyPI package this project replaces) at LD
  and 10+10;
* scaling: the floor, LD and 10+10 at time 250/1000/4000 (batch 32) and batch 8/32/128 (time 1000);
* the augmented melspectrogram frontend (``spec_augment.composed``, policy LD) vs kapre's plain one;
* a breakdown of our layer's stages (draw, mask codes, final where, warp), when its internals allow.

Peak memory is measured in a subprocess (see ``measure_memory``). Ratios are paired per round and
their median over rounds is reported, so slow drift of a shared machine cancels out.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import platform
import shlex
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
# Measure the checkout this script lives in, whatever is installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

PEERS_DIR = HERE / ".peers"
SEED_DIR = PEERS_DIR / "spec_augment_003"
SEED_REQUIREMENT = "spec-augment==0.0.3"
SEED_MODULE_NAME = "spec_augment_seed_003"  # its own module is called `spec_augment`, like ours
RESULTS_MD = HERE / "results.md"
RESULTS_JSON = HERE / "results" / "latest.json"

F, T, W = 27, 100, 80  # LD policy of Park et al. 2019, Table 1
MAIN_SHAPE = (32, 1000, 80, 1)
TIME_SCALING = (250, 1000, 4000)
BATCH_SCALING = (8, 32, 128)
AUDIO_SHAPE = (32, 160_000, 1)  # 10 s of 16 kHz audio, batch 32
FRONTEND_ARGS = dict(
    n_fft=512,
    hop_length=160,
    sample_rate=16000,
    n_mels=80,
    return_decibel=True,
    input_data_format="channels_last",
    output_data_format="channels_last",
)
SEED = 0


class Skip(Exception):
    """A row that cannot run here (missing peer, API not there yet); its message is the reason."""


# ---------------------------------------------------------------------------------------- inputs
_INPUTS: dict = {}


def get_input(shape):
    """The same tensor for every row of a given shape (standard normal, fixed seed)."""
    shape = tuple(shape)
    if shape not in _INPUTS:
        rng = np.random.default_rng(SEED)
        if len(shape) == 3 and shape[1] > 10_000:  # audio: a tone plus noise, in [-1, 1]
            t = np.arange(shape[1], dtype=np.float32) / 16000.0
            tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)[None, :, None]
            values = tone + 0.1 * rng.standard_normal(shape, dtype=np.float32)
        else:
            values = rng.standard_normal(shape, dtype=np.float32)
        _INPUTS[shape] = tf.constant(values.astype(np.float32))
    return _INPUTS[shape]


def _function(python_fn, jit=False):
    return tf.function(python_fn, jit_compile=jit, autograph=False, reduce_retracing=False)


# ---------------------------------------------------------------------------------------- rows
def make_floor(shape, jit=False):
    """``x * v``, ``v`` of shape (1, 1, freq, 1): one read and one write of the tensor."""
    rng = np.random.default_rng(SEED + 1)
    v_shape = (1,) * (len(shape) - 2) + (shape[2],) + (1,) * (len(shape) - 3)
    v = tf.constant(rng.uniform(0.5, 1.5, size=v_shape).astype(np.float32))

    def floor(x):
        return x * v

    return _function(floor, jit)


def make_ours(n_freq_mask, n_time_mask, time_warp_param=0, jit=False):
    from spec_augment import SpecAugment

    layer = SpecAugment(
        freq_mask_param=F,
        time_mask_param=T,
        n_freq_mask=n_freq_mask,
        n_time_mask=n_time_mask,
        time_warp_param=time_warp_param,
        seed=SEED,
    )

    def ours(x):
        return layer(x, training=True)

    return _function(ours, jit)


def make_kapre(n_freq_mask, n_time_mask):
    try:
        import kapre.augmentation
    except Exception as error:  # pragma: no cover - depends on the environment
        raise Skip(f"kapre not importable ({type(error).__name__}: {error})") from None
    layer = kapre.augmentation.SpecAugment(
        freq_mask_param=F,
        time_mask_param=T,
        n_freq_masks=n_freq_mask,
        n_time_masks=n_time_mask,
        data_format="channels_last",
    )

    def kapre_specaugment(x):
        return layer(x, training=True)

    return _function(kapre_specaugment)


_SEED_STATE: dict = {}


def seed_package_path():
    """The module file of spec-augment 0.0.3 under ``benchmarks/.peers``, or None."""
    for candidate in (SEED_DIR / "spec_augment.py", SEED_DIR / "spec_augment" / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def download_seed_package():
    """``pip install --no-deps --target benchmarks/.peers/spec_augment_003 spec-augment==0.0.3``.

    ``--target`` writes only into that folder: the environment's own ``spec-augment`` (this
    project, same distribution name) is not touched.
    """
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--quiet", "--target", str(SEED_DIR), SEED_REQUIREMENT,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{' '.join(command[2:])} failed: {type(error).__name__}: {error}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return f"`pip install --target ... {SEED_REQUIREMENT}` failed (rc {done.returncode}): {tail[0]}"
    return None


def load_seed_package(allow_download=True):
    """Import spec-augment 0.0.3 by file path as ``spec_augment_seed_003``; Skip if unavailable.

    Returns ``(module, notes)``. The package is used unmodified: it runs as is on Keras 3 (its
    ``get_config`` reads a missing attribute, which the benchmark never calls).
    """
    if "module" in _SEED_STATE:
        return _SEED_STATE["module"], _SEED_STATE["notes"]
    if "skip" in _SEED_STATE:
        raise Skip(_SEED_STATE["skip"])
    notes = []
    path = seed_package_path()
    if path is None and allow_download:
        failure = download_seed_package()
        path = seed_package_path()
        if path is None:
            _SEED_STATE["skip"] = failure or f"{SEED_REQUIREMENT} not found in {SEED_DIR} after pip install"
            raise Skip(_SEED_STATE["skip"])
        notes.append(f"downloaded {SEED_REQUIREMENT} into {SEED_DIR.relative_to(REPO)}")
    elif path is None:
        _SEED_STATE["skip"] = (
            f"{SEED_REQUIREMENT} not in {SEED_DIR.relative_to(REPO)} and downloading is off "
            "(run benchmarks/setup_peers.sh)"
        )
        raise Skip(_SEED_STATE["skip"])
    try:
        spec = importlib.util.spec_from_file_location(SEED_MODULE_NAME, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[SEED_MODULE_NAME] = module
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(SEED_MODULE_NAME, None)
        _SEED_STATE["skip"] = f"importing {path} failed: {type(error).__name__}: {error}"
        raise Skip(_SEED_STATE["skip"]) from None
    version = "?"
    for info in SEED_DIR.glob("spec_augment-*.dist-info"):
        version = info.name[len("spec_augment-") : -len(".dist-info")]
    notes.append(
        f"spec-augment {version} imported by file path from {path.relative_to(REPO)} as "
        f"`{SEED_MODULE_NAME}`; used unmodified (no Keras 3 monkeypatch needed)"
    )
    _SEED_STATE["module"], _SEED_STATE["notes"] = module, notes
    return module, notes


def make_seed(n_freq_mask, n_time_mask, allow_download=True):
    module, _ = load_seed_package(allow_download)
    layer = module.SpecAugment(
        freq_mask_param=F, time_mask_param=T, n_freq_mask=n_freq_mask, n_time_mask=n_time_mask
    )

    def seed_specaugment(x):
        return layer(x, training=True)

    return _function(seed_specaugment)


def make_frontend(augmented, audio_shape, layer_only=False):
    """kapre's melspectrogram (plain) or ours with SpecAugment policy LD (augmented), training=True.

    ``layer_only``: only the augmented frontend's SpecAugment sublayer, to be called on a
    melspectrogram of the frontend's output shape (the overhead "from parts", far less noisy than
    the difference of two ~100x larger frontend times).
    """
    input_shape = tuple(audio_shape[1:])
    if augmented:
        try:
            from spec_augment.composed import get_augmented_melspectrogram_layer
        except Exception as error:
            raise Skip(f"spec_augment.composed not usable yet ({type(error).__name__}: {error})") from None
        try:
            model = get_augmented_melspectrogram_layer(input_shape=input_shape, policy="LD", **FRONTEND_ARGS)
        except Exception as error:
            raise Skip(f"get_augmented_melspectrogram_layer(...) failed ({type(error).__name__}: {error})") from None
        _note_frontend_augmentation(model)
        if layer_only:
            from spec_augment import SpecAugment

            layers = [layer for layer in getattr(model, "layers", []) if isinstance(layer, SpecAugment)]
            if len(layers) != 1:
                raise Skip(f"expected one SpecAugment sublayer in the augmented frontend, found {len(layers)}")
            model = layers[0]
    else:
        try:
            import kapre.composed
        except Exception as error:  # pragma: no cover
            raise Skip(f"kapre not importable ({type(error).__name__}: {error})") from None
        import warnings

        with warnings.catch_warnings():  # kapre passes input_shape to a layer; Keras 3 warns
            warnings.simplefilter("ignore")
            model = kapre.composed.get_melspectrogram_layer(input_shape=input_shape, **FRONTEND_ARGS)

    def frontend(x):
        return model(x, training=True)

    return _function(frontend)


NOTES: list = []  # extra lines for the report's notes


def _note_frontend_augmentation(model):
    from spec_augment import SpecAugment

    names = ("freq_mask_param", "n_freq_mask", "time_mask_param", "n_time_mask", "time_warp_param",
             "mask_value", "fused")
    for layer in getattr(model, "layers", []):
        if isinstance(layer, SpecAugment):
            config = layer.get_config()
            settings = ", ".join(f"{n}={config[n]!r}" for n in names if n in config)
            note = f"augmented frontend (policy='LD', other augmentation arguments at the builder's defaults): {settings}"
            if note not in NOTES:
                NOTES.append(note)


# --- breakdown of our layer's stages. It uses the layer's and `functional`'s current internals
# --- (get_random_transformation, transform, functional.augment/apply_masks/time_warp, fused=...);
# --- a stage whose API moved is reported as skipped with the reason, never as an error.
def _breakdown_setup(shape, time_warp_param=0, **layer_args):
    from spec_augment import SpecAugment

    try:
        layer = SpecAugment(F, T, n_freq_mask=2, n_time_mask=2, time_warp_param=time_warp_param, seed=SEED,
                            **layer_args)
        params = layer.get_random_transformation(get_input(shape))
    except Exception as error:
        raise Skip(f"SpecAugment(..., {layer_args}).get_random_transformation: {type(error).__name__}: {error}") from None
    return layer, params


def _guard(what, build):
    try:
        return build()
    except Skip:
        raise
    except Exception as error:
        raise Skip(f"{what}: {type(error).__name__}: {error}".splitlines()[0][:300]) from None


BREAKDOWN_STAGES = (
    # (stage, label, output kind: "full" = same shape as the input, None = small tensors)
    ("draw", "draw all random parameters (small)", None),
    ("transform", "layer.transform, LD, params given (as the layer runs it)", "full"),
    ("unfused_transform", "functional.augment, LD, params given, graph mode (unfused)", "full"),
    ("mask_codes", "  bands -> mask codes (small)", None),
    ("final_where", "  final broadcast where (full size)", "full"),
    ("unfused_layer", "whole layer LD, fused=False", "full"),
    ("warp_transform", "layer.transform, warp+LD, params given (as the layer runs it)", "full"),
    ("unfused_warp_transform", "functional.augment, warp+LD, params given, graph mode (unfused)", "full"),
    ("warp_sources", "  warp source positions (small)", None),
    ("warp_resample", "  warp resample: 2 gathers + lerp (full size)", "full"),
    ("unfused_warp_layer", "whole layer warp+LD, fused=False", "full"),
)


def make_breakdown(stage, shape):
    """A tf.function for one stage of our layer at ``shape`` (LD masks; warp stages with W=80)."""
    from spec_augment import functional

    time_axis, freq_axis = 1, 2
    n_time, n_freq = shape[time_axis], shape[freq_axis]
    warp = W if "warp" in stage else 0

    if stage == "draw":
        layer, _ = _breakdown_setup(shape)

        def draw(x):
            params = layer.get_random_transformation(x)
            return {k: v for k, v in params.items() if tf.is_tensor(v)}

        return _guard("layer.get_random_transformation", lambda: _checked(_function(draw), shape))
    if stage in ("unfused_layer", "unfused_warp_layer"):
        from spec_augment import SpecAugment

        def build():
            layer = SpecAugment(F, T, n_freq_mask=2, n_time_mask=2, time_warp_param=warp, seed=SEED, fused=False)

            def unfused(x):
                return layer(x, training=True)

            return _checked(_function(unfused), shape)

        return _guard("SpecAugment(fused=False)", build)
    layer, p = _breakdown_setup(shape, warp)
    if stage in ("transform", "warp_transform"):

        def transform(x):
            return layer.transform(x, p)

        return _guard("layer.transform", lambda: _checked(_function(transform), shape))
    if stage in ("unfused_transform", "unfused_warp_transform"):

        def unfused_transform(x):
            return functional.augment(x, p, time_axis=time_axis, freq_axis=freq_axis, mask_value=0.0,
                                      warp=warp > 0, mask=True)

        return _guard("functional.augment", lambda: _checked(_function(unfused_transform), shape))
    if stage == "mask_codes":

        def codes(x):
            del x
            time_mask = functional.bands_to_mask(p["time_starts"], p["time_widths"], n_time)
            freq_mask = functional.bands_to_mask(p["freq_starts"], p["freq_widths"], n_freq)
            valid = tf.range(n_time)[None, :] < p["lengths"][:, None]
            return functional.mask_codes(time_mask, freq_mask, valid)

        return _guard("functional.bands_to_mask/mask_codes", lambda: _checked(_function(codes), shape))
    if stage == "final_where":

        def build():
            time_mask = functional.bands_to_mask(p["time_starts"], p["time_widths"], n_time)
            freq_mask = functional.bands_to_mask(p["freq_starts"], p["freq_widths"], n_freq)
            time_code, freq_code = functional.mask_codes(time_mask, freq_mask)

            def final_where(x):
                return functional.apply_masks(x, time_code, freq_code, 0.0, time_axis, freq_axis)

            return _checked(_function(final_where), shape)

        return _guard("functional.apply_masks", build)
    if stage == "warp_sources":

        def sources(x):
            del x
            return functional.warp_source_positions(p["warp_anchors"], p["warp_shifts"], p["lengths"], n_time)

        return _guard("functional.warp_source_positions", lambda: _checked(_function(sources), shape))
    if stage == "warp_resample":

        def build():
            src = functional.warp_source_positions(p["warp_anchors"], p["warp_shifts"], p["lengths"], n_time)

            def resample(x):
                return functional.time_warp(x, src, time_axis)

            return _checked(_function(resample), shape)

        return _guard("functional.time_warp", build)
    raise ValueError(stage)


def _checked(fn, shape):
    """Trace (and run) once now, so an API mismatch surfaces at build time as a Skip."""
    fn(get_input(shape))
    return fn


# ---------------------------------------------------------------------------------------- row table
@dataclasses.dataclass
class Row:
    key: str
    label: str
    group: str  # main | peers | scaling | frontend | breakdown
    shape: tuple
    build: object  # () -> tf.function taking get_input(shape)
    expected_shape: tuple | None = None  # output shape, checked at warm-up (None: not a tensor)
    fn: object = None
    n_calls: int = 1
    trace_s: float = float("nan")
    single_s: float = float("nan")  # one call at warm-up
    times: list = dataclasses.field(default_factory=list)  # seconds per call, one per round
    skipped: str | None = None

    @property
    def elements(self):
        return int(np.prod(self.shape))

    def summary(self):
        if not self.times:
            return {}
        q = np.percentile(self.times, [25, 50, 75])
        return {"p25_ms": q[0] * 1e3, "median_ms": q[1] * 1e3, "p75_ms": q[2] * 1e3}


def _frontend_output_shape(audio_shape):
    """(batch, frames, mels, 1) of the melspectrogram frontends (kapre STFT without padding)."""
    n_frames = (audio_shape[1] - FRONTEND_ARGS["n_fft"]) // FRONTEND_ARGS["hop_length"] + 1
    return (audio_shape[0], n_frames, FRONTEND_ARGS["n_mels"], 1)


def key(name, shape):
    return f"{name}@{'x'.join(str(s) for s in shape)}"


def build_rows(
    main_shape=None,
    time_scaling=None,
    batch_scaling=None,
    audio_shape=None,
    peers=True,
    allow_download=True,
    frontend=True,
    breakdown=True,
):
    """Every row of the benchmark (not built yet: ``row.build()`` makes its ``tf.function``).

    Shapes left at None take the module's ``MAIN_SHAPE``, ``TIME_SCALING``, ``BATCH_SCALING`` and
    ``AUDIO_SHAPE`` (read at call time, so a test may shrink them).
    """
    s = tuple(MAIN_SHAPE if main_shape is None else main_shape)
    time_scaling = TIME_SCALING if time_scaling is None else time_scaling
    batch_scaling = BATCH_SCALING if batch_scaling is None else batch_scaling
    audio_shape = AUDIO_SHAPE if audio_shape is None else audio_shape
    rows = [
        Row(key("floor", s), "floor: x * v (graph)", "main", s, lambda: make_floor(s), s),
        Row(key("floor_xla", s), "floor: x * v (XLA)", "main", s, lambda: make_floor(s, jit=True), s),
        Row(key("ours_1x1", s), "ours 1+1 masks", "main", s, lambda: make_ours(1, 1), s),
        Row(key("ours_ld", s), "ours LD (2+2, no warp)", "main", s, lambda: make_ours(2, 2), s),
        Row(key("ours_10x10", s), "ours 10+10 masks", "main", s, lambda: make_ours(10, 10), s),
        Row(key("ours_warp_ld", s), "ours warp W=80 + LD", "main", s, lambda: make_ours(2, 2, W), s),
        Row(key("ours_ld_xla", s), "ours LD (XLA)", "main", s, lambda: make_ours(2, 2, jit=True), s),
    ]
    if peers:
        rows += [
            Row(key("kapre_ld", s), "kapre 0.4.1 LD", "peers", s, lambda: make_kapre(2, 2), s),
            Row(key("kapre_10x10", s), "kapre 0.4.1 10+10", "peers", s, lambda: make_kapre(10, 10), s),
            Row(key("seed_ld", s), "spec-augment 0.0.3 LD", "peers", s,
                lambda: make_seed(2, 2, allow_download), s),
            Row(key("seed_10x10", s), "spec-augment 0.0.3 10+10", "peers", s,
                lambda: make_seed(10, 10, allow_download), s),
        ]
    scaling_shapes = [(s[0], t) + s[2:] for t in time_scaling] + [(b,) + s[1:] for b in batch_scaling]
    seen = {s}
    for shape in scaling_shapes:
        if shape in seen:
            continue
        seen.add(shape)
        rows += [
            Row(key("floor", shape), "floor: x * v (graph)", "scaling", shape,
                lambda shape=shape: make_floor(shape), shape),
            Row(key("ours_ld", shape), "ours LD (2+2, no warp)", "scaling", shape,
                lambda: make_ours(2, 2), shape),
            Row(key("ours_10x10", shape), "ours 10+10 masks", "scaling", shape,
                lambda: make_ours(10, 10), shape),
        ]
    if frontend:
        a = tuple(audio_shape)
        out = _frontend_output_shape(a)
        rows += [
            Row(key("frontend_kapre", a), "kapre melspectrogram (plain)", "frontend", a,
                lambda: make_frontend(False, a), out),
            Row(key("frontend_aug", a), "ours augmented melspectrogram, policy LD", "frontend", a,
                lambda: make_frontend(True, a), out),
            Row(key("frontend_aug_layer", out), "its SpecAugment sublayer alone, on a mel of the output shape",
                "frontend", out, lambda: make_frontend(True, a, layer_only=True), out),
        ]
    if breakdown:
        for stage, label, kind in BREAKDOWN_STAGES:
            rows.append(Row(key("bd_" + stage, s), label, "breakdown", s,
                            lambda stage=stage: make_breakdown(stage, s), s if kind == "full" else None))
    return rows


# ---------------------------------------------------------------------------------------- timing
def force(result):
    """Wait for a result without copying it: read one element of each output tensor."""
    for tensor in tf.nest.flatten(result):
        if tf.is_tensor(tensor):
            tf.reshape(tensor, [-1])[:1].numpy()


def check_output(row, result):
    if row.expected_shape is None:
        return
    got = tuple(result.shape)
    if got != tuple(row.expected_shape):
        raise AssertionError(f"{row.key}: output shape {got}, expected {tuple(row.expected_shape)}")


def warm_up(rows, target_s, max_calls=200, log=print):
    """Build and trace every row, check its output shape, and pick its calls per round."""
    for row in rows:
        started = time.perf_counter()
        try:
            row.fn = row.build()
            x = get_input(row.shape)
            result = row.fn(x)
            force(result)
            check_output(row, result)
            row.trace_s = time.perf_counter() - started
            # Calibrate on the fastest of at least 3 calls (more, up to 50, within 0.1 s): a shared
            # machine's spikes would otherwise set N too low.
            single, spent = [], 0.0
            while len(single) < 3 or (spent < 0.1 and len(single) < 50):
                t0 = time.perf_counter()
                force(row.fn(x))
                single.append(time.perf_counter() - t0)
                spent += single[-1]
            row.single_s = min(single)
            row.n_calls = int(min(max_calls, max(1, round(target_s / max(row.single_s, 1e-6)))))
            log(f"  ready  {row.key:<38} trace {row.trace_s:6.2f} s, {min(single) * 1e3:9.2f} ms/call, "
                f"{row.n_calls} calls/round")
        except Skip as reason:
            row.skipped = str(reason)
            log(f"  SKIP   {row.key:<38} {row.skipped}")
        except Exception as error:
            if row.group in ("main", "scaling"):
                raise  # our layer or the floor failing is a bug, never a skip
            row.skipped = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            log(f"  SKIP   {row.key:<38} {row.skipped}")


def run_rounds(rows, rounds, log=print):
    """Round-robin: in each round every active row runs its n_calls back to back; the starting row
    rotates from round to round so no row always follows the same neighbour."""
    active = [row for row in rows if row.skipped is None]
    for index in range(rounds):
        gc.collect()
        offset = index % max(len(active), 1)
        started = time.perf_counter()
        for row in active[offset:] + active[:offset]:
            x = get_input(row.shape)
            fn, n = row.fn, row.n_calls
            t0 = time.perf_counter()
            for _ in range(n):
                result = fn(x)
            force(result)
            row.times.append((time.perf_counter() - t0) / n)
        log(f"  round {index + 1}/{rounds}: {time.perf_counter() - started:5.1f} s")


def paired_ratio(rows_by_key, numerator, denominator):
    """Median over rounds of numerator/denominator within the same round (None if a row is missing)."""
    a, b = rows_by_key.get(numerator), rows_by_key.get(denominator)
    if a is None or b is None or not a.times or not b.times:
        return None
    return float(statistics.median(x / y for x, y in zip(a.times, b.times)))


def paired_ratio_spread(rows_by_key, numerator, denominator):
    """(p25, p75) over rounds of the per-round ratio, or None: how much one round's ratio wanders."""
    a, b = rows_by_key.get(numerator), rows_by_key.get(denominator)
    if a is None or b is None or not a.times or not b.times:
        return None
    q = np.percentile([x / y for x, y in zip(a.times, b.times)], [25, 75])
    return float(q[0]), float(q[1])


# ---------------------------------------------------------------------------------------- memory
MEMORY_ROWS = ("floor", "ours_1x1", "ours_ld", "ours_10x10", "ours_warp_ld", "ours_ld_xla",
               "kapre_ld", "kapre_10x10", "seed_ld", "seed_10x10")


def _proc_status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def memory_worker(shape, names, allow_download, repeats=3):
    """Runs in the subprocess: peak extra RSS of one call per row, as JSON on stdout."""
    rows = {row.key: row for row in build_rows(shape, (), (), peers=True, allow_download=allow_download,
                                                frontend=False, breakdown=False)}
    out = {}
    x = get_input(shape)
    for name in names:
        row = rows.get(key(name, shape))
        if row is None:
            continue
        try:
            fn = row.build()
        except Skip as reason:
            out[name] = {"skipped": str(reason)}
            continue
        force(fn(x))
        force(fn(x))
        peaks = []
        for _ in range(repeats):
            gc.collect()
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # reset VmHWM (peak RSS) to the current RSS
            before = _proc_status("VmRSS:")
            result = fn(x)
            force(result)
            peak = _proc_status("VmHWM:")
            del result
            peaks.append(peak - before)
        out[name] = {"peak_extra_bytes": int(statistics.median(peaks)), "all_bytes": peaks}
    print("MEMORY-JSON " + json.dumps(out))


def measure_memory(shape, allow_download, log=print):
    """Peak extra resident memory of ONE call, per row, in a fresh subprocess.

    Method: the subprocess runs with ``MALLOC_MMAP_THRESHOLD_=65536``, so every buffer above 64 KiB
    (all tensors here) is its own mmap, given back to the OS when freed: resident memory then
    follows live tensor memory. For each row (traced and run twice first), the kernel's peak-RSS
    counter is reset (``echo 5 > /proc/self/clear_refs``), the row is called once, and
    ``VmHWM - VmRSS(before)`` is its peak extra memory (output included). Median of 3 calls.
    """
    if not os.access("/proc/self/clear_refs", os.W_OK):
        return {"skipped": "/proc/self/clear_refs not writable: cannot reset the peak-RSS counter"}
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, str(pathlib.Path(__file__).resolve()), "--memory-worker",
               "--shape", ",".join(map(str, shape))]
    if not allow_download:
        command.append("--no-download")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"skipped": "memory subprocess timed out"}
    for line in done.stdout.splitlines():
        if line.startswith("MEMORY-JSON "):
            return json.loads(line[len("MEMORY-JSON "):])
    tail = "\n".join((done.stderr or "").strip().splitlines()[-5:])
    log(f"  memory subprocess failed (rc {done.returncode}):\n{tail}")
    return {"skipped": f"memory subprocess failed (rc {done.returncode})"}


# ---------------------------------------------------------------------------------------- report
def machine_info():
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    import keras

    import spec_augment

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        affinity = os.cpu_count()
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "cpus_usable": affinity,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "kapre": version("kapre"),
        "numpy": np.__version__,
        "spec_augment": f"{spec_augment.__version__} ({pathlib.Path(spec_augment.__file__).parent})",
        "tf_threads": f"intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, "
                      f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'default'}",
        "git": _git_describe(),
    }


def _git_describe():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


@dataclasses.dataclass
class Target:
    name: str
    numerator: str
    denominator: str
    op: str  # "<=" or ">="
    goal: float
    hard: float | None = None
    percent: bool = False  # show (ratio - 1) as a percentage

    def evaluate(self, value):
        if value is None:
            return "n/a"
        ok = value <= self.goal if self.op == "<=" else value >= self.goal
        if ok:
            return "PASS"
        if self.hard is not None:
            within = value <= self.hard if self.op == "<=" else value >= self.hard
            return "MISS (within hard limit)" if within else "FAIL (over hard limit)"
        return "MISS"

    def describe(self):
        if self.percent:
            return f"overhead {self.op} {(self.goal - 1) * 100:.0f}%"
        text = f"{self.op} {self.goal:g}x"
        return text + (f" (hard {self.hard:g}x)" if self.hard is not None else "")


def targets(shape):
    k = lambda name: key(name, shape)  # noqa: E731
    return [
        Target("ours LD / floor (graph)", k("ours_ld"), k("floor"), "<=", 1.5, 2.0),
        Target("ours LD XLA / floor XLA", k("ours_ld_xla"), k("floor_xla"), "<=", 1.2),
        Target("ours warp+LD / floor (graph)", k("ours_warp_ld"), k("floor"), "<=", 3.0, 4.0),
        Target("ours 10+10 / ours 1+1", k("ours_10x10"), k("ours_1x1"), "<=", 1.2),
        Target("spec-augment 0.0.3 / ours, LD", k("seed_ld"), k("ours_ld"), ">=", 3.0),
        Target("kapre / ours, LD", k("kapre_ld"), k("ours_ld"), ">=", 2.0),
        Target("spec-augment 0.0.3 / ours, 10+10", k("seed_10x10"), k("ours_10x10"), ">=", 8.0),
        Target("kapre / ours, 10+10", k("kapre_10x10"), k("ours_10x10"), ">=", 4.0),
        Target("frontend overhead: augmented LD / plain kapre", key("frontend_aug", AUDIO_SHAPE),
               key("frontend_kapre", AUDIO_SHAPE), "<=", 1.05, percent=True),
    ]


def _fmt_ms(value):
    return "-" if value is None else (f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.1f}")


def _shape(shape):
    return "x".join(map(str, shape))


def render(results):
    """The whole report as Markdown (printed to the console and written to results.md)."""
    m = results["machine"]
    lines = [
        "# SpecAugment benchmark results",
        "",
        f"- Date: {results['date']}",
        f"- Command: `{results['command']}`",
        f"- Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs ({m['cpus_usable']} usable), "
        f"{m['memory_gib']} GiB RAM; {m['os']}",
        f"- Load average (1 min) at start / end: {results['load_start']:.2f} / {results['load_end']:.2f} "
        "(a shared machine: compare ratios within this run, not absolute times across runs)",
        f"- Software: Python {m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']}, kapre {m['kapre']}, "
        f"NumPy {m['numpy']}, spec-augment {m['spec_augment']}, git {m['git']}; TF threads: {m['tf_threads']}",
        f"- Wall time of the run: {results['wall_s']:.0f} s",
        "",
        "## Method",
        "",
        "- Every row is a `tf.function` (`autograph=False`; layers called with `training=True`); XLA rows add "
        "`jit_compile=True`. All rows run in one process on identical inputs (one standard-normal float32 "
        "tensor per shape, fixed seed).",
        "- Warm-up: each row is traced and run once (its output shape is checked), then timed (fastest of 3+ calls) to pick "
        f"its calls per round N so that a round spends about {results['target_ms']:.0f} ms on it (1 <= N <= 200).",
        f"- {results['rounds']} rounds, interleaved: in each round every row runs its N calls back to back "
        "(completion forced by reading one element of the last output, no copy); the starting row rotates "
        "every round. A row's time is the MEDIAN over rounds of (round time / N); p25-p75 show the spread.",
        "- Ratios are paired: the ratio of two rows is computed within each round and the median over rounds "
        "is reported, so machine drift hits both sides alike (it can differ slightly from the ratio of the "
        "two medians in the table).",
        "- Floor: `x * v`, `v` of shape (1, 1, freq, 1): one read and one write of the tensor, the least any "
        "out-of-place augmentation must do.",
        f"- Masks: F={F}, T={T}; LD = 2 frequency + 2 time masks, no warp (the warp row adds W={W}). "
        "The frontend row uses `policy='LD'` of `spec_augment.POLICIES`, which includes the time warp W=80.",
        "- Peak memory: " + " ".join(measure_memory.__doc__.split("\n\n")[1].split()).removeprefix("Method: "),
        "",
    ]
    for note in results["notes"]:
        lines.append(f"- Note: {note}")
    if results["notes"]:
        lines.append("")

    rows = results["rows"]
    by_key = {row["key"]: row for row in rows}
    main = tuple(results["main_shape"])

    def table(group_rows):
        out = ["| row | shape | median ms | p25-p75 ms | ns/element | N x rounds | trace s |",
               "|---|---|---:|---:|---:|---:|---:|"]
        for row in group_rows:
            if row["skipped"]:
                out.append(f"| {row['label']} | {_shape(row['shape'])} | skipped: {row['skipped']} | | | | |")
                continue
            ns = row["median_ms"] * 1e6 / row["elements"]
            out.append(
                f"| {row['label']} | {_shape(row['shape'])} | {_fmt_ms(row['median_ms'])} | "
                f"{_fmt_ms(row['p25_ms'])}-{_fmt_ms(row['p75_ms'])} | {ns:.3f} | "
                f"{row['n_calls']} x {len(row['times_ms'])} | {row['trace_s']:.1f} |"
            )
        return out

    lines += ["## Times", "", f"Main tensor {_shape(main)} float32 (batch, time, freq, channels).", ""]
    lines += table([r for r in rows if r["group"] in ("main", "peers") and tuple(r["shape"]) == main])
    lines += [""]

    lines += [
        "## Ratios and targets", "",
        "value = median over rounds of the per-round ratio; p25-p75 = spread of the per-round ratio (a "
        "status decided by less than that spread is within this machine's noise).", "",
        "| ratio | value | p25-p75 | target | status |", "|---|---:|---:|---|---|",
    ]

    def fmt(value, percent):
        if value is None:
            return "-"
        return f"{(value - 1) * 100:+.1f}%" if percent else f"{value:.2f}x"

    for t in results["targets"]:
        spread = t.get("spread")
        spread = "-" if not spread else f"{fmt(spread[0], t['percent'])} - {fmt(spread[1], t['percent'])}"
        lines.append(f"| {t['name']} | {fmt(t['value'], t['percent'])} | {spread} | {t['target']} | {t['status']} |")
    mem = results.get("memory", {})
    if mem.get("check"):
        c = mem["check"]
        lines.append(f"| {c['name']} | {fmt(c['value'], False)} | (one subprocess) | {c['target']} | {c['status']} |")
    lines.append("")

    # scaling
    if results["scaling_shapes"]:
        lines += _scaling_table(results, by_key)
    lines += _memory_table(results, rows, main)
    lines += _frontend_and_breakdown(results, rows, by_key, main, table)
    return "\n".join(lines)


def _scaling_table(results, by_key):
    lines = []
    lines += [
        "## Scaling", "",
        "Our layer vs the floor of the same shape; ns/element = median / number of elements, so a linear "
        "cost is a flat column, and flat LD vs 10+10 columns mean the cost does not grow with the masks.",
        "",
        "| shape | floor ms | LD ms | 10+10 ms | LD / floor | 10+10 / floor | 10+10 / LD | floor ns/el | LD ns/el | 10+10 ns/el |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for shape in results["scaling_shapes"]:
        shape = tuple(shape)
        f_, l_, t_ = (by_key.get(key(n, shape)) for n in ("floor", "ours_ld", "ours_10x10"))
        if not (f_ and l_ and t_) or f_["skipped"] or l_["skipped"] or t_["skipped"]:
            lines.append(f"| {_shape(shape)} | skipped | | | | | | | | |")
            continue
        n = f_["elements"]
        r = results["scaling_ratios"][_shape(shape)]
        lines.append(
            f"| {_shape(shape)} | {_fmt_ms(f_['median_ms'])} | {_fmt_ms(l_['median_ms'])} | "
            f"{_fmt_ms(t_['median_ms'])} | {r['ld_floor']:.2f}x | {r['tt_floor']:.2f}x | {r['tt_ld']:.2f}x | "
            f"{f_['median_ms'] * 1e6 / n:.3f} | {l_['median_ms'] * 1e6 / n:.3f} | {t_['median_ms'] * 1e6 / n:.3f} |"
        )
    lines.append("")
    return lines


def _memory_table(results, rows, main):
    lines = []
    mem = results.get("memory") or {}
    if mem:
        lines += ["## Peak memory of one call", ""]
    if mem.get("skipped"):
        lines += [f"Skipped: {mem['skipped']}", ""]
    elif mem.get("rows"):
        size = int(np.prod(main)) * 4
        lines += [
            f"Main tensor {_shape(main)} float32 = {size / 2**20:.2f} MiB. Peak extra = resident memory added "
            "during one call, the returned output included (so the floor is ~1x the input).",
            "",
            "| row | peak extra MiB | x input size | vs floor |",
            "|---|---:|---:|---:|",
        ]
        floor_peak = mem["rows"].get("floor", {}).get("peak_extra_bytes")
        labels = {r["key"]: r["label"] for r in rows}
        for name in MEMORY_ROWS:
            entry = mem["rows"].get(name)
            if entry is None:
                continue
            label = labels.get(key(name, main), name)
            if "skipped" in entry:
                lines.append(f"| {label} | skipped: {entry['skipped']} | | |")
                continue
            b = entry["peak_extra_bytes"]
            vs = f"{b / floor_peak:.2f}x" if floor_peak else "-"
            lines.append(f"| {label} | {b / 2**20:.2f} | {b / size:.2f} | {vs} |")
        lines.append("")
    return lines


def _frontend_and_breakdown(results, rows, by_key, main, table):
    lines = []
    # frontend
    front = [r for r in rows if r["group"] == "frontend"]
    if front:
        lines += ["## Augmented frontend", "",
                  f"Audio {_shape(front[0]['shape'])} (batch, samples, channels) = "
                  f"{front[0]['shape'][1] / FRONTEND_ARGS['sample_rate']:g} s at {FRONTEND_ARGS['sample_rate']} Hz; "
                  f"melspectrogram {', '.join(f'{k}={v}' for k, v in FRONTEND_ARGS.items())}; called with "
                  "training=True.", ""]
        lines += table(front)
        lines.append("")
        parts = results.get("frontend_overhead_from_parts")
        if parts is not None:
            lines += [
                f"Overhead from parts (SpecAugment sublayer alone / plain kapre frontend, paired): "
                f"{parts * 100:+.1f}% (also in the ratio table). The direct comparison of the two frontends "
                "is a small difference of two large, noisy times; this estimate is the steadier one.", "",
            ]

    # breakdown
    bd = [r for r in rows if r["group"] == "breakdown"]
    if bd:
        lines += [
            "## Where our layer spends its time", "",
            f"Stages of our layer timed alone at {_shape(main)} (LD masks; warp stages with W={W}), each its "
            "own tf.function in graph mode; 'params given' = random parameters drawn once beforehand and "
            "captured. 'x floor' is the paired ratio to the graph floor of this run. Stages marked (small) do "
            "no full-size work: their time is per-op dispatch overhead.",
            "",
            "| stage | median ms | x floor |", "|---|---:|---:|",
        ]
        for name in ("floor", "floor_xla", "ours_ld", "ours_warp_ld"):
            r = by_key.get(key(name, main))
            if r and not r["skipped"]:
                ratio = 1.0 if name == "floor" else results["breakdown_ratios"].get(r["key"])
                lines.append(f"| (whole row) {r['label']} | {_fmt_ms(r['median_ms'])} | {_ratio_text(ratio)} |")
        for r in bd:
            if r["skipped"]:
                lines.append(f"| {r['label']} | skipped: {r['skipped']} | |")
            else:
                lines.append(f"| {r['label']} | {_fmt_ms(r['median_ms'])} | "
                             f"{_ratio_text(results['breakdown_ratios'].get(r['key']))} |")
        lines.append("")
    return lines


def _ratio_text(value):
    return "-" if value is None else f"{value:.2f}x"


# ---------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="~30-60 s smoke run: 3 rounds, short rows, no memory/frontend/breakdown; "
                             "does not overwrite results.md")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 30; quick 3)")
    parser.add_argument("--target-ms", type=float, default=None,
                        help="time spent per row per round, sets N (default 75; quick 30)")
    parser.add_argument("--rows", default=None, help="only rows whose key contains one of these comma-separated words")
    parser.add_argument("--no-peers", action="store_true", help="skip kapre and spec-augment 0.0.3 rows")
    parser.add_argument("--no-download", action="store_true", help="never pip-download spec-augment 0.0.3")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocess")
    parser.add_argument("--no-frontend", action="store_true", help="skip the melspectrogram frontend rows")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the stage breakdown of our layer")
    parser.add_argument("--no-scaling", action="store_true", help="skip the time/batch scaling rows")
    parser.add_argument("--markdown", default=None, help=f"Markdown output (default {RESULTS_MD.relative_to(REPO)}; "
                        "quick: none); '-' for none")
    parser.add_argument("--json", default=None, help=f"JSON output (default {RESULTS_JSON.relative_to(REPO)}; "
                        "quick: benchmarks/results/quick.json); '-' for none")
    parser.add_argument("--threads", type=int, default=None, help="TF intra-op threads (default: TF's)")
    parser.add_argument("--memory-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shape", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")  # many tf.functions of one Python function: retracing warnings
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.random.set_seed(SEED)
    if args.memory_worker:
        shape = tuple(int(v) for v in args.shape.split(",")) if args.shape else MAIN_SHAPE
        memory_worker(shape, MEMORY_ROWS, allow_download=not args.no_download)
        return 0

    quick = args.quick
    rounds = args.rounds or (3 if quick else 30)
    target_ms = args.target_ms or (30.0 if quick else 75.0)
    memory = not (args.no_memory or quick)
    frontend = not (args.no_frontend or quick)
    breakdown = not (args.no_breakdown or quick)
    md_path = args.markdown if args.markdown is not None else (None if quick else str(RESULTS_MD))
    json_path = args.json if args.json is not None else str(HERE / "results" / "quick.json") if quick else str(RESULTS_JSON)
    md_path = None if md_path == "-" else md_path
    json_path = None if json_path == "-" else json_path

    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    machine = machine_info()
    print("Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()), flush=True)

    rows = build_rows(
        peers=not args.no_peers,
        allow_download=not args.no_download,
        frontend=frontend,
        breakdown=breakdown,
        time_scaling=() if args.no_scaling else TIME_SCALING,
        batch_scaling=() if args.no_scaling else BATCH_SCALING,
    )
    if args.rows:
        words = [w.strip() for w in args.rows.split(",") if w.strip()]
        rows = [row for row in rows if any(w in row.key for w in words)]

    print(f"\nWarm-up ({len(rows)} rows; target {target_ms:.0f} ms per row per round):", flush=True)
    warm_up(rows, target_ms / 1e3, log=lambda s: print(s, flush=True))
    estimate = sum(row.n_calls * row.single_s for row in rows
                   if row.skipped is None) * rounds
    print(f"\nTiming: {rounds} interleaved rounds (about {estimate:.0f} s):", flush=True)
    run_rounds(rows, rounds, log=lambda s: print(s, flush=True))

    notes = []
    if "notes" in _SEED_STATE:
        notes += _SEED_STATE["notes"]
    notes += NOTES
    memory_result = {}
    if memory:
        print("\nPeak memory (subprocess):", flush=True)
        memory_result = measure_memory(MAIN_SHAPE, allow_download=not args.no_download)
        if "skipped" not in memory_result:
            memory_result = {"rows": memory_result, "method": measure_memory.__doc__}
            one = memory_result["rows"].get("ours_1x1", {}).get("peak_extra_bytes")
            ten = memory_result["rows"].get("ours_10x10", {}).get("peak_extra_bytes")
            check = Target("memory: ours 10+10 / ours 1+1 (peak extra)", "", "", "<=", 1.25)
            value = ten / one if one and ten is not None else None
            memory_result["check"] = {"name": check.name, "value": value,
                                      "target": "<= 1.25x (no full-size temporary per mask)",
                                      "status": check.evaluate(value)}

    by_key = {row.key: row for row in rows}
    target_results = []
    for t in targets(MAIN_SHAPE):
        value = paired_ratio(by_key, t.numerator, t.denominator)
        target_results.append({"name": t.name, "numerator": t.numerator, "denominator": t.denominator,
                               "value": value, "target": t.describe(), "status": t.evaluate(value),
                               "percent": t.percent,
                               "spread": paired_ratio_spread(by_key, t.numerator, t.denominator)})
    scaling_shapes = []
    for shape in [(MAIN_SHAPE[0], t) + MAIN_SHAPE[2:] for t in TIME_SCALING] + \
                 [(b,) + MAIN_SHAPE[1:] for b in BATCH_SCALING]:
        if shape not in scaling_shapes and not args.no_scaling:
            scaling_shapes.append(shape)
    scaling_ratios = {}
    for shape in scaling_shapes:
        r = {
            "ld_floor": paired_ratio(by_key, key("ours_ld", shape), key("floor", shape)),
            "tt_floor": paired_ratio(by_key, key("ours_10x10", shape), key("floor", shape)),
            "tt_ld": paired_ratio(by_key, key("ours_10x10", shape), key("ours_ld", shape)),
        }
        if None not in r.values():
            scaling_ratios[_shape(shape)] = r
    scaling_shapes = [s for s in scaling_shapes if _shape(s) in scaling_ratios]
    breakdown_ratios = {}
    for row in rows:
        if row.group == "breakdown" or row.key in (key("ours_ld", MAIN_SHAPE), key("ours_warp_ld", MAIN_SHAPE),
                                                   key("floor_xla", MAIN_SHAPE)):
            breakdown_ratios[row.key] = paired_ratio(by_key, row.key, key("floor", MAIN_SHAPE))

    parts_keys = (key("frontend_aug_layer", _frontend_output_shape(AUDIO_SHAPE)), key("frontend_kapre", AUDIO_SHAPE))
    frontend_parts = paired_ratio(by_key, *parts_keys)
    if frontend_parts is not None:
        # The same target on 1 + (sublayer alone / plain frontend): the steadier estimate of the overhead.
        check = Target("frontend overhead from parts: 1 + SpecAugment sublayer / plain kapre", *parts_keys,
                       "<=", 1.05, percent=True)
        spread = paired_ratio_spread(by_key, *parts_keys)
        target_results.append({"name": check.name, "numerator": parts_keys[0], "denominator": parts_keys[1],
                               "value": 1 + frontend_parts, "target": check.describe(),
                               "status": check.evaluate(1 + frontend_parts), "percent": True,
                               "spread": None if spread is None else (1 + spread[0], 1 + spread[1])})
    row_dicts = []
    for row in rows:
        d = {"key": row.key, "label": row.label, "group": row.group, "shape": list(row.shape),
             "elements": row.elements, "n_calls": row.n_calls, "trace_s": row.trace_s,
             "skipped": row.skipped, "times_ms": [t * 1e3 for t in row.times]}
        d.update(row.summary())
        row_dicts.append(d)

    command = "python " + " ".join(shlex.quote(a) for a in
                                   [str(pathlib.Path(sys.argv[0]).resolve().relative_to(REPO))
                                    if pathlib.Path(sys.argv[0]).resolve().is_relative_to(REPO) else sys.argv[0]]
                                   + (sys.argv[1:] if argv is None else list(argv)))
    results = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": command,
        "machine": machine,
        "rounds": rounds,
        "target_ms": target_ms,
        "main_shape": list(MAIN_SHAPE),
        "rows": row_dicts,
        "targets": target_results,
        "scaling_shapes": [list(s) for s in scaling_shapes],
        "scaling_ratios": scaling_ratios,
        "breakdown_ratios": breakdown_ratios,
        "frontend_overhead_from_parts": frontend_parts,
        "memory": memory_result,
        "notes": notes,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "wall_s": time.perf_counter() - started,
    }
    report = render(results)
    print("\n" + report, flush=True)
    if md_path:
        pathlib.Path(md_path).write_text(report + "\n")
        print(f"\nwrote {md_path}")
    if json_path:
        pathlib.Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(json_path).write_text(json.dumps(results, indent=1, default=str) + "\n")
        print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
