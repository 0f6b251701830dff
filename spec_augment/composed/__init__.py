"""Augmented audio frontends: kapre's spectrogram builders with a :class:`~spec_augment.SpecAugment` on top.

Each builder takes every argument of the matching ``kapre.composed`` builder, with the same names
and defaults, plus every argument of :class:`~spec_augment.SpecAugment` (or a ``policy`` of the
paper's Table 1), and returns ONE ``keras.Sequential``::

    waveform -> STFT -> Magnitude -> [ApplyFilterbank] -> [MagnitudeToDecibel] -> SpecAugment

The kapre layers are the very classes ``kapre.composed`` uses, built with the same arguments, so at
inference (``training=False``, ``model.predict``) the frontend returns exactly what the kapre
builder returns. With ``training=True`` (``model.fit``) the masks land on the output's time and
frequency axes whatever the input and output data formats are.

======================================================  ===============================================
builder                                                 kapre counterpart
======================================================  ===============================================
:func:`get_augmented_stft_magnitude_layer`              ``get_stft_magnitude_layer``
:func:`get_augmented_melspectrogram_layer`              ``get_melspectrogram_layer``
:func:`get_augmented_log_frequency_spectrogram_layer`   ``get_log_frequency_spectrogram_layer``
======================================================  ===============================================

Augmentation arguments (all builders). Every SpecAugment argument left out takes, in order:

1. the value of ``policy`` (``'LB'``, ``'LD'``, ``'SM'`` or ``'SS'``), if one is given;
2. the builder default below;
3. the :class:`~spec_augment.SpecAugment` default.

The builder defaults are a mild augmentation, safe to switch on for any task:

* ``freq_mask_param = max(1, n_bins // 8)``: one frequency mask at most 1/8 of the frequency bins
  wide (16 of 128 mel bins, 128 of 1025 STFT bins, 10 of 84 log-frequency bins);
* ``time_mask_param = 20``: one time mask at most 20 frames wide;
* ``mask_value = 'mean'``: masked cells take each example's mean (see below);
* ``n_freq_mask = 1``, ``n_time_mask = 1``, ``time_warp_param = 0`` (no warp),
  ``time_mask_ratio = 1.0``, ``time_masks_per_frame = 0.0``: the layer's own defaults.

Why ``mask_value='mean'``: the masked cells must stay inside the spectrogram's own range. A decibel
spectrogram lives in about ``max - 80 .. max`` dB, usually below 0 dB, so the layer's ``0.0`` fill
paints bars brighter than the loudest cell, and a fixed fill that suits one scale (decibel) is wrong
for another (linear magnitude). The per-example mean is inside ``[min, max]`` of every example in
every scale. An explicit ``mask_value`` (a number) always wins.

Names. With ``name=None`` a builder names its ``Sequential`` ``'augmented_melspectrogram'``, then
``'augmented_melspectrogram_1'``, ... (Keras' own naming counter), so several frontends fit in one
model; every sublayer is named ``'<frontend name>_<role>'`` (``_stft``, ``_magnitude``,
``_filterbank``, ``_decibel``, ``_spec_augment``). The kapre layers and the SpecAugment are built
with the data formats resolved (``'default'`` -> ``keras.config.image_data_format()``), so a saved
model keeps its layout when it is loaded under another image data format.

Padded batches. A frontend is a ``keras.Sequential``, and Keras drops call arguments other than
``training`` and ``mask`` on their way through a ``Sequential`` without a word, so
``frontend(x, training=True, lengths=...)`` masks as if every example were full length. For
per-example valid lengths, take the layers out (``frontend.layers``) and call the last one,
the SpecAugment, yourself: ``frontend.layers[-1](spectrogram, training=True, lengths=lengths)``.

Argument errors (an unknown data format or policy, a bad SpecAugment argument, a bad STFT size)
raise ``ValueError`` or ``TypeError`` naming the argument when the builder is called, before any
kapre layer is made.
"""

import keras
from kapre.time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel

from .. import backend
from ..augmentation import SpecAugment
from ..policies import POLICIES, policy_arguments

__all__ = [
    "DEFAULT",
    "get_augmented_stft_magnitude_layer",
    "get_augmented_melspectrogram_layer",
    "get_augmented_log_frequency_spectrogram_layer",
]

# kapre's DSP runs in float32 whatever the global policy: tf.signal's FFT has no float16 kernel, so
# under mixed_float16 the frontend computes in float32 and the layers after it cast as usual.
_DSP_DTYPE = "float32"

# Builder defaults that are not functions of the frontend (see the module docstring).
BUILDER_TIME_MASK_PARAM = 20
BUILDER_MASK_VALUE = "mean"
BUILDER_FREQ_MASK_FRACTION = 8  # freq_mask_param = max(1, n_bins // 8)


class _Default:
    """Marks a SpecAugment argument the caller left out (``None`` is a real ``time_mask_param``)."""

    def __repr__(self):
        return "DEFAULT"

    def __reduce__(self):
        # copy/pickle give back the one sentinel, so `is DEFAULT` keeps working.
        return "DEFAULT"


DEFAULT = _Default()

_SPEC_AUGMENT_ARGUMENTS_DOC = """\
        freq_mask_param (int): F, the widest frequency mask in bins.
            Builder default: ``max(1, n_bins // 8)``.
        time_mask_param (int or None): T, the widest time mask in frames (``None``: only
            ``time_mask_ratio`` bounds it). Builder default: ``20``.
        n_freq_mask (int): mF, frequency masks per example. Default: ``1``.
        n_time_mask (int): mT, time masks per example. Default: ``1``.
        mask_value (float or 'mean'): value of the masked cells. Builder default: ``'mean'``, each
            example's mean, which stays inside the spectrogram's range (a ``0.0`` fill would be
            brighter than any cell of a decibel spectrogram).
        time_warp_param (int): W, the time-warp parameter; 0 = no warp. Default: ``0``.
        time_mask_ratio (float): p in (0, 1]: no time mask wider than ``p * frames``. Default: ``1.0``.
        time_masks_per_frame (float): adaptive number of time masks (see ``SpecAugment``). Default: ``0.0``.
        seed (int or None): seed of the SpecAugment layer's random generator.
        policy (str or None): ``'LB'``, ``'LD'``, ``'SM'`` or ``'SS'`` (Table 1 of Park et al. 2019):
            its values replace the builder defaults; SpecAugment arguments given explicitly replace
            the policy's values.
        name (str or None): name of the returned ``Sequential`` and prefix of its sublayers' names.
            ``None``: a unique name made from ``'{default_name}'``."""


def _document(default_name):
    """Put the shared SpecAugment argument docs into a builder's docstring."""

    def decorate(builder):
        arguments_doc = _SPEC_AUGMENT_ARGUMENTS_DOC.replace("{default_name}", default_name)
        builder.__doc__ = builder.__doc__.replace("{spec_augment_arguments}", arguments_doc)
        return builder

    return decorate


# ---------------------------------------------------------------------------------------- helpers
def _unique_name(name, default_name):
    """``name`` as given, or ``default_name`` made unique with Keras' naming counter."""
    if name is None:
        # Same counter Keras uses for auto names: 'x', 'x_1', 'x_2', ... until clear_session().
        uid = keras.backend.get_uid(default_name)
        return default_name if uid == 1 else f"{default_name}_{uid - 1}"
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string or None, got name={name!r}.")
    return name


def _check_policy(policy):
    if policy is None:
        return {}
    try:
        return policy_arguments(policy)
    except ValueError:
        raise ValueError(f"`policy` must be None or one of {tuple(POLICIES)}, got policy={policy!r}.") from None


def _check_stft_arguments(n_fft, win_length, hop_length):
    backend.check_int(n_fft, "n_fft", minimum=1)
    if win_length is not None:
        backend.check_int(win_length, "win_length", minimum=1)
    if hop_length is not None:
        backend.check_int(hop_length, "hop_length", minimum=1)


def _check_decibel_arguments(return_decibel, db_amin, db_ref_value, db_dynamic_range):
    # kapre only checks these when the layer first runs; fail at build time instead.
    if return_decibel:
        backend.check_float(db_amin, "db_amin", 0.0, low_inclusive=False)
        backend.check_float(db_ref_value, "db_ref_value", 0.0, low_inclusive=False)
        backend.check_float(db_dynamic_range, "db_dynamic_range", 0.0, low_inclusive=False)


def _make_spec_augment(name, n_bins, data_format, policy, seed, given):
    """The SpecAugment layer: explicit arguments > policy > builder defaults > layer defaults."""
    arguments = {
        "freq_mask_param": max(1, n_bins // BUILDER_FREQ_MASK_FRACTION),
        "time_mask_param": BUILDER_TIME_MASK_PARAM,
        "mask_value": BUILDER_MASK_VALUE,
    }
    arguments.update(_check_policy(policy))
    arguments.update({key: value for key, value in given.items() if value is not DEFAULT})
    # The layer checks every argument and raises an error naming it.
    return SpecAugment(**arguments, data_format=data_format, seed=seed, name=f"{name}_spec_augment")


def _prepare(name, default_name, input_data_format, output_data_format, n_fft, win_length, hop_length,
             return_decibel, db_amin, db_ref_value, db_dynamic_range):
    """Check the arguments every builder shares; return (name, input format, output format)."""
    input_format = backend.resolve_data_format(input_data_format, "input_data_format")
    output_format = backend.resolve_data_format(output_data_format, "output_data_format")
    _check_stft_arguments(n_fft, win_length, hop_length)
    _check_decibel_arguments(return_decibel, db_amin, db_ref_value, db_dynamic_range)
    return _unique_name(name, default_name), input_format, output_format


def _assemble(name, input_shape, stft_arguments, filterbank, return_decibel, decibel_arguments, spec_augment,
              input_format, output_format):
    """waveform -> STFT -> Magnitude -> [filterbank] -> [decibel] -> SpecAugment, as one Sequential."""
    layers = []
    if input_shape is not None:
        # An Input layer instead of kapre's `input_shape=` kwarg, which Keras 3 warns about.
        layers.append(keras.Input(shape=tuple(input_shape), name=f"{name}_waveform"))
    layers.append(
        STFT(
            **stft_arguments,
            input_data_format=input_format,
            output_data_format=output_format,
            name=f"{name}_stft",
            dtype=_DSP_DTYPE,
        )
    )
    layers.append(Magnitude(name=f"{name}_magnitude", dtype=_DSP_DTYPE))
    if filterbank is not None:
        filterbank_type, filterbank_kwargs = filterbank
        layers.append(
            ApplyFilterbank(
                type=filterbank_type,
                filterbank_kwargs=filterbank_kwargs,
                data_format=output_format,
                name=f"{name}_filterbank",
                dtype=_DSP_DTYPE,
            )
        )
    if return_decibel:
        layers.append(MagnitudeToDecibel(**decibel_arguments, name=f"{name}_decibel", dtype=_DSP_DTYPE))
    layers.append(spec_augment)
    return keras.Sequential(layers, name=name)


_SPEC_AUGMENT_ARGUMENTS = (
    "freq_mask_param", "time_mask_param", "n_freq_mask", "n_time_mask", "mask_value",
    "time_warp_param", "time_mask_ratio", "time_masks_per_frame",
)
_STFT_ARGUMENTS = ("n_fft", "win_length", "hop_length", "window_name", "pad_begin", "pad_end")


def _build_frontend(default_name, arguments, n_bins, filterbank=None):
    """Check a builder's ``arguments`` (its own, by name), then assemble its frontend."""
    name, input_format, output_format = _prepare(
        arguments["name"], default_name, arguments["input_data_format"], arguments["output_data_format"],
        arguments["n_fft"], arguments["win_length"], arguments["hop_length"], arguments["return_decibel"],
        arguments["db_amin"], arguments["db_ref_value"], arguments["db_dynamic_range"],
    )
    spec_augment = _make_spec_augment(
        name, n_bins, output_format, arguments["policy"], arguments["seed"],
        {key: arguments[key] for key in _SPEC_AUGMENT_ARGUMENTS},
    )
    return _assemble(
        name,
        arguments["input_shape"],
        {key: arguments[key] for key in _STFT_ARGUMENTS},
        filterbank,
        arguments["return_decibel"],
        dict(ref_value=arguments["db_ref_value"], amin=arguments["db_amin"], dynamic_range=arguments["db_dynamic_range"]),
        spec_augment,
        input_format,
        output_format,
    )


# --------------------------------------------------------------------------------------- builders
@_document("augmented_stft_magnitude")
def get_augmented_stft_magnitude_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    freq_mask_param=DEFAULT,
    time_mask_param=DEFAULT,
    n_freq_mask=DEFAULT,
    n_time_mask=DEFAULT,
    mask_value=DEFAULT,
    time_warp_param=DEFAULT,
    time_mask_ratio=DEFAULT,
    time_masks_per_frame=DEFAULT,
    seed=None,
    policy=None,
    name=None,
):
    """An augmented STFT-magnitude frontend: ``kapre.composed.get_stft_magnitude_layer`` + ``SpecAugment``.

    Returns a ``keras.Sequential`` of kapre's ``STFT``, ``Magnitude``, optionally
    ``MagnitudeToDecibel``, and a :class:`~spec_augment.SpecAugment` on the output's
    ``n_fft // 2 + 1`` frequency bins. At inference it equals the kapre builder's output.

    Args:
        input_shape (None or tuple of int): shape of one waveform, e.g. ``(44100, 1)`` for
            ``input_data_format='channels_last'``; needed when the frontend is a model's first layer.
        n_fft (int): number of FFT points in ``STFT``.
        win_length (int or None): window length of ``STFT`` (default ``n_fft``).
        hop_length (int or None): hop length of ``STFT`` (default ``win_length // 4``).
        window_name (str or None): name of the ``tf.signal`` window (default ``'hann_window'``).
        pad_begin (bool): zero-pad ``n_fft - hop_length`` samples at the beginning.
        pad_end (bool): zero-pad the end of the signal in ``STFT``.
        return_decibel (bool): apply kapre's ``MagnitudeToDecibel`` before augmenting.
        db_amin (float): noise floor of the decibel scaling.
        db_ref_value (float): reference value (0 dB) of the decibel scaling.
        db_dynamic_range (float): dynamic range of the decibel scaling.
        input_data_format (str): ``'channels_last'`` (batch, time, channels), ``'channels_first'``
            (batch, channels, time) or ``'default'`` (``keras.config.image_data_format()``).
        output_data_format (str): ``'channels_last'`` (batch, time, freq, channels),
            ``'channels_first'`` (batch, channels, time, freq) or ``'default'``.
{spec_augment_arguments}

    Returns:
        keras.Sequential: the frontend; ``training=True`` augments, anything else is kapre's output.

    Example:
        ::

            import keras
            from spec_augment.composed import get_augmented_stft_magnitude_layer

            stft_magnitude = get_augmented_stft_magnitude_layer(
                input_shape=(2048, 1), n_fft=1024, return_decibel=True,
                input_data_format='channels_last', output_data_format='channels_first', seed=0)
            model = keras.Sequential([stft_magnitude])
            # output (batch, ch=1, n_frame=5, n_freq=513); masks of up to 64 bins and 20 frames
            # when training, filled with each example's mean
    """
    return _build_frontend("augmented_stft_magnitude", locals(), n_bins=n_fft // 2 + 1)


@_document("augmented_melspectrogram")
def get_augmented_melspectrogram_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    sample_rate=22050,
    n_mels=128,
    mel_f_min=0.0,
    mel_f_max=None,
    mel_htk=False,
    mel_norm="slaney",
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    freq_mask_param=DEFAULT,
    time_mask_param=DEFAULT,
    n_freq_mask=DEFAULT,
    n_time_mask=DEFAULT,
    mask_value=DEFAULT,
    time_warp_param=DEFAULT,
    time_mask_ratio=DEFAULT,
    time_masks_per_frame=DEFAULT,
    seed=None,
    policy=None,
    name=None,
):
    """An augmented melspectrogram frontend: ``kapre.composed.get_melspectrogram_layer`` + ``SpecAugment``.

    Returns a ``keras.Sequential`` of kapre's ``STFT``, ``Magnitude``, ``ApplyFilterbank(type='mel')``,
    optionally ``MagnitudeToDecibel``, and a :class:`~spec_augment.SpecAugment` on the ``n_mels``
    mel bins. At inference it equals the kapre builder's output.

    Args:
        input_shape (None or tuple of int): shape of one waveform, e.g. ``(44100, 1)`` for
            ``input_data_format='channels_last'``; needed when the frontend is a model's first layer.
        n_fft (int): number of FFT points in ``STFT``.
        win_length (int or None): window length of ``STFT`` (default ``n_fft``).
        hop_length (int or None): hop length of ``STFT`` (default ``win_length // 4``).
        window_name (str or None): name of the ``tf.signal`` window (default ``'hann_window'``).
        pad_begin (bool): zero-pad ``n_fft - hop_length`` samples at the beginning.
        pad_end (bool): zero-pad the end of the signal in ``STFT``.
        sample_rate (int): sample rate of the input audio.
        n_mels (int): number of mel bins.
        mel_f_min (float): lowest frequency of the mel filterbank.
        mel_f_max (float or None): highest frequency of the mel filterbank (``None``: ``sample_rate / 2``).
        mel_htk (bool): use the HTK mel formula.
        mel_norm ('slaney' or number or None): normalization of the mel triangles.
        return_decibel (bool): apply kapre's ``MagnitudeToDecibel`` before augmenting (recommended).
        db_amin (float): noise floor of the decibel scaling.
        db_ref_value (float): reference value (0 dB) of the decibel scaling.
        db_dynamic_range (float): dynamic range of the decibel scaling.
        input_data_format (str): ``'channels_last'`` (batch, time, channels), ``'channels_first'``
            (batch, channels, time) or ``'default'`` (``keras.config.image_data_format()``).
        output_data_format (str): ``'channels_last'`` (batch, time, freq, channels),
            ``'channels_first'`` (batch, channels, time, freq) or ``'default'``.
{spec_augment_arguments}

    Returns:
        keras.Sequential: the frontend; ``training=True`` augments, anything else is kapre's output.

    Example:
        ::

            import keras
            from spec_augment.composed import get_augmented_melspectrogram_layer

            melgram = get_augmented_melspectrogram_layer(
                input_shape=(2, 22050), n_fft=1024, n_mels=96, return_decibel=True,
                input_data_format='channels_first', output_data_format='channels_last',
                policy='LD', seed=0)
            model = keras.Sequential([
                melgram,  # (batch, n_frame=83, n_mels=96, ch=2); LD policy masks when training
                keras.layers.Conv2D(16, 3, activation='relu'),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(10, activation='softmax'),
            ])
    """
    backend.check_int(n_mels, "n_mels", minimum=1)
    mel_kwargs = {
        "sample_rate": sample_rate,
        "n_freq": n_fft // 2 + 1,
        "n_mels": n_mels,
        "f_min": mel_f_min,
        "f_max": mel_f_max,
        "htk": mel_htk,
        "norm": mel_norm,
    }
    return _build_frontend("augmented_melspectrogram", locals(), n_bins=n_mels, filterbank=("mel", mel_kwargs))


@_document("augmented_log_frequency_spectrogram")
def get_augmented_log_frequency_spectrogram_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    sample_rate=22050,
    log_n_bins=84,
    log_f_min=None,
    log_bins_per_octave=12,
    log_spread=0.125,
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    freq_mask_param=DEFAULT,
    time_mask_param=DEFAULT,
    n_freq_mask=DEFAULT,
    n_time_mask=DEFAULT,
    mask_value=DEFAULT,
    time_warp_param=DEFAULT,
    time_mask_ratio=DEFAULT,
    time_masks_per_frame=DEFAULT,
    seed=None,
    policy=None,
    name=None,
):
    """An augmented log-frequency frontend: ``kapre.composed.get_log_frequency_spectrogram_layer`` + ``SpecAugment``.

    Returns a ``keras.Sequential`` of kapre's ``STFT``, ``Magnitude``, ``ApplyFilterbank(type='log')``,
    optionally ``MagnitudeToDecibel``, and a :class:`~spec_augment.SpecAugment` on the
    ``log_n_bins`` log-frequency bins. At inference it equals the kapre builder's output.

    Args:
        input_shape (None or tuple of int): shape of one waveform, e.g. ``(44100, 1)`` for
            ``input_data_format='channels_last'``; needed when the frontend is a model's first layer.
        n_fft (int): number of FFT points in ``STFT``.
        win_length (int or None): window length of ``STFT`` (default ``n_fft``).
        hop_length (int or None): hop length of ``STFT`` (default ``win_length // 4``).
        window_name (str or None): name of the ``tf.signal`` window (default ``'hann_window'``).
        pad_begin (bool): zero-pad ``n_fft - hop_length`` samples at the beginning.
        pad_end (bool): zero-pad the end of the signal in ``STFT``.
        sample_rate (int): sample rate of the input audio.
        log_n_bins (int): number of log-frequency bins.
        log_f_min (float or None): lowest frequency of the filterbank (``None``: C1, about 32.70 Hz).
        log_bins_per_octave (int): bins per octave.
        log_spread (float): spread of each log-normal filter, as a fraction of a bin.
        return_decibel (bool): apply kapre's ``MagnitudeToDecibel`` before augmenting.
        db_amin (float): noise floor of the decibel scaling.
        db_ref_value (float): reference value (0 dB) of the decibel scaling.
        db_dynamic_range (float): dynamic range of the decibel scaling.
        input_data_format (str): ``'channels_last'`` (batch, time, channels), ``'channels_first'``
            (batch, channels, time) or ``'default'`` (``keras.config.image_data_format()``).
        output_data_format (str): ``'channels_last'`` (batch, time, freq, channels),
            ``'channels_first'`` (batch, channels, time, freq) or ``'default'``.
{spec_augment_arguments}

    Returns:
        keras.Sequential: the frontend; ``training=True`` augments, anything else is kapre's output.

    Example:
        ::

            import keras
            from spec_augment.composed import get_augmented_log_frequency_spectrogram_layer

            log_frequency = get_augmented_log_frequency_spectrogram_layer(
                input_shape=(2048, 2), n_fft=1024, return_decibel=True, log_n_bins=84,
                input_data_format='channels_last', output_data_format='channels_last',
                freq_mask_param=12, n_freq_mask=2, mask_value=-80.0, seed=0)
            model = keras.Sequential([log_frequency])
            # output (batch, n_frame=5, n_bins=84, ch=2); two masks of up to 12 bins, filled with -80.0
    """
    backend.check_int(log_n_bins, "log_n_bins", minimum=1)
    log_kwargs = {
        "sample_rate": sample_rate,
        "n_freq": n_fft // 2 + 1,
        "n_bins": log_n_bins,
        "bins_per_octave": log_bins_per_octave,
        "f_min": log_f_min,
        "spread": log_spread,
    }
    return _build_frontend(
        "augmented_log_frequency_spectrogram", locals(), n_bins=log_n_bins, filterbank=("log", log_kwargs)
    )
