"""The SpecAugment layer: geometry, distributions, formats, lengths, warp, serialization, engines."""

import collections

import keras
import numpy as np
import pytest
from keras import ops

from conftest import BACKEND
from helpers import compiled, numpy_params, reference_mask, to_btfc, train_call
from spec_augment import POLICIES, SpecAugment, functional

MASK = -123.0


def masked_cells(output, data_format="channels_last"):
    """(batch, time, freq) bool of cells equal to MASK in every channel."""
    return np.all(to_btfc(output, data_format) == MASK, axis=-1)


# ---------------------------------------------------------------------------------------- seed API
def test_seed_readme_forms_work():
    layer = SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100)
    assert (layer.freq_mask_param, layer.time_mask_param, layer.n_freq_mask, layer.n_time_mask) == (5, 10, 5, 3)
    assert layer.mask_value == -100
    positional = SpecAugment(5, 10, 5, 3, -100)
    assert positional.get_config()["mask_value"] == -100
    defaults = SpecAugment(freq_mask_param=5, time_mask_param=10)
    assert (defaults.n_freq_mask, defaults.n_time_mask, defaults.mask_value) == (1, 1, 0.0)
    model = keras.Sequential([keras.Input((50, 40, 1)), layer])
    x = np.random.default_rng(0).normal(size=(2, 50, 40, 1)).astype("float32")
    out = np.asarray(layer(x, training=True))
    assert out.shape == x.shape and (out == -100).any()
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


# ---------------------------------------------------------------------------------------- inference
def test_identity_at_inference_returns_the_input():
    layer = SpecAugment.from_policy("LD", mask_value=MASK, seed=0)
    x = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 300, 40, 1)).astype("float32"))
    assert layer(x) is x
    assert layer(x, training=False) is x


@pytest.mark.tensorflow_only("inspects a tf.function graph")
def test_identity_at_inference_adds_no_op():
    import tensorflow as tf

    layer = SpecAugment.from_policy("LD", mask_value=MASK, seed=0)

    def op_types(training):
        fn = tf.function(lambda t: layer(t, training=training))
        graph = fn.get_concrete_function(tf.TensorSpec((None, None, 40, 1))).graph
        return {op.type for op in graph.get_operations()}

    assert op_types(False) <= {"Placeholder", "Identity", "NoOp"}
    assert any("Random" in t for t in op_types(True))


def test_predict_is_identity_and_fit_augments():
    x = np.random.default_rng(1).normal(size=(8, 40, 20, 1)).astype("float32")
    layer = SpecAugment(8, 8, 2, 2, mask_value=MASK, seed=3)
    model = keras.Sequential([keras.Input((40, 20, 1)), layer])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert masked_cells(model(x, training=True)).any()


# ---------------------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_exact_geometry_matches_drawn_parameters(data_format, jit):
    """Masked cells = exactly the reference bands; every other cell bit-identical to the input."""
    rng = np.random.default_rng(2)
    batch, n_time, n_freq, channels = 16, 37, 23, 2
    x = rng.normal(size=(batch, n_time, n_freq, channels)).astype("float32")
    if data_format == "channels_first":
        x = np.transpose(x, (0, 3, 1, 2)).copy()
    layer = SpecAugment(9, 12, 3, 2, mask_value=MASK, data_format=data_format, seed=5)
    params = layer.get_random_transformation(ops.convert_to_tensor(x))
    transform = compiled(layer.transform) if jit else layer.transform
    out = ops.convert_to_numpy(transform(ops.convert_to_tensor(x), params))
    expected = reference_mask(numpy_params(params, n_time), n_time, n_freq)
    assert expected.any() and not expected.all()
    out_l, x_l = to_btfc(out, data_format), to_btfc(x, data_format)
    np.testing.assert_array_equal(out_l[expected], MASK)  # every channel of a masked cell
    np.testing.assert_array_equal(out_l[~expected], x_l[~expected])


def test_masked_cells_are_full_rows_and_columns_on_constant_input():
    layer = SpecAugment(6, 6, 2, 2, mask_value=MASK, seed=11)
    x = np.ones((32, 30, 20, 1), "float32")
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out)) <= {1.0, MASK}
    masked = masked_cells(out)
    for b in range(32):
        rows = masked[b].all(axis=1)
        cols = masked[b].all(axis=0)
        # nothing masked outside the union of full rows and full columns
        np.testing.assert_array_equal(masked[b], rows[:, None] | cols[None, :])
        assert cols.sum() <= 2 * 6 and rows.sum() <= 2 * 6


def test_zero_masks_and_zero_widths_leave_input_unchanged():
    x = np.random.default_rng(3).normal(size=(4, 30, 20, 1)).astype("float32")
    for layer in (SpecAugment(10, 10, 0, 0, seed=0), SpecAugment(0, 0, 3, 3, mask_value=MASK, seed=0)):
        np.testing.assert_array_equal(np.asarray(layer(x, training=True)), x)


# ---------------------------------------------------------------------------------------- distributions
def single_band(out, axis):
    """(starts, widths) of the single band visible in each example along 'time' (1) or 'freq' (0)."""
    masked = masked_cells(out)
    lines = masked.all(axis=2 if axis == "time" else 1)
    widths = lines.sum(axis=1)
    starts = np.where(widths > 0, lines.argmax(axis=1), -1)
    return starts, widths


def chi_square(counts, expected):
    return float(((counts - expected) ** 2 / expected).sum())


def test_frequency_mask_width_and_start_are_uniform():
    # F = 10 on 24 bins: width uniform on 0..10; start uniform on 0..24-width (first and last bin reachable)
    layer = SpecAugment(10, 0, 1, 0, mask_value=MASK, seed=123)
    x = np.zeros((6000, 1, 24, 1), "float32")
    starts, widths = single_band(layer(x, training=True), "freq")
    counts = np.bincount(widths, minlength=11)
    assert len(counts) == 11  # never wider than F
    # chi-square with 10 degrees of freedom: 29.6 is the 0.1% critical value
    assert chi_square(counts, len(widths) / 11) < 29.6
    for width in (1, 5, 10):
        s = starts[widths == width]
        span = 24 - width + 1
        hist = np.bincount(s, minlength=span)
        assert len(hist) == span and hist[0] > 0 and hist[-1] > 0
        assert chi_square(hist, len(s) / span) < {1: 54.1, 5: 45.3, 10: 36.1}[width]  # 0.1% critical values


def test_time_mask_width_bound_is_min_of_T_and_p_tau():
    # tau = 50, p = 0.2 -> bound 10 < T = 100; T = 4 < p * tau -> bound 4
    for T, p, bound in ((100, 0.2, 10), (4, 1.0, 4), (None, 0.5, 25)):
        layer = SpecAugment(0, T, 0, 1, mask_value=MASK, time_mask_ratio=p, seed=7)
        _, widths = single_band(layer(np.zeros((3000, 50, 1, 1), "float32"), training=True), "time")
        counts = np.bincount(widths, minlength=bound + 1)
        assert len(counts) == bound + 1 and counts.min() > 0
        assert chi_square(counts, len(widths) / (bound + 1)) < 80.0


def test_time_mask_bound_uses_each_examples_length():
    layer = SpecAugment(0, 100, 0, 1, mask_value=MASK, time_mask_ratio=0.2, seed=8)
    lengths = np.tile([10, 40, 80], 1000)
    out = layer(np.zeros((3000, 80, 1, 1), "float32"), training=True, lengths=lengths)
    starts, widths = single_band(out, "time")
    for length in (10, 40, 80):
        w, s = widths[lengths == length], starts[lengths == length]
        assert w.max() == length // 5
        assert (s[w > 0] + w[w > 0] <= length).all()


def test_adaptive_multiplicity_and_size():
    layer = SpecAugment(0, None, 0, 20, time_mask_ratio=0.05, time_masks_per_frame=0.04, seed=9)
    lengths = np.array([10, 50, 100, 1000] * 50)
    params = numpy_params(layer.get_random_transformation(ops.zeros((200, 1000, 4, 1)), lengths=lengths), 1000)
    widths = params["time_widths"]
    for length in (10, 50, 100, 1000):
        w = widths[lengths == length]
        n_masks = min(20, int(0.04 * length))
        assert (w[:, n_masks:] == 0).all()  # masks past min(mT, floor(p_M tau)) do nothing
        if n_masks:
            assert w[:, :n_masks].max() == int(0.05 * length)


def test_masks_are_drawn_per_example():
    layer = SpecAugment(10, 10, 1, 1, mask_value=MASK, seed=21)
    out = layer(np.zeros((64, 40, 30, 1), "float32"), training=True)
    masked = masked_cells(out).reshape(64, -1)
    distinct = {row.tobytes() for row in masked}
    assert len(distinct) > 55
    f_starts, _ = single_band(out, "freq")
    # starts of different examples are not correlated with their batch index
    assert abs(np.corrcoef(np.arange(64), f_starts)[0, 1]) < 0.4


def test_seed_gives_reproducible_sequences_and_new_masks_per_call():
    x = np.zeros((4, 40, 30, 1), "float32")
    a, b = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=5), SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=5)
    first_a, second_a = np.asarray(a(x, training=True)), np.asarray(a(x, training=True))
    first_b, second_b = np.asarray(b(x, training=True)), np.asarray(b(x, training=True))
    np.testing.assert_array_equal(first_a, first_b)
    np.testing.assert_array_equal(second_a, second_b)
    assert not np.array_equal(first_a, second_a)
    other = np.asarray(SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=6)(x, training=True))
    assert not np.array_equal(first_a, other)


# ---------------------------------------------------------------------------------------- formats
def test_data_formats_and_rank3_agree():
    x = np.random.default_rng(4).normal(size=(5, 33, 21, 2)).astype("float32")
    kwargs = dict(freq_mask_param=8, time_mask_param=8, n_freq_mask=2, n_time_mask=2, mask_value=MASK, seed=13)
    last = np.asarray(SpecAugment(**kwargs)(x, training=True))
    first = np.asarray(SpecAugment(data_format="channels_first", **kwargs)(np.transpose(x, (0, 3, 1, 2)), training=True))
    np.testing.assert_array_equal(np.transpose(first, (0, 2, 3, 1)), last)
    rank3 = np.asarray(SpecAugment(**kwargs)(x[..., 0], training=True))
    np.testing.assert_array_equal(rank3, last[..., 0])
    # channels share their masks
    np.testing.assert_array_equal(last[..., 0] == MASK, last[..., 1] == MASK)


def test_default_data_format_follows_keras_config():
    x = np.zeros((8, 1, 30, 20), "float32")  # channels_first: 30 frames, 20 bins
    previous = keras.config.image_data_format()
    try:
        keras.config.set_image_data_format("channels_first")
        layer = SpecAugment(20, 0, 1, 0, mask_value=MASK, data_format="default", seed=1)
        out = np.asarray(layer(x, training=True))
    finally:
        keras.config.set_image_data_format(previous)
    masked = masked_cells(out, "channels_first")
    # frequency masks are whole columns over the 30 frames
    assert masked.any() and (masked.all(axis=1) == masked.any(axis=1)).all()


# ---------------------------------------------------------------------------------------- lengths
@pytest.mark.parametrize("graph", [True, False])
def test_lengths_keep_masks_and_warp_inside_valid_frames(graph):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 120, 16, 1)).astype("float32")
    lengths = np.array([0, 1, 5, 40, 100, 120])
    layer = SpecAugment(8, 30, 2, 3, mask_value=MASK, time_warp_param=10, seed=2)
    out = train_call(layer, x, graph, lengths=lengths)
    for b, length in enumerate(lengths):
        np.testing.assert_array_equal(out[b, length:], x[b, length:])
    assert not (out[0] == MASK).any()
    assert (out[4, :100] == MASK).any()


def test_lengths_errors():
    layer = SpecAugment(5, 5)
    x = np.zeros((3, 20, 10, 1), "float32")
    with pytest.raises(ValueError, match="lengths"):
        layer(x, training=True, lengths=np.array([[5, 5, 5]]))
    with pytest.raises(ValueError, match="lengths"):
        layer(x, training=True, lengths=np.array([5, 5]))
    with pytest.raises(TypeError, match="lengths"):
        layer(x, training=True, lengths=np.array([5.0, 5.0, 5.0]))


def test_mean_mask_value_is_each_examples_mean_over_valid_frames():
    rng = np.random.default_rng(6)
    x = (rng.normal(size=(4, 50, 12, 2)) + np.arange(4)[:, None, None, None] * 10).astype("float32")
    lengths = np.array([50, 30, 10, 50])
    x[1, 30:] = 1e6  # padding must not leak into the mean
    layer = SpecAugment(12, 5, 1, 1, mask_value="mean", seed=3)
    params = layer.get_random_transformation(ops.convert_to_tensor(x), lengths=lengths)
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), params))
    mask = reference_mask(numpy_params(params, 50), 50, 12)
    for b, length in enumerate(lengths):
        if mask[b].any():
            np.testing.assert_allclose(out[b][mask[b]], x[b, :length].mean(), rtol=1e-5)


# ---------------------------------------------------------------------------------------- warp
def ramp_warp(layer, batch=200, n_time=100, lengths=None, graph=False):
    """Warp a ramp x[b, t] = t: linear interpolation of a ramp returns the source positions."""
    x = np.broadcast_to(np.arange(n_time, dtype="float32")[None, :, None, None], (batch, n_time, 3, 1)).copy()
    return train_call(layer, x, graph, lengths=lengths)[:, :, 0, 0]


@pytest.mark.parametrize("graph", [True, False])
def test_time_warp_invariants(graph):
    W, n_time = 10, 100
    layer = SpecAugment(0, 0, 0, 0, time_warp_param=W, seed=4)
    src = ramp_warp(layer, n_time=n_time, graph=graph)
    assert (np.diff(src, axis=1) >= -1e-4).all()  # monotone
    np.testing.assert_allclose(src[:, 0], 0, atol=1e-5)  # ends fixed
    np.testing.assert_allclose(src[:, -1], n_time - 1, atol=1e-4)
    assert np.abs(src - np.arange(n_time)).max() <= W + 1e-4  # displacement <= W
    assert np.abs(src - np.arange(n_time)).max() >= W - 1  # and the full range is used
    assert (np.abs(src - np.arange(n_time)).max(axis=1) > 0.5).mean() > 0.8  # most examples warp


def test_time_warp_anchor_and_shift_distributions():
    W = 5
    layer = SpecAugment(0, 0, 0, 0, time_warp_param=W, seed=8)
    lengths = np.full(5000, 30)
    params = numpy_params(layer.get_random_transformation(ops.zeros((5000, 30, 2, 1)), lengths=lengths), 30)
    anchors, shifts = params["warp_anchors"], params["warp_shifts"]
    assert anchors.min() == W and anchors.max() == 30 - W - 1  # anchor uniform on [W, tau - W)
    assert shifts.min() == -W and shifts.max() == W
    assert chi_square(np.bincount(anchors - W), 5000 / (30 - 2 * W)) < 45.3
    assert chi_square(np.bincount(shifts + W), 5000 / (2 * W + 1)) < 29.6
    # the anchor lands exactly at anchor + shift (unless that is an end frame, which stays fixed)
    src = np.asarray(functional.warp_source_positions(anchors, shifts, lengths, 30))
    inner = (anchors + shifts > 0) & (anchors + shifts < 29)
    np.testing.assert_allclose(src[inner, (anchors + shifts)[inner]], anchors[inner], atol=1e-4)
    np.testing.assert_array_equal(src[:, [0, 29]], np.broadcast_to([0.0, 29.0], (5000, 2)))


def test_short_utterances_are_not_warped():
    layer = SpecAugment(0, 0, 0, 0, time_warp_param=10, seed=4)
    src = ramp_warp(layer, batch=50, n_time=60, lengths=np.tile([20, 21, 60], 50)[:50])
    lengths = np.tile([20, 21, 60], 50)[:50]
    np.testing.assert_array_equal(src[lengths == 20], np.broadcast_to(np.arange(60), src[lengths == 20].shape))
    assert (np.abs(src[lengths == 21] - np.arange(60)).max(axis=1) > 0).any()


def test_warp_happens_before_masking():
    layer = SpecAugment(5, 5, 1, 1, time_warp_param=8, mask_value=MASK, seed=12)
    x = np.random.default_rng(9).normal(size=(8, 60, 10, 1)).astype("float32")
    params = layer.get_random_transformation(ops.convert_to_tensor(x))
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), params))
    mask = reference_mask(numpy_params(params, 60), 60, 10)
    np.testing.assert_array_equal(out[..., 0][mask], MASK)  # masks are not smeared by the warp


# ---------------------------------------------------------------------------------------- policies
def test_policies_have_the_papers_values():
    expected = {"LB": (80, 27, 1, 100, 1.0, 1), "LD": (80, 27, 2, 100, 1.0, 2), "SM": (40, 15, 2, 70, 0.2, 2), "SS": (40, 27, 2, 70, 0.2, 2)}
    assert set(POLICIES) == set(expected)
    for name, values in expected.items():
        layer = SpecAugment.from_policy(name)
        got = (layer.time_warp_param, layer.freq_mask_param, layer.n_freq_mask, layer.time_mask_param, layer.time_mask_ratio, layer.n_time_mask)
        assert got == values, name
        out = layer(np.zeros((2, 300, 80, 1), "float32"), training=True)
        assert out.shape == (2, 300, 80, 1)
    assert SpecAugment.from_policy("ld", mask_value=-1.0, n_time_mask=5).n_time_mask == 5
    with pytest.raises(ValueError, match="LB, LD, SM, SS"):
        SpecAugment.from_policy("XL")


# ---------------------------------------------------------------------------------------- serialization
def test_config_round_trip_carries_every_argument():
    layer = SpecAugment(7, None, 3, 4, mask_value="mean", time_warp_param=6, time_mask_ratio=0.3,
                        time_masks_per_frame=0.05, data_format="channels_first", seed=17, name="aug")
    config = layer.get_config()
    for key, value in dict(freq_mask_param=7, time_mask_param=None, n_freq_mask=3, n_time_mask=4, mask_value="mean",
                           time_warp_param=6, time_mask_ratio=0.3, time_masks_per_frame=0.05,
                           data_format="channels_first", seed=17, name="aug").items():
        assert config[key] == value, key
    clone = SpecAugment.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(0).normal(size=(3, 1, 40, 20)).astype("float32")
    np.testing.assert_array_equal(np.asarray(clone(x, training=True)), np.asarray(layer(x, training=True)))


def test_keras_file_round_trip_with_two_layers(tmp_path):
    inputs = keras.Input((40, 20, 1))
    h = SpecAugment(5, 5, mask_value=-1.0, seed=1)(inputs)
    h = SpecAugment.from_policy("SM", seed=2)(h)
    h = keras.layers.Conv2D(2, 3)(h)
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(h))
    model = keras.Model(inputs, outputs)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(1).normal(size=(4, 40, 20, 1)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers].count("SpecAugment") == 2
    assert loaded.layers[2].get_config()["time_warp_param"] == 40


# ---------------------------------------------------------------------------------------- engines
@pytest.mark.parametrize("jit_compile", [False, True, "auto"])
def test_fit_with_and_without_xla(jit_compile):
    if BACKEND == "torch" and jit_compile is True:
        pytest.skip("torch trains eagerly here; jit_compile=True would mean torch.compile")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 40, 16, 1)).astype("float32")
    y = rng.integers(0, 2, 32)
    model = keras.Sequential([
        keras.Input((40, 16, 1)),
        SpecAugment.from_policy("SM", seed=3),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2),
    ])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit_compile)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.tensorflow_only("tf.function with a dynamic time axis")
def test_dynamic_time_axis_under_tf_function_and_xla():
    import tensorflow as tf

    layer = SpecAugment.from_policy("LB", mask_value=MASK, seed=0)
    for jit in (False, True):
        fn = tf.function(lambda x: layer(x, training=True), jit_compile=jit,
                         input_signature=[tf.TensorSpec((None, None, 80, 1))])
        for n_time in (1, 7, 250):
            out = np.asarray(fn(tf.zeros((3, n_time, 80, 1))))
            assert out.shape == (3, n_time, 80, 1)
            assert set(np.unique(out)) <= {0.0, MASK}


@pytest.mark.tensorflow_only("tf.data")
def test_tf_data_map():
    import tensorflow as tf

    layer = SpecAugment(8, 8, 2, 2, mask_value=MASK, seed=4)
    ds = tf.data.Dataset.from_tensor_slices(np.zeros((16, 30, 20, 1), "float32")).batch(8)
    ds = ds.map(lambda x: layer(x, training=True))
    batches = [np.asarray(b) for b in ds]
    assert len(batches) == 2 and all(b.shape == (8, 30, 20, 1) for b in batches)
    assert all(masked_cells(b).any() for b in batches)
    assert not np.array_equal(batches[0], batches[1])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
@pytest.mark.parametrize("graph", [True, False])
def test_dtypes_pass_through(dtype, graph):
    layer = SpecAugment.from_policy("SM", mask_value=-100, time_warp_param=5, seed=0)
    x = ops.cast(np.random.default_rng(1).normal(size=(2, 100, 40, 1)), dtype)
    out = train_call(layer, x, graph)
    assert keras.backend.standardize_dtype(out.dtype) == keras.backend.standardize_dtype(x.dtype)
    assert (out.astype("float32") == -100).any()


def test_mixed_precision_policy():
    previous = keras.config.dtype_policy()
    try:
        keras.config.set_dtype_policy("mixed_float16")
        model = keras.Sequential([keras.Input((40, 16, 1)), keras.layers.Rescaling(1.0), SpecAugment(5, 5, mask_value=-1.0, seed=0)])
        out = model(np.ones((2, 40, 16, 1), "float32"), training=True)
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
    finally:
        keras.config.set_dtype_policy(previous)


def test_compiled_and_eager_calls_agree():
    x = np.random.default_rng(7).normal(size=(6, 90, 24, 2)).astype("float32")
    a = SpecAugment.from_policy("SS", mask_value=MASK, seed=31)
    b = SpecAugment.from_policy("SS", mask_value=MASK, seed=31)
    out_a, out_b = train_call(a, x, graph=True), train_call(b, x)
    np.testing.assert_array_equal(out_a == MASK, out_b == MASK)
    # Same draws; a compiler may round the warp's float32 source positions differently (a reciprocal
    # for a division), which moves an interpolated value by up to about 1e-5 of its neighbours' gap.
    np.testing.assert_allclose(out_a, out_b, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------- awkward inputs
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 1, 80, 1), (3, 1, 40), (1, 5, 2, 3), (2, 0, 10, 1)])
def test_awkward_shapes_never_crash(shape):
    layer = SpecAugment.from_policy("LD", mask_value=MASK, seed=0)
    x = np.zeros(shape, "float32")
    out = np.asarray(layer(x, training=True))
    assert out.shape == shape
    assert set(np.unique(out)) <= {0.0, MASK}


def test_masks_wider_than_the_axes_are_capped():
    layer = SpecAugment(1000, 1000, 3, 3, mask_value=MASK, seed=1)
    out = layer(np.zeros((200, 12, 8, 1), "float32"), training=True)
    masked = masked_cells(out)
    assert masked.all(axis=(1, 2)).any()  # a band may cover the whole axis
    assert masked.shape == (200, 12, 8)


# ---------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        (dict(freq_mask_param=-1), ValueError, "freq_mask_param=-1"),
        (dict(freq_mask_param=2.5), TypeError, "freq_mask_param=2.5"),
        (dict(time_mask_param=-3), ValueError, "time_mask_param=-3"),
        (dict(time_mask_param="10"), TypeError, "time_mask_param='10'"),
        (dict(n_freq_mask=-1), ValueError, "n_freq_mask=-1"),
        (dict(n_time_mask=1.0), TypeError, "n_time_mask=1.0"),
        (dict(time_warp_param=-5), ValueError, "time_warp_param=-5"),
        (dict(time_warp_param=True), TypeError, "time_warp_param=True"),
        (dict(time_mask_ratio=0.0), ValueError, "time_mask_ratio=0.0"),
        (dict(time_mask_ratio=1.5), ValueError, "time_mask_ratio=1.5"),
        (dict(time_mask_ratio="half"), TypeError, "time_mask_ratio='half'"),
        (dict(time_masks_per_frame=-0.1), ValueError, "time_masks_per_frame=-0.1"),
        (dict(data_format="NHWC"), ValueError, "data_format='NHWC'"),
        (dict(mask_value="median"), ValueError, "mask_value='median'"),
        (dict(mask_value=None), TypeError, "mask_value=None"),
        (dict(mask_value=float("nan")), ValueError, "mask_value=nan"),
        (dict(seed="abc"), TypeError, "seed='abc'"),
        (dict(seed=1.5), TypeError, "seed=1.5"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, text):
    arguments = dict(freq_mask_param=5, time_mask_param=10)
    arguments.update(kwargs)
    with pytest.raises(error) as info:
        SpecAugment(**arguments)
    assert text in str(info.value)


@pytest.mark.parametrize("shape", [(10, 20), (2, 3, 4, 5, 6)])
def test_bad_rank_names_the_expected_shapes(shape):
    with pytest.raises(ValueError, match=r"\(batch, time, freq\)") as info:
        SpecAugment(5, 5)(np.zeros(shape, "float32"), training=True)
    assert f"rank {len(shape)}" in str(info.value)


def test_integer_input_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        SpecAugment(5, 5)(np.zeros((1, 10, 10, 1), "int32"), training=True)


def test_bad_rank_at_build_time_in_a_model():
    with pytest.raises(ValueError, match="rank 2"):
        keras.Sequential([keras.Input((20,)), SpecAugment(5, 5)])


def test_numpy_integers_are_accepted():
    layer = SpecAugment(np.int64(5), np.int32(10), n_freq_mask=np.int16(2))
    assert layer.get_config()["freq_mask_param"] == 5 and type(layer.get_config()["freq_mask_param"]) is int
    assert collections.Counter(type(v).__name__ for v in layer.get_config().values())["int64"] == 0


def test_gradients_flow_through_warp_and_masks_to_earlier_layers():
    """A trainable layer before SpecAugment learns: the warp's gathers and the masks pass gradients."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 40, 12, 1)).astype("float32")
    before = keras.layers.Dense(1, name="before")  # per cell, before the augmentation
    model = keras.Sequential([
        keras.Input((40, 12, 1)),
        before,
        SpecAugment(4, 4, 1, 1, time_warp_param=5, mask_value="mean", seed=0),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ])
    model.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    kernel = keras.ops.convert_to_numpy(before.kernel).copy()
    model.fit(x, rng.integers(0, 2, 16), batch_size=16, epochs=1, verbose=0)
    change = np.abs(keras.ops.convert_to_numpy(before.kernel) - kernel)
    assert np.isfinite(change).all() and change.max() > 1e-6
