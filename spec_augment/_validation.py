"""Argument checks shared by the layer and the composed builders: a ``ValueError`` or ``TypeError`` naming the
argument and its value, at construction time, before any tensor work."""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, Optional, overload

import keras
import numpy as np
from keras import ops

from . import _backend_ops

CH_FIRST = "channels_first"
CH_LAST = "channels_last"
CH_DEFAULT = "default"
DATA_FORMATS = (CH_LAST, CH_FIRST, CH_DEFAULT)

# Counts and widths are computed in int32 on every backend (JAX has no int64 without x64).
INT32_MAX = 2**31 - 1
# Integer dtypes whose values may not fit int32: clipped in their own dtype before the cast.
_WIDER_THAN_INT32 = ("int64", "uint32", "uint64")
# The seed range every backend's SeedGenerator state holds (torch int32, JAX uint32).
SEED_MAX = 2**31 - 1


def resolve_data_format(data_format: Any, name: str = "data_format") -> str:
    """Return ``'channels_last'`` or ``'channels_first'``; ``'default'`` follows Keras' image data format."""
    if not isinstance(data_format, str) or data_format not in DATA_FORMATS:
        raise ValueError(f"`{name}` must be one of {DATA_FORMATS}, got {name}={data_format!r}.")
    if data_format == CH_DEFAULT:
        return keras.config.image_data_format()
    return data_format


@overload
def check_int(
    value: Any, name: str, minimum: int = ..., maximum: Optional[int] = ..., allow_none: Literal[False] = ...
) -> int: ...
@overload
def check_int(
    value: Any, name: str, minimum: int = ..., maximum: Optional[int] = ..., *, allow_none: Literal[True]
) -> Optional[int]: ...
def check_int(
    value: Any, name: str, minimum: int = 0, maximum: Optional[int] = INT32_MAX, allow_none: bool = False
) -> Optional[int]:
    """An integer (Python or numpy, never bool) in ``[minimum, maximum]``; returned as a plain ``int``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # A float with an integral value (e.g. 27.0) is still rejected: widths are counts.
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"`{name}` must be {kind}, got {name}={value!r} ({type(value).__name__}).")
    value = int(value)
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {name}={value!r}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {name}={value!r}.")
    return value


def check_float(
    value: Any, name: str, low: Optional[float] = None, high: Optional[float] = None, low_inclusive: bool = True,
    high_inclusive: bool = True, finite: bool = True,
) -> float:
    """A real number inside the given interval (finite unless ``finite=False``); a plain ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {name}={value!r} ({type(value).__name__}).")
    value = float(value)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or math.isnan(value) or (finite and math.isinf(value)):
        left, right = ("[" if low_inclusive else "("), ("]" if high_inclusive else ")")
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        kind = "a finite number" if finite else "a number"
        raise ValueError(f"`{name}` must be {kind} in {interval}, got {name}={value!r}.")
    return value


def check_mask_value(value: Any, name: str = "mask_value") -> Any:
    """A real number (infinities allowed, NaN not), or the string ``'mean'`` or ``'noise'``."""
    if isinstance(value, str):
        if value not in ("mean", "noise"):
            raise ValueError(f"`{name}` must be a number, 'mean' or 'noise', got {name}={value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, 'mean' or 'noise', got {name}={value!r} ({type(value).__name__}).")
    if value != value:
        raise ValueError(f"`{name}` must be a number, 'mean' or 'noise', not NaN; got {name}={value!r}.")
    return float(value)


def check_seed(value: Any, name: str = "seed") -> Optional[int]:
    """``None`` or an integer in ``[0, 2**31 - 1]``, the range every Keras backend's seed state holds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer or None, got {name}={value!r} ({type(value).__name__}).")
    value = int(value)
    if not 0 <= value <= SEED_MAX:
        raise ValueError(f"`{name}` must be None or an integer in [0, {SEED_MAX}], got {name}={value!r}.")
    return value


def check_lengths(lengths: Any, batch: Any, n_steps: Any, unit: str = "frames") -> Any:
    """``lengths`` (valid ``unit`` of each example, any integer dtype) as int32 ``(batch,)`` clipped to
    ``[0, n_steps]`` (``None``: to ``[0, 2**31 - 1]``) before narrowing (2**32 + 3 means all of the axis, not 3).
    ``None`` stays ``None``; a ``keras.KerasTensor`` is only checked. ``batch``: an int, a tensor (checked when a
    TensorFlow graph runs) or ``None`` (not checked)."""
    if lengths is None:
        return None
    if not isinstance(lengths, keras.KerasTensor) and not ops.is_tensor(lengths):
        lengths = np.asarray(lengths)
    shape, dtype = tuple(lengths.shape), keras.backend.standardize_dtype(lengths.dtype)
    if not dtype.startswith(("int", "uint")):
        raise TypeError(f"`lengths` must be integers (valid {unit} per example), got lengths of dtype {dtype}.")
    if len(shape) != 1:
        raise ValueError(
            f"`lengths` must have shape (batch,), one number of valid {unit} per example; got lengths of shape {shape}."
        )
    if isinstance(batch, int) and shape[0] is not None and shape[0] != batch:
        # A (1,) lengths is not broadcast: one count per example, always.
        raise ValueError(f"`lengths` must have one entry per example: the batch has {batch}, lengths has shape {shape}.")
    if isinstance(lengths, keras.KerasTensor):
        return lengths
    if dtype in _WIDER_THAN_INT32:
        lengths = (np.clip if isinstance(lengths, np.ndarray) else ops.clip)(lengths, 0, INT32_MAX)
    lengths = ops.maximum(ops.cast(lengths, "int32"), 0)
    lengths = lengths if n_steps is None else ops.minimum(lengths, ops.cast(n_steps, "int32"))
    return _backend_ops.check_batch_size(lengths, batch)


def check_mask_value_fits(value: Any, dtype: Any, name: str = "mask_value") -> None:
    """A finite number must be within the input dtype's range: float16 would make -1e6 into -inf."""
    import ml_dtypes  # numpy's bfloat16; every Keras backend depends on it

    dtype = keras.backend.standardize_dtype(dtype)
    if isinstance(value, float) and math.isfinite(value) and abs(value) > float(ml_dtypes.finfo(dtype).max):
        raise ValueError(
            f"`{name}` must be representable in the input's dtype: {name}={value!r} is beyond the "
            f"largest {dtype} ({float(ml_dtypes.finfo(dtype).max):g}). Use a smaller value or a wider input dtype."
        )
