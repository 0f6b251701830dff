"""The one place that looks at the Keras backend.

Everything else in the package is ``keras.ops``/``keras.random`` code that runs on every backend.
On TensorFlow, the few operations that pay for a TensorFlow-specific version take it from
:mod:`spec_augment._tf_ops`; on JAX and PyTorch no TensorFlow op runs.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

import keras
from keras import ops

BACKEND = keras.backend.backend()
TENSORFLOW = BACKEND == "tensorflow"

if TENSORFLOW:
    from . import _tf_ops

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
    if BACKEND == "torch" and time_axis == 1:
        import torch

        # Advanced indexing moves whole rows; take_along_axis would expand the index to full size.
        rows = torch.arange(inputs.shape[0], device=inputs.device)[:, None]
        return inputs[rows, ops.convert_to_tensor(indices).long()]
    shape = [ops.shape(indices)[0]] + [1] * (len(inputs.shape) - 1)
    shape[time_axis] = ops.shape(indices)[1]
    # Indices broadcast over the other axes (a view in torch, fused under jax.jit).
    return ops.take_along_axis(inputs, ops.reshape(indices, tuple(shape)), axis=time_axis)


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
