"""spec_augment.time_frequency, windows and filterbanks: kapre's numbers on every backend.

On TensorFlow the layers, and the float64 numpy reference in tests/dsp_reference.py, are compared with
kapre's own layers; on every backend the layers are compared with that reference. Tolerances: linear
magnitudes within 1e-5 of each example's peak, decibels within 0.01 dB.
"""

import doctest

import keras
import numpy as np
import pytest

import dsp_reference as reference
from conftest import BACKEND
from spec_augment import filterbanks, time_frequency, windows
from spec_augment.time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel

LINEAR_TOLERANCE = 1e-5  # of each example's peak
DB_TOLERANCE = 0.01  # decibels
N_SAMPLES = 6001
DFTS = ("fft", "matmul")


def audio(batch, n_samples, channels, data_format, seed=0):
    """Tones plus noise, a different mix and level per example and channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / 16000.0
    x = np.zeros((batch, n_samples, channels))
    for b in range(batch):
        for c in range(channels):
            for _ in range(3):
                x[b, :, c] += rng.uniform(0.1, 0.5) * np.sin(2 * np.pi * rng.uniform(60, 7000) * t + rng.uniform(0, 6))
            x[b, :, c] += 0.05 * rng.normal(size=n_samples)
        x[b] *= (0.1, 1.0, 3.0)[b % 3]
    if data_format == "channels_first":
        x = np.transpose(x, (0, 2, 1))
    return x.astype("float32")


def example_peak(array):
    array = np.abs(np.asarray(array))
    return np.nanmax(array.reshape(len(array), -1), axis=1)


def assert_linear_close(ours, expected, tolerance=LINEAR_TOLERANCE):
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.shape == expected.shape
    error = np.abs(ours - expected).reshape(len(ours), -1).max(axis=1)
    assert np.all(error <= tolerance * example_peak(expected)), (error / example_peak(expected)).max()


def assert_db_close(ours, expected, tolerance=DB_TOLERANCE, magnitude=None):
    """Within ``tolerance`` dB, NaN in the same cells.

    With ``magnitude`` (the linear values, for an STFT without filterbank) only the cells above 1e-3 of
    the example's peak count: below it a float32 FFT's rounding (a few 1e-7 of the peak, different in each
    FFT library) is more than 0.01 dB of the cell, so those cells are checked in linear terms instead.
    """
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    error = np.abs(ours - expected)
    if magnitude is not None:
        magnitude = np.asarray(magnitude)
        peak = example_peak(magnitude).reshape((-1,) + (1,) * (magnitude.ndim - 1))
        error = np.where(magnitude >= 1e-3 * peak, error, 0.0)
    assert np.nanmax(error, initial=0.0) <= tolerance, np.nanmax(error)


def as_complex(parts):
    parts = np.asarray(parts)
    return parts[..., 0] + 1j * parts[..., 1]


def formats(kwargs):
    return kwargs.get("input_data_format", "channels_last"), kwargs.get("output_data_format", "channels_last")


def with_formats(kwargs):
    return dict(kwargs, input_data_format=formats(kwargs)[0], output_data_format=formats(kwargs)[1])


def run_layers(layers, x):
    for layer in layers:
        x = layer(x)
    return np.asarray(x)


# (id, STFT arguments, channels): n_fft even and odd, win_length < n_fft, hops that do not divide the
# frame (down to a gcd of 1), pad_begin, pad_end, every window, both data formats, several channels.
STFT_CASES = [
    ("512-hop128", dict(n_fft=512, hop_length=128), 1),
    ("odd511-win400-hop150-hamming-padbegin-cf", dict(
        n_fft=511, win_length=400, hop_length=150, window_name="hamming_window", pad_begin=True,
        input_data_format="channels_first", output_data_format="channels_first"), 2),
    ("256-win200-hop7-kaiser-padend-cl-to-cf", dict(
        n_fft=256, win_length=200, hop_length=7, window_name="kaiser_window", pad_end=True,
        output_data_format="channels_first"), 2),
    ("1024-hop300-vorbis-both-pads-cf-to-cl", dict(
        n_fft=1024, hop_length=300, window_name="vorbis_window", pad_begin=True, pad_end=True,
        input_data_format="channels_first"), 1),
    ("400-win256-hop100-kbd", dict(
        n_fft=400, win_length=256, hop_length=100, window_name="kaiser_bessel_derived_window"), 3),
    ("odd255-default-hop-hann-padend-cf", dict(
        n_fft=255, window_name="hann_window", pad_end=True, input_data_format="channels_first",
        output_data_format="channels_first"), 1),
    ("64-default-hop", dict(n_fft=64), 2),
    ("256-win100-hop150-hop-longer-than-frame", dict(n_fft=256, win_length=100, hop_length=150, pad_end=True), 1),
]

# (id, STFT arguments, channels, mel arguments, decibel arguments)
MEL_CASES = [
    ("512-80mels", dict(n_fft=512, hop_length=128), 1, dict(sample_rate=16000, n_mels=80), {}),
    ("odd511-htk-no-norm-fmin-fmax-floor", dict(n_fft=511, win_length=400, hop_length=150, pad_begin=True), 2,
     dict(sample_rate=16000, n_mels=64, htk=True, norm=None, f_min=50.0, f_max=7000.0),
     dict(ref_value=2.0, amin=1e-4, dynamic_range=40.0)),
    ("1024-norm1-cf", dict(n_fft=1024, hop_length=256, input_data_format="channels_first",
                           output_data_format="channels_first"), 1,
     dict(sample_rate=22050, n_mels=128, norm=1), {}),
    ("256-norm-inf-fmin-cl-to-cf", dict(n_fft=256, hop_length=64, output_data_format="channels_first"), 2,
     dict(sample_rate=8000, n_mels=40, norm=np.inf, f_min=100.0), dict(dynamic_range=30.0)),
    ("400-win300-hamming-norm2-htk-padend", dict(n_fft=400, win_length=300, hop_length=100,
                                                window_name="hamming_window", pad_end=True), 3,
     dict(sample_rate=16000, n_mels=40, norm=2.0, htk=True, f_max=8000.0), {}),
    ("2048-kaiser-44k", dict(n_fft=2048, hop_length=512, window_name="kaiser_window"), 1,
     dict(sample_rate=44100, n_mels=128), dict(ref_value=0.5)),
    ("odd255-vorbis-norm1.5", dict(n_fft=255, hop_length=64, window_name="vorbis_window"), 1,
     dict(sample_rate=16000, n_mels=20, norm=1.5), {}),
]

# (id, STFT arguments, channels, log-filterbank arguments, decibel arguments)
LOG_CASES = [
    ("512-60bins", dict(n_fft=512, hop_length=128), 1, dict(sample_rate=16000, n_bins=60), {}),
    ("1024-84bins-22k", dict(n_fft=1024, hop_length=256), 1, dict(sample_rate=22050, n_bins=84), {}),
    ("odd511-24bpo-fmin-spread", dict(n_fft=511, hop_length=100), 2,
     dict(sample_rate=16000, n_bins=48, bins_per_octave=24, f_min=100.0, spread=0.25), dict(dynamic_range=50.0)),
    ("2048-96bins-44k", dict(n_fft=2048, hop_length=512), 1, dict(sample_rate=44100, n_bins=96), {}),
    ("256-3bpo-cf", dict(n_fft=256, hop_length=64, input_data_format="channels_first",
                         output_data_format="channels_first"), 2,
     dict(sample_rate=8000, n_bins=18, bins_per_octave=3, f_min=60.0, spread=1.0), {}),
    ("400-win320-hamming-padbegin-cl-to-cf", dict(n_fft=400, win_length=320, hop_length=160,
                                                 window_name="hamming_window", pad_begin=True,
                                                 output_data_format="channels_first"), 1,
     dict(sample_rate=16000, n_bins=72, f_min=40.0, spread=0.5), dict(amin=1e-3)),
]


def case_ids(cases):
    return [case[0] for case in cases]


def stft_input(kwargs, channels, n_samples=N_SAMPLES, seed=0):
    return audio(2, n_samples, channels, formats(kwargs)[0], seed)


def our_chain(stft_kwargs, kind=None, filterbank_kwargs=None, decibel_kwargs=None, dft="fft"):
    stft_kwargs = with_formats(stft_kwargs)
    layers = [STFT(**stft_kwargs, dft=dft), Magnitude()]
    if kind is not None:
        layers.append(ApplyFilterbank(kind, filterbank_kwargs, data_format=stft_kwargs["output_data_format"]))
    if decibel_kwargs is not None:
        layers.append(MagnitudeToDecibel(**decibel_kwargs))
    return layers


def kapre_chain(stft_kwargs, kind=None, filterbank_kwargs=None, decibel_kwargs=None):
    from kapre import time_frequency as kapre_tf

    stft_kwargs = with_formats(stft_kwargs)
    layers = [kapre_tf.STFT(**stft_kwargs), kapre_tf.Magnitude()]
    if kind is not None:
        layers.append(kapre_tf.ApplyFilterbank(kind, filterbank_kwargs, data_format=stft_kwargs["output_data_format"]))
    if decibel_kwargs is not None:
        layers.append(kapre_tf.MagnitudeToDecibel(**decibel_kwargs))
    return layers


def full_filterbank_kwargs(stft_kwargs, filterbank_kwargs):
    return dict(filterbank_kwargs, n_freq=stft_kwargs["n_fft"] // 2 + 1)


# --- windows and filterbanks ----------------------------------------------------------------------------


@pytest.mark.tensorflow_only("the reference is tf.signal")
@pytest.mark.parametrize("name", (None,) + windows.WINDOW_NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_equal_tf_signal(name, dtype):
    import tensorflow as tf
    from kapre.backend import get_window_fn

    for length in (1, 2, 3, 4, 7, 64, 255, 256, 400, 511, 512, 2048):
        if name == "kaiser_bessel_derived_window" and length % 2:
            continue
        expected = get_window_fn(name)(length, dtype=getattr(tf, dtype)).numpy()
        ours = windows.window(name, length, dtype)
        assert ours.dtype == expected.dtype and ours.shape == expected.shape
        # The same arithmetic; the transcendental functions may differ in the last bits.
        np.testing.assert_allclose(ours, expected, rtol=0, atol=4 * np.finfo(dtype).eps, err_msg=f"{name} {length}")


def test_window_rejects_bad_arguments():
    with pytest.raises(ValueError, match="window_name='hann'"):
        windows.window("hann", 4)
    with pytest.raises(ValueError, match="length=0"):
        windows.window(None, 0)
    with pytest.raises(ValueError, match="dtype='float16'"):
        windows.window(None, 4, "float16")


@pytest.mark.filterwarnings("ignore:Empty filters detected:UserWarning")
def test_mel_filterbank_equals_librosa():
    import librosa
    for sample_rate in (8000, 16000, 22050.0):
        for n_fft in (63, 256, 511, 512, 1024):
            for htk in (False, True):
                for norm in ("slaney", None, 1, 2.0, 1.5, np.inf):
                    for f_min, f_max in ((0.0, None), (30.0, 3000.0), (100.0, sample_rate / 2)):
                        n_mels = min(40, n_fft // 2 + 1)
                        expected = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min,
                                                       fmax=f_max, htk=htk, norm=norm).T
                        ours = filterbanks.mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max, htk, norm)
                        assert ours.dtype == expected.dtype and ours.shape == expected.shape
                        np.testing.assert_array_equal(ours, expected)


@pytest.mark.tensorflow_only("the reference is kapre.backend.filterbank_log")
def test_log_filterbank_equals_kapre():
    from kapre.backend import filterbank_log

    for sample_rate in (8000, 16000, 22050, 44100):
        for n_freq in (129, 256, 257, 513, 1025):
            for n_bins, per_octave, f_min, spread in ((60, 12, None, 0.125), (48, 24, 100.0, 0.25),
                                                      (12, 3, 60.0, 1.0)):
                expected = filterbank_log(sample_rate, n_freq, n_bins, per_octave, f_min, spread).numpy()
                ours = filterbanks.log_frequency_filterbank(sample_rate, n_freq, n_bins, per_octave, f_min, spread)
                assert ours.dtype == expected.dtype
                np.testing.assert_array_equal(ours, expected)


def test_odd_n_fft_filterbank_is_kapres():
    """kapre builds the mel matrix for n_fft = 2 * (n_freq - 1): 510, not 511, for an STFT of 511."""
    layer = ApplyFilterbank("mel", dict(sample_rate=16000, n_freq=256, n_mels=40))
    np.testing.assert_array_equal(layer.filterbank, filterbanks.mel_filterbank(16000, 510, 40))
    true_511 = filterbanks.mel_filterbank(16000, 511, 40)
    assert true_511.shape == layer.filterbank.shape == (256, 40)
    # Not the same matrix (bin k sits at k * 16000 / 510 Hz instead of k * 16000 / 511 Hz).
    assert np.abs(true_511 - layer.filterbank).max() > 1e-4


@pytest.mark.tensorflow_only("the reference is kapre's ApplyFilterbank")
@pytest.mark.parametrize("n_fft", [511, 512, 255])
def test_filterbank_layer_matrix_equals_kapres(n_fft):
    from kapre import time_frequency as kapre_tf

    n_freq = n_fft // 2 + 1
    for kind, kwargs in (("mel", dict(sample_rate=16000, n_freq=n_freq, n_mels=40)),
                         ("log", dict(sample_rate=16000, n_freq=n_freq, n_bins=48))):
        expected = kapre_tf.ApplyFilterbank(kind, kwargs).filterbank.numpy()
        np.testing.assert_array_equal(ApplyFilterbank(kind, kwargs).filterbank, expected)


# --- equality with kapre (TensorFlow) -------------------------------------------------------------------


@pytest.mark.tensorflow_only("the reference is kapre")
@pytest.mark.parametrize("case_id, stft_kwargs, channels", STFT_CASES, ids=case_ids(STFT_CASES))
def test_stft_equals_kapre(case_id, stft_kwargs, channels):
    from kapre import time_frequency as kapre_tf

    x = stft_input(stft_kwargs, channels)
    expected = kapre_tf.STFT(**with_formats(stft_kwargs))(x).numpy()
    assert_linear_close(reference.stft(x, **with_formats(stft_kwargs)), expected)
    for dft in DFTS:
        ours = STFT(**with_formats(stft_kwargs), dft=dft)(x)
        assert tuple(ours.shape) == expected.shape + (2,)
        assert_linear_close(as_complex(ours), expected)


@pytest.mark.tensorflow_only("the reference is kapre")
@pytest.mark.parametrize("case_id, stft_kwargs, channels", STFT_CASES, ids=case_ids(STFT_CASES))
def test_magnitude_and_decibel_equal_kapre(case_id, stft_kwargs, channels):
    x = stft_input(stft_kwargs, channels)
    expected = run_layers(kapre_chain(stft_kwargs), x)
    expected_db = run_layers(kapre_chain(stft_kwargs, decibel_kwargs={}), x)
    assert_linear_close(reference.chain(x, with_formats(stft_kwargs)), expected)
    assert_db_close(reference.chain(x, with_formats(stft_kwargs), decibel_kwargs={}), expected_db,
                    magnitude=expected)
    for dft in DFTS:
        assert_linear_close(run_layers(our_chain(stft_kwargs, dft=dft), x), expected)
        assert_db_close(run_layers(our_chain(stft_kwargs, decibel_kwargs={}, dft=dft), x), expected_db,
                        magnitude=expected)


def filterbank_cases(kind, cases):
    return [pytest.param(kind, *case[1:], id=f"{kind}-{case[0]}") for case in cases]


FILTERBANK_CASES = filterbank_cases("mel", MEL_CASES) + filterbank_cases("log", LOG_CASES)


@pytest.mark.tensorflow_only("the reference is kapre")
@pytest.mark.parametrize("kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs", FILTERBANK_CASES)
def test_chain_equals_kapre(kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs):
    x = stft_input(stft_kwargs, channels)
    bank = full_filterbank_kwargs(stft_kwargs, filterbank_kwargs)
    expected = run_layers(kapre_chain(stft_kwargs, kind, bank), x)
    expected_db = run_layers(kapre_chain(stft_kwargs, kind, bank, decibel_kwargs), x)
    assert_linear_close(reference.chain(x, with_formats(stft_kwargs), bank, kind), expected)
    assert_db_close(reference.chain(x, with_formats(stft_kwargs), bank, kind, decibel_kwargs), expected_db)
    for dft in DFTS:
        assert_linear_close(run_layers(our_chain(stft_kwargs, kind, bank, dft=dft), x), expected)
        assert_db_close(run_layers(our_chain(stft_kwargs, kind, bank, decibel_kwargs, dft=dft), x), expected_db)


# --- equality with the reference (every backend) --------------------------------------------------------


@pytest.mark.parametrize("case_id, stft_kwargs, channels", STFT_CASES, ids=case_ids(STFT_CASES))
@pytest.mark.parametrize("dft", DFTS)
def test_stft_equals_reference(case_id, stft_kwargs, channels, dft):
    x = stft_input(stft_kwargs, channels, seed=1)
    expected = reference.stft(x, **with_formats(stft_kwargs))
    ours = STFT(**with_formats(stft_kwargs), dft=dft)(x)
    assert keras.backend.standardize_dtype(ours.dtype) == "float32"
    assert_linear_close(as_complex(ours), expected)
    assert_linear_close(run_layers(our_chain(stft_kwargs, dft=dft), x), np.abs(expected))


@pytest.mark.parametrize("kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs", FILTERBANK_CASES)
@pytest.mark.parametrize("dft", DFTS)
def test_chain_equals_reference(kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs, dft):
    x = stft_input(stft_kwargs, channels, seed=2)
    bank = full_filterbank_kwargs(stft_kwargs, filterbank_kwargs)
    expected = reference.chain(x, with_formats(stft_kwargs), bank, kind)
    expected_db = reference.chain(x, with_formats(stft_kwargs), bank, kind, decibel_kwargs)
    assert_linear_close(run_layers(our_chain(stft_kwargs, kind, bank, dft=dft), x), expected)
    ours_db = run_layers(our_chain(stft_kwargs, kind, bank, decibel_kwargs, dft=dft), x)
    assert keras.backend.standardize_dtype(ours_db.dtype) == "float32"
    assert_db_close(ours_db, expected_db)


@pytest.mark.parametrize("kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs",
                         FILTERBANK_CASES[:2] + FILTERBANK_CASES[-2:])
def test_matmul_dft_equals_fft(kind, stft_kwargs, channels, filterbank_kwargs, decibel_kwargs):
    x = stft_input(stft_kwargs, channels, seed=3)
    bank = full_filterbank_kwargs(stft_kwargs, filterbank_kwargs)
    spectra = [STFT(**with_formats(stft_kwargs), dft=dft)(x) for dft in DFTS]
    assert_linear_close(as_complex(spectra[1]), as_complex(spectra[0]))
    decibels = [run_layers(our_chain(stft_kwargs, kind, bank, decibel_kwargs, dft=dft), x) for dft in DFTS]
    assert_db_close(decibels[1], decibels[0])


# --- dtypes ---------------------------------------------------------------------------------------------


def float64_available():
    if BACKEND != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


@pytest.mark.parametrize("dft", DFTS)
def test_float64_is_computed_in_float64(dft):
    if not float64_available():
        pytest.skip("JAX without jax_enable_x64 has no float64 arrays")
    stft_kwargs = dict(n_fft=511, win_length=400, hop_length=150, pad_begin=True)
    x = stft_input(stft_kwargs, 2).astype("float64") * np.pi  # digits float32 cannot hold
    bank = dict(sample_rate=16000, n_freq=256, n_mels=40)
    # A float64 tensor (PyTorch's Keras converts float64 numpy arrays to float32 tensors).
    x64 = keras.ops.convert_to_tensor(x, dtype="float64")
    spectra = STFT(**with_formats(stft_kwargs), dft=dft)(x64)
    assert keras.backend.standardize_dtype(spectra.dtype) == "float64"
    expected = reference.stft(x, **with_formats(stft_kwargs), window_dtype="float64")
    assert_linear_close(as_complex(spectra), expected, tolerance=1e-12)
    out = run_layers(our_chain(stft_kwargs, "mel", bank, {}, dft=dft), x64)
    assert out.dtype == np.float64
    mel64 = filterbanks.mel_filterbank(16000, 510, 40, dtype="float64")
    expected_db = reference.decibel(reference.apply_filterbank(np.abs(expected), mel64, "channels_last"))
    assert np.abs(out - expected_db).max() < 1e-9


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_input_is_computed_in_float32(dtype):
    stft_kwargs = dict(n_fft=256, hop_length=64)
    bank = dict(sample_rate=16000, n_freq=129, n_mels=40)
    x = stft_input(stft_kwargs, 1)
    half = keras.ops.cast(keras.ops.convert_to_tensor(x), dtype)
    widened = np.asarray(keras.ops.cast(half, "float32"))
    for layers in (our_chain(stft_kwargs), our_chain(stft_kwargs, "mel", bank, {})):
        out = run_layers(layers, half)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, run_layers(layers, widened))


def test_mixed_precision_policy_keeps_the_dsp_in_float32(mixed_float16):
    stft_kwargs = dict(n_fft=256, hop_length=64)
    bank = dict(sample_rate=16000, n_freq=129, n_mels=40)
    x = stft_input(stft_kwargs, 1)
    layers = our_chain(stft_kwargs, "mel", bank, {})
    out = run_layers(layers, x)
    assert out.dtype == np.float32
    assert_db_close(out, reference.chain(x, with_formats(stft_kwargs), bank, "mel", {}))


# --- Keras integration ----------------------------------------------------------------------------------


def chain_model(time=N_SAMPLES, dft="fft", data_format="channels_last"):
    stft_kwargs = dict(n_fft=256, hop_length=64, input_data_format=data_format, output_data_format=data_format)
    shape = (time, 2) if data_format == "channels_last" else (2, time)
    return keras.Sequential([
        keras.Input(shape),
        *our_chain(stft_kwargs, "mel", dict(sample_rate=16000, n_freq=129, n_mels=32, norm=np.inf, htk=True),
                   dict(dynamic_range=60.0), dft=dft),
    ])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_configs_round_trip(data_format):
    for layer in chain_model(data_format=data_format).layers:
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
    stft = STFT(n_fft=300, input_data_format="default", output_data_format="default", dft="matmul")
    config = stft.get_config()
    # Resolved formats and lengths are stored, so a clone does not follow a later image_data_format change.
    assert config["input_data_format"] == config["output_data_format"] == keras.config.image_data_format()
    assert (config["win_length"], config["hop_length"], config["dft"]) == (300, 75, "matmul")


@pytest.mark.parametrize("dft", DFTS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_keras_file_round_trip(tmp_path, dft, data_format):
    model = chain_model(dft=dft, data_format=data_format)
    x = audio(2, N_SAMPLES, 2, data_format)
    path = tmp_path / "chain.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_compiled_predict_equals_eager():
    """Under XLA (TensorFlow), jax.jit (JAX) or eager PyTorch the numbers are the same."""
    for dft in DFTS:
        model = chain_model(dft=dft)
        x = audio(3, N_SAMPLES, 2, "channels_last")
        eager = np.asarray(model(x))
        model.compile(jit_compile=BACKEND != "torch")
        assert_db_close(model.predict(x, batch_size=3, verbose=0), eager, tolerance=1e-3)
        assert model.output_shape == (None, (N_SAMPLES - 256) // 64 + 1, 32, 2)


def test_fit_with_the_frontend_in_the_model():
    model = keras.Sequential([
        *chain_model(time=None).layers,
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = audio(4, 4000, 2, "channels_last")
    history = model.fit(x, np.array([0, 1, 0, 1]), epochs=2, batch_size=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_variable_length_input_shapes():
    model = chain_model(time=None)
    assert model.output_shape == (None, None, 32, 2)
    for n_samples in (256, 1000, 3001):
        assert np.asarray(model(audio(1, n_samples, 2, "channels_last"))).shape == (1, (n_samples - 256) // 64 + 1,
                                                                                     32, 2)
    model.compile(jit_compile=BACKEND != "torch")  # TensorFlow traces the time as unknown here
    for n_samples in (100, 256, 1000):
        assert model.predict(audio(1, n_samples, 2, "channels_last"), verbose=0).shape == (
            1, max(0, (n_samples - 256) // 64 + 1), 32, 2)
    # A hop longer than the frame, no frame at all, the time unknown when traced.
    sparse = keras.Sequential([keras.Input((None, 1)), STFT(n_fft=256, win_length=100, hop_length=150,
                                                            input_data_format="channels_last")])
    sparse.compile(jit_compile=BACKEND != "torch")
    for n_samples in (37, 99, 100, 251):
        assert sparse.predict(np.ones((1, n_samples, 1), "float32"), verbose=0).shape[1] == max(
            0, (n_samples - 100) // 150 + 1)
    stft = STFT(n_fft=512, hop_length=100, pad_begin=True, pad_end=True, input_data_format="channels_first",
                output_data_format="channels_first")
    assert stft.compute_output_shape((None, 3, None)) == (None, 3, None, 257, 2)
    assert stft.compute_output_shape((4, 3, 1000)) == (4, 3, 15, 257, 2)  # ceil((1000 + 412) / 100)


# --- edge cases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dft", DFTS)
def test_audio_shorter_than_one_frame_gives_no_frames(dft):
    x = audio(2, 100, 1, "channels_last")
    spectra = STFT(n_fft=512, hop_length=128, input_data_format="channels_last",
                   output_data_format="channels_last", dft=dft)(x)
    assert tuple(spectra.shape) == (2, 0, 257, 1, 2)
    out = run_layers(our_chain(dict(n_fft=512, hop_length=128), "mel", dict(sample_rate=16000, n_freq=257), {},
                               dft=dft), x)
    assert out.shape == (2, 0, 128, 1)
    # pad_end gives the short audio its frame.
    padded = run_layers(our_chain(dict(n_fft=512, hop_length=128, pad_end=True), dft=dft), x)
    assert padded.shape == (2, 1, 257, 1)


@pytest.mark.parametrize("dft", DFTS)
def test_silence_is_the_amin_floor(dft):
    x = np.zeros((2, 2000, 1), "float32")
    stft_kwargs = dict(n_fft=256, hop_length=64)
    spectra = np.asarray(STFT(**with_formats(stft_kwargs), dft=dft)(x))
    np.testing.assert_array_equal(spectra, 0.0)
    out = run_layers(our_chain(stft_kwargs, "mel", dict(sample_rate=16000, n_freq=129, n_mels=20), {}, dft=dft), x)
    np.testing.assert_allclose(out, -50.0, atol=1e-5)  # 10 * log10(1e-5)
    out = run_layers(our_chain(stft_kwargs, decibel_kwargs=dict(amin=1e-3, ref_value=1e-4)), x)
    np.testing.assert_allclose(out, 0.0, atol=1e-5)  # amin is both the value and the reference


@pytest.mark.tensorflow_only("the reference is kapre")
def test_silence_equals_kapre():
    x = np.zeros((2, 2000, 1), "float32")
    stft_kwargs = dict(n_fft=256, hop_length=64)
    bank = dict(sample_rate=16000, n_freq=129, n_mels=20)
    assert_db_close(run_layers(our_chain(stft_kwargs, "mel", bank, {}), x),
                    run_layers(kapre_chain(stft_kwargs, "mel", bank, {}), x))


@pytest.mark.parametrize("dft", DFTS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_make_their_frames_nan(dft, bad):
    stft_kwargs = dict(n_fft=256, hop_length=64)
    bank = dict(sample_rate=16000, n_freq=129, n_mels=40)
    x = audio(2, 3000, 1, "channels_last")
    x[0, 1000, 0] = bad
    frames_with_it = [f for f in range((3000 - 256) // 64 + 1) if f * 64 <= 1000 < f * 64 + 256]
    out = run_layers(our_chain(stft_kwargs, "mel", bank, {}, dft=dft), x)
    expected = reference.chain(x, with_formats(stft_kwargs), bank, "mel", {})
    assert np.isnan(out[0, frames_with_it]).all()
    assert not np.isnan(np.delete(out[0], frames_with_it, axis=0)).any()
    assert_db_close(out, expected)  # NaN in the same cells, the rest equal (the floor ignores NaN)
    clean = x.copy()
    clean[0, 1000, 0] = 0.0
    np.testing.assert_array_equal(out[1], run_layers(our_chain(stft_kwargs, "mel", bank, {}, dft=dft), clean)[1])
    magnitude = run_layers(our_chain(stft_kwargs, dft=dft), x)
    assert not np.isfinite(magnitude[0, frames_with_it]).any()
    assert np.isfinite(np.delete(magnitude[0], frames_with_it, axis=0)).all()


def test_decibel_rules_for_non_finite_and_empty_examples():
    x = np.array([
        [1000.0, 1.0, 0.0, np.nan],  # NaN stays NaN; the peak is over the finite cells
        [np.inf, 10.0, 1.0, 0.0],  # +inf is NaN; the others are floored from the finite peak
        [np.nan, np.nan, np.nan, np.nan],  # no finite cell: no floor, all NaN
        [0.0, 0.0, 0.0, 0.0],  # silence: amin everywhere
    ], "float32")
    out = np.asarray(MagnitudeToDecibel(dynamic_range=15.0)(x))
    np.testing.assert_allclose(out[0], [30.0, 15.0, 15.0, np.nan], atol=1e-5)
    np.testing.assert_allclose(out[1], [np.nan, 10.0, 0.0, -5.0], atol=1e-5)
    assert np.isnan(out[2]).all()
    np.testing.assert_allclose(out[3], -50.0, atol=1e-5)
    np.testing.assert_allclose(out, reference.decibel(x, dynamic_range=15.0), atol=1e-5)
    # A 1-D input is one example, as in kapre.
    np.testing.assert_allclose(np.asarray(MagnitudeToDecibel(dynamic_range=10.0)(x[0, :3])), [30.0, 20.0, 20.0],
                               atol=1e-5)


# --- arguments ------------------------------------------------------------------------------------------

MEL = dict(sample_rate=16000, n_freq=257)
BAD_LAYER_ARGUMENTS = [
    (STFT, dict(n_fft=1), ValueError, "n_fft=1"),
    (STFT, dict(n_fft=3, hop_length=None), ValueError, "hop_length=None"),
    (STFT, dict(n_fft=512, win_length=0), ValueError, "win_length=0"),
    (STFT, dict(n_fft=512, win_length=1024), ValueError, "win_length=1024"),
    (STFT, dict(n_fft=512, hop_length=4096), ValueError, "hop_length=4096"),
    (STFT, dict(n_fft=512, hop_length=64.0), TypeError, "hop_length=64.0"),
    (STFT, dict(window_name=5), TypeError, "window_name=5"),
    (STFT, dict(window_name="hann"), ValueError, "window_name='hann'"),
    (STFT, dict(n_fft=512, win_length=401, window_name="kaiser_bessel_derived_window"), ValueError,
     "win_length=401"),
    (STFT, dict(pad_begin="yes"), TypeError, "pad_begin='yes'"),
    (STFT, dict(pad_end=1), TypeError, "pad_end=1"),
    (STFT, dict(input_data_format="NHWC"), ValueError, "input_data_format='NHWC'"),
    (STFT, dict(output_data_format=None), ValueError, "output_data_format=None"),
    (STFT, dict(dft="dct"), ValueError, "dft='dct'"),
    (ApplyFilterbank, dict(type="bark", filterbank_kwargs=MEL), ValueError, "type='bark'"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=[16000]), TypeError, "filterbank_kwargs=[16000]"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, fmax=8000)), TypeError, "['fmax']"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(sample_rate=16000)), TypeError, "['n_freq']"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, n_freq=1)), ValueError, "n_freq=1"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, sample_rate=0)), ValueError, "sample_rate=0.0"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, sample_rate="16k")), TypeError,
     "sample_rate='16k'"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, n_mels=300)), ValueError, "n_mels=300"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, f_max=8001.0)), ValueError, "f_max=8001.0"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, f_min=-1.0)), ValueError, "f_min=-1.0"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, f_min=4000.0, f_max=4000.0)), ValueError,
     "f_min=4000.0"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, norm="bogus")), ValueError, "norm='bogus'"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, norm=-1)), ValueError, "norm=-1"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=dict(MEL, htk="yes")), TypeError, "htk='yes'"),
    (ApplyFilterbank, dict(type="log", filterbank_kwargs=dict(MEL, bins_per_octave=0)), ValueError,
     "bins_per_octave=0"),
    (ApplyFilterbank, dict(type="log", filterbank_kwargs=dict(MEL, f_min=0.0)), ValueError, "f_min=0.0"),
    (ApplyFilterbank, dict(type="log", filterbank_kwargs=dict(MEL, spread=0.0)), ValueError, "spread=0.0"),
    (ApplyFilterbank, dict(type="log", filterbank_kwargs=dict(MEL, n_bins=120)), ValueError, "n_bins=120"),
    (ApplyFilterbank, dict(type="log", filterbank_kwargs=dict(MEL, n_mels=40)), TypeError, "['n_mels']"),
    (ApplyFilterbank, dict(type="mel", filterbank_kwargs=MEL, data_format="NCHW"), ValueError,
     "data_format='NCHW'"),
    (MagnitudeToDecibel, dict(amin=0.0), ValueError, "amin=0.0"),
    (MagnitudeToDecibel, dict(ref_value=0), ValueError, "ref_value=0.0"),
    (MagnitudeToDecibel, dict(dynamic_range=-1.0), ValueError, "dynamic_range=-1.0"),
    (MagnitudeToDecibel, dict(amin="1e-5"), TypeError, "amin='1e-5'"),
]


@pytest.mark.parametrize("layer, kwargs, error, text", BAD_LAYER_ARGUMENTS,
                         ids=[f"{layer.__name__}-{text}" for layer, _, _, text in BAD_LAYER_ARGUMENTS])
def test_bad_arguments_raise_at_construction(layer, kwargs, error, text):
    with pytest.raises(error) as raised:
        layer(**kwargs)
    assert text in str(raised.value)


def test_the_layers_and_the_builders_share_the_messages():
    """The builder's message is the layer's with the builder's argument name."""
    from spec_augment.composed.arguments import MelFilterbank, StftArguments

    stft = StftArguments(512, None, None, None, False, False).checked()
    with pytest.raises(ValueError) as builder:
        MelFilterbank(16000, 40, 0.0, 8001.0, False, "slaney").check(stft)
    with pytest.raises(ValueError) as layer:
        ApplyFilterbank("mel", dict(MEL, n_mels=40, f_max=8001.0))
    assert str(builder.value) == str(layer.value).replace("f_max", "mel_f_max")
    # New with the layers, for the builders too: kapre fails at its first call on this one.
    with pytest.raises(ValueError, match="win_length=401"):
        StftArguments(512, 401, None, "kaiser_bessel_derived_window", False, False).checked()


@pytest.mark.parametrize("module", [time_frequency, windows, filterbanks])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, raise_on_error=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
