"""The layers ours replaces: kapre 0.4.1 ``SpecAugment`` and spec-augment 0.0.3 (PyPI), TensorFlow graph.

spec-augment 0.0.3 has the same distribution and module name as this project, so it is never
installed into the environment: ``pip install --no-deps --target benchmarks/.peers/spec_augment_003``
fetches it (``benchmarks/setup_peers.sh`` does the same) and it is imported by file path as
``spec_augment_seed_003``, unmodified.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from benchmarks.cases import F, T
from benchmarks.harness import HERE, REPO, Context, Row, Skip, Target, key, short_error

SEED_DIR = HERE / ".peers" / "spec_augment_003"
SEED_REQUIREMENT = "spec-augment==0.0.3"
SEED_MODULE_NAME = "spec_augment_seed_003"  # its own module is called `spec_augment`, like ours


def make_kapre(ctx: Context, n_freq_mask: int, n_time_mask: int):
    try:
        import kapre.augmentation
    except Exception as error:  # pragma: no cover - depends on the environment
        raise Skip(f"kapre not importable ({short_error(error)})") from None
    layer = kapre.augmentation.SpecAugment(freq_mask_param=F, time_mask_param=T, n_freq_masks=n_freq_mask,
                                           n_time_masks=n_time_mask, data_format="channels_last")

    def kapre_specaugment(x):
        return layer(x, training=True)

    return ctx.adapter.compile(kapre_specaugment, "graph")


def seed_package_path():
    """The module file of spec-augment 0.0.3 under ``benchmarks/.peers``, or None."""
    for candidate in (SEED_DIR / "spec_augment.py", SEED_DIR / "spec_augment" / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def download_seed_package() -> str | None:
    """``pip install --no-deps --target benchmarks/.peers/spec_augment_003 spec-augment==0.0.3``;
    None on success, else the reason. ``--target`` leaves the environment's own packages alone."""
    SEED_DIR.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:",
               "--disable-pip-version-check", "--quiet", "--target", str(SEED_DIR), SEED_REQUIREMENT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"pip install --target ... {SEED_REQUIREMENT} failed: {short_error(error)}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return f"`pip install --target ... {SEED_REQUIREMENT}` failed (rc {done.returncode}): {tail[0]}"
    return None


def load_seed_package(ctx: Context):
    """spec-augment 0.0.3 imported by file path (downloaded first if allowed); Skip if unavailable.

    The outcome is kept in ``ctx.cache`` so that one process tries once.
    """
    state = ctx.cache.setdefault("seed_package", {})
    if "module" in state:
        return state["module"]
    if "skip" in state:
        raise Skip(state["skip"])
    path = seed_package_path()
    if path is None and ctx.config.allow_download:
        failure = download_seed_package()
        path = seed_package_path()
        if path is None:
            state["skip"] = failure or f"{SEED_REQUIREMENT} not found in {SEED_DIR} after pip install"
            raise Skip(state["skip"])
        ctx.note(f"downloaded {SEED_REQUIREMENT} into {SEED_DIR.relative_to(REPO)}")
    elif path is None:
        state["skip"] = (f"{SEED_REQUIREMENT} not in {SEED_DIR.relative_to(REPO)} and downloading is off "
                         "(run benchmarks/setup_peers.sh)")
        raise Skip(state["skip"])
    try:
        spec = importlib.util.spec_from_file_location(SEED_MODULE_NAME, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[SEED_MODULE_NAME] = module
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(SEED_MODULE_NAME, None)
        state["skip"] = f"importing {path} failed: {short_error(error)}"
        raise Skip(state["skip"]) from None
    infos = sorted(SEED_DIR.glob("spec_augment-*.dist-info"))
    version = infos[-1].name[len("spec_augment-"):-len(".dist-info")] if infos else "?"
    ctx.note(f"spec-augment {version} imported by file path from {path.relative_to(REPO)} as "
             f"`{SEED_MODULE_NAME}`; used unmodified (no Keras 3 monkeypatch needed)")
    state["module"] = module
    return module


def make_seed(ctx: Context, n_freq_mask: int, n_time_mask: int):
    module = load_seed_package(ctx)
    layer = module.SpecAugment(freq_mask_param=F, time_mask_param=T, n_freq_mask=n_freq_mask,
                               n_time_mask=n_time_mask)

    def seed_specaugment(x):
        return layer(x, training=True)

    return ctx.adapter.compile(seed_specaugment, "graph")


def rows(ctx: Context) -> list:
    s = tuple(ctx.config.main_shape)
    spec = [("kapre_ld", "kapre 0.4.1 LD", make_kapre, 2), ("kapre_10x10", "kapre 0.4.1 10+10", make_kapre, 10),
            ("seed_ld", "spec-augment 0.0.3 LD", make_seed, 2),
            ("seed_10x10", "spec-augment 0.0.3 10+10", make_seed, 10)]
    return [Row(key(name, s), label, "peers", s, lambda make=make, n=n: make(ctx, n, n), s)
            for name, label, make, n in spec]


def targets(shape) -> list:
    k = lambda name: key(name, shape)  # noqa: E731
    return [
        Target("spec-augment 0.0.3 / ours, LD", k("seed_ld"), k("ours_ld"), ">=", 3.0),
        Target("kapre / ours, LD", k("kapre_ld"), k("ours_ld"), ">=", 2.0),
        Target("spec-augment 0.0.3 / ours, 10+10", k("seed_10x10"), k("ours_10x10"), ">=", 8.0),
        Target("kapre / ours, 10+10", k("kapre_10x10"), k("ours_10x10"), ">=", 4.0),
    ]
