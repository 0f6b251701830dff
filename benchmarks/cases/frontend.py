"""The augmented melspectrogram frontend (``spec_augment.composed``, policy LD) vs kapre's plain one.

Both are called with ``training=True`` on ``config.audio_shape``. The augmented frontend's
SpecAugment sublayer is also timed alone on a melspectrogram of the output shape: its time over the
plain frontend's is the overhead "from parts", far steadier than the difference of two frontend
times about 50x larger.
"""

from __future__ import annotations

import warnings

from benchmarks.harness import Context, Row, Skip, Target, key, short_error

FRONTEND_ARGS = dict(n_fft=512, hop_length=160, sample_rate=16000, n_mels=80, return_decibel=True,
                     input_data_format="channels_last", output_data_format="channels_last")
AUGMENTATION_SETTINGS = ("freq_mask_param", "n_freq_mask", "time_mask_param", "n_time_mask", "time_warp_param",
                         "mask_value", "fused")


def output_shape(audio_shape) -> tuple:
    """(batch, frames, mels, 1) of the melspectrogram frontends (kapre's STFT pads nothing)."""
    n_frames = (audio_shape[1] - FRONTEND_ARGS["n_fft"]) // FRONTEND_ARGS["hop_length"] + 1
    return (audio_shape[0], n_frames, FRONTEND_ARGS["n_mels"], 1)


def _augmented(ctx: Context, input_shape):
    from spec_augment import SpecAugment

    try:
        from spec_augment.composed import get_augmented_melspectrogram_layer

        model = get_augmented_melspectrogram_layer(input_shape=input_shape, policy="LD", **FRONTEND_ARGS)
    except Exception as error:
        raise Skip(f"get_augmented_melspectrogram_layer(...) failed ({short_error(error)})") from None
    layers = [layer for layer in getattr(model, "layers", []) if isinstance(layer, SpecAugment)]
    if len(layers) != 1:
        raise Skip(f"expected one SpecAugment sublayer in the augmented frontend, found {len(layers)}")
    config = layers[0].get_config()
    settings = ", ".join(f"{n}={config[n]!r}" for n in AUGMENTATION_SETTINGS if n in config)
    ctx.note(f"augmented frontend (policy='LD', other augmentation arguments at the builder's defaults): {settings}")
    return model, layers[0]


def make_frontend(ctx: Context, audio_shape, augmented: bool, layer_only: bool = False):
    """kapre's plain melspectrogram, ours with policy LD, or (``layer_only``) ours' SpecAugment sublayer."""
    input_shape = tuple(audio_shape[1:])
    if augmented:
        model, sublayer = _augmented(ctx, input_shape)
        model = sublayer if layer_only else model
    else:
        try:
            import kapre.composed
        except Exception as error:  # pragma: no cover
            raise Skip(f"kapre not importable ({short_error(error)})") from None
        with warnings.catch_warnings():  # kapre passes input_shape to a layer; Keras 3 warns
            warnings.simplefilter("ignore")
            model = kapre.composed.get_melspectrogram_layer(input_shape=input_shape, **FRONTEND_ARGS)

    def frontend(x):
        return model(x, training=True)

    return ctx.adapter.compile(frontend, "graph")


def rows(ctx: Context) -> list:
    a = tuple(ctx.config.audio_shape)
    out = output_shape(a)
    return [
        Row(key("frontend_kapre", a), "kapre melspectrogram (plain)", "frontend", a,
            lambda: make_frontend(ctx, a, False), out),
        Row(key("frontend_aug", a), "ours augmented melspectrogram, policy LD", "frontend", a,
            lambda: make_frontend(ctx, a, True), out),
        Row(key("frontend_aug_layer", out), "its SpecAugment sublayer alone, on a mel of the output shape",
            "frontend", out, lambda: make_frontend(ctx, a, True, layer_only=True), out),
    ]


def targets(audio_shape) -> list:
    a = tuple(audio_shape)
    return [
        Target("frontend overhead: augmented LD / plain kapre", key("frontend_aug", a), key("frontend_kapre", a),
               "<=", 1.05, percent=True),
        # The same goal on 1 + (sublayer alone / plain frontend): the steadier estimate.
        Target("frontend overhead from parts: 1 + SpecAugment sublayer / plain kapre",
               key("frontend_aug_layer", output_shape(a)), key("frontend_kapre", a), "<=", 1.05, percent=True,
               offset=1.0),
    ]
