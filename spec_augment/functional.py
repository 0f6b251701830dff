"""Pure tensor functions behind :class:`spec_augment.SpecAugment`, no state: :func:`augment` applies a
:class:`~spec_augment.drawing.Draws`; axes from :func:`spectrogram_axes`. The channels of an example share its draws."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from keras import backend as keras_backend
from keras import ops

from . import _backend_ops
from .drawing import Draws, as_ratio, floor_ratio, sample_bands


def spectrogram_axes(rank: int, data_format: str) -> Tuple[int, int]:
    """``(time_axis, freq_axis)`` of a rank-3 or rank-4 spectrogram batch.

    >>> spectrogram_axes(4, "channels_first"), spectrogram_axes(4, "channels_last"), spectrogram_axes(3, "channels_first")
    ((2, 3), (1, 2), (1, 2))
    """
    if rank == 3:
        return 1, 2
    if rank == 4:
        return (2, 3) if data_format == "channels_first" else (1, 2)
    raise ValueError("SpecAugment expects a rank-3 input (batch, time, freq) or a rank-4 input (batch, time, freq, "
                     f"channels) for channels_last / (batch, channels, time, freq) for channels_first; got rank {rank}.")


def bands_to_mask(starts: Any, widths: Any, size: Any) -> Any:
    """``(batch, n_masks)`` bands -> ``(batch, size)`` bool, true where any band covers the bin (overlaps allowed).

    >>> import numpy as np
    >>> np.asarray(bands_to_mask(np.array([[1, 4, 0]]), np.array([[2, 1, 0]]), 6)).astype(int).tolist()
    [[0, 1, 1, 0, 1, 0]]
    """
    starts, widths = ops.cast(starts, "int32"), ops.cast(widths, "int32")
    n_masks = starts.shape[1]
    if n_masks is not None and n_masks <= _backend_ops.UNROLLED_BANDS:
        covered = ops.zeros((ops.shape(starts)[0], size), "bool")
        for band in range(n_masks):
            covered = covered | _band_cells(starts[:, band : band + 1], widths[:, band : band + 1], size)[:, 0]
        return covered
    return ops.any(_band_cells(starts, widths, size), axis=1)


def _band_cells(starts: Any, widths: Any, size: Any) -> Any:
    """``(batch, n_masks, size)`` bool: bin ``i`` lies in band ``k``."""
    starts = ops.cast(starts, "int32")[:, :, None]
    positions = ops.arange(size, dtype="int32")[None, None, :]
    return (positions >= starts) & (positions < starts + ops.cast(widths, "int32")[:, :, None])


def rectangles_to_mask(time_starts: Any, time_widths: Any, freq_starts: Any, freq_widths: Any, n_time: Any, n_freq: Any) -> Any:
    """``(batch, n_rect)`` time and frequency bands -> ``(batch, n_time, n_freq)`` bool, true in any rectangle.

    >>> import numpy as np
    >>> cells = rectangles_to_mask(np.array([[1]]), np.array([[2]]), np.array([[0]]), np.array([[1]]), 4, 2)
    >>> np.asarray(cells).astype(int)[0].tolist()
    [[0, 0], [1, 0], [1, 0], [0, 0]]
    """
    # The union: band indicators multiplied and summed over the rectangles, one small batched matmul.
    in_time = ops.cast(_band_cells(time_starts, time_widths, n_time), "float32")
    in_freq = ops.cast(_band_cells(freq_starts, freq_widths, n_freq), "float32")
    return ops.matmul(ops.transpose(in_time, (0, 2, 1)), in_freq) > 0.5


def _apply_masks(
    inputs: Any, time_mask: Any, freq_mask: Any, valid: Optional[Any], mask_value: Any, time_axis: int, freq_axis: int,
    cells: Optional[Any] = None,
) -> Any:
    """Set masked frames and bins (within the ``valid`` frames) and the ``(batch, time, freq)`` ``cells`` to
    ``mask_value`` (scalar, ``(batch,)`` or the input's shape) in one full-size op over two small per-axis codes."""
    inputs = ops.convert_to_tensor(inputs)
    # time: 0 = masked, 1 = valid and unmasked, 2 = padding (never masked)
    time_code = ops.where(time_mask, 0, 1)
    if valid is not None:
        time_code = ops.where(valid, time_code, 2)
    # freq: 2 = masked (beats any valid frame), 1 = unmasked (beats only time-masked frames)
    freq_code = ops.where(freq_mask, 2, 1)
    time_code, freq_code = ops.cast(time_code, "int8"), ops.cast(freq_code, "int8")
    rank = len(inputs.shape)
    condition = time_code[:, :, None] < freq_code[:, None, :]  # (batch, time, freq)
    if cells is not None:
        condition = condition | cells
    condition = ops.reshape(condition, _per_example_shape(condition, rank, (time_axis, freq_axis)))
    mask_value = ops.cast(mask_value, inputs.dtype)
    if len(mask_value.shape) == 1:
        mask_value = ops.reshape(mask_value, (-1,) + (1,) * (rank - 1))
    return ops.where(condition, mask_value, inputs)


def mask_along_axis(
    inputs: Any, starts: Any, widths: Any, axis: str, mask_value: Any = 0.0, data_format: str = "channels_last"
) -> Any:
    """Mask int ``(batch, n_masks)`` bands along ``axis`` (``"time"`` or ``"freq"``) with a scalar or ``(batch,)``
    ``mask_value``, per example (torchaudio style).

    >>> import numpy as np
    >>> y = mask_along_axis(np.zeros((1, 6, 4), "float32"), np.array([[1]]), np.array([[2]]), "time", mask_value=9.0)
    >>> np.asarray(y)[0, :, 0].tolist()
    [0.0, 9.0, 9.0, 0.0, 0.0, 0.0]
    """
    if axis not in ("time", "freq"):
        raise ValueError(f"`axis` must be 'time' or 'freq', got axis={axis!r}.")
    inputs = ops.convert_to_tensor(inputs)
    time_axis, freq_axis = spectrogram_axes(len(inputs.shape), data_format)
    shape = ops.shape(inputs)
    sizes = {"time": shape[time_axis], "freq": shape[freq_axis]}
    masks = {name: ops.zeros((shape[0], size), "bool") for name, size in sizes.items()}
    masks[axis] = bands_to_mask(starts, widths, sizes[axis])
    return _apply_masks(inputs, masks["time"], masks["freq"], None, mask_value, time_axis, freq_axis)


def warp_source_positions(anchors: Any, shifts: Any, lengths: Any, n_frames: Any) -> Any:
    """float32 ``(batch, n_frames)`` source position of every output frame under the paper's time warp: within
    ``lengths[b]`` frames (``None``: all), the first and last stay, ``anchors[b]`` moves to ``anchors[b] + shifts[b]``
    (int ``(batch,)``), linearly in between; later frames and a shift of 0 map to themselves. Integers are exact.

    >>> import numpy as np
    >>> src = warp_source_positions(np.array([2]), np.array([2]), np.array([7]), 8)
    >>> np.round(np.asarray(src), 2).tolist()  # frame 2 moves to 4; frames 0, 6 (and padding 7) fixed
    [[0.0, 0.5, 1.0, 1.5, 2.0, 4.0, 6.0, 7.0]]
    """
    frames = ops.arange(n_frames, dtype="int32")[None, :]
    anchors = ops.cast(anchors, "int32")[:, None]
    destinations = anchors + ops.cast(shifts, "int32")[:, None]
    last = (n_frames if lengths is None else ops.cast(lengths, "int32")[:, None]) - 1
    # Guarded denominators: a zero-length segment is only ever evaluated where it is not selected.
    left = _ratio(frames, anchors, ops.maximum(destinations, 1))
    right_span = ops.maximum(last - destinations, 1)
    right = ops.cast(anchors, "float32") + _ratio(frames - destinations, last - anchors, right_span)
    sources = ops.where(frames <= destinations, left, right)
    # `>=`: the last valid frame stays fixed even when the anchor lands on it (a degenerate right segment).
    unchanged = (frames >= last) | (ops.cast(shifts, "int32")[:, None] == 0)
    return ops.where(unchanged, ops.cast(frames, "float32"), sources)


def _ratio(a: Any, b: Any, divisor: Any) -> Any:
    """``a * b / divisor`` (int32 operands) in float32, exactly the integer quotient where ``divisor`` divides ``a * b``:
    XLA divides by multiplying by the reciprocal (6 * 7 / 7 = 6.0000005), and that frame would be interpolated."""
    estimate = ops.cast(a, "float32") * ops.cast(b, "float32") / ops.cast(divisor, "float32")
    nearest = ops.round(estimate)
    return ops.where(ops.cast(nearest, "int32") * divisor == a * b, nearest, estimate)


def time_warp(inputs: Any, sources: Any, time_axis: int) -> Any:
    """Resample ``inputs`` along ``time_axis`` at float32 ``(batch, time)`` positions ``sources``, linearly; frames
    whose source position is an integer are copied bit-exactly, inf and NaN included (docs/layer.md: the rest).

    >>> import numpy as np
    >>> x = np.array([[0.0, 10.0, -np.inf, 30.0]], "float32")[:, :, None]  # (batch, time, freq)
    >>> np.asarray(time_warp(x, np.array([[0.0, 0.5, 2.0, 2.5]], "float32"), time_axis=1))[0, :, 0].tolist()
    [0.0, 5.0, -inf, -inf]
    """
    inputs = ops.convert_to_tensor(inputs)
    n_frames = ops.shape(inputs)[time_axis]
    sources = _backend_ops.computed_once(ops.convert_to_tensor(sources, "float32"))
    lower = ops.floor(sources)
    fraction = sources - lower
    lower = ops.clip(ops.cast(lower, "int32"), 0, n_frames - 1)
    upper = ops.minimum(lower + 1, n_frames - 1)
    below = _backend_ops.gather_frames(inputs, lower, time_axis)
    above = _backend_ops.gather_frames(inputs, upper, time_axis)
    dtype = keras_backend.standardize_dtype(inputs.dtype)
    compute_dtype = "float32" if dtype in ("float16", "bfloat16") else dtype
    fraction = _along_time(ops.cast(fraction, compute_dtype), len(inputs.shape), time_axis)
    return _backend_ops.interpolate_frames(below, above, fraction, compute_dtype)


def _per_example_shape(tensor: Any, rank: int, axes: Tuple[int, ...]) -> Tuple[Any, ...]:
    """Shape that places the trailing axes of a ``(batch, *axes)`` tensor at ``axes`` of a rank-``rank`` one."""
    shape = ops.shape(tensor)
    target = [shape[0]] + [1] * (rank - 1)
    for position, axis in enumerate(axes):
        target[axis] = shape[1 + position]
    return tuple(target)


def _along_time(per_frame: Any, rank: int, time_axis: int) -> Any:
    """A ``(batch, time)`` tensor reshaped to broadcast along the time axis of a rank-``rank`` batch."""
    return ops.reshape(per_frame, _per_example_shape(per_frame, rank, (time_axis,)))


def valid_frames(lengths: Any, n_frames: Any) -> Any:
    """``(batch, n_frames)`` bool: frame ``t`` of example ``b`` is one of its ``lengths[b]`` valid frames.

    >>> import numpy as np
    >>> np.asarray(valid_frames(np.array([0, 2]), 3)).astype(int).tolist()
    [[0, 0, 0], [1, 1, 0]]
    """
    return ops.arange(n_frames, dtype="int32")[None, :] < ops.cast(lengths, "int32")[:, None]


def masked_mean(inputs: Any, lengths: Optional[Any], time_axis: int) -> Any:
    """``(batch,)`` mean of the finite cells (a log spectrogram of silence holds ``-inf``) of each example's valid
    frames (0 if none), without gradient; in float64 for float64 inputs, else float32.

    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0, -np.inf, 100.0]], "float32")[:, :, None]
    >>> np.asarray(masked_mean(x, np.array([3]), time_axis=1)).tolist()  # frame 3 is padding
    [2.0]
    """
    dtype = "float64" if keras_backend.standardize_dtype(inputs.dtype) == "float64" else "float32"
    return _backend_ops.constant_of(lambda x: _finite_mean(x, lengths, time_axis), ops.cast(inputs, dtype))


def _finite_mean(values: Any, lengths: Optional[Any], time_axis: int) -> Any:
    shape, dtype, reduce_axes = ops.shape(values), values.dtype, tuple(range(1, len(values.shape)))
    cells_per_frame = ops.cast(ops.prod(shape[1:]), dtype) / ops.cast(shape[time_axis], dtype)
    if lengths is None:
        valid, frames = None, ops.full((shape[0],), shape[time_axis], "int32")
    else:
        valid, frames = _along_time(valid_frames(lengths, shape[time_axis]), len(shape), time_axis), lengths
    count = ops.cast(frames, dtype) * cells_per_frame
    total = ops.sum(values if valid is None else ops.where(valid, values, 0.0), axis=reduce_axes)

    def finite_only():
        keep = ops.isfinite(values) if valid is None else ops.isfinite(values) & valid
        finite_total = ops.sum(ops.where(keep, values, 0.0), axis=reduce_axes)
        finite_count = ops.sum(ops.cast(keep, dtype), axis=reduce_axes)
        return ops.where(finite_count > 0, finite_total / ops.maximum(finite_count, 1.0), 0.0)

    # A finite sum means every cell was finite: the plain mean is the answer and one pass suffices.
    plain_mean = ops.where(count > 0, total / ops.maximum(count, 1.0), 0.0)
    return ops.cond(ops.all(ops.isfinite(total)), lambda: plain_mean, finite_only)


def noise_fill(inputs: Any, lengths: Optional[Any], time_axis: int, seed: Any) -> Any:
    """Normal draws of the input's shape with each example's :func:`masked_mean` and (population) standard
    deviation over the same cells; ``seed``: int32 ``(2,)``, the same seed gives the same fill.

    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0, np.inf, 100.0]], "float32")[:, :, None]  # frame 3 is padding
    >>> fill = np.asarray(noise_fill(np.repeat(x, 4000, axis=2), np.array([3]), 1, np.array([1, 2])))
    >>> fill.shape, round(float(fill.mean()), 1), round(float(fill.std()), 1)
    ((1, 4, 4000), 2.0, 1.0)
    """
    mean = masked_mean(inputs, lengths, time_axis)
    per_example = (-1,) + (1,) * (len(inputs.shape) - 1)
    spread = ops.cast(inputs, mean.dtype) - ops.reshape(mean, per_example)
    std = ops.sqrt(masked_mean(spread * spread, lengths, time_axis))
    normal = _backend_ops.normal(ops.shape(inputs), seed, keras_backend.standardize_dtype(mean.dtype), inputs)
    return ops.reshape(mean, per_example) + ops.reshape(std, per_example) * normal


def augment(inputs: Any, draws: Draws, *, time_axis: int, freq_axis: int, mask_value: Any) -> Any:
    """The whole transform for :class:`~spec_augment.drawing.Draws`: time warp, frequency warp, then masks. Pure.
    ``mask_value``: a number, ``"mean"`` (:func:`masked_mean`) or ``"noise"`` (:func:`noise_fill`), of the input.

    >>> import numpy as np
    >>> draws = Draws(lengths=None, time_starts=np.array([[1]]), time_widths=np.array([[2]]),
    ...               freq_starts=np.array([[0]]), freq_widths=np.array([[0]]))
    >>> x = np.arange(8, dtype="float32").reshape(1, 4, 2)
    >>> np.asarray(augment(x, draws, time_axis=1, freq_axis=2, mask_value="mean")).tolist()
    [[[0.0, 1.0], [3.5, 3.5], [3.5, 3.5], [6.0, 7.0]]]
    """
    shape = ops.shape(inputs)
    n_time, n_freq = shape[time_axis], shape[freq_axis]
    lengths = draws.lengths
    valid = None if lengths is None else valid_frames(lengths, n_time)
    outputs = inputs
    if draws.warp_anchors is not None:
        sources = warp_source_positions(draws.warp_anchors, draws.warp_shifts, lengths, n_time)
        outputs = time_warp(outputs, sources, time_axis)
    if draws.freq_warp_anchors is not None:
        # The time warp along the bins, put first: every gathered bin is then a contiguous row (all frames).
        sources = warp_source_positions(draws.freq_warp_anchors, draws.freq_warp_shifts, None, n_freq)
        warped = ops.swapaxes(time_warp(ops.swapaxes(outputs, 1, freq_axis), sources, 1), 1, freq_axis)
        # Padding frames are put back as they were.
        rank = len(inputs.shape)
        outputs = warped if valid is None else ops.where(_along_time(valid, rank, time_axis), warped, outputs)
    cells = None
    if draws.rect_time_starts is not None:
        cells = rectangles_to_mask(draws.rect_time_starts, draws.rect_time_widths, draws.rect_freq_starts,
                                   draws.rect_freq_widths, n_time, n_freq)  # fmt: skip
    if draws.time_starts.shape[1] == 0 and draws.freq_starts.shape[1] == 0 and cells is None:
        return outputs
    if mask_value == "mean":
        mask_value = masked_mean(inputs, lengths, time_axis)
    elif mask_value == "noise":
        mask_value = noise_fill(inputs, lengths, time_axis, draws.noise_seed)
    time_mask = bands_to_mask(draws.time_starts, draws.time_widths, n_time)
    freq_mask = bands_to_mask(draws.freq_starts, draws.freq_widths, n_freq)
    return _apply_masks(outputs, time_mask, freq_mask, valid, mask_value, time_axis, freq_axis, cells)


__all__ = [
    "Draws", "augment", "as_ratio", "bands_to_mask", "floor_ratio", "mask_along_axis", "masked_mean", "noise_fill",
    "rectangles_to_mask", "sample_bands", "spectrogram_axes", "time_warp", "valid_frames", "warp_source_positions",
]
