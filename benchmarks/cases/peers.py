"""The layers ours replaces, on TensorFlow in graph mode: kapre 0.4.1 and spec-augment 0.0.3 (PyPI).

spec-augment 0.0.3 has the same distribution and module name as this project, so it is never
installed into the environment: ``pip install --no-deps --target benchmarks/.peers/spec_augment_003``
fetches it (``benchmarks/setup_peers.sh`` does the same) and it is imported by file path as
``spec_augment_seed_003``, unmodified.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from benchmarks.cases.headline import F, T
from benchmarks.harness import HERE, Context, Row, Skip, Target

SEED_DIR = HERE / ".peers" / "spec_augment_003"
SEED_REQUIREMENT, SEED_MODULE = "spec-augment==0.0.3", "spec_augment_seed_003"


def make(ctx: Context, peer: str, n: int):
    if peer == "kapre":
        from kapre.augmentation import SpecAugment

        layer = SpecAugment(freq_mask_param=F, time_mask_param=T, n_freq_masks=n, n_time_masks=n,
                            data_format="channels_last")
    else:
        layer = load_seed(ctx).SpecAugment(freq_mask_param=F, time_mask_param=T, n_freq_mask=n, n_time_mask=n)
    return ctx.compile(lambda x: layer(x, training=True), "graph")


def seed_path():
    return next((p for p in (SEED_DIR / "spec_augment.py", SEED_DIR / "spec_augment" / "__init__.py")
                 if p.is_file()), None)


def load_seed(ctx: Context):
    """spec-augment 0.0.3 imported by file path, downloaded first if allowed; Skip if unavailable."""
    if SEED_MODULE in sys.modules:
        return sys.modules[SEED_MODULE]
    if seed_path() is None:
        if not ctx.config.allow_download:
            raise Skip(f"{SEED_REQUIREMENT} not in benchmarks/.peers and downloading is off "
                       "(run benchmarks/setup_peers.sh)")
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:", "--quiet",
                   "--disable-pip-version-check", "--target", str(SEED_DIR), SEED_REQUIREMENT]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        if seed_path() is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise Skip(f"pip install --target benchmarks/.peers {SEED_REQUIREMENT} failed: {tail[0][:200]}")
        ctx.notes.append(f"downloaded {SEED_REQUIREMENT} into benchmarks/.peers")
    spec = importlib.util.spec_from_file_location(SEED_MODULE, seed_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[SEED_MODULE] = module
    ctx.notes.append(f"{SEED_REQUIREMENT} imported by file path as `{SEED_MODULE}`, unmodified")
    return module


def rows(ctx: Context) -> list:
    s = tuple(ctx.config.main_shape)
    return [Row(f"graph/{peer} {name}", f"{label} {name} (tf.function)", s, lambda p=peer, n=n: make(ctx, p, n))
            for peer, label in (("kapre", "kapre 0.4.1"), ("0.0.3", "spec-augment 0.0.3"))
            for name, n in (("LD", 2), ("10+10", 10))]


def targets() -> list:
    return [Target(f"TensorFlow tf.function: {peer} {name} / ours {name}", f"ours:graph/{peer} {name}",
                   f"ours:graph/{name}", goal, ">=", group="a peer's time / ours (tf.function)", short=f"{peer} {name}")
            for peer, name, goal in (("kapre", "LD", 2.0), ("0.0.3", "LD", 3.0), ("kapre", "10+10", 4.0),
                                     ("0.0.3", "10+10", 8.0))]
