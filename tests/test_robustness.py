"""Off the happy path: non-finite inputs, saved layouts, huge arguments, exact bounds, wide lengths."""

import keras
import numpy as np
import pytest
from keras import ops

from conftest import BACKEND
from helpers import compiled, gradient, numpy_params, reference_mask, train_call
from spec_augment import SpecAugment, functional

MASK = -123.0


def as_numpy(tensor):
    return ops.convert_to_numpy(ops.cast(tensor, "float32")) if str(tensor.dtype) != "float64" else ops.convert_to_numpy(tensor)


# ---------------------------------------------------------------------------------------- non-finite inputs
@pytest.mark.parametrize("value", [-np.inf, np.inf, np.nan])
def test_unwarped_frames_copy_non_finite_cells_exactly(value):
    """tau <= 2W: no warp, so the output is the input, inf and NaN included (was NaN at frames 4, 5)."""
    x = np.zeros((1, 10, 4, 1), "float32")
    x[0, 5, 2, 0] = value
    out = np.asarray(SpecAugment(0, 0, n_freq_mask=0, n_time_mask=0, time_warp_param=80)(x, training=True))
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("graph", [True, False])
def test_padding_of_minus_inf_stays_minus_inf_and_warped_frames_stay_finite(graph):
    """Log of zero-padded audio: -inf padding must neither leak NaN into valid frames nor become NaN."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 60, 8, 1)).astype("float32")
    lengths = np.full(64, 40)
    x[:, 40:] = -np.inf
    layer = SpecAugment(0, 0, 0, 0, time_warp_param=5, seed=1)
    out = train_call(layer, x, graph, lengths=lengths)
    assert np.isfinite(out[:, :40]).all()  # the last valid frame included
    np.testing.assert_array_equal(out[:, 40:], x[:, 40:])
    assert not np.array_equal(out[:, :40], x[:, :40])  # it did warp


def test_a_warped_frame_next_to_an_infinite_one_is_infinite_not_nan():
    x = np.zeros((1, 5, 1), "float32")
    x[0, 2, 0] = -np.inf
    x[0, 3, 0] = np.nan
    sources = np.array([[0.0, 1.5, 2.0, 2.5, 4.0]], "float32")
    out = np.asarray(functional.time_warp(x, sources, time_axis=1))[0, :, 0]
    assert out[0] == 0.0 and out[1] == -np.inf and out[2] == -np.inf and np.isnan(out[3]) and out[4] == 0.0


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_integer_source_frames_are_bit_exact_copies_next_to_non_finite_frames(dtype):
    """Each backend's interpolation skips the select pass; the copy must still be bit-exact (-0.0 too)."""
    if dtype == "float64" and BACKEND == "jax" and not __import__("jax").config.jax_enable_x64:
        pytest.skip("float64 on JAX needs jax_enable_x64")
    frames = np.array([-0.0, np.inf, -7.25, np.nan, 0.0, -np.inf], dtype)
    x = np.stack([frames, frames[::-1]], axis=-1)[None]  # (1, time, 2)
    sources = np.arange(len(frames), dtype="float32")[None]
    out = ops.convert_to_numpy(functional.time_warp(ops.convert_to_tensor(x), sources, time_axis=1))
    assert out.dtype == x.dtype
    integer = {2: np.int16, 4: np.int32, 8: np.int64}[x.itemsize]
    np.testing.assert_array_equal(out.view(integer), x.view(integer))


@pytest.mark.parametrize("jit", [False, True])
def test_warp_gradient_is_the_interpolation_weights(jit):
    """Each output frame passes (1 - a) of its gradient to the frame below and a to the frame above."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    sources = np.array([[0.0, 0.25, 1.5, 3.0, 4.75, 5.5, 6.0], [0.0, 1.0, 1.125, 2.0, 4.5, 6.0, 6.0]], "float32")
    weights = rng.uniform(0.5, 2.0, size=(2, 7, 3)).astype("float32")
    warp = compiled(lambda value, s: functional.time_warp(value, s, time_axis=1)) if jit else None
    warp = warp or (lambda value, s: functional.time_warp(value, s, time_axis=1))
    grad = gradient(lambda value: warp(value, ops.convert_to_tensor(sources)) * ops.convert_to_tensor(weights), x)
    expected = np.zeros_like(x)
    for b in range(2):
        for t, source in enumerate(sources[b]):
            below, fraction = int(np.floor(source)), source - np.floor(source)
            expected[b, below] += (1 - fraction) * weights[b, t]
            if fraction:
                expected[b, below + 1] += fraction * weights[b, t]
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16_bit_interpolation_does_not_overflow(dtype):
    """above - below = 2 * 60000 overflows float16; the interpolation must not."""
    big = 60000.0 if dtype == "float16" else 3e38
    x = np.zeros((1, 4, 1), "float32")
    x[0, 0], x[0, 1] = -big, big
    sources = np.array([[0.0, 0.5, 2.0, 3.0]], "float32")
    out = as_numpy(functional.time_warp(ops.cast(x, dtype), sources, time_axis=1))[0, :, 0]
    assert np.isfinite(out).all()
    assert abs(out[1]) <= big * 1e-2


def test_mean_fill_ignores_non_finite_cells():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 50, 12, 1)).astype("float32")
    x[0, 3, 4, 0] = np.nan
    x[1, :10] = -np.inf
    x[2, 7, 1, 0] = np.inf
    x[3] = -np.inf  # nothing finite: the fill is 0
    layer = SpecAugment(12, 5, 4, 4, mask_value="mean", seed=3)  # 8 masks: every example gets some
    params = layer.get_random_transformation(ops.convert_to_tensor(x))
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), params))
    mask = reference_mask(numpy_params(params, 50), 50, 12)
    for b in range(4):
        finite = x[b][np.isfinite(x[b])]
        expected = finite.mean() if finite.size else 0.0
        assert mask[b].any()
        np.testing.assert_allclose(out[b][mask[b]], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(BACKEND == "jax", reason="JAX holds no float64 unless jax_enable_x64 is set")
def test_mean_of_float64_input_is_computed_in_float64():
    rng = np.random.default_rng(2)
    x = 1e10 + rng.normal(size=(2, 40, 10, 1))  # float64: float32 would be off by ~24,000
    layer = SpecAugment(10, 0, 1, 0, mask_value="mean", seed=4)
    params = layer.get_random_transformation(ops.convert_to_tensor(x))
    out = ops.convert_to_numpy(layer.transform(ops.convert_to_tensor(x), params))
    mask = reference_mask(numpy_params(params, 40), 40, 10)
    for b in range(2):
        np.testing.assert_allclose(out[b][mask[b]], x[b].mean(), rtol=0, atol=1.0)  # float32: ~24,000 off


# ---------------------------------------------------------------------------------------- saved layout
def test_default_data_format_is_stored_resolved(tmp_path):
    previous = keras.config.image_data_format()
    try:
        keras.config.set_image_data_format("channels_last")
        layer = SpecAugment(8, 0, 1, 0, mask_value=MASK, data_format="default", seed=1)
        assert layer.get_config()["data_format"] == "channels_last"
        model = keras.Sequential([keras.Input((30, 20, 1)), layer])
        model.save(tmp_path / "m.keras")
        keras.config.set_image_data_format("channels_first")
        loaded = keras.models.load_model(tmp_path / "m.keras")
        out = np.asarray(loaded.layers[0](np.zeros((16, 30, 20, 1), "float32"), training=True))
    finally:
        keras.config.set_image_data_format(previous)
    masked = (out == MASK)[..., 0]  # (batch, time, freq): frequency masks are whole columns
    assert masked.any() and (masked.all(axis=1) == masked.any(axis=1)).all()


# ---------------------------------------------------------------------------------------- huge arguments
@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(freq_mask_param=2**32 + 5), "freq_mask_param"),
        (dict(freq_mask_param=2**31), "freq_mask_param"),
        (dict(time_mask_param=2**31), "time_mask_param"),
        (dict(time_warp_param=2**40), "time_warp_param"),
        (dict(n_freq_mask=10**6), "n_freq_mask"),
        (dict(n_time_mask=2**31), "n_time_mask"),
        (dict(seed=2**63), "seed"),
        (dict(seed=-1), "seed"),
        (dict(time_masks_per_frame=float("inf")), "time_masks_per_frame"),
        (dict(time_masks_per_frame=1.5), "time_masks_per_frame"),
    ],
)
def test_out_of_range_arguments_are_rejected_by_name(kwargs, name):
    arguments = dict(freq_mask_param=5, time_mask_param=10)
    arguments.update(kwargs)
    with pytest.raises(ValueError) as info:
        SpecAugment(**arguments)
    assert f"{name}={list(kwargs.values())[0]!r}" in str(info.value)


def test_largest_arguments_still_work():
    layer = SpecAugment(2**31 - 1, 2**31 - 1, 2, 2, mask_value=MASK, time_warp_param=2**31 - 1, seed=2**31 - 1)
    x = np.zeros((64, 50, 8, 1), "float32")
    out = np.asarray(layer(x, training=True))
    masked = out[..., 0] == MASK
    assert masked.all(axis=(1, 2)).any()  # capped at the axis: a band may cover everything
    assert set(np.unique(out)) <= {0.0, MASK}  # tau = 50 <= 2W: no warp


def test_warp_parameter_beyond_int32_halves_does_not_warp_short_inputs():
    """W = 2**30 used to overflow 2W in int32 and warp a 50-frame input."""
    ramp = np.broadcast_to(np.arange(50, dtype="float32")[None, :, None, None], (32, 50, 2, 1)).copy()
    out = np.asarray(SpecAugment(0, 0, 0, 0, time_warp_param=2**30, seed=0)(ramp, training=True))
    np.testing.assert_array_equal(out, ramp)


def test_wide_lengths_are_clipped_before_narrowing():
    """int64 lengths of 2**32 + 3 mean 'the whole axis', not 3."""
    layer = SpecAugment(0, 100, 0, 1, mask_value=MASK, seed=5)
    lengths = np.full(400, 2**32 + 3, dtype="int64")
    params = numpy_params(layer.get_random_transformation(ops.zeros((400, 60, 2, 1)), lengths=lengths), 60)
    np.testing.assert_array_equal(params["lengths"], 60)
    assert params["time_widths"].max() > 3 and (params["time_starts"] + params["time_widths"]).max() > 3


def test_negative_lengths_count_as_zero():
    x = np.random.default_rng(3).normal(size=(2, 20, 5, 1)).astype("float32")
    out = np.asarray(SpecAugment(5, 5, 2, 2, mask_value=MASK, seed=0)(x, training=True, lengths=np.array([-7, 20])))
    np.testing.assert_array_equal(out[0], x[0])


# ---------------------------------------------------------------------------------------- exact bounds
def test_time_mask_bound_is_exact_for_decimal_ratios():
    """floor(0.29 * 100) is 29 (in floating point 0.29 * 100 = 28.999999999999996)."""
    layer = SpecAugment(0, None, 0, 1, time_mask_ratio=0.29, seed=6)
    params = numpy_params(layer.get_random_transformation(ops.zeros((3000, 100, 1, 1))), 100)
    assert params["time_widths"].max() == 29


def test_adaptive_multiplicity_is_exact_for_decimal_ratios():
    layer = SpecAugment(0, 10, 0, 40, time_masks_per_frame=0.29, seed=7)
    params = numpy_params(layer.get_random_transformation(ops.zeros((500, 100, 1, 1))), 100)
    active = (np.arange(40)[None, :] < 29)
    assert (params["time_widths"][:, 29:] == 0).all()
    assert (params["time_widths"][:, :29] > 0).any(axis=0).all() and active.sum() == 29


def test_floor_ratio_matches_exact_rational_arithmetic():
    from fractions import Fraction

    counts = np.array([0, 1, 99, 100, 46339, 46340, 46341, 10**6, 2**31 - 1], "int64")
    for value in (0.29, 0.04, 0.05, 0.2, 1.0, 1 / 3, 0.9999):
        ratio = functional.as_ratio(value)
        got = ops.convert_to_numpy(functional.floor_ratio(counts, ratio)).tolist()
        assert got == [int(Fraction(str(value)) * int(c)) if value != 1 / 3 else int(c) // 3 for c in counts], value


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16_bit_interpolation_is_float32_arithmetic_rounded_once(dtype):
    import ml_dtypes  # numpy's bfloat16, a dependency of every Keras backend here

    numpy_dtype = np.float16 if dtype == "float16" else ml_dtypes.bfloat16
    rng = np.random.default_rng(4)
    x = rng.uniform(900, 1100, size=(2, 400, 3)).astype(numpy_dtype)
    sources = np.sort(rng.uniform(0, 399, size=(2, 400)), axis=1).astype("float32")
    out = as_numpy(functional.time_warp(ops.convert_to_tensor(x), sources, time_axis=1))
    lower = np.floor(sources).astype(int)
    upper = np.minimum(lower + 1, 399)
    fraction = (sources - lower)[..., None]
    rows = np.arange(2)[:, None]
    x32 = x.astype("float32")
    exact = (1 - fraction) * x32[rows, lower] + fraction * x32[rows, upper]
    expected = exact.astype(numpy_dtype).astype("float32")
    # Rounded once from float32 (a fused multiply-add may move a near-tie by one unit in the last
    # place); 16-bit arithmetic would round three times and miss far more cells.
    ulp = np.abs(np.spacing(expected.astype(numpy_dtype)).astype("float32"))
    assert (np.abs(out - expected) <= ulp).all()
    assert (out != expected).mean() < 0.01


# ---------------------------------------------------------------------------------------- lengths size
def test_lengths_of_one_entry_are_not_broadcast():
    with pytest.raises(ValueError, match="`lengths` must have one entry per example"):
        SpecAugment(5, 5)(np.zeros((4, 20, 8, 1), "float32"), training=True, lengths=np.array([10]))


@pytest.mark.tensorflow_only("a tf.function whose batch size is unknown when traced")
@pytest.mark.parametrize("time_axis", [None, 20])
def test_lengths_of_the_wrong_size_under_a_dynamic_batch_name_lengths(time_axis):
    """A dynamic time axis runs plain graph ops, a static one XLA: both check the size at run time."""
    import tensorflow as tf

    layer = SpecAugment(5, 5)
    fn = tf.function(lambda x, n: layer(x, training=True, lengths=n),
                     input_signature=[tf.TensorSpec((None, time_axis, 8, 1)), tf.TensorSpec((None,), tf.int32)])
    assert fn(tf.zeros((4, 20, 8, 1)), tf.constant([5, 6, 7, 8])).shape == (4, 20, 8, 1)
    for wrong in ([10], [1, 2]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="`lengths` must have one entry per example"):
            fn(tf.zeros((4, 20, 8, 1)), tf.constant(wrong))
