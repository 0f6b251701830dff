"""The frontend the builders return, and the map from valid waveform samples to valid STFT frames.

A frame is *valid* when it starts before the example's last valid sample ends: with ``n`` valid
samples, frame ``i`` starts at sample ``i * hop_length - p`` (``p = n_fft - hop_length`` with
``pad_begin``, else 0) and is valid when that start is ``< n``; an example with ``n = 0`` has no
valid frame. So the valid frames are a prefix of the frames (``pad_begin``'s frames in front of the
waveform included), and the frames that start in the padding hold nothing but padding: the
SpecAugment leaves them exactly as at inference.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import keras
from keras import ops

from .. import _validation as validation
from ..time_frequency import StftFraming  # importing it registers the DSP layers a saved frontend may hold
from .arguments import require_tensorflow_backend


@keras.saving.register_keras_serializable(package="spec_augment")
class FrameMask(keras.layers.Layer):
    """``(batch, frames)`` bool mask of a frontend's valid frames: ``mask = FrameMask(...)(waveforms, lengths)``.

    Made by :meth:`AugmentedFrontend.frame_mask`; a layer, so it works on symbolic inputs of a
    functional model and saves with it. The number of frames follows the waveform's time axis.

    >>> import numpy as np
    >>> from spec_augment.composed import FrameMask
    >>> mask = FrameMask(n_fft=512, win_length=512, hop_length=128, pad_begin=False, pad_end=False,
    ...                  input_data_format='channels_last')
    >>> np.asarray(mask(np.zeros((2, 1024, 1), 'float32'), np.array([1024, 300]))).astype(int)
    array([[1, 1, 1, 1, 1],
           [1, 1, 1, 0, 0]])
    """

    def __init__(self, n_fft, win_length, hop_length, pad_begin, pad_end, input_data_format, **kwargs):
        super().__init__(**kwargs)
        self.framing = StftFraming(n_fft, win_length, hop_length, pad_begin, pad_end)
        self.input_data_format = validation.resolve_data_format(input_data_format, "input_data_format")

    def _time_axis(self):
        return 1 if self.input_data_format == validation.CH_LAST else 2

    def call(self, waveforms, lengths):
        lengths = validation.check_lengths(lengths, ops.shape(waveforms)[0], None, "waveform samples")
        return self.framing.frame_mask(lengths, ops.shape(waveforms)[self._time_axis()])

    def compute_output_spec(self, waveforms, lengths):
        validation.check_lengths(lengths, waveforms.shape[0], None, "waveform samples")
        n_samples = waveforms.shape[self._time_axis()]
        n_frames = None if n_samples is None else self.framing.n_frames(n_samples)
        return keras.KerasTensor((waveforms.shape[0], n_frames), dtype="bool")

    def get_config(self):
        config = super().get_config()
        config.update(dataclasses.asdict(self.framing), input_data_format=self.input_data_format)
        return config


def frame_lengths(
    sample_lengths: Any,
    n_samples: int,
    *,
    n_fft: int,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    pad_begin: bool = False,
    pad_end: bool = False,
) -> Any:
    """Valid STFT frames per example for ``sample_lengths`` valid samples, with kapre's STFT framing.

    Same arguments and defaults as kapre's ``STFT`` (``win_length`` defaults to ``n_fft``,
    ``hop_length`` to ``win_length // 4``). A frame is valid when it starts before the example's last
    valid sample ends (the module docstring has the formula); negative lengths count as 0, lengths
    past ``n_samples`` as ``n_samples``. For a frontend, :meth:`AugmentedFrontend.frame_lengths`
    reads these arguments from its STFT.

    Args:
        sample_lengths: integer array or tensor, shape (batch,): valid samples per example.
        n_samples: samples of the (padded) input, the length of its time axis.

    Returns:
        int32 tensor, shape (batch,): valid frames per example, at most the STFT's number of frames.

    >>> from spec_augment.composed import frame_lengths
    >>> [int(n) for n in frame_lengths([0, 1, 1000, 4000, 9999], 4000, n_fft=512, hop_length=128)]
    [0, 1, 8, 28, 28]
    """
    win_length = n_fft if win_length is None else win_length
    hop_length = win_length // 4 if hop_length is None else hop_length
    return StftFraming(n_fft, win_length, hop_length, pad_begin, pad_end).frame_lengths(sample_lengths, n_samples)


@keras.saving.register_keras_serializable(package="spec_augment")
class AugmentedFrontend(keras.Sequential):
    """A ``keras.Sequential`` of kapre STFT -> Magnitude -> [filterbank] -> [decibel] -> SpecAugment.

    The builders of :mod:`spec_augment.composed` return it. It is a plain ``Sequential`` (same
    config, same saving) with one more call argument: ``frontend(x, training=True, lengths=n)``,
    ``n`` the number of valid waveform samples of each example (integers, shape (batch,)). The
    frontend turns them into valid frames of its own STFT (:meth:`frame_lengths`) and passes those
    to its SpecAugment: masks and warp stay inside, the frames that start in the padding come out as
    at inference. Without ``lengths`` it is exactly the ``Sequential`` of its layers.

    >>> import numpy as np
    >>> from spec_augment.composed import get_augmented_stft_magnitude_layer
    >>> frontend = get_augmented_stft_magnitude_layer(
    ...     input_shape=(1024, 1), n_fft=256, hop_length=128, input_data_format='channels_last',
    ...     output_data_format='channels_last', n_time_mask=2, mask_value=-1.0, seed=0)
    >>> type(frontend).__name__, frontend.output_shape
    ('AugmentedFrontend', (None, 7, 129, 1))
    >>> lengths = np.array([1024, 200])  # valid samples; the second example is zero-padded after 200
    >>> [int(n) for n in frontend.frame_lengths(lengths)]  # frames starting at samples 0 and 128
    [7, 2]
    >>> augmented = np.asarray(frontend(np.ones((2, 1024, 1), 'float32'), training=True, lengths=lengths))
    >>> bool((augmented[1, 2:] == -1.0).any())  # nothing masked past the valid frames
    False
    """

    @property
    def framing(self) -> StftFraming:
        """The STFT's framing (``n_fft``, ``win_length``, ``hop_length``, ``pad_begin``, ``pad_end``)."""
        return StftFraming.of_stft(self.layers[0])

    @property
    def input_data_format(self) -> str:
        return self.layers[0].input_data_format

    def _time_axis(self) -> int:
        return 1 if self.input_data_format == validation.CH_LAST else 2

    def _static_n_samples(self, n_samples):
        if n_samples is not None:
            return validation.check_int(n_samples, "n_samples")
        try:
            n_samples = self.input_shape[self._time_axis()]
        except AttributeError:
            n_samples = None
        if n_samples is None:
            raise ValueError(
                f"Frontend {self.name!r} has no fixed input length; pass `n_samples`, the samples of the padded input."
            )
        return n_samples

    def frame_lengths(self, sample_lengths: Any, n_samples: Optional[int] = None) -> Any:
        """Valid frames per example (int32, shape (batch,)) for ``sample_lengths`` valid samples.

        ``n_samples`` (samples of the padded input) defaults to the frontend's fixed input length.
        Negative lengths count as 0, lengths past the input as the full input. See :func:`frame_lengths`.
        """
        return self.framing.frame_lengths(sample_lengths, self._static_n_samples(n_samples))

    def frame_mask(self, waveforms, lengths):
        """``(batch, frames)`` bool, ``True`` on each example's valid frames, for masking-aware layers.

        Works on tensors and on a functional model's symbolic inputs (it is a :class:`FrameMask`
        layer, which saves with the model): pass it as ``mask=`` to an LSTM/GRU or as
        ``query_mask``/``value_mask`` to ``MultiHeadAttention`` after reshaping the spectrogram to
        (batch, frames, features).
        """
        layer = FrameMask(**dataclasses.asdict(self.framing), input_data_format=self.input_data_format)
        return layer(waveforms, lengths)

    def call(self, inputs, training=None, mask=None, lengths=None):
        if lengths is None:
            return super().call(inputs, training=training, mask=mask)
        lengths = validation.check_lengths(lengths, ops.shape(inputs)[0], None, "waveform samples")
        frames = self.framing.frame_lengths(lengths, ops.shape(inputs)[self._time_axis()])
        outputs = inputs
        for layer in self.layers[:-1]:
            outputs = layer(outputs)
        return self.layers[-1](outputs, training=training, lengths=frames)

    def compute_output_spec(self, inputs, training=None, mask=None, lengths=None):
        if lengths is not None:
            validation.check_lengths(lengths, inputs.shape[0], None, "waveform samples")
        return super().compute_output_spec(inputs, training=training, mask=mask)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if any(str(layer.get("module", "")).startswith("kapre") for layer in config.get("layers", ())):
            # kapre's layers register themselves with Keras when kapre is imported; they run on TensorFlow only.
            require_tensorflow_backend(f"Loading the augmented frontend {config.get('name')!r} (made of kapre layers)")
            import kapre  # noqa: F401

        return super().from_config(config, custom_objects=custom_objects)
