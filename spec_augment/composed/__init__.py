"""Augmented audio frontends: kapre's spectrogram builders with a :class:`~spec_augment.SpecAugment` on top.

Each builder takes every argument of the matching ``kapre.composed`` builder, with the same names
and defaults, plus every argument of :class:`~spec_augment.SpecAugment` (or a ``policy`` of the
paper's Table 1), and returns ONE ``keras.Sequential`` (an :class:`AugmentedFrontend`)::

    waveform -> STFT -> Magnitude -> [ApplyFilterbank] -> [MagnitudeToDecibel] -> SpecAugment

The DSP layers are kapre's own (``use_kapre=True``; TensorFlow only) or the package's
:mod:`spec_augment.time_frequency` layers (``use_kapre=False``; every Keras backend), which take the
same arguments and give kapre's numbers. By default (``use_kapre=None``) a frontend is made of
kapre's layers where Keras runs on TensorFlow and kapre is installed, and of ours everywhere else.
At inference (``training=False``, ``model.predict``) a frontend returns what the kapre builder
returns; with ``training=True`` (``model.fit``) the masks land on the output's time and frequency
axes whatever the input and output data formats are.

======================================================  ===============================================
builder                                                 kapre counterpart
======================================================  ===============================================
:func:`get_augmented_stft_magnitude_layer`              ``get_stft_magnitude_layer``
:func:`get_augmented_melspectrogram_layer`              ``get_melspectrogram_layer``
:func:`get_augmented_log_frequency_spectrogram_layer`   ``get_log_frequency_spectrogram_layer``
======================================================  ===============================================

Augmentation arguments (all builders). Each SpecAugment argument takes, in this order of precedence:

1. the value given explicitly to the builder;
2. the value of ``policy`` (``'LB'``, ``'LD'``, ``'SM'`` or ``'SS'``), if one is given;
3. the builder default below;
4. the :class:`~spec_augment.SpecAugment` default.

The builder defaults are a mild augmentation, safe to switch on for any task:

* ``freq_mask_param = max(1, n_bins // 8)``: one frequency mask at most 1/8 of the frequency bins
  wide (16 of 128 mel bins, 128 of 1025 STFT bins, 10 of 84 log-frequency bins);
* ``time_mask_param = 20``: one time mask at most 20 frames wide;
* ``mask_value = 'mean'``: masked cells take each example's mean (see below);
* ``n_freq_mask = 1``, ``n_time_mask = 1``, ``time_warp_param = 0`` (no warp),
  ``time_mask_ratio = 1.0``, ``time_masks_per_frame = 0.0`` and the other arguments: the layer's own
  defaults.

Why ``mask_value='mean'``: the masked cells must stay inside the spectrogram's own range. A decibel
spectrogram lives in about ``max - 80 .. max`` dB, usually below 0 dB, so the layer's ``0.0`` fill
paints bars brighter than the loudest cell, and a fixed fill that suits one scale (decibel) is wrong
for another (linear magnitude). The per-example mean is inside ``[min, max]`` of every example in
every scale.

Names. With ``name=None`` a builder names its ``Sequential`` ``'augmented_melspectrogram'``, then
``'augmented_melspectrogram_1'``, ... (Keras' own naming counter), so several frontends fit in one
model; every sublayer is named ``'<frontend name>_<role>'`` (``_stft``, ``_magnitude``,
``_filterbank``, ``_decibel``, ``_spec_augment``). The layers are built with the data formats
resolved (``'default'`` -> ``keras.config.image_data_format()``), so a saved model keeps its layout
when it is loaded under another image data format. A saved frontend holds the layers it was built
with: one of ours loads on every backend, one of kapre's where kapre runs.

Padded batches. Every frontend takes the number of valid waveform samples of each example:
``frontend(x, training=True, lengths=samples)``. It turns them into valid frames of its own STFT
(:meth:`AugmentedFrontend.frame_lengths`, :func:`frame_lengths`: a frame is valid when it starts
before the example's last valid sample ends) and passes those to its SpecAugment, so masks, warp and
the ``p`` bound use each example's own length and the frames that start in the padding come out
exactly as at inference. :meth:`AugmentedFrontend.frame_mask` gives the (batch, frames) mask for
masking-aware layers after the frontend. ``docs/padded-batches.md`` has the recipe end to end.

Argument errors (an unknown data format or policy, a bad SpecAugment argument, a bad STFT,
filterbank or decibel argument, a bad ``input_shape``) raise ``ValueError`` or ``TypeError`` naming
the argument and its value when the builder is called, before any layer is made.
``use_kapre=True`` on another backend than TensorFlow raises :class:`TensorFlowBackendRequiredError`
(a ``RuntimeError``).

Layout: ``builders`` (the three builders), ``arguments`` (argument groups and their checks),
``assembly`` (the SpecAugment arguments in their order of precedence; the layers, in order),
``frontend`` (:class:`AugmentedFrontend`, the frame map of padded batches).
"""

from .arguments import DEFAULT, TensorFlowBackendRequiredError
from .builders import (
    get_augmented_log_frequency_spectrogram_layer,
    get_augmented_melspectrogram_layer,
    get_augmented_stft_magnitude_layer,
)
from .frontend import AugmentedFrontend, FrameMask, frame_lengths

__all__ = [
    "DEFAULT",
    "get_augmented_stft_magnitude_layer",
    "get_augmented_melspectrogram_layer",
    "get_augmented_log_frequency_spectrogram_layer",
    "AugmentedFrontend",
    "FrameMask",
    "frame_lengths",
    "TensorFlowBackendRequiredError",
]
