"""kapre's time-frequency layers in ``keras.ops``: the same numbers on TensorFlow, JAX and PyTorch.

waveform -> :class:`STFT` -> :class:`Magnitude` -> [:class:`ApplyFilterbank`] -> [:class:`MagnitudeToDecibel`]
is kapre 0.4.1's signal path, with kapre's names, arguments and defaults, without kapre, TensorFlow or
librosa at run time: the window, the filterbanks and the DFT matrices are numpy constants built once.

Differences from kapre, all on purpose:

* :class:`STFT` returns real numbers: the real and imaginary parts in a trailing axis of 2 (the layout of
  kapre's ``STFTTflite``), so nothing downstream needs complex dtypes; ``dft='matmul'`` computes the DFT as
  one matrix product, which TFLite converts.
* Precision follows the data, never the dtype policy: float64 audio is computed in float64, everything
  else (float32, float16, bfloat16, integers) in float32, and each layer returns that dtype; float64 also
  when the layer's own dtype is float64.
* Non-finite values end the same on every backend: a frame holding a NaN or an infinite sample is not
  finite in any bin, and :class:`MagnitudeToDecibel` turns every non-finite cell into NaN and floors the
  other cells at the peak of the example's *finite* cells minus ``dynamic_range``.
* Bad arguments raise ``ValueError``/``TypeError`` naming the argument at construction (kapre fails at
  the first call, or not at all).

>>> import keras
>>> import numpy as np
>>> audio = np.random.default_rng(0).normal(size=(2, 16000, 1)).astype("float32")
>>> stft = STFT(n_fft=512, hop_length=128, input_data_format="channels_last",
...             output_data_format="channels_last")
>>> spectra = stft(audio)
>>> tuple(spectra.shape)  # (batch, frames, freq, channels, re/im)
(2, 122, 257, 1, 2)
>>> mel = ApplyFilterbank("mel", dict(sample_rate=16000, n_freq=257, n_mels=80), data_format="channels_last")
>>> decibels = MagnitudeToDecibel()(mel(Magnitude()(spectra)))
>>> tuple(decibels.shape), keras.backend.standardize_dtype(decibels.dtype)
((2, 122, 80, 1), 'float32')
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

import keras
import numpy as np
from keras import ops

from . import _dsp_ops
from . import _dsp_checks as dsp_checks
from . import _validation as validation
from .filterbanks import log_frequency_filterbank, mel_filterbank
from .windows import window

__all__ = ["STFT", "Magnitude", "ApplyFilterbank", "MagnitudeToDecibel", "StftFraming"]

DFT_METHODS = ("fft", "matmul")
FILTERBANK_TYPES = ("mel", "log")

# kapre's ApplyFilterbank arguments: the required ones, then the optional ones with kapre's defaults.
_FILTERBANK_ARGUMENTS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "mel": (("sample_rate", "n_freq"), {"n_mels": 128, "f_min": 0.0, "f_max": None, "htk": False, "norm": "slaney"}),
    "log": (("sample_rate", "n_freq"), {"n_bins": 84, "bins_per_octave": 12, "f_min": None, "spread": 0.125}),
}


@dataclasses.dataclass(frozen=True)
class StftFraming:
    """How kapre's ``STFT`` (and :class:`STFT`) cuts a waveform into frames: ``tf.signal.frame`` after ``pad_begin``.

    >>> framing = StftFraming(n_fft=512, win_length=512, hop_length=128, pad_begin=False, pad_end=False)
    >>> framing.n_frames(16000), [int(n) for n in framing.frame_lengths([16000, 300, 0], 16000)]
    (122, [122, 3, 0])
    """

    n_fft: int
    win_length: int
    hop_length: int
    pad_begin: bool
    pad_end: bool

    @classmethod
    def of_stft(cls, stft: Any) -> "StftFraming":
        """The framing of a kapre ``STFT`` layer (``win_length`` and ``hop_length`` resolved)."""
        return cls(stft.n_fft, stft.win_length, stft.hop_length, bool(stft.pad_begin), bool(stft.pad_end))

    @property
    def begin_padding(self) -> int:
        # kapre pads n_fft - hop_length zeros (not win_length - hop_length) when pad_begin is set.
        return self.n_fft - self.hop_length if self.pad_begin else 0

    def n_frames(self, n_samples: Any) -> Any:
        """Frames of a waveform of ``n_samples`` samples (a Python int, or an int tensor): ``tf.signal.frame``."""
        return self.frames_after_padding(n_samples + self.begin_padding)

    def frames_after_padding(self, padded: Any) -> Any:
        """Frames of ``padded`` samples, ``pad_begin``'s zeros included."""
        if self.pad_end:
            return (padded + self.hop_length - 1) // self.hop_length
        if isinstance(padded, int):
            return max(0, (padded - self.win_length) // self.hop_length + 1)
        return ops.maximum((padded - self.win_length) // self.hop_length + 1, 0)

    def frame_lengths(self, sample_lengths: Any, n_samples: int) -> Any:
        """Valid frames per example (int32, shape (batch,)) for ``sample_lengths`` valid samples.

        ``sample_lengths`` is clipped to ``[0, n_samples]`` (in its own dtype where that is wider than
        int32, so 2**32 + 3 is not wrapped to 3): a negative count means 0, a count past the input
        the whole input.
        """
        if not isinstance(n_samples, int):
            n_samples = ops.cast(n_samples, "int32")
        valid = validation.check_lengths(sample_lengths, None, n_samples, "waveform samples")
        started = (valid + (self.begin_padding + self.hop_length - 1)) // self.hop_length
        counts = ops.minimum(started, self.n_frames(n_samples))
        return ops.where(valid > 0, counts, ops.zeros_like(counts))

    def frame_mask(self, sample_lengths: Any, n_samples: Any) -> Any:
        """``(batch, frames)`` bool: ``True`` on each example's valid frames."""
        counts = self.frame_lengths(sample_lengths, n_samples)
        frames = ops.arange(self.n_frames(n_samples), dtype="int32")
        return frames[None, :] < counts[:, None]


def _dsp_dtype(input_dtype: Any, layer_dtype: Optional[str]) -> str:
    """float64 for float64 audio (or a float64 layer), float32 for anything else."""
    if keras.backend.standardize_dtype(input_dtype) == "float64" or layer_dtype == "float64":
        return "float64"
    return "float32"


class _DspLayer(keras.layers.Layer):
    """A layer that computes in the precision of its input (see the module docstring), never autocast."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The DSP dtype follows the data: the policy must not cast float64 audio down (or float16 up only
        # to cast back).
        self.autocast = False

    def _compute_dtype_for(self, x: Any) -> str:
        return _dsp_dtype(x.dtype, self.compute_dtype)

    def compute_output_spec(self, inputs: Any) -> keras.KerasTensor:
        return keras.KerasTensor(self.compute_output_shape(tuple(inputs.shape)),
                                 dtype=self._compute_dtype_for(inputs))


@keras.saving.register_keras_serializable(package="spec_augment")
class STFT(_DspLayer):
    """Short-time Fourier transform of a waveform batch, as kapre's ``STFT`` (``tf.signal.stft``).

    Frames of ``win_length`` samples start every ``hop_length`` samples (no centring); each is multiplied
    by the window, zero-padded at its end to ``n_fft`` samples and Fourier transformed, giving
    ``n_fft // 2 + 1`` frequency bins. ``pad_begin`` puts ``n_fft - hop_length`` zeros in front of the
    waveform (kapre's rule, not ``win_length - hop_length``); ``pad_end`` pads zeros at the end so that
    ``ceil(samples / hop_length)`` frames fit (``tf.signal.frame(pad_end=True)``); without it there are
    ``1 + (samples - win_length) // hop_length`` frames, and 0 frames (an empty axis, no error) for
    audio shorter than one frame.

    Args:
        n_fft: the FFT length (>= 2).
        win_length: the frame length, <= ``n_fft``; ``None`` is ``n_fft``.
        hop_length: samples between frame starts, in [1, n_fft]; ``None`` is ``win_length // 4``.
        window_name: a ``tf.signal`` window name (:data:`spec_augment.windows` has them), ``None`` is Hann.
        pad_begin: pad ``n_fft - hop_length`` zeros in front.
        pad_end: pad zeros at the end so the last samples get a frame.
        input_data_format: ``'channels_last'`` for ``(batch, time, channels)``, ``'channels_first'`` for
            ``(batch, channels, time)``, ``'default'`` for Keras' image data format.
        output_data_format: ``'channels_last'`` for ``(batch, frames, freq, channels, 2)``,
            ``'channels_first'`` for ``(batch, channels, frames, freq, 2)``.
        dft: ``'fft'`` (the backend's real FFT) or ``'matmul'`` (one product with real cosine and sine DFT
            matrices, the window folded in: no complex tensor anywhere, so TFLite converts it; slower).
        **kwargs: ``keras.layers.Layer``'s (``name``, ``dtype``, ...).

    The output is real: the real and imaginary parts of the complex STFT on the last axis. Its dtype is
    float64 for float64 audio and float32 for any other (float16 and bfloat16 are computed in float32).
    A frame holding a NaN or an infinite sample is not finite in any bin (NaN or infinite, as the backend's
    FFT gives it).

    >>> import numpy as np
    >>> layer = STFT(n_fft=8, hop_length=4, input_data_format="channels_last", output_data_format="channels_last")
    >>> tuple(layer(np.ones((1, 16, 1), "float32")).shape)
    (1, 3, 5, 1, 2)
    >>> layer.compute_output_shape((None, 16000, 1))
    (None, 3999, 5, 1, 2)
    """

    def __init__(
        self,
        n_fft: int = 2048,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        window_name: Optional[str] = None,
        pad_begin: bool = False,
        pad_end: bool = False,
        input_data_format: str = "default",
        output_data_format: str = "default",
        dft: str = "fft",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        (self.n_fft, self.win_length, self.hop_length, self.window_name, self.pad_begin,
         self.pad_end) = dsp_checks.check_stft(n_fft, win_length, hop_length, window_name, pad_begin, pad_end)
        self.input_data_format = validation.resolve_data_format(input_data_format, "input_data_format")
        self.output_data_format = validation.resolve_data_format(output_data_format, "output_data_format")
        if not isinstance(dft, str) or dft not in DFT_METHODS:
            raise ValueError(f"`dft` must be one of {DFT_METHODS}, got dft={dft!r}.")
        self.dft = dft
        self.n_freq = self.n_fft // 2 + 1
        self._windows = {dtype: window(self.window_name, self.win_length, dtype) for dtype in ("float32", "float64")}
        self._dft_matrices: dict[str, np.ndarray] = {}

    @property
    def framing(self) -> StftFraming:
        return StftFraming(self.n_fft, self.win_length, self.hop_length, self.pad_begin, self.pad_end)

    def n_frames(self, n_samples: Any) -> Any:
        """Frames of a waveform of ``n_samples`` samples (an int, or an int tensor)."""
        return self.framing.n_frames(n_samples)

    def _frames(self, waveforms: Any) -> Any:
        """(batch, channels, time) -> (batch, channels, frames, win_length), as ``tf.signal.frame``.

        The waveform is cut into sub-blocks of ``gcd(win_length, hop_length)`` samples and each frame
        gathers its run of consecutive sub-blocks: one gather of whole blocks, no per-sample index
        (where the hop divides the frame, as usual, the blocks are a hop long).
        """
        hop, win = self.hop_length, self.win_length
        shape = ops.shape(waveforms)
        n_samples = shape[2]  # pad_begin's zeros included
        n_frames = self.framing.frames_after_padding(n_samples)
        if isinstance(n_frames, int) and n_frames == 0:
            return ops.zeros((shape[0], shape[1], 0, win), waveforms.dtype)
        block = math.gcd(win, hop)
        # The samples the frames cover: pad_end's zeros added, or the samples after the last frame cut.
        waveforms = self._fit_length(waveforms, n_samples, (n_frames - 1) * hop + win)
        blocks = ops.reshape(waveforms, (shape[0], shape[1], -1, block))
        starts = ops.arange(n_frames, dtype="int32") * (hop // block)
        indices = starts[:, None] + ops.arange(win // block, dtype="int32")[None, :]
        frames = ops.take(blocks, indices, axis=2)  # (batch, channels, frames, win // block, block)
        return ops.reshape(frames, (shape[0], shape[1], -1, win))

    @staticmethod
    def _fit_length(waveforms: Any, n_samples: Any, length: Any) -> Any:
        """Zero-pad the time axis at its end, or cut it, to ``length`` samples."""
        if isinstance(n_samples, int) and isinstance(length, int):
            if length > n_samples:
                return ops.pad(waveforms, ((0, 0), (0, 0), (0, length - n_samples)))
            return waveforms[:, :, :length]
        length = ops.maximum(length, 0)  # no frame and a hop longer than the frame: nothing to keep
        waveforms = ops.pad(waveforms, ((0, 0), (0, 0), (0, ops.maximum(length - n_samples, 0))))
        return waveforms[:, :, :length]

    # -- the DFT ---------------------------------------------------------------------------------------------

    def _dft_matrix(self, dtype: str) -> np.ndarray:
        """(win_length, 2 * n_freq): window * cos and -window * sin, interleaved per bin (re, im, re, im...)."""
        if dtype not in self._dft_matrices:
            n = np.arange(self.win_length, dtype=np.float64)[:, None]
            k = np.arange(self.n_freq, dtype=np.float64)[None, :]
            # The phase modulo n_fft, in integers, keeps the angles exact for long frames.
            angle = 2.0 * np.pi * ((n.astype(np.int64) * k.astype(np.int64)) % self.n_fft) / self.n_fft
            weights = self._windows[dtype].astype(np.float64)[:, None]
            matrix = np.stack([weights * np.cos(angle), -weights * np.sin(angle)], axis=-1)
            self._dft_matrices[dtype] = matrix.reshape(self.win_length, 2 * self.n_freq).astype(dtype)
        return self._dft_matrices[dtype]

    def call(self, inputs: Any) -> Any:
        dtype = self._compute_dtype_for(inputs)
        waveforms = ops.cast(inputs, dtype)
        if self.input_data_format == validation.CH_LAST:
            waveforms = ops.transpose(waveforms, (0, 2, 1))  # (batch, channels, time) from here
        if self.pad_begin:
            waveforms = ops.pad(waveforms, ((0, 0), (0, 0), (self.framing.begin_padding, 0)))
        frames = self._frames(waveforms)  # (batch, channels, frames, win_length)
        if frames.shape[2] == 0:
            # Audio shorter than one frame: no frames (some FFT libraries refuse an empty batch).
            shape = ops.shape(frames)
            spectra = ops.zeros((shape[0], shape[1], 0, self.n_freq, 2), dtype)
        elif self.dft == "matmul":
            # One 2-D product (TensorFlow's broadcasting batched matmul crashes on CPU graphs here).
            shape = ops.shape(frames)
            spectra = _product(ops.reshape(frames, (-1, self.win_length)),
                               ops.convert_to_tensor(self._dft_matrix(dtype), dtype))
            spectra = ops.reshape(spectra, (shape[0], shape[1], shape[2], self.n_freq, 2))
        else:
            frames = frames * ops.convert_to_tensor(self._windows[dtype], dtype)
            spectra = _dsp_ops.rfft_parts(frames, self.n_fft)
        # spectra: (batch, channels, frames, freq, 2)
        if self.output_data_format == validation.CH_LAST:
            spectra = _channels_to_axis(spectra, from_axis=1, to_axis=3)
        return spectra

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.input_data_format == validation.CH_LAST:
            batch, n_samples, channels = input_shape
        else:
            batch, channels, n_samples = input_shape
        n_frames = None if n_samples is None else self.n_frames(int(n_samples))
        if self.output_data_format == validation.CH_LAST:
            return (batch, n_frames, self.n_freq, channels, 2)
        return (batch, channels, n_frames, self.n_freq, 2)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            n_fft=self.n_fft, win_length=self.win_length, hop_length=self.hop_length, window_name=self.window_name,
            pad_begin=self.pad_begin, pad_end=self.pad_end, input_data_format=self.input_data_format,
            output_data_format=self.output_data_format, dft=self.dft,
        )
        return config


def _product(a: Any, b: Any) -> Any:
    """``a @ b`` for 2-D ``a`` and ``b`` in their dtype (Keras' PyTorch matmul computes float64 in float32)."""
    return ops.einsum("ij,jk->ik", a, b)


def _channels_to_axis(x: Any, from_axis: int, to_axis: int) -> Any:
    """Move the channel axis; one channel is a reshape (no copy), more a transpose."""
    shape = list(ops.shape(x))
    channels = shape[from_axis]
    if channels == 1:
        del shape[from_axis]
        shape.insert(to_axis, 1)
        return ops.reshape(x, tuple(shape))
    return ops.moveaxis(x, from_axis, to_axis)


@keras.saving.register_keras_serializable(package="spec_augment")
class Magnitude(_DspLayer):
    """The magnitude ``sqrt(re**2 + im**2)`` of :class:`STFT`'s output, dropping its trailing re/im axis.

    ``(batch, frames, freq, channels, 2)`` -> ``(batch, frames, freq, channels)`` and
    ``(batch, channels, frames, freq, 2)`` -> ``(batch, channels, frames, freq)`` (any ``(..., 2)`` works).
    Computed as each backend's complex absolute value (a hypot: no overflow before the magnitude itself
    overflows). A bin of a frame that holds a NaN or an infinite sample is not finite; whether NaN or
    ``inf`` follows the backend's FFT, and :class:`MagnitudeToDecibel` makes both NaN.
    Output dtype: float64 for float64 input, else float32.

    >>> import numpy as np
    >>> ops.convert_to_numpy(Magnitude()(np.array([[3.0, 4.0], [0.0, -2.0]], "float32"))).tolist()
    [5.0, 2.0]
    """

    def call(self, inputs: Any) -> Any:
        dtype = self._compute_dtype_for(inputs)
        x = ops.cast(inputs, dtype)
        return _dsp_ops.magnitude_of_parts(x)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)[:-1]


@keras.saving.register_keras_serializable(package="spec_augment")
class ApplyFilterbank(_DspLayer):
    """A mel or log-frequency filterbank on the frequency axis, as kapre's ``ApplyFilterbank``.

    Args:
        type: ``'mel'`` or ``'log'``.
        filterbank_kwargs: kapre's keys. ``'mel'``: ``sample_rate``, ``n_freq`` (the STFT's bins,
            ``n_fft // 2 + 1``), ``n_mels=128``, ``f_min=0.0``, ``f_max=None``, ``htk=False``,
            ``norm='slaney'``. ``'log'``: ``sample_rate``, ``n_freq``, ``n_bins=84``,
            ``bins_per_octave=12``, ``f_min=None`` (C1), ``spread=0.125``. The matrix is
            :func:`spec_augment.filterbanks.mel_filterbank` with ``n_fft = 2 * (n_freq - 1)``, as in kapre
            (see :mod:`spec_augment.filterbanks` for odd FFT lengths), or
            :func:`~spec_augment.filterbanks.log_frequency_filterbank`, built once in numpy (float32, as
            kapre's; float64 for float64 input).
        data_format: ``'channels_last'`` for ``(batch, frames, freq, channels)``, ``'channels_first'`` for
            ``(batch, channels, frames, freq)``, ``'default'`` for Keras' image data format.
        **kwargs: ``keras.layers.Layer``'s.

    Output dtype: float64 for float64 input, else float32.

    >>> import numpy as np
    >>> layer = ApplyFilterbank("mel", dict(sample_rate=16000, n_freq=257, n_mels=40), data_format="channels_first")
    >>> tuple(layer(np.ones((2, 1, 10, 257), "float32")).shape)
    (2, 1, 10, 40)
    """

    def __init__(self, type: str, filterbank_kwargs: dict, data_format: str = "default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(type, str) or type not in FILTERBANK_TYPES:
            raise ValueError(f"`type` must be one of {FILTERBANK_TYPES}, got type={type!r}.")
        if not isinstance(filterbank_kwargs, dict):
            raise TypeError(
                f"`filterbank_kwargs` must be a dict, got filterbank_kwargs={filterbank_kwargs!r} "
                f"({filterbank_kwargs.__class__.__name__})."
            )
        required, optional = _FILTERBANK_ARGUMENTS[type]
        unknown = sorted(set(filterbank_kwargs) - set(required) - set(optional), key=str)
        if unknown:
            raise TypeError(
                f"`filterbank_kwargs` for type={type!r} takes {required + tuple(optional)}, got unknown "
                f"key(s) {unknown} in filterbank_kwargs={filterbank_kwargs!r}."
            )
        missing = [key for key in required if key not in filterbank_kwargs]
        if missing:
            raise TypeError(f"`filterbank_kwargs` for type={type!r} needs {missing}, got "
                            f"filterbank_kwargs={filterbank_kwargs!r}.")
        arguments = dict(optional, **filterbank_kwargs)
        n_freq = validation.check_int(arguments["n_freq"], "n_freq", minimum=2)
        if type == "mel":
            dsp_checks.check_mel(arguments["sample_rate"], n_freq, arguments["n_mels"], arguments["f_min"],
                                 arguments["f_max"], arguments["htk"], arguments["norm"],
                                 bins=f"n_freq = {n_freq} (the STFT's frequency bins)")
        else:
            dsp_checks.check_log(arguments["sample_rate"], arguments["n_bins"], arguments["bins_per_octave"],
                                 arguments["f_min"], arguments["spread"])
        self.type = type
        self.filterbank_kwargs = dict(filterbank_kwargs)
        self.data_format = validation.resolve_data_format(data_format, "data_format")
        self.n_freq = n_freq
        self._filterbanks = {dtype: _filterbank(type, arguments, dtype) for dtype in ("float32", "float64")}
        self.n_bins = self._filterbanks["float32"].shape[1]

    @property
    def filterbank(self) -> np.ndarray:
        """The ``(n_freq, n_bins)`` float32 matrix (kapre's ``filterbank``, as numpy)."""
        return self._filterbanks["float32"]

    def call(self, inputs: Any) -> Any:
        dtype = self._compute_dtype_for(inputs)
        x = ops.cast(inputs, dtype)
        matrix = ops.convert_to_tensor(self._filterbanks[dtype], dtype)
        if self.data_format == validation.CH_LAST:
            x = _channels_to_axis(x, 3, 2)  # the frequency axis last
        # One 2-D product: (cells, freq) @ (freq, bins).
        shape = ops.shape(x)
        bands = _product(ops.reshape(x, (-1, self.n_freq)), matrix)
        bands = ops.reshape(bands, (shape[0], shape[1], shape[2], self.n_bins))
        return _channels_to_axis(bands, 2, 3) if self.data_format == validation.CH_LAST else bands

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape)
        shape[3 if self.data_format == validation.CH_FIRST else 2] = self.n_bins
        return tuple(shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(type=self.type, filterbank_kwargs=dict(self.filterbank_kwargs), data_format=self.data_format)
        return config



def _filterbank(kind: str, arguments: dict, dtype: str) -> np.ndarray:
    if kind == "mel":
        # kapre derives the FFT length from the bins: 2 * (n_freq - 1), one less than an odd n_fft.
        return mel_filterbank(
            arguments["sample_rate"], 2 * (arguments["n_freq"] - 1), arguments["n_mels"], arguments["f_min"],
            arguments["f_max"], arguments["htk"], arguments["norm"], dtype=dtype,
        )
    return log_frequency_filterbank(
        arguments["sample_rate"], arguments["n_freq"], arguments["n_bins"], arguments["bins_per_octave"],
        arguments["f_min"], arguments["spread"], dtype=dtype,
    )


@keras.saving.register_keras_serializable(package="spec_augment")
class MagnitudeToDecibel(_DspLayer):
    """Magnitudes to decibels with kapre's rule (``kapre.backend.magnitude_to_decibel``).

    ``10 * log10(max(x, amin)) - 10 * log10(max(amin, ref_value))``, then each example floored at its
    peak minus ``dynamic_range`` (the peak over every axis but the batch axis; a 1-D input is one example).
    As in kapre the factor is 10, not 20, whether the input is a magnitude or a power.

    Non-finite input, the same on every backend: a NaN or ``+inf`` cell is NaN (``+inf`` comes from an
    overflow, or from a frame with an infinite sample where the backend's FFT gives ``inf`` rather than NaN);
    the peak is taken over the example's finite cells only, so such a cell does not move the floor of the
    others (kapre's ``reduce_max`` would make the whole example NaN or ``+inf``), and an example with no
    finite cell is all NaN. Silence (all zeros) is ``10 * log10(amin) - 10 * log10(max(amin, ref_value))``
    in every cell (-50 dB with the defaults), as in kapre. Output dtype: float64 for float64 input, else
    float32.

    Args:
        ref_value: the magnitude that becomes 0 dB (> 0).
        amin: the smallest magnitude; smaller ones count as ``amin`` (> 0).
        dynamic_range: decibels kept below each example's peak (> 0).
        **kwargs: ``keras.layers.Layer``'s.

    >>> import numpy as np
    >>> decibels = MagnitudeToDecibel(dynamic_range=30.0)(np.array([[1000.0, 1.0, 0.0, np.nan]], "float32"))
    >>> ops.convert_to_numpy(decibels).round(4).tolist()
    [[30.0, 0.0, 0.0, nan]]
    """

    def __init__(self, ref_value: float = 1.0, amin: float = 1e-5, dynamic_range: float = 80.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.amin, self.ref_value, self.dynamic_range = dsp_checks.check_decibel(amin, ref_value, dynamic_range)

    def call(self, inputs: Any) -> Any:
        dtype = self._compute_dtype_for(inputs)
        x = ops.cast(inputs, dtype)
        # amin and the reference in the data's dtype, as kapre's tf.cast(amin, x.dtype).
        # amin and the reference rounded to the data's dtype, as kapre's tf.cast(amin, x.dtype).
        amin = float(np.asarray(self.amin, dtype))
        offset = 10.0 * math.log10(max(amin, float(np.asarray(self.ref_value, dtype))))
        axes = tuple(range(1, len(x.shape))) if len(x.shape) > 1 else None
        is_finite = ops.isfinite(x)
        peak = ops.max(ops.where(is_finite, x, -np.inf), axis=axes, keepdims=True, initial=-np.inf)
        # kapre's floor, max(decibels, peak decibels - dynamic_range), taken on the magnitudes before the
        # logarithm: one maximum with a per-example threshold (NaN stays NaN in a maximum on every backend).
        threshold = _dsp_ops.maximum(peak * 10.0 ** (-self.dynamic_range / 10.0), amin)
        decibels = ops.log(_dsp_ops.maximum(x, threshold)) * (10.0 / math.log(10.0)) - offset
        # +inf (an overflow, or a frame with an infinite sample where the backend's FFT gives inf) is NaN too.
        return ops.where(is_finite, decibels, np.nan)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(ref_value=self.ref_value, amin=self.amin, dynamic_range=self.dynamic_range)
        return config
