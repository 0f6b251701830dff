"""Argument checking and data-format helpers shared by the layer and the composed builders.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the argument and the
value it was given, so a bad configuration fails at construction time, before any tensor work.
"""

import numbers

import keras

CH_FIRST = "channels_first"
CH_LAST = "channels_last"
CH_DEFAULT = "default"
DATA_FORMATS = (CH_LAST, CH_FIRST, CH_DEFAULT)


def resolve_data_format(data_format, name="data_format"):
    """Return ``'channels_last'`` or ``'channels_first'``; ``'default'`` follows Keras' image data format."""
    if not isinstance(data_format, str) or data_format not in DATA_FORMATS:
        raise ValueError(
            f"`{name}` must be one of {DATA_FORMATS}, got {name}={data_format!r}."
        )
    if data_format == CH_DEFAULT:
        return keras.config.image_data_format()
    return data_format


def check_int(value, name, minimum=0, allow_none=False):
    """An integer (Python or numpy, never bool) >= ``minimum``; returned as a plain ``int``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # A float with an integral value (e.g. 27.0) is still rejected: widths are counts.
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"`{name}` must be {kind}, got {name}={value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {name}={value!r}.")
    return int(value)


def check_float(value, name, low=None, high=None, low_inclusive=True, high_inclusive=True):
    """A real number inside the given interval; returned as a plain ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {name}={value!r} ({type(value).__name__}).")
    value = float(value)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or value != value:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"`{name}` must be in {interval}, got {name}={value!r}.")
    return value


def check_mask_value(value, name="mask_value"):
    """A real number (infinities allowed, NaN not), or the string ``'mean'``."""
    if isinstance(value, str):
        if value != "mean":
            raise ValueError(f"`{name}` must be a number or 'mean', got {name}={value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}` must be a number or 'mean', got {name}={value!r} ({type(value).__name__})."
        )
    if value != value:
        raise ValueError(f"`{name}` must be a number or 'mean', not NaN; got {name}={value!r}.")
    return float(value)


def check_seed(value, name="seed"):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer or None, got {name}={value!r} ({type(value).__name__}).")
    return int(value)
