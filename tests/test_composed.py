"""The augmented frontends of ``spec_augment.composed``, on every backend (kapre's layers on TensorFlow by default,
the package's own elsewhere), and their equality with kapre's builders."""

import itertools
import os
import subprocess
import sys
import textwrap

import keras
import librosa
import dsp_reference
import numpy as np
import pytest

from spec_augment import SpecAugment
from spec_augment.composed import assembly
from spec_augment.composed import (
    DEFAULT,
    get_augmented_log_frequency_spectrogram_layer,
    get_augmented_melspectrogram_layer,
    get_augmented_stft_magnitude_layer,
)

# kapre's reference builders pass `input_shape` to a layer, which Keras 3 warns about; ours do not.
pytestmark = pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")
BACKEND = keras.backend.backend()

FORMATS = ("channels_last", "channels_first")
N_SAMPLES = 4096
MASK_VALUE = -1234.5  # far outside any spectrogram here: identifies masked cells exactly

# builder -> (ours, the name of kapre's, small arguments, number of frequency bins of the output)
BUILDERS = {
    "stft": (
        get_augmented_stft_magnitude_layer,
        "get_stft_magnitude_layer",
        dict(n_fft=256, hop_length=128),
        129,
    ),
    "mel": (
        get_augmented_melspectrogram_layer,
        "get_melspectrogram_layer",
        dict(n_fft=512, hop_length=128, sample_rate=16000, n_mels=32),
        32,
    ),
    "log": (
        get_augmented_log_frequency_spectrogram_layer,
        "get_log_frequency_spectrogram_layer",
        dict(n_fft=512, hop_length=128, sample_rate=22050, log_n_bins=48),
        48,
    ),
}


def kapre_builder(name):
    import kapre.composed

    return getattr(kapre.composed, name)


def is_kapre(layer):
    return type(layer).__module__.startswith("kapre")


def waveforms(batch, n_channels, data_format, seed=0):
    """A batch of harmonic tones plus noise, every channel different; (batch, time, ch) or (batch, ch, time)."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(N_SAMPLES) / 16000.0
    audio = np.empty((batch, N_SAMPLES, n_channels), "float32")
    for b, c in itertools.product(range(batch), range(n_channels)):
        fundamental = rng.uniform(200, 900)
        tone = sum(np.sin(2 * np.pi * k * fundamental * time_s) / k for k in range(1, 6))
        audio[b, :, c] = 0.05 * tone + 0.01 * rng.standard_normal(N_SAMPLES)
    return audio if data_format == "channels_last" else np.transpose(audio, (0, 2, 1))


def input_shape(n_channels, data_format):
    return (N_SAMPLES, n_channels) if data_format == "channels_last" else (n_channels, N_SAMPLES)


def to_btfc(spectrogram, data_format):
    """(batch, ch, time, freq) -> (batch, time, freq, ch); channels_last unchanged."""
    spectrogram = np.asarray(spectrogram)
    return np.transpose(spectrogram, (0, 2, 3, 1)) if data_format == "channels_first" else spectrogram


def spec_augment_of(frontend):
    layer = frontend.layers[-1]
    assert isinstance(layer, SpecAugment)
    return layer


# ------------------------------------------------------------------------------- inference equality
@pytest.mark.tensorflow_only("the reference is kapre's builder")
@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("n_channels", [1, 2])
@pytest.mark.parametrize("input_format", FORMATS)
@pytest.mark.parametrize("output_format", FORMATS)
def test_inference_equals_kapre(kind, n_channels, input_format, output_format):
    """By default on TensorFlow a frontend is made of kapre's very layers: its output is kapre's, bit for bit."""
    ours, kapre_name, arguments, _ = BUILDERS[kind]
    theirs = kapre_builder(kapre_name)
    # Linear magnitude for mono, decibel for stereo: both kapre paths are covered.
    arguments = dict(arguments, return_decibel=n_channels == 2, input_shape=input_shape(n_channels, input_format),
                     input_data_format=input_format, output_data_format=output_format)
    frontend = ours(**arguments, seed=0)
    assert is_kapre(frontend.layers[0])
    reference = theirs(**arguments)
    x = waveforms(2, n_channels, input_format)

    expected = np.asarray(reference(x))
    assert frontend.output_shape == reference.output_shape
    np.testing.assert_allclose(np.asarray(frontend(x)), expected, rtol=1e-7, atol=0)
    np.testing.assert_allclose(np.asarray(frontend(x, training=False)), expected, rtol=1e-7, atol=0)
    np.testing.assert_allclose(frontend.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)


# Argument sets for the equality of our layers with kapre's: every window, odd and even n_fft, win_length < n_fft,
# hops that do not divide, pad_begin/pad_end, both data formats, several channels, both scales.
STFT_GRID = [
    dict(n_fft=512, hop_length=128),
    dict(n_fft=511, win_length=400, hop_length=160, pad_end=True, window_name="hamming_window", n_channels=2),
    dict(n_fft=256, win_length=200, hop_length=100, pad_begin=True, window_name="kaiser_window",
         input_data_format="channels_first", output_data_format="channels_first", return_decibel=False),
    dict(n_fft=1024, window_name="kaiser_bessel_derived_window", db_amin=1e-3, db_ref_value=0.5,
         db_dynamic_range=60.0),
    dict(n_fft=300, hop_length=75, window_name="vorbis_window", pad_begin=True, pad_end=True, return_decibel=False),
    dict(n_fft=64, win_length=64, hop_length=64, n_channels=2, input_data_format="channels_first",
         output_data_format="channels_last"),
]
MEL_GRID = [
    dict(n_fft=512, hop_length=128, sample_rate=16000, n_mels=80),
    dict(n_fft=511, win_length=400, hop_length=160, sample_rate=16000, n_mels=40, mel_htk=True, pad_end=True),
    dict(n_fft=1024, hop_length=256, sample_rate=22050, n_mels=128, mel_f_min=50.0, mel_f_max=8000.0,
         mel_norm=None, n_channels=2, output_data_format="channels_first"),
    dict(n_fft=400, hop_length=100, sample_rate=8000, n_mels=32, mel_norm=float("inf"), pad_begin=True,
         window_name="hamming_window", return_decibel=False),
    dict(n_fft=256, hop_length=64, sample_rate=44100, n_mels=20, mel_norm=2.0, mel_htk=True,
         input_data_format="channels_first", output_data_format="channels_last", db_dynamic_range=40.0),
    dict(n_fft=2048, win_length=1500, sample_rate=48000, n_mels=96, mel_f_min=20.0, window_name="vorbis_window",
         db_ref_value=10.0, db_amin=1e-6),
]
LOG_GRID = [
    dict(n_fft=512, hop_length=128, sample_rate=22050, log_n_bins=48),
    dict(n_fft=1024, hop_length=256, sample_rate=22050, log_n_bins=84, log_f_min=None, n_channels=2),
    dict(n_fft=2048, sample_rate=44100, log_n_bins=60, log_bins_per_octave=24, log_f_min=100.0, log_spread=0.25,
         return_decibel=False, output_data_format="channels_first"),
    dict(n_fft=511, win_length=300, hop_length=120, sample_rate=16000, log_n_bins=36, log_f_min=60.0,
         pad_end=True, window_name="hamming_window"),
    dict(n_fft=256, hop_length=64, sample_rate=8000, log_n_bins=24, log_bins_per_octave=6, log_spread=0.5,
         pad_begin=True, input_data_format="channels_first", output_data_format="channels_first"),
    dict(n_fft=1024, sample_rate=16000, log_n_bins=48, log_bins_per_octave=12, log_f_min=40.0,
         window_name="kaiser_window", db_dynamic_range=100.0),
]
GRIDS = {"stft": STFT_GRID, "mel": MEL_GRID, "log": LOG_GRID}
GRID_CASES = [pytest.param(kind, index, id=f"{kind}-{index}") for kind in sorted(GRIDS) for index in range(6)]


def grid_arguments(kind, index):
    """(builder arguments, a batch of waveforms) of one grid case; decibels unless said otherwise."""
    arguments = dict(return_decibel=True, input_data_format="channels_last", output_data_format="channels_last")
    arguments.update(GRIDS[kind][index])
    n_channels = arguments.pop("n_channels", 1)
    arguments["input_shape"] = input_shape(n_channels, arguments["input_data_format"])
    return arguments, waveforms(3, n_channels, arguments["input_data_format"], seed=index)


def assert_spectrograms_agree(ours, expected, decibel, output_format):
    """<= 0.01 dB in decibels; <= 1e-5 of each example's peak in linear magnitude."""
    ours, expected = np.asarray(ours, "float64"), np.asarray(expected, "float64")
    assert ours.shape == expected.shape
    if decibel:
        np.testing.assert_allclose(ours, expected, atol=0.01, rtol=0)
    else:
        peak = np.max(np.abs(expected), axis=tuple(range(1, expected.ndim)), keepdims=True)
        worst = np.max(np.abs(ours - expected) / np.maximum(peak, 1e-30))
        assert worst <= 1e-5, f"{worst:.3g} of an example's peak"


@pytest.mark.tensorflow_only("the reference is kapre's builder")
@pytest.mark.parametrize("kind, index", GRID_CASES)
def test_our_layers_equal_kapre(kind, index):
    ours, kapre_name, _, _ = BUILDERS[kind]
    arguments, x = grid_arguments(kind, index)
    frontend = ours(**arguments, use_kapre=False, seed=0)
    assert not any(is_kapre(layer) for layer in frontend.layers)
    expected = kapre_builder(kapre_name)(**arguments)(x)
    assert frontend.output_shape == kapre_builder(kapre_name)(**arguments).output_shape
    assert_spectrograms_agree(frontend(x), expected, arguments["return_decibel"], arguments["output_data_format"])
    assert_spectrograms_agree(frontend.predict(x, verbose=0), expected, arguments["return_decibel"],
                              arguments["output_data_format"])


def reference_output(kind, arguments, x):
    """The float64 numpy reference (tests/dsp_reference.py, itself checked against kapre) of one grid case."""
    stft_keys = ("n_fft", "win_length", "hop_length", "window_name", "pad_begin", "pad_end", "input_data_format",
                 "output_data_format")
    stft_kwargs = {key: arguments[key] for key in stft_keys if key in arguments}
    n_freq = arguments["n_fft"] // 2 + 1
    sample_rate = arguments.get("sample_rate", 22050)
    if kind == "mel":
        filterbank_kwargs = dict(sample_rate=sample_rate, n_freq=n_freq, n_mels=arguments["n_mels"],
                                 f_min=arguments.get("mel_f_min", 0.0), f_max=arguments.get("mel_f_max"),
                                 htk=arguments.get("mel_htk", False), norm=arguments.get("mel_norm", "slaney"))
    elif kind == "log":
        filterbank_kwargs = dict(sample_rate=sample_rate, n_freq=n_freq, n_bins=arguments["log_n_bins"],
                                 bins_per_octave=arguments.get("log_bins_per_octave", 12),
                                 f_min=arguments.get("log_f_min"), spread=arguments.get("log_spread", 0.125))
    else:
        filterbank_kwargs = None
    decibel_kwargs = None
    if arguments["return_decibel"]:
        decibel_kwargs = dict(ref_value=arguments.get("db_ref_value", 1.0), amin=arguments.get("db_amin", 1e-5),
                              dynamic_range=arguments.get("db_dynamic_range", 80.0))
    return dsp_reference.chain(x, stft_kwargs, filterbank_kwargs, kind, decibel_kwargs)


@pytest.mark.parametrize("kind, index", GRID_CASES)
def test_our_layers_equal_the_reference_on_every_backend(kind, index):
    """Our frontend on this backend equals the numpy reference that the TensorFlow run checks against kapre."""
    ours, _, _, _ = BUILDERS[kind]
    arguments, x = grid_arguments(kind, index)
    frontend = ours(**arguments, use_kapre=False, seed=0)
    expected = reference_output(kind, arguments, x)
    # predict: compiled as a model runs it (eager calls are checked on the TensorFlow grid and elsewhere).
    assert_spectrograms_agree(frontend.predict(x, verbose=0), expected, arguments["return_decibel"],
                              arguments["output_data_format"])


@pytest.mark.tensorflow_only("the reference is kapre's builder")
@pytest.mark.parametrize("kind, index", GRID_CASES)
def test_the_reference_equals_kapre(kind, index):
    """The reference the other backends are checked against is kapre's output on every grid case."""
    _, kapre_name, _, _ = BUILDERS[kind]
    arguments, x = grid_arguments(kind, index)
    expected = kapre_builder(kapre_name)(**arguments)(x)
    assert_spectrograms_agree(reference_output(kind, arguments, x), expected, arguments["return_decibel"],
                              arguments["output_data_format"])


def test_default_data_formats_follow_keras_config():
    ours, _, arguments, n_bins = BUILDERS["mel"]
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        frontend = ours(**arguments, input_shape=(1, N_SAMPLES), seed=0)
    finally:
        keras.config.set_image_data_format(previous)
    assert spec_augment_of(frontend).data_format == "channels_first"
    assert frontend.output_shape == (None, 1, 29, n_bins)
    explicit = ours(**arguments, input_shape=(1, N_SAMPLES), input_data_format="channels_first",
                    output_data_format="channels_first", seed=0)
    x = waveforms(2, 1, "channels_first")
    # Built with the resolved formats, the frontend keeps its layout after the global setting changed back.
    np.testing.assert_array_equal(np.asarray(frontend(x)), np.asarray(explicit(x)))


# --------------------------------------------------------------------------------- masks and axes
@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("input_format", FORMATS)
@pytest.mark.parametrize("output_format", FORMATS)
def test_masks_on_output_time_and_frequency_axes(kind, input_format, output_format):
    ours, _, arguments, n_bins = BUILDERS[kind]
    arguments = dict(arguments, return_decibel=True, input_shape=input_shape(2, input_format),
                     input_data_format=input_format, output_data_format=output_format, mask_value=MASK_VALUE)
    x = waveforms(4, 2, input_format)
    frontend = ours(**arguments, freq_mask_param=n_bins // 3, n_freq_mask=2, time_mask_param=8, n_time_mask=2,
                    seed=1)
    clean = to_btfc(frontend(x), output_format)  # (batch, time, freq, ch)
    augmented = to_btfc(frontend(x, training=True), output_format)

    masked = augmented == MASK_VALUE
    np.testing.assert_array_equal(augmented[~masked], clean[~masked])
    # A frequency mask covers a whole bin (every frame, every channel); a time mask a whole frame.
    whole_bins = masked.all(axis=(1, 3), keepdims=True)
    whole_frames = masked.all(axis=(2, 3), keepdims=True)
    np.testing.assert_array_equal(masked, np.broadcast_to(whole_bins | whole_frames, masked.shape))
    assert whole_bins.any() and whole_frames.any(), "draw both kinds of mask (seeded)"
    # Bands, not everything: no example is masked entirely.
    assert not masked.all(axis=(1, 2, 3)).any()


def test_time_warp_changes_the_output_only_in_training():
    ours, _, arguments, _ = BUILDERS["mel"]
    arguments = dict(arguments, return_decibel=True, input_shape=(N_SAMPLES, 1),
                     input_data_format="channels_last", output_data_format="channels_last")
    frontend = ours(**arguments, time_warp_param=5, n_freq_mask=0, n_time_mask=0, seed=3)
    unaugmented = ours(**arguments, n_freq_mask=0, n_time_mask=0, seed=3)
    x = waveforms(4, 1, "channels_last")
    clean = np.asarray(unaugmented(x, training=True))
    np.testing.assert_array_equal(np.asarray(frontend(x)), clean)
    warped = np.asarray(frontend(x, training=True))
    assert not np.array_equal(warped, clean)
    # A warp only moves frames: every output value lies within its example's input range.
    assert np.all(warped >= clean.min(axis=(1, 2, 3), keepdims=True) - 1e-4)
    assert np.all(warped <= clean.max(axis=(1, 2, 3), keepdims=True) + 1e-4)


# ------------------------------------------------------------------------------- librosa agreement
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("return_decibel", [False, True])
def test_melspectrogram_agrees_with_librosa(data_format, return_decibel):
    """kapre's own comparison: librosa with center=False, power=1.0 (magnitude), power_to_db(ref=1)."""
    sample_rate, n_fft, hop_length, n_mels, f_max, amin, dynamic_range = 22050, 512, 256, 40, 8000.0, 1e-5, 80.0
    frontend = get_augmented_melspectrogram_layer(
        input_shape=input_shape(1, data_format), n_fft=n_fft, hop_length=hop_length, sample_rate=sample_rate,
        n_mels=n_mels, mel_f_max=f_max, return_decibel=return_decibel, db_amin=amin,
        db_dynamic_range=dynamic_range, input_data_format=data_format, output_data_format=data_format, seed=0,
    )
    x = waveforms(1, 1, data_format)
    ours = to_btfc(frontend.predict(x, verbose=0), data_format)[0, :, :, 0]  # (time, mel)

    reference = librosa.feature.melspectrogram(
        y=x.reshape(-1).astype("float64"), sr=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=n_fft,
        center=False, power=1.0, n_mels=n_mels, fmin=0.0, fmax=f_max,
    ).T
    assert ours.shape == reference.shape
    if return_decibel:
        reference = librosa.power_to_db(reference, ref=1.0, amin=amin, top_db=dynamic_range)
        np.testing.assert_allclose(ours, reference, rtol=3e-3)  # kapre's tolerance for decibels
    else:
        np.testing.assert_allclose(ours, reference, atol=1e-4)  # kapre's tolerance for magnitudes


# ------------------------------------------------------------------------------ names, save, load
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_default_names_are_unique_and_prefix_the_sublayers(kind):
    ours, _, arguments, _ = BUILDERS[kind]
    first, second = ours(**arguments, return_decibel=True), ours(**arguments, return_decibel=True)
    assert first.name != second.name
    assert first.name.startswith(f"augmented_{ours.__name__[len('get_augmented_'):-len('_layer')]}")
    for frontend in (first, second):
        names = [layer.name for layer in frontend.layers]
        assert all(name.startswith(frontend.name + "_") for name in names), names
        assert names[-1] == frontend.name + "_spec_augment"
    explicit = ours(**arguments, name="front")
    assert explicit.name == "front" and explicit.layers[0].name == "front_stft"


def test_save_and_load_a_model_with_two_frontends(tmp_path):
    inputs = keras.Input((N_SAMPLES, 1))
    common = dict(n_fft=512, hop_length=128, sample_rate=16000, return_decibel=True,
                  input_data_format="channels_last", output_data_format="channels_last")
    # Two frontends with default names in one model: only unique names make this possible.
    mel = get_augmented_melspectrogram_layer(**common, n_mels=32, policy="SM", seed=0)
    mel_again = get_augmented_melspectrogram_layer(**common, n_mels=24, mask_value=-80.0, seed=1)
    log_frequency = get_augmented_log_frequency_spectrogram_layer(**common, log_n_bins=36, seed=2)
    frontends = (mel, mel_again, log_frequency)
    assert len({frontend.name for frontend in frontends}) == 3
    pooled = [keras.layers.GlobalAveragePooling2D()(frontend(inputs)) for frontend in frontends]
    outputs = keras.layers.Dense(4)(keras.layers.Concatenate()(pooled))
    model = keras.Model(inputs, outputs)

    x = waveforms(3, 1, "channels_last")
    expected = model.predict(x, verbose=0)
    path = tmp_path / "two_frontends.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    for frontend in frontends:
        restored = loaded.get_layer(frontend.name)
        assert isinstance(restored, keras.Sequential)
        assert [layer.name for layer in restored.layers] == [layer.name for layer in frontend.layers]
        assert [type(layer) for layer in restored.layers] == [type(layer) for layer in frontend.layers]
        assert spec_augment_of(restored).get_config() == spec_augment_of(frontend).get_config()
        # Still an augmenting frontend after loading.
        clean = np.asarray(restored(x))
        np.testing.assert_array_equal(clean, np.asarray(frontend(x)))
        assert not np.array_equal(np.asarray(restored(x, training=True)), clean)


# ------------------------------------------------------------------------------ SpecAugment arguments
def test_builder_defaults_policy_and_explicit_arguments():
    _, _, arguments, n_bins = BUILDERS["mel"]
    default = spec_augment_of(get_augmented_melspectrogram_layer(**arguments))
    assert (default.freq_mask_param, default.time_mask_param, default.mask_value) == (n_bins // 8, 20, "mean")
    assert (default.n_freq_mask, default.n_time_mask, default.time_warp_param) == (1, 1, 0)

    ld = spec_augment_of(get_augmented_melspectrogram_layer(**arguments, policy="LD"))
    assert (ld.time_warp_param, ld.freq_mask_param, ld.n_freq_mask, ld.time_mask_param, ld.n_time_mask) == (
        80, 27, 2, 100, 2)
    assert ld.mask_value == "mean"

    overridden = spec_augment_of(
        get_augmented_melspectrogram_layer(**arguments, policy="sm", n_freq_mask=1, time_mask_param=None,
                                           mask_value=-3)
    )
    assert (overridden.n_freq_mask, overridden.time_mask_param, overridden.mask_value) == (1, None, -3.0)
    assert (overridden.freq_mask_param, overridden.time_mask_ratio) == (15, 0.2)  # the rest is SM's
    assert repr(DEFAULT) == "DEFAULT"


def test_default_mask_value_stays_inside_the_decibel_range():
    _, _, arguments, _ = BUILDERS["mel"]
    frontend = get_augmented_melspectrogram_layer(
        **arguments, return_decibel=True, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
        output_data_format="channels_last", freq_mask_param=10, n_freq_mask=2, time_mask_param=10,
        n_time_mask=2, seed=4,
    )
    x = waveforms(4, 1, "channels_last")
    clean, augmented = np.asarray(frontend(x)), np.asarray(frontend(x, training=True))
    low, high = clean.min(axis=(1, 2, 3)), clean.max(axis=(1, 2, 3))
    assert np.all(high < 0.0), "premise: a 0 dB fill would be out of range"
    for b in range(len(x)):
        masked = augmented[b] != clean[b]
        assert masked.any()
        fill = augmented[b][masked]
        assert np.all((fill >= low[b]) & (fill <= high[b]))
        np.testing.assert_allclose(fill, clean[b].mean(), rtol=1e-5)  # the example's mean


class no_layers_yet:
    """Stands in for the module of DSP layers: any layer made from it fails the test."""

    def __init__(self, use_kapre):
        pass

    def __getattr__(self, name):
        raise AssertionError(f"a {name} layer was about to be built before the arguments were checked")


BAD_ARGUMENTS = [
    (dict(input_data_format="channels_middle"), ValueError, "input_data_format"),
    (dict(output_data_format="NHWC"), ValueError, "output_data_format"),
    (dict(output_data_format=None), ValueError, "output_data_format"),
    (dict(policy="XL"), ValueError, "policy"),
    (dict(freq_mask_param=-1), ValueError, "freq_mask_param"),
    (dict(time_mask_param=2.5), TypeError, "time_mask_param"),
    (dict(n_time_mask="2"), TypeError, "n_time_mask"),
    (dict(mask_value="median"), ValueError, "mask_value"),
    (dict(time_mask_ratio=0.0), ValueError, "time_mask_ratio"),
    (dict(time_warp_param=-3), ValueError, "time_warp_param"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(n_fft=0), ValueError, "n_fft"),
    (dict(hop_length=64.0), TypeError, "hop_length"),
    (dict(return_decibel=True, db_amin=0.0), ValueError, "db_amin"),
    (dict(name=3), TypeError, "name"),
    (dict(use_kapre="yes"), TypeError, "use_kapre"),
]


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("bad, error, argument", BAD_ARGUMENTS, ids=[a for _, _, a in BAD_ARGUMENTS])
def test_bad_arguments_fail_before_any_layer_is_built(kind, bad, error, argument, monkeypatch):
    ours, _, arguments, _ = BUILDERS[kind]

    monkeypatch.setattr(assembly, "dsp_layers", no_layers_yet)
    with pytest.raises(error, match=f"`{argument}`"):
        ours(**dict(arguments, **bad))


def test_bad_frequency_arguments_name_the_argument():
    with pytest.raises(ValueError, match="`n_mels`"):
        get_augmented_melspectrogram_layer(n_mels=0)
    with pytest.raises(TypeError, match="`log_n_bins`"):
        get_augmented_log_frequency_spectrogram_layer(log_n_bins=84.0)


# Each bad DSP argument -> (builders it applies to, the arguments, error, text the message must contain:
# the argument and its value). kapre/librosa would fail late or with foreign messages on each.
ALL = tuple(sorted(BUILDERS))
BAD_DSP_ARGUMENTS = [
    (ALL, dict(n_fft=1), ValueError, "n_fft=1"),
    (ALL, dict(n_fft=3, hop_length=None), ValueError, "hop_length=None"),  # default 3 // 4 == 0
    (ALL, dict(win_length=0), ValueError, "win_length=0"),
    (ALL, dict(win_length=1024), ValueError, "win_length=1024"),  # > n_fft
    (ALL, dict(hop_length=0), ValueError, "hop_length=0"),
    (ALL, dict(hop_length=4096), ValueError, "hop_length=4096"),  # > n_fft: pad_begin would be negative
    (ALL, dict(window_name=5), TypeError, "window_name=5"),
    (ALL, dict(window_name="hann"), ValueError, "window_name='hann'"),
    (ALL, dict(input_shape=8000), ValueError, "input_shape=8000"),
    (ALL, dict(input_shape=(8000,)), ValueError, "input_shape=(8000,)"),
    (ALL, dict(input_shape=(1, 8000, 1)), ValueError, "input_shape=(1, 8000, 1)"),
    (ALL, dict(input_shape=(8000.0, 1)), ValueError, "input_shape=(8000.0, 1)"),
    (ALL, dict(input_shape=(8000, None)), ValueError, "input_shape=(8000, None)"),  # only the time may be None
    (ALL, dict(input_shape=(100, 1), input_data_format="channels_last"), ValueError, "input_shape=(100, 1)"),
    (ALL, dict(return_decibel="no"), TypeError, "return_decibel='no'"),
    (ALL, dict(pad_begin="yes"), TypeError, "pad_begin='yes'"),
    (ALL, dict(pad_end=1), TypeError, "pad_end=1"),
    (ALL, dict(return_decibel=True, db_ref_value=0), ValueError, "db_ref_value=0.0"),
    (ALL, dict(return_decibel=True, db_dynamic_range=-1.0), ValueError, "db_dynamic_range=-1.0"),
    (("mel", "log"), dict(sample_rate=0), ValueError, "sample_rate=0.0"),
    (("mel", "log"), dict(sample_rate=-16000), ValueError, "sample_rate=-16000.0"),
    (("mel", "log"), dict(sample_rate="16k"), TypeError, "sample_rate='16k'"),
    (("mel",), dict(n_mels=300), ValueError, "n_mels=300"),  # > 512 // 2 + 1
    (("mel",), dict(mel_f_max=8001.0), ValueError, "mel_f_max=8001.0"),  # above Nyquist of 16 kHz
    (("mel",), dict(mel_f_min=-1.0), ValueError, "mel_f_min=-1.0"),
    (("mel",), dict(mel_f_min=4000.0, mel_f_max=4000.0), ValueError, "mel_f_min=4000.0"),
    (("mel",), dict(mel_norm="bogus"), ValueError, "mel_norm='bogus'"),
    (("mel",), dict(mel_norm=-1), ValueError, "mel_norm=-1"),
    (("mel",), dict(mel_htk="yes"), TypeError, "mel_htk='yes'"),
    (("log",), dict(log_bins_per_octave=0), ValueError, "log_bins_per_octave=0"),
    (("log",), dict(log_f_min=-5.0), ValueError, "log_f_min=-5.0"),
    (("log",), dict(log_f_min=0.0), ValueError, "log_f_min=0.0"),
    (("log",), dict(log_f_min=11025.0), ValueError, "log_f_min=11025.0"),  # at Nyquist
    (("log",), dict(log_spread=0.0), ValueError, "log_spread=0.0"),
    (("log",), dict(log_n_bins=120), ValueError, "log_n_bins=120"),  # top bin ~33 kHz above Nyquist
]
BAD_DSP_CASES = [
    pytest.param(kind, bad, error, text, id=f"{kind}-{text}")
    for kinds, bad, error, text in BAD_DSP_ARGUMENTS
    for kind in kinds
]


@pytest.mark.parametrize("kind, bad, error, text", BAD_DSP_CASES)
def test_bad_dsp_arguments_name_the_argument_and_value(kind, bad, error, text, monkeypatch):
    ours, _, arguments, _ = BUILDERS[kind]

    monkeypatch.setattr(assembly, "dsp_layers", no_layers_yet)
    argument = text.split("=")[0]
    with pytest.raises(error, match=f"`{argument}`") as raised:
        ours(**dict(arguments, **bad))
    assert text in str(raised.value)


@pytest.mark.filterwarnings("ignore:Empty filters detected:UserWarning")  # n_mels = n_fft // 2 + 1 on purpose
def test_good_edge_arguments_build():
    """The bounds above are tight: the values just inside them build and run."""
    x = waveforms(1, 1, "channels_last")
    cases = [
        (get_augmented_stft_magnitude_layer, dict(n_fft=4, hop_length=None)),  # default hop 1
        (get_augmented_stft_magnitude_layer, dict(n_fft=256, win_length=256, hop_length=256, pad_begin=True)),
        (get_augmented_melspectrogram_layer, dict(n_fft=64, n_mels=33, sample_rate=16000.0, mel_f_max=8000.0,
                                                  mel_norm=float("inf"), window_name="hamming_window")),
        (get_augmented_melspectrogram_layer, dict(n_fft=512, sample_rate=16000, mel_norm=None, mel_htk=True)),
        (get_augmented_log_frequency_spectrogram_layer, dict(n_fft=512, sample_rate=22050, log_n_bins=96)),
    ]
    for builder, arguments in cases:
        frontend = builder(**arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
                           output_data_format="channels_last", seed=0)
        assert np.all(np.isfinite(np.asarray(frontend(x, training=True))))


def test_padded_batches_through_the_frontend():
    """`lengths` (valid samples) through the one-line frontend: masks stay in each example's valid frames."""
    _, _, arguments, _ = BUILDERS["mel"]
    frontend = get_augmented_melspectrogram_layer(
        **arguments, input_shape=(N_SAMPLES, 1), input_data_format="channels_last",
        output_data_format="channels_last", time_mask_param=10, n_time_mask=3, mask_value=MASK_VALUE, seed=5,
    )
    x = waveforms(4, 1, "channels_last")
    spectrogram = np.asarray(frontend(x))
    sample_lengths = np.array([6, 12, 20, 29]) * 128  # hop 128: 6, 12, 20 and 29 (all) valid frames
    lengths = np.asarray(frontend.frame_lengths(sample_lengths))
    np.testing.assert_array_equal(lengths, [6, 12, 20, 29])
    augmented = np.asarray(frontend(x, training=True, lengths=sample_lengths))
    for b, length in enumerate(lengths):
        np.testing.assert_array_equal(augmented[b, length:], spectrogram[b, length:])  # padding untouched
        assert (augmented[b, :length] == MASK_VALUE).any()


@pytest.mark.tensorflow_only("saves a frontend of kapre layers, which only TensorFlow can make")
def test_on_another_backend_the_builders_make_our_layers_and_kapre_ones_raise_one_clear_error(tmp_path):
    """KERAS_BACKEND=jax: the builders make frontends of the package's layers without importing kapre;
    asking for kapre's layers, or loading a frontend of them, says it needs TensorFlow, with one error class."""
    saved = tmp_path / "frontend.keras"
    frontend = get_augmented_stft_magnitude_layer(input_shape=(1024, 1), n_fft=256, seed=0)
    assert is_kapre(frontend.layers[0])
    keras.Sequential([frontend, keras.layers.Dense(2)]).save(saved)
    script = textwrap.dedent(
        f"""
        import sys
        import keras
        import spec_augment
        import spec_augment.composed as composed
        assert keras.backend.backend() == "jax"
        for builder in (composed.get_augmented_stft_magnitude_layer, composed.get_augmented_melspectrogram_layer,
                        composed.get_augmented_log_frequency_spectrogram_layer):
            frontend = builder(input_shape=(1024, 1), n_fft=512)
            assert type(frontend.layers[0]).__module__ == "spec_augment.time_frequency", frontend.layers
        for make in (lambda: composed.get_augmented_melspectrogram_layer(n_fft=512, use_kapre=True),
                     lambda: keras.saving.load_model({str(saved)!r})):
            try:
                make()
            except spec_augment.TensorFlowBackendRequiredError as error:  # one class for every TF-only feature
                assert isinstance(error, RuntimeError)
                assert composed.TensorFlowBackendRequiredError is spec_augment.TensorFlowBackendRequiredError
                print("|", error)
            else:
                raise AssertionError("made kapre layers on JAX")
        assert "kapre" not in sys.modules and "tensorflow" not in sys.modules
        """
    )
    environment = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "TensorFlow backend" in line and "kapre's layers are TensorFlow-only" in line and "'jax'" in line
        assert "use_kapre=False" in line and "docs/backends.md" in line


# ------------------------------------------------------------------------------ awkward audio
@pytest.mark.parametrize("use_kapre", [False] + ([True] if BACKEND == "tensorflow" else []))
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_awkward_audio_gives_defined_outputs_and_never_crashes_a_training_step(kind, use_kapre):
    """Audio shorter than one frame, silence, NaN/inf samples and `lengths` of 0, augmented with every option:
    defined outputs (documented in docs/frontends.md), no crash, on every backend."""
    ours, _, arguments, n_bins = BUILDERS[kind]
    frontend = ours(**arguments, input_shape=(None, 1), input_data_format="channels_last", use_kapre=use_kapre,
                    output_data_format="channels_last", return_decibel=True, policy="LD", time_warp_param=3, seed=0)
    n_fft = arguments["n_fft"]
    short = np.ones((2, n_fft - 1, 1), "float32")  # shorter than one frame: no frame at all
    out = np.asarray(frontend(short, training=True, lengths=np.array([0, n_fft - 1])))
    assert out.shape == (2, 0, n_bins, 1)

    x = waveforms(4, 1, "channels_last")
    x[0] = 0.0  # silence
    x[1, 100] = np.nan
    x[2, 200] = np.inf
    lengths = np.array([N_SAMPLES, N_SAMPLES, N_SAMPLES, 0])  # no valid sample: no valid frame
    clean = np.asarray(frontend(x))
    augmented = np.asarray(frontend(x, training=True, lengths=lengths))
    assert augmented.shape == clean.shape
    # Silence: every cell 10 log10(amin) - 10 log10(max(amin, ref)) = -50 dB on the defaults, masks or not.
    np.testing.assert_allclose(clean[0], -50.0, atol=1e-4)
    np.testing.assert_allclose(augmented[0], -50.0, atol=1e-4)
    np.testing.assert_array_equal(augmented[3], clean[3])  # lengths 0: nothing is augmented
    if use_kapre:
        return  # kapre's decibels make a whole example NaN for one non-finite sample
    # Ours: a non-finite sample spoils only the frames that hold it (NaN in decibels); the rest stays finite.
    for b in (1, 2):
        frames_nan = np.isnan(clean[b]).all(axis=(1, 2))
        assert 0 < frames_nan.sum() < clean.shape[1] and np.isfinite(clean[b][~frames_nan]).all()
    # The warp may carry a spoiled frame elsewhere, but the fill is each example's mean over its finite cells.
    for b in (1, 2):
        assert np.isfinite(augmented[b]).any()
