"""Hypothesis property tests over random shapes, layouts and parameters."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from keras import ops

from conftest import BACKEND
from helpers import compiled, numpy_params, reference_mask, to_btfc
from spec_augment import SpecAugment, functional

MASK = -7.5
# Eager JAX compiles every op for every new shape: fewer random shapes keep its run short.
SCALE = 1.0 if BACKEND != "jax" else 0.3
EXAMPLES, FUSED_EXAMPLES, WARP_EXAMPLES = int(60 * SCALE), int(12 * SCALE), int(80 * SCALE)

layouts = st.sampled_from(["rank3", "channels_last", "channels_first"])


@st.composite
def cases(draw, max_warp=12):
    layout = draw(layouts)
    batch = draw(st.integers(1, 4))
    n_time = draw(st.integers(1, 64))
    n_freq = draw(st.integers(1, 40))
    channels = draw(st.integers(1, 3))
    lengths = draw(st.one_of(st.none(), st.lists(st.integers(0, n_time), min_size=batch, max_size=batch)))
    layer_kwargs = dict(
        freq_mask_param=draw(st.integers(0, 50)),
        time_mask_param=draw(st.one_of(st.none(), st.integers(0, 80))),
        n_freq_mask=draw(st.integers(0, 4)),
        n_time_mask=draw(st.integers(0, 4)),
        time_warp_param=draw(st.integers(0, max_warp)),
        time_mask_ratio=draw(st.floats(0.01, 1.0)),
        time_masks_per_frame=draw(st.sampled_from([0.0, 0.05, 0.5])),
        seed=draw(st.integers(0, 2**31 - 1)),
    )
    return layout, (batch, n_time, n_freq, channels), lengths, layer_kwargs


def make_input(layout, shape, seed):
    batch, n_time, n_freq, channels = shape
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    if layout == "rank3":
        return x[..., 0], "channels_last"
    if layout == "channels_first":
        return np.transpose(x, (0, 3, 1, 2)).copy(), "channels_first"
    return x, "channels_last"


def check_case(case, jit):
    layout, shape, lengths, kwargs = case
    batch, n_time, n_freq, _ = shape
    x, data_format = make_input(layout, shape, kwargs["seed"])
    layer = SpecAugment(mask_value=MASK, data_format=data_format, **kwargs)
    lengths_arr = None if lengths is None else np.asarray(lengths, "int32")
    params = layer.get_random_transformation(ops.convert_to_tensor(x), lengths=lengths_arr)
    out = ops.convert_to_numpy((compiled(layer.transform) if jit else layer.transform)(ops.convert_to_tensor(x), params))
    p = numpy_params(params, n_time)
    valid_lengths = p["lengths"]

    assert out.shape == x.shape and out.dtype == x.dtype
    expected = reference_mask(p, n_time, n_freq)
    out_l, x_l = to_btfc(out, data_format), to_btfc(x, data_format)
    np.testing.assert_array_equal(out_l[expected], MASK)

    # widths and starts stay inside their bounds
    assert (p["freq_widths"] <= min(kwargs["freq_mask_param"], n_freq)).all()
    assert (p["freq_starts"] + p["freq_widths"] <= n_freq).all()
    tau = valid_lengths[:, None]
    ratio = functional.as_ratio(kwargs["time_mask_ratio"])  # exact floor(p * tau) of the rational p
    bound = tau * ratio.numerator // ratio.denominator
    if kwargs["time_mask_param"] is not None:
        bound = np.minimum(bound, kwargs["time_mask_param"])
    assert (p["time_widths"] <= bound).all()
    assert (p["time_starts"] + p["time_widths"] <= tau).all()

    for b in range(batch):
        length = valid_lengths[b]
        np.testing.assert_array_equal(out_l[b, length:], x_l[b, length:])  # padding untouched
    if kwargs["time_warp_param"] == 0:
        np.testing.assert_array_equal(out_l[~expected], x_l[~expected])
    else:
        # warped values interpolate neighbouring frames: they stay inside each bin's range over valid frames
        for b in range(batch):
            length = valid_lengths[b]
            if length == 0:
                continue
            keep = ~expected[b, :length]
            lo, hi = x_l[b, :length].min(axis=0), x_l[b, :length].max(axis=0)
            cells = out_l[b, :length]
            assert (cells[keep] >= np.broadcast_to(lo, cells.shape)[keep] - 1e-5).all()
            assert (cells[keep] <= np.broadcast_to(hi, cells.shape)[keep] + 1e-5).all()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_properties_graph_ops(case):
    check_case(case, jit=False)


@settings(max_examples=FUSED_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_properties_jit(case):
    check_case(case, jit=True)


@settings(max_examples=WARP_EXAMPLES, deadline=None)
@given(
    n_frames=st.integers(2, 300),
    warp=st.integers(1, 40),
    data=st.data(),
)
def test_warp_map_properties(n_frames, warp, data):
    assume(n_frames > 2 * warp)  # shorter utterances are never warped (tested in test_layer)
    length = data.draw(st.integers(2 * warp + 1, n_frames))
    anchor = data.draw(st.integers(warp, length - warp - 1))
    shift = data.draw(st.integers(-warp, warp))
    src = np.asarray(functional.warp_source_positions(np.array([anchor]), np.array([shift]), np.array([length]), n_frames))[0]
    frames = np.arange(n_frames)
    assert (np.diff(src) >= -1e-4).all()
    assert src[0] == 0 and src[length - 1] == length - 1
    assert np.abs(src - frames).max() <= warp + 1e-3
    np.testing.assert_array_equal(src[length:], frames[length:])
    if 0 < anchor + shift < length - 1:
        assert abs(src[anchor + shift] - anchor) < 1e-3
