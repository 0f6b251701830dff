"""SpecAugment and the frontends in tf.data pipelines and in the model that fit feeds."""

import numpy as np
import pytest
import tensorflow as tf
from frontends import MASK_VALUE, classifier, compile_model, dataset, draw_state, frontend, waveforms

from spec_augment import SpecAugment

pytestmark = pytest.mark.tensorflow_only("tf.data and kapre frontends")


def test_layer_in_dataset_map_masks_each_example_differently():
    layer = SpecAugment(freq_mask_param=6, time_mask_param=6, n_freq_mask=2, n_time_mask=2, mask_value=-1.0, seed=3)
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(32, 40, 24, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(8).map(lambda b: layer(b, training=True))
    first = np.concatenate(list(ds.as_numpy_iterator()))
    second = np.concatenate(list(ds.as_numpy_iterator()))
    assert first.shape == x.shape and first.dtype == np.float32
    masked = first == -1.0
    # Masks are whole frames and whole bins; every other cell is the input, bit for bit.
    frames, bins = masked.all(axis=2), masked.all(axis=1)
    np.testing.assert_array_equal(masked, frames[:, :, None, :] | bins[:, None, :, :])
    np.testing.assert_array_equal(first[~masked], x[~masked])
    assert masked.any(axis=(1, 2, 3)).sum() >= 28  # nearly every example is masked
    assert len({m.tobytes() for m in masked}) == 32  # ... each in its own way
    assert not np.array_equal(masked, second == -1.0)  # and a second pass draws new masks


def test_frontend_in_dataset_map_augments_the_pipeline():
    front = frontend(seed=5)
    x = waveforms(16)
    clean = np.asarray(front(x, training=False))
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(16))).batch(8)
    # Parallel calls draw from one atomic random state: no two batches share masks.
    ds = ds.map(lambda w, y: (front(w, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    augmented = np.concatenate([spec for spec, _ in ds.as_numpy_iterator()])
    assert augmented.shape == clean.shape == (16, 29, 32, 1)
    changed = augmented != clean
    assert np.all(augmented[changed] == MASK_VALUE)  # only masks, filled with mask_value
    assert changed.any(axis=(1, 2, 3)).sum() >= 14
    assert len({m.tobytes() for m in changed}) >= 15


def test_frontend_in_model_augments_in_fit_only():
    front = frontend(seed=2)
    spec_augment = front.layers[-1]
    assert isinstance(spec_augment, SpecAugment)
    model = compile_model(classifier(front))
    x = waveforms(8)
    before = draw_state(spec_augment)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(draw_state(spec_augment), before)  # inference draws nothing
    history = model.fit(dataset(n=32, batch=8), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.array_equal(draw_state(spec_augment), before)  # fit drew masks
    # In training mode the frontend's output differs between two calls, at inference it does not.
    assert not np.array_equal(front(x, training=True), front(x, training=True))
