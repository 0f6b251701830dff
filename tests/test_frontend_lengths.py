"""Padded batches through the augmented frontends: `lengths` in waveform samples, frames as kapre cuts them."""

import itertools

import keras
import numpy as np
import pytest

from spec_augment import time_frequency

from spec_augment.composed import (
    AugmentedFrontend,
    FrameMask,
    frame_lengths,
    get_augmented_log_frequency_spectrogram_layer,
    get_augmented_melspectrogram_layer,
    get_augmented_stft_magnitude_layer,
)

BACKEND = keras.backend.backend()
# The STFTs whose frames the counts must match: ours on every backend, kapre's too on TensorFlow.
STFTS = ["ours"] + (["kapre"] if BACKEND == "tensorflow" else [])
N_SAMPLES = 4096
MASK_VALUE = -1234.5  # far outside any spectrogram here: identifies masked cells exactly
FORMATS = ("channels_last", "channels_first")
BUILDERS = {
    "stft": (get_augmented_stft_magnitude_layer, dict(n_fft=256, hop_length=128), 129),
    "mel": (get_augmented_melspectrogram_layer, dict(n_fft=512, hop_length=128, sample_rate=16000, n_mels=32), 32),
    "log": (get_augmented_log_frequency_spectrogram_layer,
            dict(n_fft=512, hop_length=128, sample_rate=22050, log_n_bins=48), 48),
}


def waveforms(batch, n_channels, data_format, n_samples=N_SAMPLES, seed=0):
    """Noise plus a tone per example and channel: (batch, time, ch) or (batch, ch, time)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / 16000.0
    audio = 0.01 * rng.standard_normal((batch, n_samples, n_channels))
    audio += 0.05 * np.sin(2 * np.pi * rng.uniform(200, 900, (batch, 1, n_channels)) * t[None, :, None])
    audio = audio.astype("float32")
    return audio if data_format == "channels_last" else np.transpose(audio, (0, 2, 1))


def zero_padded(x, sample_lengths, data_format):
    """Zero every sample past each example's length, as `padded_batch` does."""
    x = np.array(x)
    time = np.arange(x.shape[1 if data_format == "channels_last" else 2])
    valid = time[None, :] < np.asarray(sample_lengths)[:, None]
    return x * (valid[:, :, None] if data_format == "channels_last" else valid[:, None, :])


def to_btfc(spectrogram, data_format):
    spectrogram = np.asarray(spectrogram)
    return np.transpose(spectrogram, (0, 2, 3, 1)) if data_format == "channels_first" else spectrogram


# --------------------------------------------------------------------- samples -> frames, against kapre
FRAMINGS = [
    dict(n_fft=256, hop_length=64),  # win_length = n_fft
    dict(n_fft=256, win_length=160, hop_length=100),  # shorter window, hop not dividing n_fft
    dict(n_fft=64, win_length=64, hop_length=64),  # no overlap
]


def stft_magnitude(implementation, waveform, framing, pad_begin, pad_end, window_name=None):
    """The STFT magnitude of one mono waveform (1, n, 1), by our STFT or kapre's: (frames, freq)."""
    arguments = dict(**framing, window_name=window_name, pad_begin=pad_begin, pad_end=pad_end,
                     input_data_format="channels_last", output_data_format="channels_last")
    if implementation == "kapre":
        import kapre

        return np.abs(np.asarray(kapre.STFT(**arguments)(waveform)))[0, :, :, 0]
    magnitude = time_frequency.Magnitude()(time_frequency.STFT(**arguments)(waveform))
    return np.asarray(magnitude)[0, :, :, 0]


@pytest.mark.parametrize("implementation", STFTS)
@pytest.mark.parametrize("pad_begin, pad_end", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda f: "-".join(f"{k}{v}" for k, v in f.items()))
def test_frame_lengths_agree_with_the_stft(framing, pad_begin, pad_end, implementation):
    n_fft, win_length, n_samples = framing["n_fft"], framing.get("win_length", framing["n_fft"]), 1000

    def kapre_frames(n):
        return stft_magnitude(implementation, np.ones((1, n, 1), "float32"), framing, pad_begin, pad_end)

    kapre_total = len(kapre_frames(n_samples))
    sample_lengths = [0, 1, n_fft - 1, n_fft, 517, n_samples - 1, n_samples, n_samples + 300, -5, 2**32 + 3]
    ours = np.asarray(frame_lengths(np.array(sample_lengths, "int64"), n_samples, **framing, pad_begin=pad_begin,
                                    pad_end=pad_end))
    assert ours.dtype == np.int32 and ours.shape == (len(sample_lengths),)

    # The full input (and anything longer, int64 beyond int32 included) gives every frame kapre makes.
    for n, count in zip(sample_lengths, ours):
        n = min(max(n, 0), n_samples)
        if n == n_samples:
            assert count == kapre_total, (n, count, kapre_total)
        if n == 0:
            assert count == 0
            continue
        # Frames that start before sample n = kapre's frames of a waveform cut just after the last frame that
        # can start there (n samples with pad_end; n + win_length - 1 without, so that frame still fits).
        cut = n if pad_end else n + win_length - 1
        expected = min(kapre_total, len(kapre_frames(cut)))
        assert count == expected, (n, count, expected)

        # The same frames seen in kapre's output of the zero-padded input: every frame from `count` on
        # holds only padding (its magnitude is exactly 0); frame count - 1 holds a valid sample.
        padded = np.zeros((1, n_samples, 1), "float32")
        padded[0, :n] = 1.0
        energy = stft_magnitude(implementation, padded, framing, pad_begin, pad_end, "hamming_window").sum(axis=1)
        assert np.all(energy[count:] == 0.0), (n, count)
        assert energy[count - 1] > 0.0, (n, count)


def test_frontend_frame_lengths_and_mask():
    frontend = get_augmented_melspectrogram_layer(
        input_shape=(N_SAMPLES, 1), n_fft=512, hop_length=128, sample_rate=16000, n_mels=32, pad_begin=True,
        input_data_format="channels_last", output_data_format="channels_last", seed=0)
    assert isinstance(frontend, AugmentedFrontend) and isinstance(frontend, keras.Sequential)
    sample_lengths = np.array([0, 1, 511, 512, 3000, N_SAMPLES, 10**6, -1])
    expected = np.asarray(frame_lengths(sample_lengths, N_SAMPLES, n_fft=512, hop_length=128, pad_begin=True))
    counts = np.asarray(frontend.frame_lengths(sample_lengths))
    np.testing.assert_array_equal(counts, expected)
    # pad_begin shifts the frames by n_fft - hop_length = 384 samples: frame i starts at 128 i - 384.
    np.testing.assert_array_equal(counts, [0, 4, 7, 7, 27, 32, 32, 0])
    assert counts[-3] == frontend.output_shape[1]

    x = waveforms(len(sample_lengths), 1, "channels_last")
    mask = np.asarray(frontend.frame_mask(x, sample_lengths))
    assert mask.dtype == bool and mask.shape == (len(sample_lengths), frontend.output_shape[1])
    np.testing.assert_array_equal(mask, np.arange(mask.shape[1])[None, :] < counts[:, None])
    # Without a fixed input length the frontend needs to be told the padded length.
    variable = get_augmented_melspectrogram_layer(input_shape=(None, 1), n_fft=512, hop_length=128,
                                                  sample_rate=16000, n_mels=32, input_data_format="channels_last")
    with pytest.raises(ValueError, match="n_samples"):
        variable.frame_lengths(sample_lengths)
    np.testing.assert_array_equal(variable.frame_lengths(sample_lengths, n_samples=N_SAMPLES),
                                  frame_lengths(sample_lengths, N_SAMPLES, n_fft=512, hop_length=128))


# ------------------------------------------------------------------------------- augmentation
FORMAT_PAIRS = [("channels_last", "channels_last"), ("channels_first", "channels_first"),
                ("channels_last", "channels_first")]


def check_padded_batch(frontend, x, sample_lengths, output_format, warped=False):
    """Frames past each example's valid frames equal inference bit for bit; masks only in valid frames."""
    clean = to_btfc(frontend(x), output_format)
    augmented = to_btfc(frontend(x, training=True, lengths=sample_lengths), output_format)
    counts = np.asarray(frontend.frame_lengths(sample_lengths))
    masked = augmented == MASK_VALUE
    for b, count in enumerate(counts):
        np.testing.assert_array_equal(augmented[b, count:], clean[b, count:])
        assert not masked[b, count:].any()
        if not warped:  # then every cell not masked is the input's
            np.testing.assert_array_equal(augmented[b][~masked[b]], clean[b][~masked[b]])
    return counts, masked


@pytest.mark.parametrize("input_format, output_format", FORMAT_PAIRS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_masks_stay_in_valid_frames(kind, input_format, output_format):
    builder, arguments, n_bins = BUILDERS[kind]
    shape = (N_SAMPLES, 2) if input_format == "channels_last" else (2, N_SAMPLES)
    frontend = builder(**arguments, input_shape=shape, input_data_format=input_format,
                       output_data_format=output_format, return_decibel=True, freq_mask_param=n_bins // 3,
                       n_freq_mask=2, time_mask_param=8, n_time_mask=3, mask_value=MASK_VALUE, seed=7)
    # Full, empty, shorter than one frame, mid-frame, past the input, negative.
    sample_lengths = np.array([N_SAMPLES, 0, 100, 1234, N_SAMPLES + 999, -3])
    x = zero_padded(waveforms(len(sample_lengths), 2, input_format), sample_lengths, input_format)
    counts, masked = check_padded_batch(frontend, x, sample_lengths, output_format)
    n_frames = frontend.output_shape[1 if output_format == "channels_last" else 2]
    np.testing.assert_array_equal(counts, [n_frames, 0, 1, 10, n_frames, 0])
    assert not masked[[1, 5]].any()  # no valid frame, nothing masked (frequency masks included)
    # Both stereo channels share their example's masks; the long examples get masks (seeded).
    np.testing.assert_array_equal(masked[..., 0], masked[..., 1])
    assert masked[[0, 3, 4]].any(axis=(1, 2, 3)).all()


@pytest.mark.parametrize("pad_begin, pad_end", list(itertools.product([False, True], repeat=2)))
def test_padding_options_and_time_warp(pad_begin, pad_end):
    builder, arguments, _ = BUILDERS["mel"]
    frontend = builder(**arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                       output_data_format="channels_last", pad_begin=pad_begin, pad_end=pad_end,
                       return_decibel=True, time_warp_param=3, n_freq_mask=1, n_time_mask=2, time_mask_param=4,
                       mask_value=MASK_VALUE, seed=11)
    sample_lengths = np.array([N_SAMPLES, 2600, 513, 1])
    x = zero_padded(waveforms(4, 1, "channels_last"), sample_lengths, "channels_last")
    counts, _ = check_padded_batch(frontend, x, sample_lengths, "channels_last", warped=True)
    assert counts[0] == frontend.output_shape[1] and counts[0] > counts[1] > counts[2] > counts[3] >= 1

    warp_only = builder(**arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                        output_data_format="channels_last", pad_begin=pad_begin, pad_end=pad_end,
                        time_warp_param=3, n_freq_mask=0, n_time_mask=0, seed=2)
    clean, warped = np.asarray(warp_only(x)), np.asarray(warp_only(x, training=True, lengths=sample_lengths))
    for b, count in enumerate(counts):
        np.testing.assert_array_equal(warped[b, count:], clean[b, count:])
    assert not np.array_equal(warped[0, : counts[0]], clean[0, : counts[0]]), "the full example is warped (seeded)"


def test_batch_of_one_and_full_lengths_equal_no_lengths():
    builder, arguments, _ = BUILDERS["stft"]
    common = dict(arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                  output_data_format="channels_last", mask_value=MASK_VALUE, n_time_mask=2, seed=3)
    x = waveforms(1, 1, "channels_last")
    # Same seed, same draws: full-length `lengths` give exactly the unpadded augmentation.
    without = np.asarray(builder(**common)(x, training=True))
    full = np.asarray(builder(**common)(x, training=True, lengths=np.array([N_SAMPLES])))
    np.testing.assert_array_equal(full, without)
    assert (full == MASK_VALUE).any()
    one = builder(**common)
    check_padded_batch(one, zero_padded(x, [700], "channels_last"), np.array([700]), "channels_last")


def test_without_lengths_the_frontend_is_the_sequential_of_its_layers():
    builder, arguments, _ = BUILDERS["mel"]
    frontend = builder(**arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                       output_data_format="channels_last", return_decibel=True, seed=0)
    x = waveforms(2, 1, "channels_last")
    plain = keras.Sequential([keras.Input((N_SAMPLES, 1))] + frontend.layers[:-1])
    np.testing.assert_array_equal(np.asarray(frontend(x)), np.asarray(plain(x)))
    np.testing.assert_array_equal(np.asarray(frontend(x, training=False, lengths=np.array([5, 9]))),
                                  np.asarray(plain(x)))


# ------------------------------------------------------------------------------------ bad lengths
@pytest.fixture(scope="module")
def small_frontend():
    builder, arguments, _ = BUILDERS["stft"]
    return builder(**arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                   output_data_format="channels_last", seed=0)


BAD_LENGTHS = [
    (np.array([[4096], [4096], [4096], [4096]]), ValueError, "shape"),  # rank 2
    (np.array(4096), ValueError, "shape"),  # rank 0
    (np.array([4096, 4096]), ValueError, "one entry per example"),
    (np.array([4096]), ValueError, "one entry per example"),  # never broadcast
    (np.array([4096.0, 1, 2, 3]), TypeError, "dtype float"),
    (np.array([True, False, True, True]), TypeError, "dtype bool"),
]


@pytest.mark.parametrize("lengths, error, text", BAD_LENGTHS, ids=[t for _, _, t in BAD_LENGTHS])
@pytest.mark.parametrize("training", [True, False])
def test_bad_lengths_name_lengths_eagerly(small_frontend, lengths, error, text, training):
    x = waveforms(4, 1, "channels_last")
    with pytest.raises(error, match=f"(?s)`lengths`.*{text}"):
        small_frontend(x, training=training, lengths=lengths)


@pytest.mark.tensorflow_only("a tf.function with a batch size known only when it runs")
def test_bad_lengths_name_lengths_under_a_dynamic_batch(small_frontend):
    import tensorflow as tf

    x = waveforms(4, 1, "channels_last")

    @tf.function(input_signature=[tf.TensorSpec((None, N_SAMPLES, 1)), tf.TensorSpec((None,), tf.int32)])
    def augment(x, lengths):
        return small_frontend(x, training=True, lengths=lengths)

    assert augment(x, tf.constant([1, 2, 3, 4])).shape[0] == 4
    for lengths in ([4096, 4096], [4096]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="`lengths` must have one entry per example"):
            augment(x, tf.constant(lengths))

    float_lengths = tf.function(lambda x, n: small_frontend(x, training=True, lengths=n),
                                input_signature=[tf.TensorSpec((None, N_SAMPLES, 1)), tf.TensorSpec((None,))])
    with pytest.raises(TypeError, match="`lengths` must be integers"):
        float_lengths(x, tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(TypeError, match="`lengths` must be integers"):
        keras.Model(inp := keras.Input((N_SAMPLES, 1)), small_frontend(inp, lengths=keras.Input(())))


# ----------------------------------------------------------------------------- functional models
def test_functional_model_with_a_lengths_input(tmp_path):
    """fit / predict / evaluate / save / load / export with waveforms of any length and their lengths."""
    frontend = get_augmented_melspectrogram_layer(
        input_shape=(None, 1), n_fft=256, hop_length=128, sample_rate=8000, n_mels=16, return_decibel=True,
        input_data_format="channels_last", output_data_format="channels_last", policy="LD", seed=0)
    waveform = keras.Input((None, 1), name="waveform")
    lengths = keras.Input((), dtype="int32", name="lengths")
    spectrogram = frontend(waveform, lengths=lengths)  # (batch, frames, 16, 1)
    sequence = keras.layers.Reshape((-1, 16))(spectrogram)
    mask = frontend.frame_mask(waveform, lengths)  # (batch, frames) bool
    hidden = keras.layers.GRU(8)(sequence, mask=mask)
    model = keras.Model([waveform, lengths], keras.layers.Dense(3)(hidden))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    sample_lengths = np.array([2000, 1500, 700, 300, 2000, 90], "int32")
    x = zero_padded(waveforms(6, 1, "channels_last", n_samples=2000), sample_lengths, "channels_last")
    y = np.arange(6) % 3
    history = model.fit([x, sample_lengths], y, epochs=2, batch_size=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    predicted = model.predict([x, sample_lengths], verbose=0)
    assert np.isfinite(model.evaluate([x, sample_lengths], y, verbose=0))
    # The mask makes padding irrelevant at inference: more zeros after the valid samples change nothing
    # where they leave the valid frames as they were (a full-length example gains the frames that only fit
    # in the longer input: they start before its last valid sample ends).
    longer = np.concatenate([x, np.zeros((6, 1000, 1), "float32")], axis=1)
    same = np.asarray(frontend.frame_lengths(sample_lengths, 2000)) == np.asarray(
        frontend.frame_lengths(sample_lengths, 3000))
    np.testing.assert_array_equal(same, [False, True, True, True, False, True])
    np.testing.assert_allclose(model.predict([longer, sample_lengths], verbose=0)[same], predicted[same],
                               rtol=1e-5, atol=1e-5)

    path = tmp_path / "padded.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict([x, sample_lengths], verbose=0), predicted, rtol=1e-6, atol=1e-6)
    restored = loaded.get_layer(frontend.name)
    assert isinstance(restored, AugmentedFrontend)
    assert any(isinstance(layer, FrameMask) for layer in loaded.layers)
    clean = np.asarray(restored(x))
    augmented = np.asarray(restored(x, training=True, lengths=sample_lengths))
    for b, count in enumerate(np.asarray(restored.frame_lengths(sample_lengths, n_samples=2000))):
        np.testing.assert_array_equal(augmented[b, count:], clean[b, count:])

    if BACKEND != "tensorflow":
        return
    import tensorflow as tf

    # The serving signature takes both inputs; at inference the lengths only feed the mask.
    model.export(str(tmp_path / "exported"), verbose=False)
    exported = tf.saved_model.load(str(tmp_path / "exported"))  # keep it: `serve` refers to its variables
    np.testing.assert_allclose(np.asarray(exported.serve([x, sample_lengths])), predicted, rtol=1e-5, atol=1e-5)
