"""The pure functions under the layer (spec_augment.functional)."""

import doctest

import numpy as np
import pytest

from helpers import band_mask
from spec_augment import _backend_ops, drawing, functional


@pytest.mark.parametrize("module", [functional, drawing])
def test_doctests(module):
    failures, tried = doctest.testmod(module, raise_on_error=False)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("unrolled_bands", [8, 0])
def test_bands_to_mask_matches_reference_including_empty_and_overlapping_bands(monkeypatch, unrolled_bands):
    """Both forms (bands OR-ed one by one, or a reduction; each backend uses one) on every backend."""
    monkeypatch.setattr(_backend_ops, "UNROLLED_BANDS", unrolled_bands)
    starts = np.array([[0, 3, 8], [2, 2, 9], [5, 0, 0]])
    widths = np.array([[2, 4, 2], [3, 1, 0], [0, 0, 10]])
    got = np.asarray(functional.bands_to_mask(starts, widths, 10))
    np.testing.assert_array_equal(got, band_mask(starts, widths, 10))
    assert got[2].all() and not np.asarray(functional.bands_to_mask(np.zeros((2, 0), int), np.zeros((2, 0), int), 4)).any()
    many = np.random.default_rng(0).integers(0, 30, size=(2, 2, 12))  # 12 bands: past the unrolled count
    np.testing.assert_array_equal(np.asarray(functional.bands_to_mask(many[0], many[1] // 6, 30)),
                                  band_mask(many[0], many[1] // 6, 30))


def test_sample_bands_covers_the_whole_range_and_respects_bounds():
    u = np.linspace(0, 1, 1000, endpoint=False)[:, None]
    starts, widths = drawing.sample_bands(u, u[::-1], np.int32(5), np.int32(12))
    starts, widths = np.asarray(starts), np.asarray(widths)
    assert set(widths.ravel()) == set(range(6))
    assert starts.min() == 0 and (starts + widths).max() == 12 and (starts + widths <= 12).all()
    # an empty axis gives empty bands, never a negative start
    s, w = drawing.sample_bands(u[:3], u[:3], np.int32(0), np.int32(0))
    assert (np.asarray(s) == 0).all() and (np.asarray(w) == 0).all()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_mask_along_axis(data_format):
    x = np.arange(2 * 6 * 5, dtype="float32").reshape(2, 6, 5, 1)
    if data_format == "channels_first":
        x = np.transpose(x, (0, 3, 1, 2))
    time_out = np.asarray(functional.mask_along_axis(x, np.array([[1], [4]]), np.array([[2], [2]]), "time", -1.0, data_format))
    freq_out = np.asarray(functional.mask_along_axis(x, np.array([[0], [3]]), np.array([[1], [2]]), "freq", -1.0, data_format))
    if data_format == "channels_first":
        time_out, freq_out, x = (np.transpose(a, (0, 2, 3, 1)) for a in (time_out, freq_out, x))
    assert (time_out[0, 1:3] == -1).all() and (time_out[1, 4:6] == -1).all()
    assert (time_out == -1).sum() == 2 * 2 * 5
    assert (freq_out[0, :, 0] == -1).all() and (freq_out[1, :, 3:5] == -1).all()
    assert (freq_out == -1).sum() == 6 * 1 + 6 * 2
    with pytest.raises(ValueError, match="axis='channel'"):
        functional.mask_along_axis(x, np.array([[0]]), np.array([[1]]), "channel")


def test_time_warp_copies_integer_positions_exactly_and_interpolates_between():
    x = np.random.default_rng(0).normal(size=(2, 7, 3, 2)).astype("float32")
    sources = np.array([np.arange(7), [0, 0.5, 1, 2.25, 4, 6, 6]], "float32")
    out = np.asarray(functional.time_warp(x, sources, 1))
    np.testing.assert_array_equal(out[0], x[0])
    np.testing.assert_allclose(out[1, 1], (x[1, 0] + x[1, 1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[1, 3], 0.75 * x[1, 2] + 0.25 * x[1, 3], rtol=1e-6)
    np.testing.assert_array_equal(out[1, 4], x[1, 4])


def test_masked_mean():
    x = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3, 1)
    got = np.asarray(functional.masked_mean(x, np.array([2, 4]), 1))
    np.testing.assert_allclose(got, [x[0, :2].mean(), x[1].mean()])
    np.testing.assert_allclose(np.asarray(functional.masked_mean(x, None, 1)), x.mean(axis=(1, 2, 3)))


@pytest.mark.parametrize("compile_it", [False, True], ids=["eager", "compiled"])
def test_the_warps_move_the_anchor_to_an_exact_integer_and_copy_its_frame_bit_exactly(compile_it):
    """XLA turns ``x / d`` into ``x * (1 / d)``: 42 / 7 * 6 gave 6.0000005, an interpolated anchor frame. Every output
    frame whose exact source position (a rational) is an integer must read exactly that frame, in both segments."""
    from helpers import compiled

    rng = np.random.default_rng(18)
    batch, n = 512, 61
    lengths = rng.integers(4, n + 1, batch)
    anchors, destinations = rng.integers(1, lengths - 1), rng.integers(1, lengths - 1)
    shifts = destinations - anchors
    run = compiled if compile_it else (lambda function: function)
    sources = np.asarray(run(lambda *bands: functional.warp_source_positions(*bands, n))(anchors, shifts, lengths))
    assert (sources[np.arange(batch), destinations] == anchors).all()
    frames, a, d, last = np.arange(n)[None, :], anchors[:, None], destinations[:, None], lengths[:, None] - 1
    left, right = (frames * a, np.maximum(d, 1)), (a * (last - d) + (frames - d) * (last - a), np.maximum(last - d, 1))
    numerator, denominator = np.where(frames <= d, left[0], right[0]), np.where(frames <= d, left[1], right[1])
    integral = (numerator % denominator == 0) & (frames < last) & (shifts[:, None] != 0)
    np.testing.assert_array_equal(sources[integral], (numerator // denominator)[integral])
    x = rng.normal(size=(batch, n, n)).astype("float32")
    no_masks = np.zeros((batch, 0), "int32")
    draws = functional.Draws(lengths.astype("int32"), no_masks, no_masks, no_masks, no_masks,
                             warp_anchors=anchors.astype("int32"), warp_shifts=shifts.astype("int32"))
    augment = run(lambda x, draws: functional.augment(x, draws, time_axis=1, freq_axis=2, mask_value=0.0))
    time_warped = np.asarray(augment(x, draws))
    np.testing.assert_array_equal(time_warped[np.arange(batch), destinations], x[np.arange(batch), anchors])
    freq_draws = draws._replace(lengths=None, warp_anchors=None, warp_shifts=None, freq_warp_anchors=draws.warp_anchors,
                                freq_warp_shifts=draws.warp_shifts)
    freq_warped = np.asarray(augment(x, freq_draws))
    np.testing.assert_array_equal(freq_warped[np.arange(batch), :, destinations], x[np.arange(batch), :, anchors])
