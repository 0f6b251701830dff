"""Where our layer spends its time: its stages timed alone (TensorFlow graph mode, main shape).

The stages call the layer's and ``spec_augment.functional``'s internals (``get_random_transformation``,
``transform``, ``augment``, ``bands_to_mask``, ``mask_codes``, ``apply_masks``,
``warp_source_positions``, ``time_warp``, ``fused=``). A stage whose API has moved is reported as
skipped with the reason; it never fails the run.
"""

from __future__ import annotations

from benchmarks.cases import F, T, W
from benchmarks.harness import Context, Row, Skip, key, short_error

STAGES = (
    # (stage, label, full: output of the input's shape; else small tensors)
    ("draw", "draw all random parameters (small)", False),
    ("transform", "layer.transform, LD, params given (as the layer runs it)", True),
    ("unfused_transform", "functional.augment, LD, params given, graph mode (unfused)", True),
    ("mask_codes", "  bands -> mask codes (small)", False),
    ("final_where", "  final broadcast where (full size)", True),
    ("unfused_layer", "whole layer LD, fused=False", True),
    ("warp_transform", "layer.transform, warp+LD, params given (as the layer runs it)", True),
    ("unfused_warp_transform", "functional.augment, warp+LD, params given, graph mode (unfused)", True),
    ("warp_sources", "  warp source positions (small)", False),
    ("warp_resample", "  warp resample: 2 gathers + lerp (full size)", True),
    ("unfused_warp_layer", "whole layer warp+LD, fused=False", True),
)


def _stage_fn(ctx: Context, stage: str, shape):
    """The Python function of one stage (LD masks; the warp stages with W=80)."""
    import tensorflow as tf

    from spec_augment import SpecAugment, functional

    n_time, n_freq, time_axis, freq_axis = shape[1], shape[2], 1, 2
    warp = W if "warp" in stage else 0
    whole_unfused = stage in ("unfused_layer", "unfused_warp_layer")
    layer = SpecAugment(F, T, n_freq_mask=2, n_time_mask=2, time_warp_param=warp, seed=ctx.config.seed,
                        fused=not whole_unfused)
    if whole_unfused:
        return lambda x: layer(x, training=True)
    if stage == "draw":
        return lambda x: {k: v for k, v in layer.get_random_transformation(x).items() if tf.is_tensor(v)}
    p = layer.get_random_transformation(ctx.input(shape))
    if stage in ("transform", "warp_transform"):
        return lambda x: layer.transform(x, p)
    if stage in ("unfused_transform", "unfused_warp_transform"):
        return lambda x: functional.augment(x, p, time_axis=time_axis, freq_axis=freq_axis, mask_value=0.0,
                                            warp=warp > 0, mask=True)
    if stage in ("mask_codes", "final_where"):
        def codes(valid=None):
            time_mask = functional.bands_to_mask(p["time_starts"], p["time_widths"], n_time)
            freq_mask = functional.bands_to_mask(p["freq_starts"], p["freq_widths"], n_freq)
            return functional.mask_codes(time_mask, freq_mask, valid)

        if stage == "mask_codes":
            return lambda x: codes(tf.range(n_time)[None, :] < p["lengths"][:, None])
        time_code, freq_code = codes()
        return lambda x: functional.apply_masks(x, time_code, freq_code, 0.0, time_axis, freq_axis)
    def sources(x=None):
        return functional.warp_source_positions(p["warp_anchors"], p["warp_shifts"], p["lengths"], n_time)

    if stage == "warp_sources":
        return sources
    if stage == "warp_resample":
        positions = sources()
        return lambda x: functional.time_warp(x, positions, time_axis)
    raise ValueError(f"unknown stage {stage!r}")


def make_stage(ctx: Context, stage: str, shape):
    """The stage as a graph-mode ``tf.function``, traced and run once now (a moved API -> Skip)."""
    try:
        fn = ctx.adapter.compile(_stage_fn(ctx, stage, shape), "graph")
        fn(ctx.input(shape))
    except Exception as error:
        raise Skip(f"stage {stage}: {short_error(error)}") from None
    return fn


def rows(ctx: Context) -> list:
    s = tuple(ctx.config.main_shape)
    return [Row(key("bd_" + stage, s), label, "breakdown", s, lambda stage=stage: make_stage(ctx, stage, s),
                s if full else None) for stage, label, full in STAGES]
