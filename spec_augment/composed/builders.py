"""The three public builders: kapre's spectrogram builders with a :class:`~spec_augment.SpecAugment` on top.

Each builder names its arguments as the kapre builder does, groups them (:mod:`.arguments`) and hands
them to :func:`.assembly.assemble`, which checks them all before it makes a layer.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from .arguments import (
    DEFAULT,
    AugmentArguments,
    DecibelArguments,
    LogFilterbank,
    MelFilterbank,
    StftArguments,
)
from .assembly import assemble
from .frontend import AugmentedFrontend

__all__ = [
    "get_augmented_stft_magnitude_layer",
    "get_augmented_melspectrogram_layer",
    "get_augmented_log_frequency_spectrogram_layer",
]

Number = Union[int, float]
Shape = Optional[Sequence[Optional[int]]]


def get_augmented_stft_magnitude_layer(
    input_shape: Shape = None,
    n_fft: int = 2048,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    window_name: Optional[str] = None,
    pad_begin: bool = False,
    pad_end: bool = False,
    return_decibel: bool = False,
    db_amin: float = 1e-5,
    db_ref_value: float = 1.0,
    db_dynamic_range: float = 80.0,
    input_data_format: str = "default",
    output_data_format: str = "default",
    freq_mask_param: Any = DEFAULT,
    time_mask_param: Any = DEFAULT,
    n_freq_mask: Any = DEFAULT,
    n_time_mask: Any = DEFAULT,
    mask_value: Any = DEFAULT,
    time_warp_param: Any = DEFAULT,
    time_mask_ratio: Any = DEFAULT,
    time_masks_per_frame: Any = DEFAULT,
    time_mask_budget: Any = DEFAULT,
    apply_probability: Any = DEFAULT,
    n_rect_mask: Any = DEFAULT,
    rect_time_param: Any = DEFAULT,
    rect_freq_param: Any = DEFAULT,
    freq_warp_param: Any = DEFAULT,
    seed: Optional[int] = None,
    policy: Optional[str] = None,
    name: Optional[str] = None,
    use_kapre: Optional[bool] = None,
) -> AugmentedFrontend:
    """An augmented STFT-magnitude frontend: ``kapre.composed.get_stft_magnitude_layer`` + ``SpecAugment``.

    ``STFT -> Magnitude -> [MagnitudeToDecibel] -> SpecAugment`` on the ``n_fft // 2 + 1`` frequency
    bins. At inference it equals the kapre builder's output.

    Args:
        input_shape (tuple of int or None): shape of one waveform, ``(time, channels)`` for
            ``input_data_format='channels_last'``, ``(channels, time)`` for ``'channels_first'``; the
            time may be ``None`` (waveforms padded per batch). Needed when the frontend is a model's
            first layer.
        n_fft (int): FFT size, >= 2.
        win_length (int or None): window length, at most ``n_fft`` (default ``n_fft``); the window
            sits at the start of each frame.
        hop_length (int or None): hop length, 1 .. ``n_fft`` (default ``win_length // 4``).
        window_name (str or None): ``'hann_window'`` (default), ``'hamming_window'``,
            ``'kaiser_window'``, ``'kaiser_bessel_derived_window'`` or ``'vorbis_window'``.
        pad_begin (bool): zero-pad ``n_fft - hop_length`` samples in front of the waveform.
        pad_end (bool): zero-pad the end, so the last samples get a frame of their own.
        return_decibel (bool): apply ``MagnitudeToDecibel`` before augmenting.
        db_amin (float): noise floor of the decibel scaling, > 0.
        db_ref_value (float): reference value (0 dB) of the decibel scaling, > 0.
        db_dynamic_range (float): dynamic range below each example's peak, > 0.
        input_data_format (str): ``'channels_last'`` (batch, time, channels), ``'channels_first'``
            (batch, channels, time) or ``'default'`` (``keras.config.image_data_format()``).
        output_data_format (str): ``'channels_last'`` (batch, time, freq, channels),
            ``'channels_first'`` (batch, channels, time, freq) or ``'default'``.
        freq_mask_param (int): F, the widest frequency mask in bins. Builder default: ``max(1, n_bins // 8)``.
        time_mask_param (int or None): T, the widest time mask in frames. Builder default: ``20``.
        n_freq_mask (int): frequency masks per example. Default: ``1``.
        n_time_mask (int): time masks per example. Default: ``1``.
        mask_value (float, 'mean' or 'noise'): value of the masked cells. Builder default: ``'mean'``,
            each example's mean, inside the spectrogram's range in any scale.
        time_warp_param (int): W, the time-warp parameter; 0 = no warp. Default: ``0``.
        time_mask_ratio (float): no time mask wider than this fraction of the frames. Default: ``1.0``.
        time_masks_per_frame (float): adaptive number of time masks. Default: ``0.0``.
        time_mask_budget (float): the most of an example's frames its time masks cover together.
            Default: ``1.0``.
        apply_probability (float): the probability that an example is augmented. Default: ``1.0``.
        n_rect_mask (int): rectangles (time x frequency) per example. Default: ``0``.
        rect_time_param (int): the widest rectangle, in frames. Default: ``0``.
        rect_freq_param (int): the tallest rectangle, in bins. Default: ``0``.
        freq_warp_param (int): the frequency warp's parameter; 0 = no warp. Default: ``0``.
        seed (int or None): seed of the SpecAugment layer's random state.
        policy (str or None): ``'LB'``, ``'LD'``, ``'SM'`` or ``'SS'`` (Table 1 of Park et al. 2019).
            Precedence: an argument given explicitly, then the policy's value, then the builder
            default, then :class:`~spec_augment.SpecAugment`'s own default.
        name (str or None): name of the frontend and prefix of its sublayers' names (``None``: a
            unique name made from ``'augmented_stft_magnitude'``).
        use_kapre (bool or None): build the STFT, magnitude and decibel layers from kapre (``True``;
            TensorFlow backend with kapre installed) or from :mod:`spec_augment.time_frequency`
            (``False``; every backend). ``None``: kapre's where Keras runs on TensorFlow and kapre is
            installed, ours elsewhere.

    Returns:
        AugmentedFrontend: a ``keras.Sequential``; ``frontend(x, training=True)`` augments,
        ``frontend(x, training=True, lengths=samples)`` augments only each example's valid frames.

    Raises:
        ValueError, TypeError: a bad argument, named with its value, before any layer is built.
        TensorFlowBackendRequiredError: ``use_kapre=True`` on a backend other than TensorFlow.

    Example:
        >>> from spec_augment.composed import get_augmented_stft_magnitude_layer
        >>> frontend = get_augmented_stft_magnitude_layer(
        ...     input_shape=(2048, 1), n_fft=1024, return_decibel=True,
        ...     input_data_format='channels_last', output_data_format='channels_first', seed=0)
        >>> frontend.output_shape  # (batch, channels, frames, frequency bins)
        (None, 1, 5, 513)
        >>> augment = frontend.layers[-1]  # up to 64 bins, 20 frames, filled with each example's mean
        >>> (augment.freq_mask_param, augment.time_mask_param, augment.mask_value)
        (64, 20, 'mean')
    """
    return assemble(
        default_name="augmented_stft_magnitude", name=name, use_kapre=use_kapre, input_shape=input_shape,
        input_data_format=input_data_format, output_data_format=output_data_format,
        stft=StftArguments(n_fft=n_fft, win_length=win_length, hop_length=hop_length, window_name=window_name,
                           pad_begin=pad_begin, pad_end=pad_end),
        filterbank=None,
        decibel=DecibelArguments(return_decibel=return_decibel, amin=db_amin, ref_value=db_ref_value,
                                 dynamic_range=db_dynamic_range),
        augment=AugmentArguments(
            freq_mask_param=freq_mask_param, time_mask_param=time_mask_param, n_freq_mask=n_freq_mask,
            n_time_mask=n_time_mask, mask_value=mask_value, time_warp_param=time_warp_param,
            time_mask_ratio=time_mask_ratio, time_masks_per_frame=time_masks_per_frame,
            time_mask_budget=time_mask_budget, apply_probability=apply_probability, n_rect_mask=n_rect_mask,
            rect_time_param=rect_time_param, rect_freq_param=rect_freq_param, freq_warp_param=freq_warp_param,
            seed=seed, policy=policy),
    )


def get_augmented_melspectrogram_layer(
    input_shape: Shape = None,
    n_fft: int = 2048,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    window_name: Optional[str] = None,
    pad_begin: bool = False,
    pad_end: bool = False,
    sample_rate: Number = 22050,
    n_mels: int = 128,
    mel_f_min: float = 0.0,
    mel_f_max: Optional[float] = None,
    mel_htk: bool = False,
    mel_norm: Union[str, float, None] = "slaney",
    return_decibel: bool = False,
    db_amin: float = 1e-5,
    db_ref_value: float = 1.0,
    db_dynamic_range: float = 80.0,
    input_data_format: str = "default",
    output_data_format: str = "default",
    freq_mask_param: Any = DEFAULT,
    time_mask_param: Any = DEFAULT,
    n_freq_mask: Any = DEFAULT,
    n_time_mask: Any = DEFAULT,
    mask_value: Any = DEFAULT,
    time_warp_param: Any = DEFAULT,
    time_mask_ratio: Any = DEFAULT,
    time_masks_per_frame: Any = DEFAULT,
    time_mask_budget: Any = DEFAULT,
    apply_probability: Any = DEFAULT,
    n_rect_mask: Any = DEFAULT,
    rect_time_param: Any = DEFAULT,
    rect_freq_param: Any = DEFAULT,
    freq_warp_param: Any = DEFAULT,
    seed: Optional[int] = None,
    policy: Optional[str] = None,
    name: Optional[str] = None,
    use_kapre: Optional[bool] = None,
) -> AugmentedFrontend:
    """An augmented melspectrogram frontend: ``kapre.composed.get_melspectrogram_layer`` + ``SpecAugment``.

    ``STFT -> Magnitude -> ApplyFilterbank('mel') -> [MagnitudeToDecibel] -> SpecAugment`` on the
    ``n_mels`` mel bins. At inference it equals the kapre builder's output. The STFT, decibel
    (``return_decibel=True`` is recommended), data-format and augmentation arguments are those of
    :func:`get_augmented_stft_magnitude_layer`.

    Args:
        sample_rate (int or float): sample rate of the audio, > 0.
        n_mels (int): number of mel bins, 1 .. ``n_fft // 2 + 1``.
        mel_f_min (float): lowest frequency of the filterbank, 0 .. ``mel_f_max``.
        mel_f_max (float or None): highest frequency, at most ``sample_rate / 2`` (``None``: that).
        mel_htk (bool): the HTK mel formula instead of Slaney's.
        mel_norm ('slaney' or number or None): normalization of the triangles (a number: the p-norm,
            ``np.inf`` included).
        name (str or None): name of the frontend (``None``: unique, from ``'augmented_melspectrogram'``).
        use_kapre (bool or None): kapre's layers or ours, as in :func:`get_augmented_stft_magnitude_layer`.

    Returns:
        AugmentedFrontend: a ``keras.Sequential`` (see :func:`get_augmented_stft_magnitude_layer`).

    Raises:
        ValueError, TypeError: a bad argument, named with its value, before any layer is built.
        TensorFlowBackendRequiredError: ``use_kapre=True`` on a backend other than TensorFlow.

    Example:
        >>> import numpy as np
        >>> from spec_augment.composed import get_augmented_melspectrogram_layer
        >>> frontend = get_augmented_melspectrogram_layer(
        ...     input_shape=(8000, 1), n_fft=512, hop_length=128, sample_rate=8000, n_mels=40,
        ...     return_decibel=True, input_data_format='channels_last',
        ...     output_data_format='channels_last', policy='LD', seed=0)
        >>> frontend.output_shape  # (batch, frames, mel bins, channels)
        (None, 59, 40, 1)

        A padded batch: the second waveform has 3,000 valid samples, hence 24 valid frames.

        >>> waveforms = np.random.default_rng(0).uniform(-0.1, 0.1, (2, 8000, 1)).astype('float32')
        >>> lengths = np.array([8000, 3000])
        >>> [int(n) for n in frontend.frame_lengths(lengths)]
        [59, 24]
        >>> augmented = frontend(waveforms, training=True, lengths=lengths)
        >>> bool(np.array_equal(augmented[1, 24:], frontend(waveforms)[1, 24:]))  # padding as at inference
        True
    """
    return assemble(
        default_name="augmented_melspectrogram", name=name, use_kapre=use_kapre, input_shape=input_shape,
        input_data_format=input_data_format, output_data_format=output_data_format,
        stft=StftArguments(n_fft=n_fft, win_length=win_length, hop_length=hop_length, window_name=window_name,
                           pad_begin=pad_begin, pad_end=pad_end),
        filterbank=MelFilterbank(sample_rate=sample_rate, n_mels=n_mels, f_min=mel_f_min, f_max=mel_f_max,
                                 htk=mel_htk, norm=mel_norm),
        decibel=DecibelArguments(return_decibel=return_decibel, amin=db_amin, ref_value=db_ref_value,
                                 dynamic_range=db_dynamic_range),
        augment=AugmentArguments(
            freq_mask_param=freq_mask_param, time_mask_param=time_mask_param, n_freq_mask=n_freq_mask,
            n_time_mask=n_time_mask, mask_value=mask_value, time_warp_param=time_warp_param,
            time_mask_ratio=time_mask_ratio, time_masks_per_frame=time_masks_per_frame,
            time_mask_budget=time_mask_budget, apply_probability=apply_probability, n_rect_mask=n_rect_mask,
            rect_time_param=rect_time_param, rect_freq_param=rect_freq_param, freq_warp_param=freq_warp_param,
            seed=seed, policy=policy),
    )


def get_augmented_log_frequency_spectrogram_layer(
    input_shape: Shape = None,
    n_fft: int = 2048,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    window_name: Optional[str] = None,
    pad_begin: bool = False,
    pad_end: bool = False,
    sample_rate: Number = 22050,
    log_n_bins: int = 84,
    log_f_min: Optional[float] = None,
    log_bins_per_octave: int = 12,
    log_spread: float = 0.125,
    return_decibel: bool = False,
    db_amin: float = 1e-5,
    db_ref_value: float = 1.0,
    db_dynamic_range: float = 80.0,
    input_data_format: str = "default",
    output_data_format: str = "default",
    freq_mask_param: Any = DEFAULT,
    time_mask_param: Any = DEFAULT,
    n_freq_mask: Any = DEFAULT,
    n_time_mask: Any = DEFAULT,
    mask_value: Any = DEFAULT,
    time_warp_param: Any = DEFAULT,
    time_mask_ratio: Any = DEFAULT,
    time_masks_per_frame: Any = DEFAULT,
    time_mask_budget: Any = DEFAULT,
    apply_probability: Any = DEFAULT,
    n_rect_mask: Any = DEFAULT,
    rect_time_param: Any = DEFAULT,
    rect_freq_param: Any = DEFAULT,
    freq_warp_param: Any = DEFAULT,
    seed: Optional[int] = None,
    policy: Optional[str] = None,
    name: Optional[str] = None,
    use_kapre: Optional[bool] = None,
) -> AugmentedFrontend:
    """An augmented log-frequency frontend: ``kapre.composed.get_log_frequency_spectrogram_layer`` + ``SpecAugment``.

    ``STFT -> Magnitude -> ApplyFilterbank('log') -> [MagnitudeToDecibel] -> SpecAugment`` on the
    ``log_n_bins`` log-frequency bins. At inference it equals the kapre builder's output. The STFT, decibel
    (``return_decibel=True`` is recommended), data-format and augmentation arguments are those of
    :func:`get_augmented_stft_magnitude_layer`.

    Args:
        sample_rate (int or float): sample rate of the audio, > 0.
        log_n_bins (int): number of log-frequency bins; the top one must stay below ``sample_rate / 2``.
        log_f_min (float or None): lowest frequency, > 0 (``None``: C1, about 32.70 Hz).
        log_bins_per_octave (int): bins per octave, >= 1.
        log_spread (float): spread of each log-normal filter, as a fraction of a bin, > 0.
        name (str or None): name of the frontend (``None``: unique, from
            ``'augmented_log_frequency_spectrogram'``).
        use_kapre (bool or None): kapre's layers or ours, as in :func:`get_augmented_stft_magnitude_layer`.

    Returns:
        AugmentedFrontend: a ``keras.Sequential`` (see :func:`get_augmented_stft_magnitude_layer`).

    Raises:
        ValueError, TypeError: a bad argument, named with its value, before any layer is built.
        TensorFlowBackendRequiredError: ``use_kapre=True`` on a backend other than TensorFlow.

    Example:
        >>> from spec_augment.composed import get_augmented_log_frequency_spectrogram_layer
        >>> frontend = get_augmented_log_frequency_spectrogram_layer(
        ...     input_shape=(2048, 2), n_fft=1024, return_decibel=True, log_n_bins=84,
        ...     input_data_format='channels_last', output_data_format='channels_last',
        ...     freq_mask_param=12, n_freq_mask=2, mask_value=-80.0, seed=0)
        >>> frontend.output_shape  # (batch, frames, log-frequency bins, channels)
        (None, 5, 84, 2)
    """
    return assemble(
        default_name="augmented_log_frequency_spectrogram", name=name, use_kapre=use_kapre,
        input_shape=input_shape, input_data_format=input_data_format, output_data_format=output_data_format,
        stft=StftArguments(n_fft=n_fft, win_length=win_length, hop_length=hop_length, window_name=window_name,
                           pad_begin=pad_begin, pad_end=pad_end),
        filterbank=LogFilterbank(sample_rate=sample_rate, n_bins=log_n_bins, f_min=log_f_min,
                                 bins_per_octave=log_bins_per_octave, spread=log_spread),
        decibel=DecibelArguments(return_decibel=return_decibel, amin=db_amin, ref_value=db_ref_value,
                                 dynamic_range=db_dynamic_range),
        augment=AugmentArguments(
            freq_mask_param=freq_mask_param, time_mask_param=time_mask_param, n_freq_mask=n_freq_mask,
            n_time_mask=n_time_mask, mask_value=mask_value, time_warp_param=time_warp_param,
            time_mask_ratio=time_mask_ratio, time_masks_per_frame=time_masks_per_frame,
            time_mask_budget=time_mask_budget, apply_probability=apply_probability, n_rect_mask=n_rect_mask,
            rect_time_param=rect_time_param, rect_freq_param=rect_freq_param, freq_warp_param=freq_warp_param,
            seed=seed, policy=policy),
    )
