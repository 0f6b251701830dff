"""The layer inside a tf.data pipeline on every Keras backend (on JAX and PyTorch it runs TensorFlow ops,
as Keras' own augmentation layers do)."""

import numpy as np
import pytest
import tensorflow as tf

from spec_augment import SpecAugment

MASK = -7.0


def mapped(layer, x, lengths=None, batch=8, parallel=None, **call):
    items = x if lengths is None else (x, lengths)
    ds = tf.data.Dataset.from_tensor_slices(items).batch(batch)
    if lengths is None:
        ds = ds.map(lambda b: layer(b, **call), num_parallel_calls=parallel)
    else:
        ds = ds.map(lambda b, n: layer(b, lengths=n, **call), num_parallel_calls=parallel)
    return np.concatenate(list(ds.as_numpy_iterator()))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_dataset_map_masks_each_example_whole_frames_and_bins(data_format):
    layer = SpecAugment(6, 6, 2, 2, mask_value=MASK, data_format=data_format, seed=3)
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(32, 40, 24, 1)).astype("float32")
    if data_format == "channels_first":
        x = np.moveaxis(x, 3, 1).copy()
    first, second = mapped(layer, x, training=True), mapped(layer, x, training=True)
    assert first.shape == x.shape and first.dtype == np.float32
    masked = first == MASK
    time_axis = 1 if data_format == "channels_last" else 2
    frames, bins = masked.all(axis=time_axis + 1, keepdims=True), masked.all(axis=time_axis, keepdims=True)
    np.testing.assert_array_equal(masked, frames | bins)
    np.testing.assert_array_equal(first[~masked], x[~masked])
    assert masked.any(axis=(1, 2, 3)).sum() >= 28 and len({m.tobytes() for m in masked}) == 32
    assert not np.array_equal(masked, second == MASK)
    np.testing.assert_array_equal(mapped(layer, x, training=False), x)  # inference: the identity


def test_parallel_map_never_shares_a_draw_and_seeds_reproduce():
    x = np.repeat(np.random.default_rng(1).uniform(1.0, 2.0, size=(1, 30, 16, 1)).astype("float32"), 64, axis=0)
    layer = SpecAugment(8, 8, 2, 2, mask_value=MASK, seed=4)
    out = mapped(layer, x, batch=2, parallel=8, training=True)
    assert len({m.tobytes() for m in out == MASK}) >= 62  # one input: any two equal masks = a shared draw
    a, b = SpecAugment(8, 8, 2, 2, mask_value=MASK, seed=5), SpecAugment(8, 8, 2, 2, mask_value=MASK, seed=5)
    np.testing.assert_array_equal(mapped(a, x, training=True), mapped(b, x, training=True))


def test_every_feature_in_a_dataset_map_with_lengths():
    layer = SpecAugment(5, 10, 2, 2, time_warp_param=3, mask_value="noise", n_rect_mask=2, rect_time_param=5,
                        rect_freq_param=4, freq_warp_param=2, time_mask_budget=0.5, apply_probability=0.9, seed=1)
    x = np.random.default_rng(0).normal(size=(16, 40, 20, 1)).astype("float32")
    lengths = np.array([40, 20, 3, 0] * 4)
    out = mapped(layer, x, lengths, batch=4, parallel=2, training=True)
    padding = np.arange(40)[None, :] >= lengths[:, None]
    np.testing.assert_array_equal(out[padding], x[padding])
    assert (out[~padding] != x[~padding]).mean() > 0.3 and np.isfinite(out).all()
