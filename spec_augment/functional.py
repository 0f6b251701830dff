"""Pure tensor functions behind :class:`spec_augment.SpecAugment`.

Nothing here holds state or draws random numbers: the layer draws every random parameter in one
place (:meth:`SpecAugment.get_random_transformation`) and hands small per-example vectors to these
functions, which are deterministic and can be used and tested on their own.

Layouts. ``time_axis`` and ``freq_axis`` locate the axes of a spectrogram batch:

* ``(batch, time, freq)``: time 1, freq 2;
* ``(batch, time, freq, channels)`` (``channels_last``): time 1, freq 2;
* ``(batch, channels, time, freq)`` (``channels_first``): time 2, freq 3.

Every per-example mask or warp is shared by all channels of that example.
"""

import tensorflow as tf
from keras import ops


def spectrogram_axes(rank, data_format):
    """``(time_axis, freq_axis)`` of a rank-3 or rank-4 spectrogram batch."""
    if rank == 3:
        return 1, 2
    if rank == 4:
        return (2, 3) if data_format == "channels_first" else (1, 2)
    raise ValueError(
        "SpecAugment expects a rank-3 input (batch, time, freq) or a rank-4 input "
        "(batch, time, freq, channels) for channels_last / (batch, channels, time, freq) for "
        f"channels_first; got an input of rank {rank}."
    )


def sample_bands(uniform_width, uniform_start, max_width, extent):
    """Turn uniform [0, 1) draws into mask bands ``(starts, widths)``.

    The width is uniform on ``0..max_width`` (inclusive) and the start uniform on
    ``0..extent - width``, so every bin, the first and the last included, can be masked.

    Args:
        uniform_width, uniform_start: float tensors ``(batch, n_masks)`` in [0, 1).
        max_width: int tensor broadcastable to ``(batch, n_masks)``; already capped at ``extent``.
        extent: int tensor broadcastable to ``(batch, n_masks)``, the number of bins a band may cover.

    Returns:
        ``(starts, widths)``, two int32 tensors ``(batch, n_masks)``.
    """
    max_width = ops.cast(max_width, "int32")
    extent = ops.cast(extent, "int32")
    widths = ops.cast(ops.floor(uniform_width * ops.cast(max_width + 1, uniform_width.dtype)), "int32")
    widths = ops.minimum(widths, max_width)  # guards u * (n + 1) rounding up to n + 1
    room = extent - widths + 1
    starts = ops.cast(ops.floor(uniform_start * ops.cast(room, uniform_start.dtype)), "int32")
    starts = ops.clip(starts, 0, ops.maximum(room - 1, 0))
    return starts, widths


def bands_to_mask(starts, widths, size):
    """``(batch, n_masks)`` bands -> ``(batch, size)`` bool, true where any band covers the bin.

    Bands may overlap; a band of width 0 covers nothing; ``n_masks`` may be 0.
    """
    positions = ops.arange(size, dtype="int32")[None, None, :]
    starts = ops.cast(starts, "int32")[:, :, None]
    ends = starts + ops.cast(widths, "int32")[:, :, None]
    return ops.any((positions >= starts) & (positions < ends), axis=1)


def mask_codes(time_mask, freq_mask, valid=None):
    """Small per-axis codes whose broadcast comparison ``time_code < freq_code`` is the full mask.

    The cell ``(t, f)`` is masked when frame ``t`` is valid and is covered by a time mask or bin ``f``
    by a frequency mask. Encoding that as one comparison of two small vectors lets the full-size
    condition be built by a single broadcast op (or fused away entirely under XLA) rather than
    by an OR and an AND over the whole tensor.

    Returns:
        ``(time_code, freq_code)``: int8 tensors ``(batch, time)`` and ``(batch, freq)``.
    """
    # time: 0 = masked, 1 = valid and unmasked, 2 = padding (never masked)
    time_code = ops.where(time_mask, 0, 1)
    if valid is not None:
        time_code = ops.where(valid, time_code, 2)
    # freq: 2 = masked (beats any valid frame), 1 = unmasked (beats only time-masked frames)
    freq_code = ops.where(freq_mask, 2, 1)
    return ops.cast(time_code, "int8"), ops.cast(freq_code, "int8")


def apply_masks(inputs, time_code, freq_code, mask_value, time_axis, freq_axis):
    """Replace the masked cells of ``inputs`` by ``mask_value`` in one broadcast ``where``.

    Args:
        inputs: the spectrogram batch.
        time_code, freq_code: from :func:`mask_codes`.
        mask_value: a scalar, or a ``(batch,)`` tensor (one value per example).
        time_axis, freq_axis: from :func:`spectrogram_axes`.
    """
    rank = len(inputs.shape)
    condition = time_code[:, :, None] < freq_code[:, None, :]  # (batch, time, freq)
    condition = ops.reshape(condition, _per_example_shape(condition, rank, (time_axis, freq_axis)))
    mask_value = ops.cast(mask_value, inputs.dtype)
    if len(mask_value.shape) == 1:
        mask_value = ops.reshape(mask_value, (-1,) + (1,) * (rank - 1))
    return ops.where(condition, mask_value, inputs)


def mask_along_axis(inputs, starts, widths, axis, mask_value=0.0, data_format="channels_last"):
    """Mask bands along one axis, per example (the torchaudio-style building block).

    Args:
        inputs: spectrogram batch, rank 3 or 4.
        starts, widths: int ``(batch, n_masks)`` bands.
        axis: ``"time"`` or ``"freq"``.
        mask_value: scalar or ``(batch,)``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (ignored for rank 3).

    Example:
        >>> import numpy as np
        >>> x = np.zeros((1, 6, 4), "float32")
        >>> y = mask_along_axis(x, np.array([[1]]), np.array([[2]]), "time", mask_value=9.0)
        >>> np.asarray(y)[0, :, 0].tolist()
        [0.0, 9.0, 9.0, 0.0, 0.0, 0.0]
    """
    if axis not in ("time", "freq"):
        raise ValueError(f"`axis` must be 'time' or 'freq', got axis={axis!r}.")
    inputs = ops.convert_to_tensor(inputs)
    time_axis, freq_axis = spectrogram_axes(len(inputs.shape), data_format)
    shape = ops.shape(inputs)
    batch = shape[0]
    if axis == "time":
        time_mask = bands_to_mask(starts, widths, shape[time_axis])
        freq_mask = ops.zeros((batch, shape[freq_axis]), "bool")
    else:
        time_mask = ops.zeros((batch, shape[time_axis]), "bool")
        freq_mask = bands_to_mask(starts, widths, shape[freq_axis])
    time_code, freq_code = mask_codes(time_mask, freq_mask)
    return apply_masks(inputs, time_code, freq_code, mask_value, time_axis, freq_axis)


def warp_source_positions(anchors, shifts, lengths, n_frames):
    """Source position of every output frame under the paper's piecewise-linear time warp.

    Within an example's ``tau = lengths[b]`` valid frames, the map keeps frame 0 and frame ``tau - 1``
    fixed and moves frame ``anchors[b]`` to ``anchors[b] + shifts[b]``, linearly in between. Frames at
    or past ``tau`` and examples with ``shifts[b] == 0`` map to themselves exactly.

    Args:
        anchors, shifts, lengths: int tensors ``(batch,)``; ``0 <= anchors + shifts <= lengths - 1``.
        n_frames: size of the time axis.

    Returns:
        float32 ``(batch, n_frames)``: output frame ``t`` reads the input at position ``src[b, t]``.
    """
    frames = ops.cast(ops.arange(n_frames, dtype="int32"), "float32")[None, :]
    anchors = ops.cast(anchors, "float32")[:, None]
    destinations = anchors + ops.cast(shifts, "float32")[:, None]
    last = ops.cast(lengths, "float32")[:, None] - 1.0
    # Guarded denominators: a zero-length segment is only ever evaluated where it is not selected.
    left = frames * anchors / ops.maximum(destinations, 1.0)
    right = anchors + (frames - destinations) * (last - anchors) / ops.maximum(last - destinations, 1.0)
    sources = ops.where(frames <= destinations, left, right)
    # `>=`: the last valid frame stays fixed even when the anchor lands on it (a degenerate right segment).
    unchanged = (frames >= last) | (ops.cast(shifts, "int32")[:, None] == 0)
    return ops.where(unchanged, frames, sources)


def time_warp(inputs, sources, time_axis):
    """Resample ``inputs`` along time at the per-example positions ``sources`` (linear interpolation).

    Args:
        inputs: spectrogram batch.
        sources: float32 ``(batch, time)`` from :func:`warp_source_positions`.
        time_axis: 1 or 2 (see :func:`spectrogram_axes`).

    Frames whose source position is an integer are copied bit-exactly.
    """
    n_frames = ops.shape(inputs)[time_axis]
    lower = ops.floor(sources)
    fraction = sources - lower
    lower = ops.clip(ops.cast(lower, "int32"), 0, n_frames - 1)
    upper = ops.minimum(lower + 1, n_frames - 1)
    # batch_dims=1 gathers whole (freq[, channels]) rows per example: no full-size index tensor.
    below = tf.gather(inputs, lower, axis=time_axis, batch_dims=1)
    above = tf.gather(inputs, upper, axis=time_axis, batch_dims=1)
    rank = len(inputs.shape)
    fraction = ops.reshape(ops.cast(fraction, inputs.dtype), _per_example_shape(fraction, rank, (time_axis,)))
    return below + fraction * (above - below)


def _per_example_shape(tensor, rank, axes):
    """Shape that places the trailing axes of a ``(batch, *axes)`` tensor at ``axes`` of a rank-``rank`` one."""
    shape = ops.shape(tensor)
    target = [shape[0]] + [1] * (rank - 1)
    for position, axis in enumerate(axes):
        target[axis] = shape[1 + position]
    return tuple(target)


def valid_frames(lengths, n_frames):
    """``(batch, n_frames)`` bool: frame ``t`` of example ``b`` is one of its ``lengths[b]`` valid frames."""
    return ops.arange(n_frames, dtype="int32")[None, :] < ops.cast(lengths, "int32")[:, None]


def masked_mean(inputs, lengths, time_axis):
    """Per-example mean over the valid frames (all frequencies and channels), as float32 ``(batch,)``."""
    rank = len(inputs.shape)
    values = ops.cast(inputs, "float32")
    reduce_axes = tuple(range(1, rank))
    if lengths is None:
        return ops.mean(values, axis=reduce_axes)
    n_frames = ops.shape(inputs)[time_axis]
    valid = valid_frames(lengths, n_frames)
    valid = ops.reshape(valid, _per_example_shape(valid, rank, (time_axis,)))
    total = ops.sum(ops.where(valid, values, 0.0), axis=reduce_axes)
    cells_per_frame = ops.cast(ops.prod(ops.shape(inputs)[1:]), "float32") / ops.cast(n_frames, "float32")
    count = ops.cast(lengths, "float32") * cells_per_frame
    return total / ops.maximum(count, 1.0)


def augment(inputs, params, *, time_axis, freq_axis, mask_value, warp=True, mask=True):
    """The whole SpecAugment transform for drawn parameters: time warp, then masks. Pure.

    Args:
        inputs: spectrogram batch.
        params: dict of per-example tensors as drawn by ``SpecAugment.get_random_transformation``:
            ``lengths``, ``freq_starts``, ``freq_widths``, ``time_starts``, ``time_widths``,
            ``warp_anchors``, ``warp_shifts`` (the last two only when ``warp``), and the Python bool
            ``padded`` (whether ``lengths`` came from the caller).
        time_axis, freq_axis: from :func:`spectrogram_axes`.
        mask_value: a number, or ``"mean"`` for each example's mean over its valid frames (taken
            before warp and masks).
        warp, mask: whether to apply the time warp and the masks.
    """
    shape = ops.shape(inputs)
    n_time, n_freq = shape[time_axis], shape[freq_axis]
    lengths = params["lengths"]
    if mask_value == "mean":
        mask_value = masked_mean(inputs, lengths if params.get("padded") else None, time_axis)
    outputs = inputs
    if warp:
        sources = warp_source_positions(params["warp_anchors"], params["warp_shifts"], lengths, n_time)
        outputs = time_warp(outputs, sources, time_axis)
    if not mask:
        return outputs
    time_mask = bands_to_mask(params["time_starts"], params["time_widths"], n_time)
    freq_mask = bands_to_mask(params["freq_starts"], params["freq_widths"], n_freq)
    time_code, freq_code = mask_codes(time_mask, freq_mask, valid_frames(lengths, n_time))
    return apply_masks(outputs, time_code, freq_code, mask_value, time_axis, freq_axis)


# One XLA kernel for the whole transform: in graph mode TensorFlow would otherwise run the gathers,
# the interpolation and the select as separate passes over the tensor. Shapes may be dynamic: XLA
# compiles per concrete shape and caches.
augment_fused = tf.function(augment, jit_compile=True, autograph=False)


__all__ = [
    "augment",
    "augment_fused",
    "apply_masks",
    "bands_to_mask",
    "mask_along_axis",
    "mask_codes",
    "masked_mean",
    "sample_bands",
    "spectrogram_axes",
    "time_warp",
    "valid_frames",
    "warp_source_positions",
]
