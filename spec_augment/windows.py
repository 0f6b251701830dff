"""Analysis windows by kapre's names, computed in numpy as ``tf.signal`` computes them.

kapre's ``STFT`` looks its ``window_name`` up in ``tf.signal`` (``None`` is ``hann_window``) and calls the
function with the frame length and the signal's dtype, so every window is the ``tf.signal`` default:
periodic Hann and Hamming, Kaiser and Kaiser-Bessel-derived with ``beta=12``. Each step here follows
``tf.signal``'s arithmetic in the requested dtype (float32 by default, as kapre computes it for float32
audio); only ``cos``, ``sin``, ``exp`` and the Bessel function may differ from TensorFlow's kernels in the
last bit.

>>> window("hann_window", 4)
array([0. , 0.5, 1. , 0.5], dtype=float32)
>>> window(None, 4).tolist() == window("hann_window", 4).tolist()
True
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ._dsp_checks import WINDOW_NAMES

__all__ = ["WINDOW_NAMES", "window"]

# tf.signal's defaults, which kapre keeps (it passes only the length and the dtype).
KAISER_BETA = 12.0


def _raised_cosine(length: int, a: float, b: float, dtype: np.dtype) -> np.ndarray:
    if length == 1:
        return np.ones(1, dtype)
    # Periodic: the denominator is the length for an even length, length - 1 for an odd one.
    even = 1 - length % 2
    n = dtype.type(length + even - 1)
    count = np.arange(length).astype(dtype)
    cos_arg = dtype.type(2 * np.pi) * count / n
    return (dtype.type(a) - dtype.type(b) * np.cos(cos_arg.astype(np.float64)).astype(dtype)).astype(dtype)


def _hann(length: int, dtype: np.dtype) -> np.ndarray:
    return _raised_cosine(length, 0.5, 0.5, dtype)


def _hamming(length: int, dtype: np.dtype) -> np.ndarray:
    return _raised_cosine(length, 0.54, 0.46, dtype)


def _bessel_i0e(x: np.ndarray) -> np.ndarray:
    """Exponentially scaled modified Bessel function of order 0, in float64."""
    x = np.abs(np.asarray(x, np.float64))
    return np.i0(x) * np.exp(-x)


def _kaiser(length: int, dtype: np.dtype, beta: float = KAISER_BETA) -> np.ndarray:
    if length == 1:
        return np.ones(1, dtype)
    # tf.signal builds the positions in float32 whatever the dtype, then casts them.
    half = np.float32((np.float32(length) - np.float32(1.0)) / np.float32(2.0))
    arg = (np.arange(length, dtype=np.float32) - half).astype(dtype)
    half_d, beta_d = dtype.type(half), dtype.type(beta)
    num = beta_d * np.sqrt(np.maximum(dtype.type(1.0) - np.square(arg / half_d), dtype.type(0.0)))
    scale = (_bessel_i0e(num) / _bessel_i0e(beta_d)).astype(dtype)
    return (np.exp((num - beta_d).astype(np.float64)).astype(dtype) * scale).astype(dtype)


def _kaiser_bessel_derived(length: int, dtype: np.dtype) -> np.ndarray:
    # tf.signal's length is 2 * (length // 2): an odd length gives one sample less (see STFT's checks).
    half = length // 2
    kaiser = _kaiser(half + 1, dtype)
    cumulative = np.cumsum(kaiser, dtype=dtype)
    half_window = np.sqrt(cumulative[:-1] / cumulative[-1]).astype(dtype)
    return np.concatenate([half_window, half_window[::-1]]).astype(dtype)


def _vorbis(length: int, dtype: np.dtype) -> np.ndarray:
    arg = np.arange(length).astype(dtype)
    inner = np.sin((dtype.type(np.pi) / dtype.type(length) * (arg + dtype.type(0.5))).astype(np.float64))
    inner = inner.astype(dtype)
    outer = (dtype.type(np.pi / 2.0) * np.power(inner, dtype.type(2.0))).astype(dtype)
    return np.sin(outer.astype(np.float64)).astype(dtype)


_WINDOWS: dict[str, Callable[[int, np.dtype], np.ndarray]] = {
    "hann_window": _hann,
    "hamming_window": _hamming,
    "kaiser_window": _kaiser,
    "kaiser_bessel_derived_window": _kaiser_bessel_derived,
    "vorbis_window": _vorbis,
}
assert tuple(_WINDOWS) == WINDOW_NAMES


def window(name: Optional[str], length: int, dtype: str = "float32") -> np.ndarray:
    """The window kapre's ``STFT(window_name=name)`` applies to frames of ``length`` samples.

    Args:
        name: one of ``'hann_window'``, ``'hamming_window'``, ``'kaiser_window'``,
            ``'kaiser_bessel_derived_window'``, ``'vorbis_window'``, or ``None`` (Hann, as in kapre).
        length: the frame length in samples (the STFT's ``win_length``), >= 1.
        dtype: ``'float32'`` (kapre on float32 audio) or ``'float64'`` (kapre on float64 audio).

    Returns:
        A 1-D numpy array of ``dtype``. Its length is ``length``, except for
        ``'kaiser_bessel_derived_window'`` which, as in ``tf.signal``, has ``2 * (length // 2)`` samples.

    >>> window("hamming_window", 4, "float64")
    array([0.08, 0.54, 1.  , 0.54])
    >>> window("kaiser_bessel_derived_window", 5).shape
    (4,)
    """
    if name is None:
        name = "hann_window"
    if name not in _WINDOWS:
        raise ValueError(f"`window_name` must be None or one of {WINDOW_NAMES}, got window_name={name!r}.")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"`length` must be an integer >= 1, got length={length!r}.")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"`dtype` must be 'float32' or 'float64', got dtype={dtype!r}.")
    return _WINDOWS[name](int(length), np.dtype(dtype))
