"""Every random parameter of one SpecAugment call: :func:`draw` splits one uniform draw by name into per-example
parameters, a :class:`Draws` for :func:`spec_augment.functional.augment`. A new one: a ``Draws`` field, a part."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

from keras import ops

# Denominator bound of the rational form of p and p_M: every decimal with up to four digits is exact,
# and r * numerator < denominator**2 < 2**31 keeps floor(p * tau) exact in int32.
MAX_DENOMINATOR = 46340


class Draws(NamedTuple):
    """The drawn parameters of one call, per example (a pytree / ``tf.nest`` structure); ``None`` = off.

    int32: ``lengths`` ``(batch,)`` (``None``: every frame valid), bands ``(batch, n_masks)``, warps ``(batch,)``,
    ``rect_*`` ``(batch, n_rect)`` time and frequency bands, ``noise_seed`` ``(2,)``.

    >>> import numpy as np
    >>> draws = Draws(None, *[np.zeros((2, 0), "int32")] * 4)  # no masks, no warp
    >>> draws.warp_anchors is None, draws._replace(lengths=np.array([5, 7])).lengths.tolist()
    (True, [5, 7])
    """

    lengths: Optional[Any]
    freq_starts: Any
    freq_widths: Any
    time_starts: Any
    time_widths: Any
    warp_anchors: Optional[Any] = None
    warp_shifts: Optional[Any] = None
    rect_time_starts: Optional[Any] = None
    rect_time_widths: Optional[Any] = None
    rect_freq_starts: Optional[Any] = None
    rect_freq_widths: Optional[Any] = None
    freq_warp_anchors: Optional[Any] = None
    freq_warp_shifts: Optional[Any] = None
    noise_seed: Optional[Any] = None


def split_uniform(uniform: Callable[[Tuple[Any, int]], Any], batch: Any, sizes: Dict[str, int]) -> Dict[str, Any]:
    """One ``uniform((batch, total))`` draw, split into ``(batch, size)`` parts by name, in order."""
    draws = uniform((batch, sum(sizes.values())))
    parts, start = {}, 0
    for name, size in sizes.items():
        parts[name], start = draws[:, start : start + size], start + size
    return parts


def sample_bands(uniform_width: Any, uniform_start: Any, max_width: Any, extent: Any,
                 limit: Optional[Callable] = None) -> Tuple[Any, Any]:
    """Uniform [0, 1) draws ``(batch, n_masks)`` -> int32 bands ``(starts, widths)``: width uniform on ``0..max_width``
    (capped at ``extent`` by the caller; then ``limit(widths)`` if given), start on ``0..extent - width``.

    >>> import numpy as np
    >>> starts, widths = sample_bands(np.array([[0.0, 0.99]]), np.array([[0.5, 0.99]]), 4, 10)
    >>> np.asarray(widths).tolist(), np.asarray(starts).tolist()  # widths 0..4, starts 0..10-width
    ([[0, 4]], [[5, 6]])
    """
    uniform_width, uniform_start = ops.convert_to_tensor(uniform_width), ops.convert_to_tensor(uniform_start)
    max_width, extent = ops.cast(max_width, "int32"), ops.cast(extent, "int32")
    widths = ops.cast(ops.floor(uniform_width * ops.cast(max_width + 1, uniform_width.dtype)), "int32")
    widths = ops.minimum(widths, max_width)  # guards u * (n + 1) rounding up to n + 1
    if limit is not None:
        widths = limit(widths)
    room = extent - widths + 1
    starts = ops.cast(ops.floor(uniform_start * ops.cast(room, uniform_start.dtype)), "int32")
    return ops.clip(starts, 0, ops.maximum(room - 1, 0)), widths


def sample_warp(uniform_anchor: Any, uniform_shift: Any, warp: Any, lengths: Any) -> Tuple[Any, Any]:
    """Uniform [0, 1) draws ``(batch,)`` -> the warp's ``(anchors, shifts)``: anchor uniform on
    ``warp .. length - warp - 1``, shift on ``-warp .. warp``; ``length <= 2 * warp``: 0 and 0 (no warp)."""
    uniform_anchor = ops.convert_to_tensor(uniform_anchor)
    dtype = uniform_anchor.dtype
    warp, lengths = ops.cast(warp, "int32"), ops.cast(lengths, "int32")
    can_warp = lengths > 2 * warp
    anchors = warp + ops.cast(ops.floor(uniform_anchor * ops.cast(ops.maximum(lengths - 2 * warp, 1), dtype)), "int32")
    shifts = ops.cast(ops.floor(ops.convert_to_tensor(uniform_shift) * ops.cast(2 * warp + 1, dtype)), "int32") - warp
    anchors = ops.where(can_warp, ops.minimum(anchors, lengths - warp - 1), 0)
    return anchors, ops.where(can_warp, ops.clip(shifts, -warp, warp), 0)


def floor_ratio(counts: Any, ratio: Fraction) -> Any:
    """``floor(ratio * counts)`` exactly in int32 for a ``ratio`` in [0, 1] of denominator <= 46340 (0.29 * 100: 29).

    >>> import numpy as np
    >>> from fractions import Fraction
    >>> np.asarray(floor_ratio(np.array([100, 7]), Fraction(29, 100))).tolist()
    [29, 2]
    """
    numerator, denominator = ratio.numerator, ratio.denominator
    counts = ops.cast(counts, "int32")
    # counts = q * d + r: floor(n * counts / d) = q * n + floor(r * n / d), no product above 2**31.
    quotient, remainder = counts // denominator, counts % denominator
    return quotient * numerator + (remainder * numerator) // denominator


def as_ratio(value: float) -> Fraction:
    """The fraction a decimal ``value`` in [0, 1] stands for: the nearest with denominator <= 46340.

    >>> as_ratio(0.29), as_ratio(1 / 3), as_ratio(0.04)
    (Fraction(29, 100), Fraction(1, 3), Fraction(1, 25))
    """
    return Fraction(value).limit_denominator(MAX_DENOMINATOR)


def draw(
    uniform: Callable[[Tuple[Any, int]], Any], batch: Any, n_time: Any, n_freq: Any, lengths: Optional[Any], *,
    freq_mask_param: int, time_mask_param: Optional[int], n_freq_mask: int, n_time_mask: int, time_warp_param: int,
    time_mask_ratio: Fraction, time_masks_per_frame: Fraction, time_mask_budget: Fraction = Fraction(1),
    apply_probability: float = 1.0, n_rect_mask: int = 0, rect_time_param: int = 0, rect_freq_param: int = 0,
    freq_warp_param: int = 0, noise: bool = False,
) -> Draws:
    """Every random parameter of one call from one ``uniform(shape)`` draw, for checked ``lengths`` (or ``None``). A
    feature that is off draws nothing, so the draws of the others do not change."""
    # In this order: the columns of the one draw, each part (batch, size), widths before starts.
    sizes = {"freq_widths": n_freq_mask, "freq_starts": n_freq_mask, "time_widths": n_time_mask,
             "time_starts": n_time_mask, "warp": 2 if time_warp_param else 0, "apply": int(apply_probability < 1),
             "rect_time_widths": n_rect_mask, "rect_time_starts": n_rect_mask, "rect_freq_widths": n_rect_mask,
             "rect_freq_starts": n_rect_mask, "fwarp": 2 if freq_warp_param else 0,
             "noise": 2 if noise else 0}  # fmt: skip
    u = split_uniform(uniform, batch, sizes)
    frames = ops.full((batch,), n_time, dtype="int32") if lengths is None else lengths
    max_f = ops.minimum(n_freq, freq_mask_param)
    freq_starts, freq_widths = sample_bands(u["freq_widths"], u["freq_starts"], max_f, n_freq)

    max_t = floor_ratio(frames, time_mask_ratio)
    if time_mask_param is not None:
        max_t = ops.minimum(max_t, time_mask_param)
    first = ops.arange(n_time_mask, dtype="int32")[None, :]  # mask index
    # Adaptive multiplicity: masks past min(mT, floor(p_M * tau)) get width 0.
    counted = first < floor_ratio(frames, time_masks_per_frame)[:, None] if time_masks_per_frame > 0 else None

    def within_budget(widths: Any) -> Any:
        # The longest prefix of counted masks whose widths sum within the budget is kept, and a first mask
        # wider than the budget alone is cut to it.
        widths = widths if counted is None else ops.where(counted, widths, 0)
        budget = floor_ratio(frames, time_mask_budget)[:, None]
        kept = ops.where(ops.cumsum(widths, axis=1) <= budget, widths, 0)
        return ops.where(first == 0, ops.minimum(widths, budget), kept)

    time_starts, time_widths = sample_bands(u["time_widths"], u["time_starts"], ops.minimum(max_t, frames)[:, None],
                                            frames[:, None], within_budget if time_mask_budget < 1 else None)
    if counted is not None:
        time_widths = ops.where(counted, time_widths, 0)

    anchors = shifts = None
    if time_warp_param:
        # W beyond the axis warps nothing either way; capping it first keeps 2 * W inside int32.
        warp = ops.minimum(ops.cast(n_time, "int32"), time_warp_param)
        anchors, shifts = sample_warp(u["warp"][:, 0], u["warp"][:, 1], warp, frames)
    rects: Tuple[Any, ...] = (None,) * 4
    if n_rect_mask:
        widest, tallest = ops.minimum(frames, rect_time_param)[:, None], ops.minimum(n_freq, rect_freq_param)
        rects = sample_bands(u["rect_time_widths"], u["rect_time_starts"], widest, frames[:, None])
        rects += sample_bands(u["rect_freq_widths"], u["rect_freq_starts"], tallest, n_freq)
    freq_anchors = freq_shifts = noise_seed = None
    if freq_warp_param:
        warp = ops.minimum(n_freq, freq_warp_param)
        freq_anchors, freq_shifts = sample_warp(u["fwarp"][:, 0], u["fwarp"][:, 1], warp, n_freq)
    if noise:
        noise_seed = ops.cast(u["noise"][0] * (2.0**31 - 1), "int32")
    draws = Draws(lengths, freq_starts, freq_widths, time_starts, time_widths, anchors, shifts,
                  rects[0], rects[1], rects[2], rects[3], freq_anchors, freq_shifts, noise_seed)  # fmt: skip
    if apply_probability >= 1:
        return draws
    # An example left out gets bands and shifts of width 0: every op then copies it bit-exactly.
    applied = u["apply"][:, 0] < apply_probability
    return draws._replace(**{
        name: ops.where(applied if len(value.shape) == 1 else applied[:, None], value, 0)
        for name, value in draws._asdict().items()
        if value is not None and name.endswith(("widths", "shifts"))
    })  # fmt: skip
