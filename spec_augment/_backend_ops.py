"""What differs between the Keras backends: the random source, frame gathers, interpolation, run-time checks and how
a call compiles; the rest of the package is ``keras.ops`` code. TensorFlow is imported here on that backend alone."""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Dict, Optional

import keras
import numpy as np
from keras import ops

BACKEND = keras.backend.backend()
TENSORFLOW = BACKEND == "tensorflow"

if TENSORFLOW:
    import tensorflow as tf
elif BACKEND == "jax":
    import jax

# Up to this many bands of a kind, bands_to_mask ORs them one by one: jax.jit then fuses the masks into the final
# select. TensorFlow's XLA would recompute the bands inside the warp's loop, so it keeps the reduction.
UNROLLED_BANDS = 8 if BACKEND == "jax" else 0

# Keras' SeedGenerator reads its state and writes it back in two steps; threads sharing a layer
# must not interleave them (on TensorFlow the Philox generator is atomic by itself).
_DRAW_LOCK = threading.Lock()


def draw_dtype() -> str:
    """float64 where the backend has it (exact ``floor(u * n)`` for any realistic n), else float32."""
    if BACKEND == "jax":
        return "float64" if getattr(jax.config, "jax_enable_x64", False) else "float32"
    return "float64"


def new_tf_generator(seed: int) -> Any:
    """On TensorFlow, a Philox generator keyed by ``seed`` (None elsewhere): an atomic read-and-advance, so parallel
    calls never share a draw, and the seed is the cipher's key, so seeds never share a stream."""
    return tf.random.Generator.from_state([0, 0, seed], alg="philox") if TENSORFLOW else None


def uniform(shape: Any, seed_generator: Any, tf_generator: Any, like: Any) -> Any:
    """Uniform [0, 1) draws of ``shape``: one atomic read-and-advance of the layer's random state; ``like``: the
    input (its device on PyTorch)."""
    dtype = draw_dtype()
    if tf_generator is not None:
        seed = tf_generator.make_seeds(1)[:, 0]
        replica_context = tf.distribute.get_replica_context()
        if tf.distribute.has_strategy() and replica_context is not None:
            # Every replica may read the same generator state: fold the replica id in, so the examples
            # of each replica get their own masks.
            seed = tf.random.experimental.stateless_fold_in(seed, replica_context.replica_id_in_sync_group)
        return tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)
    with _DRAW_LOCK:
        before = seed_generator.state.value
        state = seed_generator.next()  # [seed, calls so far]
    if BACKEND == "jax":
        _refuse_a_baked_draw(seed_generator, before)
        key = jax.random.fold_in(jax.random.PRNGKey(state[0]), state[1])
        return jax.random.uniform(key, shape, dtype=dtype)
    import torch

    # A hash of (seed, count), not their sum (Keras' choice), so no two seeds share a stream.
    mixed = np.random.SeedSequence(ops.convert_to_numpy(state).tolist()).generate_state(1, np.uint64)[0]
    generator = torch.Generator(device=like.device).manual_seed(int(mixed >> 1))
    return torch.rand(tuple(shape), generator=generator, dtype=torch.float64, device=like.device)


def normal(shape: Any, seed: Any, dtype: str, like: Any) -> Any:
    """Standard normal draws of ``shape`` from a drawn int32 ``(2,)`` seed (stateless: the layer's state drew it)."""
    if TENSORFLOW:
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)
    if BACKEND == "jax":
        key = jax.random.fold_in(jax.random.PRNGKey(seed[0]), seed[1])
        return jax.random.normal(key, tuple(shape), dtype=dtype)
    import torch

    seed = ops.convert_to_numpy(seed).tolist()
    generator = torch.Generator(device=like.device).manual_seed(seed[0] * 2**31 + seed[1])
    return torch.randn(tuple(shape), generator=generator, dtype=getattr(torch, dtype), device=like.device)


def _refuse_a_baked_draw(seed_generator: Any, before: Any) -> None:
    """Under ``jax.jit`` without Keras' stateless API the draw would be a constant of the trace."""
    from keras.src.backend.common.stateless_scope import in_stateless_scope

    if in_stateless_scope() or not isinstance(seed_generator.state.value, jax.core.Tracer):
        return
    seed_generator.state.assign(before)  # no tracer left behind in the layer
    raise RuntimeError(
        "SpecAugment was called inside jax.jit without Keras' stateless API: its random state cannot "
        "advance there, so every call would draw the same masks. Carry the state through the jitted "
        "function, as model.fit does: `outputs, state = layer.stateless_call([], state, x, training=True)` "
        "with `state = [v.value for v in layer.non_trainable_variables]`."
    )


def gather_frames(inputs: Any, indices: Any, time_axis: int) -> Any:
    """``out[b, ..., t, ...] = inputs[b, ..., indices[b, t], ...]`` along ``time_axis``."""
    if TENSORFLOW:
        return tf.gather(inputs, indices, axis=time_axis, batch_dims=1)
    # One take of whole rows from the input as (rows, cells per frame): no full-size index (take_along_axis would
    # broadcast it to the input's size), a contiguous copy per frame.
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
    """``(1 - fraction) * below + fraction * above`` in ``compute_dtype``; ``below`` bit-exactly where ``fraction``
    is 0, even next to a non-finite ``above``. No ``above - below``: NaN next to an infinity, overflow for large
    mixed signs. ``below`` and ``above`` must be the caller's temporaries (gathers' outputs): PyTorch reuses them.
    """
    if TENSORFLOW:
        # `multiply_no_nan` is 0 where `fraction` is 0 whatever `above` holds, so the exact copy needs
        # no select pass; `- x * (-f)` is `+ x * f` exactly, and `b - 0` keeps -0.0 where `b + 0` would not.
        above_term = tf.math.multiply_no_nan(tf.cast(above, compute_dtype), -fraction)
        return tf.cast(tf.cast(below, compute_dtype) * (1.0 - fraction) - above_term, below.dtype)
    if BACKEND == "torch":
        import torch

        if not (torch.is_grad_enabled() and above.requires_grad):
            return _interpolate_frames_torch(below, above, fraction)
    mixed = (1.0 - fraction) * ops.cast(below, compute_dtype) + fraction * ops.cast(above, compute_dtype)
    return ops.where(fraction == 0.0, below, ops.cast(mixed, below.dtype))


def _interpolate_frames_torch(below: Any, above: Any, fraction: Any) -> Any:
    # A CPU torch.where is costly next to a multiply; clearing the bits of `above * -fraction` where fraction is 0
    # gives +0.0, so `below * 1 - 0` is `below`, -0.0 included. Bits carry no gradient: only for inputs autograd does
    # not follow. Updating the gathers' fresh tensors in place saves three full-size allocations.
    import torch

    above_term = above.to(fraction.dtype).mul_(-fraction)
    integer = {2: torch.int16, 4: torch.int32, 8: torch.int64}[above_term.element_size()]
    keep_bits = torch.where(fraction == 0, 0, -1).to(integer)  # (batch, time) sized: cheap
    above_term.view(integer).bitwise_and_(keep_bits)
    return below.to(fraction.dtype).mul_(1.0 - fraction).sub_(above_term).to(below.dtype)


def computed_once(per_frame: Any) -> Any:
    """A small per-frame tensor kept whole: fused into a full-size loop, jax.jit would redo its ops in every cell."""
    return jax.lax.optimization_barrier(per_frame) if BACKEND == "jax" else per_frame


def constant_of(function: Callable, inputs: Any) -> Any:
    """``function(inputs)`` with no gradient into ``inputs``. On TensorFlow ``stop_gradient`` is not enough for a
    ``tf.cond`` inside: TensorFlow still rewrites the cond for its gradient, and XLA cannot compile that rewrite."""
    if not TENSORFLOW:
        return function(ops.stop_gradient(inputs))

    @tf.custom_gradient
    def constant(x):
        return function(x), lambda upstream: tf.zeros_like(x)

    return constant(inputs)


def check_batch_size(lengths: Any, batch: Any) -> Any:
    """Fail at run time, naming ``lengths``, where the batch size was unknown when the graph was traced."""
    if batch is None or isinstance(batch, int) or not TENSORFLOW:
        return lengths
    same = tf.debugging.assert_equal(tf.shape(lengths)[0], tf.cast(batch, tf.int32),
                                     message="`lengths` must have one entry per example of the batch")
    with tf.control_dependencies([same]):
        return tf.identity(lengths)


class CompiledGraphs:
    """A layer's eager graphs (TensorFlow): not tracked by Keras or TensorFlow, not copied with the layer."""

    def __init__(self) -> None:
        self.graphs: Dict[Any, Any] = {}

    def __deepcopy__(self, memo: Any) -> "CompiledGraphs":
        return CompiledGraphs()


def draw_and_transform_compiled(
    draw: Callable, transform: Callable, inputs: Any, lengths: Optional[Any], static_axes: bool, cache: CompiledGraphs
) -> Any:
    """``transform(inputs, draw(inputs, lengths))`` in the compiled form that pays (the package's one compile choice).

    On TensorFlow, eagerly: one graph per (rank, dtype, lengths given), every axis dynamic; in a graph: one XLA kernel
    if the spectrogram axes are static, else plain graph ops. JAX and PyTorch run it as written (docs/backends.md)."""
    if not TENSORFLOW:
        return transform(inputs, draw(inputs, lengths))
    if tf.executing_eagerly():
        args = (inputs,) if lengths is None else (inputs, lengths)
        key = (len(inputs.shape), inputs.dtype, len(args))
        graph = cache.graphs.get(key)
        if graph is None:
            signature = [tf.TensorSpec([None] * len(inputs.shape), inputs.dtype), tf.TensorSpec([None], tf.int32)]
            graph = tf.function(lambda x, n=None: transform(x, draw(x, n)), input_signature=signature[: len(args)], autograph=False)
            cache.graphs[key] = graph
        return graph(*args)
    draws = draw(inputs, lengths)
    if static_axes:
        transform = tf.function(transform, jit_compile=True, autograph=False)
    return transform(inputs, draws)
