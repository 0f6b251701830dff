"""Frontends and SpecAugment under the mixed_float16 policy and XLA."""

import keras
import numpy as np
import pytest
from frontends import N_SAMPLES, compile_model, dataset, draw_state, frontend, waveforms

from spec_augment import SpecAugment

pytestmark = pytest.mark.tensorflow_only("kapre frontends under mixed precision")


def test_mixed_precision_and_xla_fit(mixed_float16):
    # The DSP frontend stays float32 (float16 has no RFFT); the layers after it compute in float16,
    # including a SpecAugment on float16 feature maps.
    keras.config.set_dtype_policy("float32")
    front = frontend(seed=4)
    keras.config.set_dtype_policy("mixed_float16")
    feature_augment = SpecAugment(freq_mask_param=4, time_mask_param=4, mask_value=0.0, seed=1)
    model = keras.Sequential(
        [
            keras.Input((N_SAMPLES, 1)),
            front,
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            feature_augment,
            keras.layers.Flatten(),
            keras.layers.Dense(4, dtype="float32"),
        ]
    )
    compile_model(model, jit_compile=True)
    assert model.layers[2].compute_dtype == "float16"
    before = draw_state(front.layers[-1])
    history = model.fit(dataset(n=32, batch=8), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.array_equal(draw_state(front.layers[-1]), before)  # the frontend augmented under XLA
    features = model.layers[2](model.layers[1](front(waveforms(2), training=False)))
    assert features.dtype == "float16"
    assert feature_augment(features, training=True).dtype == "float16"
    assert model.predict(waveforms(2), verbose=0).dtype == np.float32


def test_frontend_built_under_mixed_policy(mixed_float16):
    """The builders pin kapre's DSP layers to float32 (tf.signal's FFT has no float16 kernel)."""
    front = frontend(seed=0)
    assert front(waveforms(2), training=True).dtype == "float32"
