"""Mel and log-frequency filterbanks in numpy, equal to librosa's and kapre's, without librosa.

Both return a matrix of shape ``(n_freq, n_bins)``: a magnitude spectrogram with ``n_freq`` bins on its
last axis times the matrix gives ``n_bins`` bands, the orientation kapre applies them in
(``kapre.backend.filterbank_mel`` is ``librosa.filters.mel`` transposed).

Odd ``n_fft``: an STFT of ``n_fft`` samples has ``n_fft // 2 + 1`` bins, and kapre's
``ApplyFilterbank`` receives only that count, ``n_freq``, from which it derives ``n_fft = 2 * (n_freq - 1)``.
For an odd ``n_fft`` that is one less than the STFT's (511 -> 256 bins -> 510), so kapre's mel and
log-frequency filters place bin ``k`` at ``k * sample_rate / 510`` Hz while the STFT's bin ``k`` lies at
``k * sample_rate / 511`` Hz (0.2 % lower: 7984.3 Hz instead of 8000 Hz for the top bin at 16 kHz). For 40
mel bands at 16 kHz the two matrices differ by up to 2.7 % of the largest weight (3.5e-4 with Slaney's
norm, 0.027 with ``norm=None``).
:func:`mel_filterbank` takes ``n_fft`` and is exactly ``librosa.filters.mel`` for it;
``time_frequency.ApplyFilterbank``, like kapre's, takes ``n_freq`` and so reproduces kapre's matrix,
``mel_filterbank(n_fft=2 * (n_freq - 1))``.

>>> mel_filterbank(16000, 512, n_mels=40).shape
(257, 40)
>>> log_frequency_filterbank(16000, 257, n_bins=60).shape
(257, 60)
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from ._dsp_checks import LOG_F_MIN_DEFAULT

__all__ = ["mel_filterbank", "log_frequency_filterbank", "hz_to_mel", "mel_to_hz"]

# librosa's Slaney mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies: Any, htk: bool = False) -> np.ndarray:
    """Hertz to mels, as ``librosa.hz_to_mel`` (Slaney's scale, or HTK's with ``htk=True``).

    >>> round(float(hz_to_mel(1000.0)), 6)
    15.0
    """
    frequencies = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + frequencies / 700.0)
    linear = frequencies / _F_SP
    with np.errstate(divide="ignore", invalid="ignore"):
        logarithmic = _MIN_LOG_MEL + np.log(frequencies / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(frequencies >= _MIN_LOG_HZ, logarithmic, linear)


def mel_to_hz(mels: Any, htk: bool = False) -> np.ndarray:
    """Mels to hertz, as ``librosa.mel_to_hz``.

    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0
    """
    mels = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    linear = _F_SP * mels
    logarithmic = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels - _MIN_LOG_MEL))
    return np.where(mels >= _MIN_LOG_MEL, logarithmic, linear)


def _fft_frequencies(sample_rate: float, n_fft: int) -> np.ndarray:
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)


def _normalize_rows(weights: np.ndarray, norm: float) -> np.ndarray:
    """``librosa.util.normalize(weights, norm=norm, axis=-1)``: unit l_norm rows, tiny rows left as they are."""
    magnitude = np.abs(weights).astype(np.float64)
    if norm == np.inf:
        length = np.max(magnitude, axis=-1, keepdims=True)
    else:
        length = np.sum(magnitude**norm, axis=-1, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(weights.dtype).tiny] = 1.0
    return (weights / length).astype(weights.dtype)


def mel_filterbank(
    sample_rate: float,
    n_fft: int,
    n_mels: int = 128,
    f_min: float = 0.0,
    f_max: Optional[float] = None,
    htk: bool = False,
    norm: Union[str, float, None] = "slaney",
    dtype: str = "float32",
) -> np.ndarray:
    """Triangular mel filters, ``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, ...).T``.

    Args:
        sample_rate: the audio's sample rate (Hz).
        n_fft: the FFT length; the matrix has ``n_fft // 2 + 1`` rows.
        n_mels: mel bands (columns).
        f_min, f_max: the lowest and highest frequencies (Hz); ``f_max=None`` is ``sample_rate / 2``.
        htk: HTK's mel formula instead of Slaney's.
        norm: ``'slaney'`` (each triangle divided by its width in Hz), ``None`` (peaks of 1) or a positive
            number ``p`` (unit l_p norm per band, ``np.inf`` for the max).
        dtype: the matrix dtype; librosa fills a float32 matrix by default, so do we.

    Returns:
        A numpy array of shape ``(n_fft // 2 + 1, n_mels)``.

    >>> bank = mel_filterbank(16000, 512, n_mels=40, norm=None)
    >>> bank.shape, bank.dtype
    ((257, 40), dtype('float32'))
    """
    if f_max is None:
        f_max = float(sample_rate) / 2
    dtype_ = np.dtype(dtype)
    fft_frequencies = _fft_frequencies(sample_rate, n_fft)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(f_min, htk), hz_to_mel(f_max, htk), n_mels + 2), htk)
    widths = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_frequencies)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(dtype_)
    if isinstance(norm, str):
        if norm != "slaney":
            raise ValueError(f"`norm` must be 'slaney', None or a positive number, got norm={norm!r}.")
        # Slaney: each band scaled to about constant energy (librosa scales its float32 matrix in place).
        weights = (weights * (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]).astype(dtype_)
    elif norm is not None:
        weights = _normalize_rows(weights, norm)
    return np.ascontiguousarray(weights.T)


def log_frequency_filterbank(
    sample_rate: float,
    n_freq: int,
    n_bins: int = 84,
    bins_per_octave: int = 12,
    f_min: Optional[float] = None,
    spread: float = 0.125,
    dtype: str = "float32",
) -> np.ndarray:
    """Log-normal filters around log-spaced centres, kapre's ``backend.filterbank_log`` (librosa 0.4's).

    Filter ``i`` is centred at ``f_min * 2 ** (i / bins_per_octave)`` with a width of ``spread`` bins,
    each normalized to unit sum. As kapre, the FFT length is taken to be ``2 * (n_freq - 1)`` (see the module
    docstring for odd FFT lengths) and the DC bin gets no weight.

    Args:
        sample_rate: the audio's sample rate (Hz).
        n_freq: the STFT's frequency bins (rows of the matrix), ``n_fft // 2 + 1``.
        n_bins: log-frequency bins (columns).
        bins_per_octave: bins per octave.
        f_min: the lowest centre (Hz); ``None`` is C1 (32.7 Hz) as in kapre.
        spread: each filter's spread, in bins.
        dtype: the matrix dtype (kapre casts to Keras' float32).

    Returns:
        A numpy array of shape ``(n_freq, n_bins)``.

    >>> bank = log_frequency_filterbank(16000, 257, n_bins=60)
    >>> bank.shape, round(float(bank[:, 59].sum()), 5)  # each filter sums to 1
    ((257, 60), 1.0)
    """
    if f_min is None:
        f_min = LOG_F_MIN_DEFAULT
    sigma = float(spread) / bins_per_octave
    log_freqs = np.log2(_fft_frequencies(sample_rate, (n_freq - 1) * 2)[1:])
    centres = np.log2(f_min * (2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave)))
    basis = np.zeros((n_bins, n_freq))
    basis[:, 1:] = np.exp(-0.5 * ((log_freqs[None, :] - centres[:, None]) / sigma) ** 2 - np.log2(sigma) - log_freqs)
    basis = _normalize_rows(basis, 1)
    return np.ascontiguousarray(basis.astype(np.dtype(dtype)).T)
