"""FSDD with padded batches (``python examples/train_fsdd.py --padded-batch``).

Raw waveforms keep their own lengths; ``tf.data``'s ``padded_batch`` pads each batch to its longest
one and passes the number of valid samples of each example through. The model takes the lengths as
a second input and hands them to the augmented frontend, which keeps masks and warp inside each
example's valid frames; the classifier pools over valid frames only.
"""

import time

import numpy as np

from fsdd_data import SAMPLE_RATE, DataError, Split, read_wav
from train_fsdd import (
    BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_POLICY,
    HALF_LIFE_STEPS,
    LEARNING_RATE,
    N_CLASSES,
    N_MELS,
    _block,
    build_frontend,
)

# --padded-batch: raw waveforms of their own lengths, each batch zero-padded to its longest one. A cap
# bounds memory: 2 s keeps all but 2 of FSDD's 3,000 recordings whole (the longest is 2.28 s).
MAX_PADDED_SAMPLES = 2 * SAMPLE_RATE


def load_raw_waveforms(paths, max_samples: int = MAX_PADDED_SAMPLES) -> list:
    """WAV files -> float32 arrays ``(n_i, 1)`` of their own lengths, trimmed to ``max_samples`` at most."""
    return [read_wav(path, max_samples)[:, None] for path in paths]


def padded_dataset(waveforms, digits, batch_size: int = BATCH_SIZE, shuffle_seed=None, drop_remainder=False):
    """``tf.data`` batches ``({'waveform': (b, longest, 1), 'lengths': (b,) int32}, digits (b,))``.

    ``padded_batch`` zero-pads each batch to its longest waveform; ``lengths`` are the valid samples.
    ``shuffle_seed``: reshuffle every epoch (training), else keep the order.
    """
    import tensorflow as tf

    lengths = np.array([len(w) for w in waveforms], np.int32)
    flat = tf.constant(np.concatenate(waveforms) if waveforms else np.zeros((0, 1), np.float32))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int32)
    data = tf.data.Dataset.from_tensor_slices((starts, lengths, np.asarray(digits, np.int32)))
    if shuffle_seed is not None:
        data = data.shuffle(len(lengths), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.map(lambda start, n, digit: ({"waveform": flat[start : start + n], "lengths": n}, digit))
    return data.padded_batch(batch_size, drop_remainder=drop_remainder).prefetch(2)


def build_padded_model(policy=DEFAULT_POLICY, seed=None):
    """``{'waveform': (batch, samples, 1), 'lengths': (batch,)}`` -> logits: frontend + the conv1d classifier.

    The frontend gets the lengths (masks stay inside each example's valid frames). The classifier is
    ``conv1d``'s, made blind to the padding: per-example standardization over valid frames only (no
    learned per-frame scale: the number of frames varies), padding frames zeroed before every
    convolution and pooling, BatchNorm statistics and global average pooling over valid frames only, and
    ``padding="same"`` pooling so no valid frame is dropped. At inference an example's logits do not
    depend on how much padding its batch has.
    """
    import keras
    from keras import layers, ops

    waveform = keras.Input((None, 1), name="waveform")
    lengths = keras.Input((), dtype="int32", name="lengths")
    frontend = build_frontend(policy, seed, n_samples=None)
    x = layers.Reshape((-1, N_MELS))(frontend(waveform, lengths=lengths))  # (batch, frames, mel bins)
    valid = ops.cast(frontend.frame_mask(waveform, lengths), "float32")[:, :, None]
    count = ops.maximum(ops.sum(valid, axis=(1, 2), keepdims=True) * N_MELS, 1.0)
    mean = ops.sum(x * valid, axis=(1, 2), keepdims=True) / count
    variance = ops.sum(ops.square(x - mean) * valid, axis=(1, 2), keepdims=True) / count
    x = (x - mean) * ops.rsqrt(variance + 1e-3) * valid  # LayerNormalization's epsilon
    for filters, pool in ((64, True), (64, True), (128, False)):
        conv, norm, relu = _block(layers.Conv1D, filters)
        # Zeroing the padding frames (after ReLU: >= 0) also drops the Keras mask that BatchNorm attaches.
        x = relu(norm(conv(x), mask=ops.greater(valid[:, :, 0], 0.5))) * valid
        if pool:
            x, valid = layers.MaxPooling1D(2, padding="same")(x), layers.MaxPooling1D(2, padding="same")(valid)
    x = layers.GlobalAveragePooling1D()(x, mask=ops.greater(valid[:, :, 0], 0.5))
    logits = layers.Dense(N_CLASSES)(layers.Dropout(0.3)(x))
    return keras.Model({"waveform": waveform, "lengths": lengths}, logits, name="fsdd_padded")


def train_padded(split: Split, policy=DEFAULT_POLICY, seed=0, epochs=DEFAULT_EPOCHS, verbose=1) -> dict:
    """Train ``build_padded_model`` end to end on padded batches (frontend run per batch); as
    :func:`train_and_evaluate`. Batch 32 (training drops the remainder), the same optimizer."""
    import keras

    if len(split.train) < BATCH_SIZE:
        raise DataError(f"{len(split.train)} training recordings: fewer than one batch of {BATCH_SIZE}.")
    keras.utils.set_random_seed(seed)
    parts = {
        name: (load_raw_waveforms([p for p, _ in part]), np.array([d for _, d in part], np.int32))
        for name, part in zip(split._fields, split)
    }
    model = build_padded_model(policy, seed)
    schedule = keras.optimizers.schedules.ExponentialDecay(LEARNING_RATE, HALF_LIFE_STEPS, 0.5)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        padded_dataset(*parts["train"], shuffle_seed=seed, drop_remainder=True),
        validation_data=padded_dataset(*parts["val"]),
        epochs=epochs,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    val = [float(a) for a in history.history["val_accuracy"]]
    if verbose:
        for epoch, accuracy in enumerate(val, 1):
            print(f"epoch {epoch:3d}: validation accuracy {accuracy:.4f}")
    test = model.evaluate(padded_dataset(*parts["test"]), verbose=0, return_dict=True)
    return dict(
        test_accuracy=float(test["accuracy"]),
        val_accuracy=val[-1],
        train_size=len(split.train),
        val_size=len(split.val),
        test_size=len(split.test),
        seconds=seconds,
        model=model,
    )
