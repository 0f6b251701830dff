"""The one place that looks at the Keras backend.

Everything else in the package is ``keras.ops``/``keras.random`` code that runs on every backend.
On TensorFlow, the few operations that pay for a TensorFlow-specific version take it from
:mod:`spec_augment._tf_ops`; on JAX and PyTorch no TensorFlow op runs.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Optional

import keras
from keras import ops

BACKEND = keras.backend.backend()
TENSORFLOW = BACKEND == "tensorflow"

if TENSORFLOW:
    from . import _tf_ops

# Up to this many bands of a kind, bands_to_mask ORs them one by one instead of reducing: XLA then
# fuses the masks into the final select. Measured at (32, 1000, 80, 1): under jax.jit LD goes from
# about 1.25x to 1.03x the floor; under TensorFlow's XLA, warp + LD goes from about 1.3x to 1.5x
# (the fusion then recomputes the bands inside the warp's loop), so TensorFlow keeps the reduction.
# Eager PyTorch: no difference.
UNROLLED_BANDS = 8 if BACKEND == "jax" else 0

# Keras' SeedGenerator reads its state and writes it back in two steps; threads sharing a layer
# must not interleave them (on TensorFlow the Philox generator is atomic by itself).
_DRAW_LOCK = threading.Lock()


def draw_dtype() -> str:
    """float64 where the backend has it (exact ``floor(u * n)`` for any realistic n), else float32."""
    if BACKEND == "jax":
        import jax

        return "float64" if getattr(jax.config, "jax_enable_x64", False) else "float32"
    return "float64"


def make_tf_generator(seed: Optional[int]) -> Any:
    return _tf_ops.make_generator(seed) if TENSORFLOW else None


def random_state(tf_generator: Any) -> Optional[Any]:
    """The Philox generator's state as a numpy array, or None where the Keras variables hold it all."""
    return None if tf_generator is None else tf_generator.state.numpy()


def set_random_state(tf_generator: Any, state: Any) -> None:
    if tf_generator is not None:
        tf_generator.reset(state)


def uniform(shape, seed_generator: keras.random.SeedGenerator, tf_generator: Any = None) -> Any:
    """Uniform [0, 1) draws of ``shape``, one atomic read-and-advance of the layer's random state."""
    if tf_generator is not None:
        return _tf_ops.uniform(tf_generator, shape, draw_dtype())
    with _DRAW_LOCK:
        return keras.random.uniform(shape, dtype=draw_dtype(), seed=seed_generator)


def gather_frames(inputs: Any, indices: Any, time_axis: int) -> Any:
    """``out[b, ..., t, ...] = inputs[b, ..., indices[b, t], ...]`` along ``time_axis``."""
    if TENSORFLOW:
        return _tf_ops.gather_frames(inputs, indices, time_axis)
    # One take of whole rows from the input flattened to (rows, cells per frame): no full-size index
    # (take_along_axis broadcasts the index to the input's size), a contiguous copy per frame
    # (torch: an embedding lookup; JAX: a gather XLA fuses with the interpolation).
    shape = tuple(inputs.shape)
    n_frames = shape[time_axis]
    indices = ops.cast(indices, "int32")  # (batch, new_time)
    rows_per_example = math.prod(shape[1:time_axis])  # channels, if they come before time
    base = ops.reshape(ops.arange(shape[0] * rows_per_example, dtype="int32"), (shape[0], rows_per_example, 1))
    rows = ops.reshape(base * n_frames + indices[:, None, :], (-1,))
    flat = ops.reshape(inputs, (-1, math.prod(shape[time_axis + 1 :])))
    gathered = ops.take(flat, rows, axis=0)
    return ops.reshape(gathered, shape[:time_axis] + (ops.shape(indices)[1],) + shape[time_axis + 1 :])


def interpolate_frames(below: Any, above: Any, fraction: Any, compute_dtype: str) -> Any:
    """``(1 - fraction) * below + fraction * above`` in ``compute_dtype``; ``below`` bit-exactly where
    ``fraction == 0``, even next to an infinite or NaN ``above``.

    No ``above - below``: it is NaN for an infinite ``below`` and overflows for large mixed signs.
    ``below`` and ``above`` must be temporaries of the caller's (the gathers' outputs): PyTorch
    reuses them as buffers.
    """
    if TENSORFLOW:
        return _tf_ops.interpolate_frames(below, above, fraction, compute_dtype)
    if BACKEND == "torch" and not _torch_records_gradient(above):
        return _interpolate_frames_torch(below, above, fraction, compute_dtype)
    mixed = (1.0 - fraction) * ops.cast(below, compute_dtype) + fraction * ops.cast(above, compute_dtype)
    return ops.where(fraction == 0.0, below, ops.cast(mixed, below.dtype))


def _torch_records_gradient(tensor: Any) -> bool:
    import torch

    return torch.is_grad_enabled() and tensor.requires_grad


def _interpolate_frames_torch(below: Any, above: Any, fraction: Any, compute_dtype: str) -> Any:
    # CPU torch.where costs about three multiplies; clearing the bits of `above * -fraction` where
    # fraction is 0 is one vectorized pass and gives +0.0, so `below * 1 - 0` is `below`, -0.0 included.
    # Bits carry no gradient: only for inputs autograd does not follow (the usual case: features
    # computed without trainable layers before the augmentation).
    # `below` and `above` are the gathers' own fresh tensors: updating them in place saves three
    # full-size allocations (each a round of page faults for a tensor this size on CPU).
    import torch

    above_term = above.to(fraction.dtype).mul_(-fraction)
    integer = {2: torch.int16, 4: torch.int32, 8: torch.int64}[above_term.element_size()]
    keep_bits = torch.where(fraction == 0, 0, -1).to(integer)  # (batch, time) sized: cheap
    above_term.view(integer).bitwise_and_(keep_bits)
    return below.to(fraction.dtype).mul_(1.0 - fraction).sub_(above_term).to(below.dtype)


def constant_of(function: Callable, inputs: Any) -> Any:
    """``function(inputs)`` with no gradient flowing back into ``inputs``."""
    if TENSORFLOW:
        return _tf_ops.constant_of(function, inputs)
    return function(ops.stop_gradient(inputs))


def check_batch_size(lengths: Any, batch: Any) -> Any:
    """Fail at run time on a ``lengths`` of the wrong size where the batch was unknown when traced."""
    return _tf_ops.check_batch_size(lengths, batch) if TENSORFLOW else lengths


def compile_fused(function: Callable) -> Callable:
    """``function`` as one XLA kernel on TensorFlow; as it is elsewhere (JAX compiles the whole step)."""
    return _tf_ops.compile_fused(function) if TENSORFLOW else function


def run_augmentation(layer: Any, inputs: Any, lengths: Any) -> Any:
    """``layer._augment`` in the compiled form that pays for this call (see ``_tf_ops``)."""
    if TENSORFLOW:
        return _tf_ops.run_augmentation(layer, inputs, lengths)
    return layer._augment(inputs, lengths, fused=False)
