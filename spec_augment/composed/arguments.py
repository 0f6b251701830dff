"""The builders' arguments, grouped and checked: every bad value fails here, naming itself, before kapre runs.

kapre and librosa accept many bad values and fail late (a ``ZeroDivisionError`` at the first call)
or with foreign messages (librosa's "Empty filters" warning); each check below turns one of those
into a ``ValueError``/``TypeError`` that names the builder's argument and the value it was given.
Nothing here imports kapre or TensorFlow.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any, Optional

from .. import _dsp_checks as dsp_checks
from .. import _tensorflow_only
from .. import _validation as validation

# The DSP checks live with the layers (spec_augment._dsp_checks); these names stay importable from here.
WINDOW_NAMES = dsp_checks.WINDOW_NAMES
LOG_F_MIN_DEFAULT = dsp_checks.LOG_F_MIN_DEFAULT
BACKENDS_RECIPE = "docs/backends.md"


TensorFlowBackendRequiredError = _tensorflow_only.TensorFlowBackendRequiredError


def require_tensorflow_backend(feature: str) -> None:
    """Raise :class:`TensorFlowBackendRequiredError` unless Keras runs on TensorFlow (kapre's layers need it)."""
    _tensorflow_only.require_tensorflow_backend(
        feature,
        "kapre's layers are TensorFlow-only",
        "Set KERAS_BACKEND=tensorflow, or build the frontend with use_kapre=False: the package's own "
        f"layers (spec_augment.time_frequency) give kapre's numbers on every backend ({BACKENDS_RECIPE}).",
    )


class _Default:
    """Marks a SpecAugment argument the caller left out (``None`` is a real ``time_mask_param``)."""

    def __repr__(self):
        return "DEFAULT"

    def __reduce__(self):
        # copy/pickle give back the one sentinel, so `is DEFAULT` keeps working.
        return "DEFAULT"


DEFAULT = _Default()


def check_name(name: Any) -> Optional[str]:
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"`name` must be a non-empty string or None, got name={name!r}.")
    return name


def check_input_shape(input_shape: Any, input_data_format: str) -> Optional[tuple]:
    """``None`` or the shape of one waveform: ``(time, channels)`` or ``(channels, time)``; time may be ``None``."""
    if input_shape is None:
        return None
    layout = "(time, channels)" if input_data_format == validation.CH_LAST else "(channels, time)"
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
        raise ValueError(
            f"`input_shape` must be None or the shape of one waveform, {layout} for "
            f"input_data_format={input_data_format!r}, got input_shape={input_shape!r}."
        )
    time_index = 0 if input_data_format == validation.CH_LAST else 1
    for index, size in enumerate(input_shape):
        if index == time_index and size is None:
            continue  # variable-length waveforms (padded per batch)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(
                f"`input_shape` must hold positive integers, {layout} (the time may be None), got "
                f"input_shape={input_shape!r}."
            )
    return tuple(None if size is None else int(size) for size in input_shape)


@dataclasses.dataclass(frozen=True)
class StftArguments:
    """kapre ``STFT``'s arguments; :meth:`checked` resolves ``win_length`` and ``hop_length`` as kapre does."""

    n_fft: int
    win_length: Optional[int]
    hop_length: Optional[int]
    window_name: Optional[str]
    pad_begin: bool
    pad_end: bool

    def checked(self) -> "StftArguments":
        n_fft, win_length, hop_length, _, pad_begin, pad_end = dsp_checks.check_stft(
            self.n_fft, self.win_length, self.hop_length, self.window_name, self.pad_begin, self.pad_end)
        return dataclasses.replace(
            self, n_fft=n_fft, win_length=win_length, hop_length=hop_length, pad_begin=pad_begin, pad_end=pad_end,
        )

    @property
    def n_freq(self) -> int:
        return self.n_fft // 2 + 1


@dataclasses.dataclass(frozen=True)
class MelFilterbank:
    """kapre ``ApplyFilterbank(type='mel')``'s arguments (the builder's ``mel_*`` arguments)."""

    sample_rate: float
    n_mels: int
    f_min: float
    f_max: Optional[float]
    htk: bool
    norm: Any

    kind = "mel"

    @property
    def n_bins(self) -> int:
        return self.n_mels

    def check(self, stft: StftArguments) -> None:
        dsp_checks.check_mel(
            self.sample_rate, stft.n_freq, self.n_mels, self.f_min, self.f_max, self.htk, self.norm,
            bins=f"n_fft // 2 + 1 = {stft.n_freq} (the STFT's frequency bins for n_fft={stft.n_fft})", prefix="mel_",
        )

    def kapre_kwargs(self, stft: StftArguments) -> dict:
        return {"sample_rate": self.sample_rate, "n_freq": stft.n_freq, "n_mels": self.n_mels, "f_min": self.f_min,
                "f_max": self.f_max, "htk": self.htk, "norm": self.norm}


@dataclasses.dataclass(frozen=True)
class LogFilterbank:
    """kapre ``ApplyFilterbank(type='log')``'s arguments (the builder's ``log_*`` arguments)."""

    sample_rate: float
    n_bins: int
    f_min: Optional[float]
    bins_per_octave: int
    spread: float

    kind = "log"

    def check(self, stft: StftArguments) -> None:
        dsp_checks.check_log(self.sample_rate, self.n_bins, self.bins_per_octave, self.f_min, self.spread,
                             prefix="log_")

    def kapre_kwargs(self, stft: StftArguments) -> dict:
        return {"sample_rate": self.sample_rate, "n_freq": stft.n_freq, "n_bins": self.n_bins,
                "bins_per_octave": self.bins_per_octave, "f_min": self.f_min, "spread": self.spread}


@dataclasses.dataclass(frozen=True)
class DecibelArguments:
    """kapre ``MagnitudeToDecibel``'s arguments, and whether to apply it at all."""

    return_decibel: bool
    amin: float
    ref_value: float
    dynamic_range: float

    def check(self) -> None:
        # kapre only checks these when the layer first runs; fail at build time instead.
        if dsp_checks.check_bool(self.return_decibel, "return_decibel"):
            dsp_checks.check_decibel(self.amin, self.ref_value, self.dynamic_range, prefix="db_")

    def kapre_kwargs(self) -> dict:
        return {"ref_value": self.ref_value, "amin": self.amin, "dynamic_range": self.dynamic_range}


@dataclasses.dataclass(frozen=True)
class AugmentArguments:
    """The SpecAugment arguments as the caller gave them (:data:`DEFAULT` where left out), plus ``policy``."""

    freq_mask_param: Any = DEFAULT
    time_mask_param: Any = DEFAULT
    n_freq_mask: Any = DEFAULT
    n_time_mask: Any = DEFAULT
    mask_value: Any = DEFAULT
    time_warp_param: Any = DEFAULT
    time_mask_ratio: Any = DEFAULT
    time_masks_per_frame: Any = DEFAULT
    time_mask_budget: Any = DEFAULT
    apply_probability: Any = DEFAULT
    n_rect_mask: Any = DEFAULT
    rect_time_param: Any = DEFAULT
    rect_freq_param: Any = DEFAULT
    freq_warp_param: Any = DEFAULT
    seed: Optional[int] = None
    policy: Optional[str] = None

    def given(self) -> dict:
        """The SpecAugment arguments the caller gave explicitly (``seed`` and ``policy`` aside)."""
        fields = dataclasses.asdict(self)
        return {key: value for key, value in fields.items() if key not in ("seed", "policy") and value is not DEFAULT}
