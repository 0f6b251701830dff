"""A small augmented log-mel frontend and a classifier around it, shared by the TensorFlow-feature tests.

(tf.data, distribution, mixed precision, SavedModel export, TFLite.) TensorFlow backend only.
"""

import keras
import numpy as np
import tensorflow as tf

from spec_augment.composed import get_augmented_melspectrogram_layer

SAMPLE_RATE = 8000
N_SAMPLES = 2048
MASK_VALUE = 123.0  # above any decibel value of unit-scale audio: marks masked cells exactly


def waveforms(batch, seed=0):
    """(batch, N_SAMPLES, 1) float32: a harmonic tone of random pitch plus a little noise per example."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    audio = np.empty((batch, N_SAMPLES, 1), "float32")
    for b in range(batch):
        f0 = rng.uniform(150, 600)
        audio[b, :, 0] = 0.1 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 5))
        audio[b, :, 0] += 0.005 * rng.standard_normal(N_SAMPLES)
    return audio


def frontend(mask_value=MASK_VALUE, seed=0, output_data_format="channels_last", **kwargs):
    """A small augmented log-mel frontend: (batch, 2048, 1) -> (batch, 29, 32, 1)."""
    arguments = dict(
        input_shape=(N_SAMPLES, 1) if output_data_format == "channels_last" else (1, N_SAMPLES),
        n_fft=256,
        hop_length=64,
        sample_rate=SAMPLE_RATE,
        n_mels=32,
        return_decibel=True,
        input_data_format="channels_last" if output_data_format == "channels_last" else "channels_first",
        output_data_format=output_data_format,
        freq_mask_param=8,
        time_mask_param=8,
        n_freq_mask=2,
        n_time_mask=2,
        mask_value=mask_value,
        seed=seed,
    )
    arguments.update(kwargs)
    return get_augmented_melspectrogram_layer(**arguments)


def head(n_classes=4):
    """The layers after the frontend: (batch, 29, 32, 1) -> (batch, n_classes)."""
    return [
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(n_classes),
    ]


def classifier(front, n_classes=4):
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), front, *head(n_classes)])


def compile_model(model, **kwargs):
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        **kwargs,
    )
    return model


def dataset(n=32, batch=8, seed=0):
    x = waveforms(n, seed)
    y = np.arange(n) % 4
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


def draw_state(layer):
    """The SpecAugment layer's random state: it moves exactly when the layer draws masks."""
    generator = getattr(layer, "_tf_generator", None)
    state = generator.state if generator is not None else layer.seed_generator.state
    return np.asarray(keras.ops.convert_to_numpy(state))
