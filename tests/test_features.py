"""The augmentation features beyond the paper (issue 19): time budget, apply probability, rectangles,
frequency warp, noise fill. Each: its distribution (chi-square / binomial bounds, fixed seeds), its
guarantees, and that with the feature off nothing changes."""

from fractions import Fraction

import numpy as np
import pytest
from helpers import numpy_params
from keras import ops
from scipy import stats

from spec_augment import SpecAugment, drawing, functional

SENTINEL = -1.0e4


def chi_square_ok(counts, probabilities):
    """Pearson's chi-square below its 0.1% critical value."""
    counts = np.asarray(counts, float)
    expected = counts.sum() * np.asarray(probabilities, float)
    statistic = ((counts - expected) ** 2 / expected).sum()
    return statistic < stats.chi2.ppf(0.999, len(counts) - 1)


def binomial_ok(successes, n, p):
    """Within the two-sided 1e-6 interval of Binomial(n, p)."""
    low, high = stats.binom.ppf([5e-7, 1 - 5e-7], n, p)
    return low <= successes <= high


def draws_of(layer, x, lengths=None):
    return numpy_params(layer.get_random_transformation(ops.convert_to_tensor(x), lengths=lengths), x.shape[1])


def noisy_input(shape, seed=0):
    """Normal cells with an inf, a -inf, a NaN and a -0.0 in every example."""
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    x[:, 0, 0], x[:, 1, 1], x[:, 2, 2], x[:, 3, 3] = np.inf, -np.inf, np.nan, -0.0
    return x


def same_bits(a, b):
    return np.array_equal(np.asarray(a).view(np.uint32), np.asarray(b).view(np.uint32))


# ---------------------------------------------------------------------------------------- off = unchanged
def test_features_off_draw_nothing_more():
    sizes = []

    def uniform(shape):
        sizes.append(shape[1])
        return ops.zeros(shape, "float32")

    common = dict(freq_mask_param=4, time_mask_param=5, n_freq_mask=2, n_time_mask=3, time_warp_param=2,
                  time_mask_ratio=Fraction(1), time_masks_per_frame=Fraction(0))
    drawing.draw(uniform, 2, 20, 10, None, **common)
    drawing.draw(uniform, 2, 20, 10, None, **common, time_mask_budget=Fraction(1), apply_probability=1.0,
                 n_rect_mask=0, rect_time_param=9, rect_freq_param=9, freq_warp_param=0, noise=False)
    assert sizes == [2 * 2 + 2 * 3 + 2] * 2


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_default_arguments_give_todays_draws_and_outputs(data_format):
    x = noisy_input((6, 40, 16, 2))
    if data_format == "channels_first":
        x = np.moveaxis(x, 3, 1).copy()
    lengths = np.array([40, 30, 5, 0, 39, 17])
    base = dict(freq_mask_param=5, time_mask_param=8, n_freq_mask=2, n_time_mask=3, time_warp_param=3,
                mask_value="mean", data_format=data_format, seed=4)
    plain = SpecAugment(**base)
    explicit = SpecAugment(**base, time_mask_budget=1.0, apply_probability=1.0, n_rect_mask=0, rect_time_param=7,
                           rect_freq_param=7, freq_warp_param=0)
    for _ in range(2):
        a, b = draws_of(plain, x, lengths), draws_of(explicit, x, lengths)
        assert all(np.array_equal(a[k], b[k]) for k in a if a[k] is not None)
        assert all(b[k] is None for k in a if a[k] is None)
        assert same_bits(plain(x, training=True, lengths=lengths), explicit(x, training=True, lengths=lengths))


# ---------------------------------------------------------------------------------------- time budget
def prefix_rule(widths, budget):
    kept = np.where(np.cumsum(widths, axis=1) <= budget[:, None], widths, 0)
    kept[:, 0] = np.minimum(widths[:, 0], budget)
    return kept


def test_time_mask_budget_is_never_exceeded_and_drops_masks_before_widths():
    rng = np.random.default_rng(1)
    x = np.zeros((400, 300, 2, 1), "float32")
    lengths = rng.integers(0, 301, 400)
    options = dict(freq_mask_param=0, time_mask_param=100, n_freq_mask=0, n_time_mask=10, time_masks_per_frame=0.02,
                   mask_value=SENTINEL, seed=5)
    budgeted, unlimited = SpecAugment(**options, time_mask_budget=0.29), SpecAugment(**options)
    budget = (lengths * 29) // 100  # exact: floor(0.29 * tau), not floor(28.999...)
    n_masks = np.minimum(10, lengths // 50)
    for _ in range(3):
        before = draws_of(unlimited, x, lengths)["time_widths"]
        before = np.where(np.arange(10)[None, :] < n_masks[:, None], before, 0)
        draws = draws_of(budgeted, x, lengths)
        widths, starts = draws["time_widths"], draws["time_starts"]
        # Same width draws as without the budget; then the prefix rule, per example.
        np.testing.assert_array_equal(widths, prefix_rule(before, budget))
        assert (widths.sum(axis=1) <= budget).all() and (starts >= 0).all()
        assert (starts + widths <= lengths[:, None]).all()
        out = np.asarray(budgeted.transform(ops.convert_to_tensor(x), drawing.Draws(**{**draws, "lengths": lengths})))
        masked = (out[:, :, 0, 0] == SENTINEL).sum(axis=1)
        assert (masked <= budget).all() and (out[:, :, :, 0][np.arange(300)[None, :] >= lengths[:, None]] == 0).all()
    assert (before.sum(axis=1) > budget).mean() > 0.3  # the budget did bind


def test_time_mask_budget_width_and_start_distribution():
    # tau = 20, budget 0.2 -> 4 frames; one mask of width uniform on 0..10 cut to 4:
    # P(w = k) = 1/11 for k < 4, 7/11 for k = 4; its start uniform on 0..16 (drawn for the final width).
    layer = SpecAugment(0, 10, 0, 1, time_mask_budget=0.2, mask_value=SENTINEL, seed=11)
    draws = draws_of(layer, np.zeros((6000, 20, 1, 1), "float32"))
    widths, starts = draws["time_widths"][:, 0], draws["time_starts"][:, 0]
    counts = np.bincount(widths, minlength=5)
    assert len(counts) == 5 and chi_square_ok(counts, [1 / 11] * 4 + [7 / 11])
    hist = np.bincount(starts[widths == 4], minlength=17)
    assert len(hist) == 17 and chi_square_ok(hist, [1 / 17] * 17)


# ---------------------------------------------------------------------------------------- apply probability
EVERYTHING = dict(freq_mask_param=6, time_mask_param=6, n_freq_mask=8, n_time_mask=2, time_warp_param=3,
                  n_rect_mask=2, rect_time_param=5, rect_freq_param=5, freq_warp_param=2, mask_value="noise")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_apply_probability_zero_is_the_identity_and_one_changes_nothing(data_format):
    x = noisy_input((8, 30, 16, 2))
    if data_format == "channels_first":
        x = np.moveaxis(x, 3, 1).copy()
    lengths = np.array([30, 20, 9, 0, 30, 1, 2, 29])
    never = SpecAugment(**EVERYTHING, apply_probability=0.0, data_format=data_format, seed=2)
    assert same_bits(never(x, training=True, lengths=lengths), x) and same_bits(never(x, training=True), x)
    always = SpecAugment(**EVERYTHING, apply_probability=1.0, data_format=data_format, seed=2)
    plain = SpecAugment(**EVERYTHING, data_format=data_format, seed=2)
    assert same_bits(always(x, training=True, lengths=lengths), plain(x, training=True, lengths=lengths))


def test_apply_probability_is_binomial_per_example_and_the_others_pass_bit_exactly():
    n = 3000
    x = noisy_input((n, 12, 16, 1))
    layer = SpecAugment(**EVERYTHING, apply_probability=0.3, seed=9)
    draws = draws_of(layer, x)
    # A left-out example has every width and shift 0; an augmented one (8 frequency masks of up to 6 bins)
    # practically never.
    sizes = [draws[k] for k in draws if draws[k] is not None and k.endswith(("widths", "shifts"))]
    applied = np.stack([np.abs(s).reshape(n, -1).sum(axis=1) for s in sizes]).sum(axis=0) > 0
    assert binomial_ok(applied.sum(), n, 0.3)
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), drawing.Draws(**draws)._replace(lengths=None)))
    assert same_bits(out[~applied], x[~applied])
    assert all(not same_bits(out[b], x[b]) for b in np.flatnonzero(applied))


# ---------------------------------------------------------------------------------------- rectangles
def rectangle_reference(d, n_time, n_freq):
    cells = np.zeros((d["rect_time_starts"].shape[0], n_time, n_freq), bool)
    for b, (ts, tw, fs, fw) in enumerate(zip(d["rect_time_starts"], d["rect_time_widths"], d["rect_freq_starts"],
                                             d["rect_freq_widths"])):  # fmt: skip
        for r in range(len(ts)):
            cells[b, ts[r] : ts[r] + tw[r], fs[r] : fs[r] + fw[r]] = True
    return cells


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_rectangles_exact_geometry_inside_valid_frames(data_format):
    x = noisy_input((16, 30, 12, 2))
    lengths = np.array([30, 25, 10, 3, 0, 1, 30, 14] * 2)
    layer = SpecAugment(0, 0, 0, 0, n_rect_mask=3, rect_time_param=8, rect_freq_param=5, mask_value=SENTINEL,
                        data_format=data_format, seed=6)
    inputs = x if data_format == "channels_last" else np.moveaxis(x, 3, 1).copy()
    for _ in range(3):
        d = draws_of(layer, inputs, lengths)
        assert (d["rect_time_starts"] + d["rect_time_widths"] <= lengths[:, None]).all()
        assert (d["rect_freq_starts"] + d["rect_freq_widths"] <= 12).all()
        out = np.asarray(layer.transform(ops.convert_to_tensor(inputs), drawing.Draws(**d)))
        if data_format == "channels_first":
            out = np.moveaxis(out, 1, 3)
        cells = rectangle_reference(d, 30, 12)[..., None]
        assert same_bits(out, np.where(cells, np.float32(SENTINEL), x))
        assert cells.any()
        assert same_bits(out[np.arange(30)[None, :] >= lengths[:, None]], x[np.arange(30)[None, :] >= lengths[:, None]])
    # a call: padding untouched too
    called = np.asarray(layer(inputs, training=True, lengths=lengths))
    called = called if data_format == "channels_last" else np.moveaxis(called, 1, 3)
    padding = np.arange(30)[None, :] >= lengths[:, None]
    assert same_bits(called[padding], x[padding]) and (called == SENTINEL).any()


def test_rectangle_sizes_and_positions_are_uniform():
    layer = SpecAugment(0, 0, 0, 0, n_rect_mask=2, rect_time_param=10, rect_freq_param=6, seed=17)
    d = draws_of(layer, np.zeros((4000, 40, 9, 1), "float32"), np.full(4000, 25))
    widths, heights = d["rect_time_widths"].ravel(), d["rect_freq_widths"].ravel()
    assert chi_square_ok(np.bincount(widths, minlength=11), [1 / 11] * 11) and widths.max() == 10
    assert chi_square_ok(np.bincount(heights, minlength=7), [1 / 7] * 7) and heights.max() == 6
    starts = d["rect_time_starts"].ravel()[widths == 10]  # 0..25-10
    assert chi_square_ok(np.bincount(starts, minlength=16), [1 / 16] * 16)
    starts = d["rect_freq_starts"].ravel()[heights == 2]  # 0..9-2
    assert chi_square_ok(np.bincount(starts, minlength=8), [1 / 8] * 8)
    # A rectangle is never wider than the valid frames (tau = 3 < 10).
    short = draws_of(layer, np.zeros((500, 40, 9, 1), "float32"), np.full(500, 3))
    assert short["rect_time_widths"].max() == 3 and (short["rect_time_starts"] + short["rect_time_widths"] <= 3).all()


# ---------------------------------------------------------------------------------------- frequency warp
def bin_sources(anchor, shift, n):
    """The paper's piecewise-linear map along bins, straightforwardly."""
    bins = np.arange(n, dtype=float)
    if shift == 0:
        return bins
    dest, last = anchor + shift, n - 1
    out = np.where(bins <= dest, bins * anchor / max(dest, 1), anchor + (bins - dest) * (last - anchor) / max(last - dest, 1))
    out[-1] = last
    return out


def test_freq_warp_anchor_and_shift_distribution():
    W = 3
    layer = SpecAugment(0, 0, 0, 0, freq_warp_param=W, seed=14)
    d = draws_of(layer, np.zeros((5000, 4, 20, 1), "float32"))
    anchors, shifts = d["freq_warp_anchors"], d["freq_warp_shifts"]
    assert anchors.min() == W and anchors.max() == 20 - W - 1 and abs(shifts).max() == W
    assert chi_square_ok(np.bincount(anchors - W), [1 / (20 - 2 * W)] * (20 - 2 * W))
    assert chi_square_ok(np.bincount(shifts + W), [1 / (2 * W + 1)] * (2 * W + 1))
    narrow = draws_of(layer, np.zeros((50, 4, 6, 1), "float32"))  # 6 bins <= 2 W: no warp
    assert (narrow["freq_warp_shifts"] == 0).all()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_freq_warp_resamples_bins_keeps_ends_exact_copies_and_padding(data_format):
    x = noisy_input((12, 10, 20, 2), seed=3)
    x[:, 5, 7] = np.inf  # an infinite bin inside the valid frames
    lengths = np.array([10, 6, 2, 0, 10, 9] * 2)
    layer = SpecAugment(0, 0, 0, 0, freq_warp_param=4, data_format=data_format, seed=15)
    inputs = x if data_format == "channels_last" else np.moveaxis(x, 3, 1).copy()
    d = draws_of(layer, inputs, lengths)
    out = np.asarray(layer.transform(ops.convert_to_tensor(inputs), drawing.Draws(**d)))
    if data_format == "channels_first":
        out = np.moveaxis(out, 1, 3)
    assert (d["freq_warp_shifts"] != 0).sum() >= 8
    for b in range(12):
        # The layer's bin map is the paper's (to float32 rounding: XLA may divide by a reciprocal) ...
        src = np.asarray(functional.warp_source_positions(d["freq_warp_anchors"][b : b + 1],
                                                          d["freq_warp_shifts"][b : b + 1], [20], 20))[0]  # fmt: skip
        np.testing.assert_allclose(src, bin_sources(d["freq_warp_anchors"][b], d["freq_warp_shifts"][b], 20), atol=1e-5)
        valid = x[b, : lengths[b]]
        assert same_bits(out[b, lengths[b] :], x[b, lengths[b] :])  # padding frames untouched
        # ... and a bin whose source position is an integer is an exact copy of that bin
        integer = src == np.round(src)
        assert same_bits(out[b, : lengths[b]][:, integer], valid[:, np.round(src[integer]).astype(int)])
        assert same_bits(out[b, : lengths[b], [0, 19]], valid[:, [0, 19]].transpose(1, 0, 2))  # ends fixed
        low = np.floor(src).astype(int)
        high, a = np.minimum(low + 1, 19), (src - low)[None, :, None]
        with np.errstate(invalid="ignore"):
            expected = (1 - a) * valid[:, low] + a * valid[:, high]
        expected = np.where(integer[None, :, None], valid[:, np.round(src).astype(int)], expected)
        np.testing.assert_allclose(out[b, : lengths[b]], expected, rtol=1e-5, atol=1e-5)
        # non-finite rules: NaN only next to a NaN; infinite next to an infinity
        nan_next = np.isnan(valid[:, low]) | np.isnan(valid[:, high]) & ~integer[None, :, None]
        assert not (np.isnan(out[b, : lengths[b]]) & ~nan_next).any()


# ---------------------------------------------------------------------------------------- noise fill
def test_noise_fill_matches_each_examples_mean_and_std_and_leaves_the_rest():
    rng = np.random.default_rng(4)
    n, n_time, n_freq = 6, 200, 64
    means, stds = np.linspace(-40, 10, n), np.linspace(0.5, 12, n)
    x = (means[:, None, None, None] + stds[:, None, None, None] * rng.normal(size=(n, n_time, n_freq, 1))).astype("float32")
    lengths = np.array([200, 150, 100, 180, 60, 200])
    x[:, 3, 5] = -np.inf  # a log of silence: not part of the statistics
    for b, length in enumerate(lengths):
        x[b, length:] = 1e3  # padding: neither counted nor filled
    layer = SpecAugment(20, 40, 2, 3, mask_value="noise", seed=16)
    d = draws_of(layer, x, lengths)
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), drawing.Draws(**d)))
    from helpers import reference_mask

    masked = reference_mask(d, n_time, n_freq)[..., None]
    for b, length in enumerate(lengths):
        cells = x[b, :length][np.isfinite(x[b, :length])].astype(np.float64)
        fill = out[b][masked[b]]
        assert fill.size > 500
        # a normal sample's mean and std within 6 standard errors of the example's own
        assert abs(fill.mean() - cells.mean()) < 6 * cells.std() / np.sqrt(fill.size)
        assert abs(fill.std() - cells.std()) < 6 * cells.std() / np.sqrt(2 * fill.size)
        assert len(np.unique(fill)) > 0.99 * fill.size  # a draw per cell
        assert same_bits(out[b][~masked[b]], x[b][~masked[b]])
        assert same_bits(out[b, length:], x[b, length:])


def test_noise_fill_is_reproducible_with_a_seed_and_new_each_call():
    x = np.random.default_rng(0).normal(size=(4, 50, 20, 1)).astype("float32")
    a, b = SpecAugment(5, 10, 2, 2, mask_value="noise", seed=3), SpecAugment(5, 10, 2, 2, mask_value="noise", seed=3)
    first, again = np.asarray(a(x, training=True)), np.asarray(b(x, training=True))
    assert same_bits(first, again)
    assert not same_bits(np.asarray(a(x, training=True)), first)


def test_noise_fill_with_fewer_than_two_finite_cells_is_the_mean():
    x = np.full((2, 4, 3, 1), -np.inf, "float32")
    x[0, 0, 0] = 5.0  # one finite cell: std 0, fill 5
    layer = SpecAugment(0, 4, 0, 1, mask_value="noise", seed=0)
    draws = drawing.Draws(lengths=None, freq_starts=np.zeros((2, 0), "int32"), freq_widths=np.zeros((2, 0), "int32"),
                          time_starts=np.zeros((2, 1), "int32"), time_widths=np.full((2, 1), 4, "int32"),
                          noise_seed=np.array([1, 2], "int32"))
    out = np.asarray(layer.transform(ops.convert_to_tensor(x), draws))
    assert (out[0] == 5.0).all() and (out[1] == 0.0).all()


# ---------------------------------------------------------------------------------------- arguments
BAD = [
    ("time_mask_budget", 0.0, ValueError), ("time_mask_budget", 1.5, ValueError), ("time_mask_budget", float("nan"), ValueError),
    ("time_mask_budget", "half", TypeError), ("time_mask_budget", True, TypeError),
    ("apply_probability", -0.1, ValueError), ("apply_probability", 1.01, ValueError),
    ("apply_probability", float("inf"), ValueError), ("apply_probability", False, TypeError),
    ("n_rect_mask", -1, ValueError), ("n_rect_mask", 2.0, TypeError), ("n_rect_mask", True, TypeError),
    ("n_rect_mask", 10**6, ValueError), ("rect_time_param", -3, ValueError), ("rect_time_param", None, TypeError),
    ("rect_freq_param", -1, ValueError), ("rect_freq_param", "5", TypeError),
    ("freq_warp_param", -2, ValueError), ("freq_warp_param", 1.5, TypeError), ("freq_warp_param", True, TypeError),
    ("mask_value", "gauss", ValueError),
]  # fmt: skip


@pytest.mark.parametrize("name, value, error", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_feature_arguments_name_the_argument(name, value, error):
    with pytest.raises(error, match=name):
        SpecAugment(5, 5, **{name: value})


def test_feature_arguments_round_trip_and_policy_overrides():
    features = dict(time_mask_budget=0.4, apply_probability=0.8, n_rect_mask=3, rect_time_param=20,
                    rect_freq_param=10, freq_warp_param=5, mask_value="noise")
    layer = SpecAugment.from_policy("LD", **features, seed=1)
    config = layer.get_config()
    assert {k: config[k] for k in features} == features and config["time_warp_param"] == 80
    again = SpecAugment.from_config(config)
    x = np.random.default_rng(0).normal(size=(3, 120, 40, 1)).astype("float32")
    assert same_bits(layer(x, training=True), again(x, training=True))
    with pytest.raises(AttributeError, match="n_rect_mask"):
        layer.n_rect_mask = 1
