"""Checks of the STFT, filterbank and decibel arguments, shared by the layers and the composed builders.

kapre and librosa accept many bad values and fail late (a ``ZeroDivisionError`` at the first call)
or with foreign messages (librosa's "Empty filters" warning); each check turns one of those into a
``ValueError``/``TypeError`` naming the argument and its value. The builders name their arguments with
a prefix (``mel_f_min``, ``log_n_bins``, ``db_amin``): ``prefix`` gives it; the layers use none.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

from . import _validation as validation


def check_bool(value: Any, name: str) -> bool:
    """``True`` or ``False`` (numpy bools too); a string such as ``'no'`` is a ``TypeError``, not true."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(f"`{name}` must be True or False, got {name}={value!r} ({type(value).__name__}).")

# tf.signal windows kapre's STFT knows by name (kapre.backend.get_window_fn, TensorFlow >= 2.3).
WINDOW_NAMES = ("hann_window", "hamming_window", "kaiser_window", "kaiser_bessel_derived_window", "vorbis_window")

# kapre's default lowest log-frequency bin: C1.
LOG_F_MIN_DEFAULT = 32.70319566


def check_stft(
    n_fft: Any, win_length: Any, hop_length: Any, window_name: Any, pad_begin: Any, pad_end: Any
) -> tuple[int, int, int, Optional[str], bool, bool]:
    """kapre ``STFT``'s arguments, with ``win_length`` and ``hop_length`` resolved as kapre does."""
    n_fft = validation.check_int(n_fft, "n_fft", minimum=2)
    win_length = validation.check_int(win_length, "win_length", 1, n_fft, allow_none=True)
    win_length = n_fft if win_length is None else win_length
    hop_length = validation.check_int(hop_length, "hop_length", 1, n_fft, allow_none=True)
    if hop_length is None:
        hop_length = win_length // 4
        if hop_length < 1:
            raise ValueError(
                f"`hop_length` must be >= 1: its default win_length // 4 is 0 for win_length={win_length}; "
                f"pass hop_length explicitly, got hop_length=None."
            )
    if window_name is not None and not isinstance(window_name, str):
        raise TypeError(
            f"`window_name` must be None or a string, got window_name={window_name!r} "
            f"({type(window_name).__name__})."
        )
    if window_name is not None and window_name not in WINDOW_NAMES:
        raise ValueError(f"`window_name` must be None or one of {WINDOW_NAMES}, got window_name={window_name!r}.")
    if window_name == "kaiser_bessel_derived_window" and win_length % 2:
        # tf.signal's KBD window has 2 * (win_length // 2) samples: kapre fails at the first call.
        raise ValueError(
            f"`win_length` must be even for window_name='kaiser_bessel_derived_window' (the window has "
            f"2 * (win_length // 2) samples), got win_length={win_length}."
        )
    return (n_fft, win_length, hop_length, window_name, check_bool(pad_begin, "pad_begin"),
            check_bool(pad_end, "pad_end"))


def check_sample_rate(value: Any) -> float:
    return validation.check_float(value, "sample_rate", 0.0, low_inclusive=False)


def check_mel(
    sample_rate: Any, n_freq: int, n_mels: Any, f_min: Any, f_max: Any, htk: Any, norm: Any,
    bins: str, prefix: str = "",
) -> None:
    """kapre ``ApplyFilterbank(type='mel')``'s arguments; ``bins`` describes ``n_freq`` in the messages."""
    sample_rate = check_sample_rate(sample_rate)
    n_mels = validation.check_int(n_mels, "n_mels", minimum=1)
    if n_mels > n_freq:
        # More mel bands than STFT bins: librosa only warns ("Empty filters").
        raise ValueError(f"`n_mels` must be <= {bins}, got n_mels={n_mels}.")
    nyquist = sample_rate / 2
    if f_max is not None:
        f_max = validation.check_float(f_max, f"{prefix}f_max", 0.0, nyquist, low_inclusive=False)
    validation.check_float(f_min, f"{prefix}f_min", 0.0, nyquist if f_max is None else f_max,
                           high_inclusive=False)
    check_bool(htk, f"{prefix}htk")
    if not (norm is None or norm == "slaney" or (
            isinstance(norm, numbers.Real) and not isinstance(norm, bool) and float(norm) > 0)):
        raise ValueError(
            f"`{prefix}norm` must be 'slaney', None or a positive number (np.inf included), "
            f"got {prefix}norm={norm!r}."
        )


def check_log(
    sample_rate: Any, n_bins: Any, bins_per_octave: Any, f_min: Any, spread: Any, prefix: str = ""
) -> None:
    """kapre ``ApplyFilterbank(type='log')``'s arguments."""
    rate = check_sample_rate(sample_rate)
    n_bins = validation.check_int(n_bins, f"{prefix}n_bins", minimum=1)
    bins_per_octave = validation.check_int(bins_per_octave, f"{prefix}bins_per_octave", minimum=1)
    # kapre compares the top bin with sample_rate // 2 (floored): the same bound here, named.
    nyquist = rate // 2
    f_min = LOG_F_MIN_DEFAULT if f_min is None else validation.check_float(
        f_min, f"{prefix}f_min", 0.0, nyquist, low_inclusive=False, high_inclusive=False)
    validation.check_float(spread, f"{prefix}spread", 0.0, low_inclusive=False)
    f_max = f_min * 2 ** (n_bins / bins_per_octave)
    if f_max > nyquist:
        raise ValueError(
            f"`{prefix}n_bins` reaches {f_max:.1f} Hz, above the highest frequency {nyquist:g} Hz of "
            f"sample_rate={sample_rate!r}: got {prefix}n_bins={n_bins} with {prefix}f_min={f_min:g} and "
            f"{prefix}bins_per_octave={bins_per_octave}; use fewer bins, a lower {prefix}f_min or more bins "
            f"per octave."
        )


def check_decibel(amin: Any, ref_value: Any, dynamic_range: Any, prefix: str = "") -> tuple[float, float, float]:
    """kapre ``MagnitudeToDecibel``'s arguments (kapre checks them only when the layer first runs)."""
    return (
        validation.check_float(amin, f"{prefix}amin", 0.0, low_inclusive=False),
        validation.check_float(ref_value, f"{prefix}ref_value", 0.0, low_inclusive=False),
        validation.check_float(dynamic_range, f"{prefix}dynamic_range", 0.0, low_inclusive=False),
    )
