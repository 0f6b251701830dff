"""The melspectrogram frontends on 1 s of 16 kHz audio, compiled as each backend runs them:

* TensorFlow (``tf.function``): kapre's plain ``get_melspectrogram_layer``; our augmented builder
  with our own layers (``use_kapre=False``) and with kapre's (``use_kapre=True``);
* JAX (``jax.jit``, stateless as in ``headline.compiled_call``) and PyTorch (eager): our layers.

Each augmented frontend is timed with ``training=True`` and at inference (``training=False``, the
same model): their ratio is what the augmentation adds.
"""

from __future__ import annotations

import warnings

from benchmarks.cases.headline import NAMES, compiled_call
from benchmarks.harness import Context, Row, Skip, Target, short_error

FRONTEND = dict(n_fft=512, hop_length=128, sample_rate=16000, n_mels=80, return_decibel=True,
                input_data_format="channels_last", output_data_format="channels_last")
POLICY = "LD"
MODE = {"tensorflow": "graph", "jax": "jit", "torch": "eager"}
OURS_GOAL, AUGMENTATION_GOAL = 1.1, 1.25  # ours / kapre at inference; augmented / inference


def augmented(ctx: Context, use_kapre: bool):
    """One model per ``use_kapre``, shared by its training and inference rows."""
    key = f"frontend use_kapre={use_kapre}"
    if key not in ctx.cache:
        from spec_augment import SpecAugment
        from spec_augment.composed import get_augmented_melspectrogram_layer

        try:
            model = get_augmented_melspectrogram_layer(input_shape=tuple(ctx.config.audio_shape[1:]), policy=POLICY,
                                                       use_kapre=use_kapre, seed=ctx.config.seed, **FRONTEND)
        except Exception as error:  # e.g. a builder without use_kapre, or our layers not there yet
            raise Skip(f"get_augmented_melspectrogram_layer(use_kapre={use_kapre}): {short_error(error)}") from None
        layer = next(sub for sub in model.layers if isinstance(sub, SpecAugment))
        settings = {k: v for k, v in layer.get_config().items() if "mask" in k or "warp" in k}
        ctx.notes.append(f"augmented frontends: policy={POLICY!r}, so SpecAugment({settings})")
        ctx.cache[key] = model
    return ctx.cache[key]


def make_kapre(ctx: Context):
    try:
        from kapre.composed import get_melspectrogram_layer
    except Exception as error:
        raise Skip(f"kapre not importable ({short_error(error)})") from None
    with warnings.catch_warnings():  # kapre passes input_shape to a layer; Keras 3 warns
        warnings.simplefilter("ignore")
        model = get_melspectrogram_layer(input_shape=tuple(ctx.config.audio_shape[1:]), **FRONTEND)
    return compiled_call(ctx, model, "graph", training=False)


def rows(ctx: Context) -> list:
    a, backend = tuple(ctx.config.audio_shape), ctx.backend
    mode = MODE[backend]
    chains = [("ours", False)] + ([("kapre-chain", True)] if backend == "tensorflow" else [])
    out = [Row("frontend/kapre", "kapre melspectrogram", a, lambda: make_kapre(ctx))] if backend == "tensorflow" else []
    for chain, use_kapre in chains:
        out += [Row(f"frontend/{chain} {what}", f"{chain} frontend, {what}", a,
                    lambda u=use_kapre, t=training: compiled_call(ctx, augmented(ctx, u), mode, training=t))
                for what, training in (("inference", False), ("augmented", True))]
    return out


def targets(backend: str) -> list:
    name, group = f"{NAMES[backend]} frontend", "frontend, 1 s at 16 kHz"
    out = [Target(f"{name}: ours at inference / kapre", "ours:frontend/ours inference", "ours:frontend/kapre",
                  OURS_GOAL, group=group, short="ours / kapre at inference")] if backend == "tensorflow" else []
    chains = ("ours", "kapre-chain") if backend == "tensorflow" else ("ours",)
    return out + [Target(f"{name}: {chain} augmented / at inference", f"ours:frontend/{chain} augmented",
                         f"ours:frontend/{chain} inference", AUGMENTATION_GOAL, group=group,
                         short=f"{chain} augmented / inference") for chain in chains]
