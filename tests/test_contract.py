"""The contract every layer of the package keeps, checked the same way for each (as Keras' run_layer_test).

For every SpecAugment configuration and every augmented frontend builder:

* ``get_config`` -> ``from_config`` gives a layer with the same config;
* a model with the layer saves to ``.keras`` and loads back, predicting the same;
* inference (``predict``, ``training=False``, no ``training``) is deterministic and adds nothing random:
  for SpecAugment it is the identity, for a frontend it is the spectrogram;
* ``training=True`` augments, and the output keeps the shape and the dtype;
* the layer is registered, so a fresh ``from_config`` through Keras' registry finds it.
"""

import keras
import numpy as np
import pytest

from spec_augment import SpecAugment


def spec_augment_cases():
    return {
        "seed API": (lambda: SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3,
                                         mask_value=-100, seed=0), (40, 20, 1), "float32"),
        "LD, mean, warp": (lambda: SpecAugment.from_policy("LD", time_warp_param=5, mask_value="mean", seed=1),
                           (60, 24, 2), "float32"),
        "channels_first, adaptive": (lambda: SpecAugment(6, None, 2, 4, time_mask_ratio=0.2, time_masks_per_frame=0.1,
                                                         data_format="channels_first", seed=2), (2, 50, 16), "float32"),
        "rank 3, float16": (lambda: SpecAugment(4, 4, 1, 1, mask_value=-1.0, seed=3), (30, 12), "float16"),
        "every feature": (lambda: SpecAugment(6, 8, 1, 2, mask_value="noise", time_warp_param=3, time_mask_budget=0.3,
                                              apply_probability=0.9, n_rect_mask=2, rect_time_param=6, rect_freq_param=4,
                                              freq_warp_param=2, seed=4), (40, 20, 1), "float32"),
    }


def frontend_cases():
    from spec_augment import composed

    common = dict(n_fft=128, hop_length=32, return_decibel=True, seed=0,
                  input_data_format="channels_last", output_data_format="channels_last")
    return {
        "stft frontend": (lambda: composed.get_augmented_stft_magnitude_layer(input_shape=(1024, 1), **common),
                          (1024, 1), "float32"),
        "mel frontend": (lambda: composed.get_augmented_melspectrogram_layer(input_shape=(1024, 1), n_mels=20, sample_rate=8000, **common),
                         (1024, 1), "float32"),
        "log-frequency frontend": (lambda: composed.get_augmented_log_frequency_spectrogram_layer(
            input_shape=(1024, 1), log_n_bins=24, sample_rate=8000, log_f_min=100.0, **common), (1024, 1), "float32"),
        # The default is kapre's layers on TensorFlow and ours elsewhere: ours on TensorFlow too.
        "mel frontend, our layers": (lambda: composed.get_augmented_melspectrogram_layer(
            input_shape=(1024, 1), n_mels=20, sample_rate=8000, use_kapre=False, **common), (1024, 1), "float32"),
    }


CASES = {**spec_augment_cases(), **frontend_cases()}


def example_input(shape, dtype, batch=3):
    return np.random.default_rng(0).uniform(-1.0, 1.0, size=(batch, *shape)).astype(dtype)


@pytest.mark.parametrize("case", list(CASES))
def test_layer_contract(case, tmp_path):
    make, shape, dtype = CASES[case]
    layer = make()
    is_frontend = not isinstance(layer, SpecAugment)
    x = example_input(shape, dtype)

    # config round trip, through Keras' registry too
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config

    # inference: deterministic, identity for SpecAugment
    clean = keras.ops.convert_to_numpy(layer(x, training=False))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), clean)
    if not is_frontend:
        np.testing.assert_array_equal(clean, x)

    # training: augments, keeps shape and dtype
    augmented = layer(x, training=True)
    assert tuple(augmented.shape) == clean.shape
    assert keras.backend.standardize_dtype(augmented.dtype) == (dtype if not is_frontend else "float32")
    assert not np.array_equal(keras.ops.convert_to_numpy(augmented), clean)

    # .keras round trip of a model holding the layer
    model = layer if is_frontend else keras.Sequential([keras.Input(shape, dtype=dtype), layer])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # predict runs a graph: the DSP may round differently from the eager call by a float32 ulp
    np.testing.assert_allclose(model.predict(x, verbose=0), clean, rtol=1e-5, atol=1e-5)
