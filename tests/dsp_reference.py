"""A float64 numpy reference of kapre's signal path (STFT -> magnitude -> filterbank -> decibels).

Written the plain way (a Python loop over frames, numpy's FFT), it is checked against kapre's layers
on TensorFlow in tests/test_time_frequency.py, and the layers are checked against it on every backend.
Windows and filterbanks come from spec_augment.windows / spec_augment.filterbanks, themselves checked
against tf.signal, librosa and kapre. Non-finite values follow the layers' documented rule.
"""

import numpy as np

from spec_augment.filterbanks import log_frequency_filterbank, mel_filterbank
from spec_augment.windows import window


def stft(x, n_fft, win_length=None, hop_length=None, window_name=None, pad_begin=False, pad_end=False,
         input_data_format="channels_last", output_data_format="channels_last", window_dtype="float32"):
    """Complex STFT, (batch, frames, freq, channels) or (batch, channels, frames, freq), kapre's framing."""
    win_length = n_fft if win_length is None else win_length
    hop_length = win_length // 4 if hop_length is None else hop_length
    x = np.asarray(x, np.float64)
    if input_data_format == "channels_last":
        x = np.transpose(x, (0, 2, 1))
    if pad_begin:
        x = np.pad(x, ((0, 0), (0, 0), (n_fft - hop_length, 0)))
    n = x.shape[2]
    if pad_end:
        n_frames = -(-n // hop_length)
        x = np.pad(x, ((0, 0), (0, 0), (0, max(0, (n_frames - 1) * hop_length + win_length - n))))
    else:
        n_frames = max(0, (n - win_length) // hop_length + 1)
    w = window(window_name, win_length, window_dtype).astype(np.float64)
    out = np.zeros(x.shape[:2] + (n_frames, n_fft // 2 + 1), np.complex128)
    for f in range(n_frames):
        frame = x[:, :, f * hop_length : f * hop_length + win_length] * w
        with np.errstate(invalid="ignore", over="ignore"):
            out[:, :, f] = np.fft.rfft(frame, n=n_fft, axis=-1)
    if output_data_format == "channels_last":
        out = np.transpose(out, (0, 2, 3, 1))
    return out


def magnitude(spectra):
    return np.abs(spectra)


def filterbank(kind, kwargs):
    """kapre's ApplyFilterbank matrix (float32, as kapre's) for its ``filterbank_kwargs``."""
    kwargs = dict(kwargs)
    if kind == "mel":
        n_freq = kwargs.pop("n_freq")
        return mel_filterbank(n_fft=2 * (n_freq - 1), **kwargs)
    return log_frequency_filterbank(**kwargs)


def apply_filterbank(x, matrix, data_format):
    matrix = matrix.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        if data_format == "channels_first":
            return x @ matrix
        return np.transpose(np.transpose(x, (0, 1, 3, 2)) @ matrix, (0, 1, 3, 2))


def decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0):
    """kapre's magnitude_to_decibel; the peak over each example's finite cells, non-finite cells NaN."""
    x = np.asarray(x, np.float64)
    amin32, ref32 = float(np.float32(amin)), float(np.float32(ref_value))
    with np.errstate(invalid="ignore", divide="ignore"):
        db = 10.0 * np.log10(np.maximum(x, amin32)) - 10.0 * np.log10(max(amin32, ref32))
    axes = tuple(range(1, db.ndim)) if db.ndim > 1 else None
    finite = np.isfinite(db)
    peak = np.max(np.where(finite, db, -np.inf), axis=axes, keepdims=True, initial=-np.inf)
    return np.where(finite, np.maximum(db, peak - dynamic_range), np.nan)


def chain(x, stft_kwargs, filterbank_kwargs=None, kind="mel", decibel_kwargs=None):
    """The whole path; ``filterbank_kwargs=None`` skips the filterbank, ``decibel_kwargs=None`` the decibels."""
    out = magnitude(stft(x, **stft_kwargs))
    if filterbank_kwargs is not None:
        out = apply_filterbank(out, filterbank(kind, filterbank_kwargs), stft_kwargs.get("output_data_format",
                                                                                          "channels_last"))
    if decibel_kwargs is not None:
        out = decibel(out, **decibel_kwargs)
    return out
