"""The TensorFlow-only fast paths. Imported by :mod:`spec_augment._backend_ops` on that backend alone.

* race-free random draws: a Philox ``tf.random.Generator`` reads and advances its state in one
  stateful op under the variable's lock, so parallel ``Dataset.map`` calls and threads sharing a
  layer never get the same draw; under ``tf.distribute`` the replica id is folded into the seed;
* ``tf.gather(batch_dims=1)`` moves whole rows per example without a full-size index tensor;
* the warp-and-mask transform as one XLA kernel where the shapes are static.
"""

from __future__ import annotations

import weakref
from typing import Callable, Optional

import tensorflow as tf


def make_generator(seed: Optional[int]) -> tf.random.Generator:
    if seed is None:
        return tf.random.Generator.from_non_deterministic_state(alg="philox")
    return tf.random.Generator.from_seed(seed, alg="philox")


def uniform(generator: tf.random.Generator, shape, dtype: str) -> tf.Tensor:
    """Uniform [0, 1) draws; one atomic read-and-advance of ``generator`` per call."""
    seed = generator.make_seeds(1)[:, 0]
    replica_context = tf.distribute.get_replica_context()
    if tf.distribute.has_strategy() and replica_context is not None:
        # Every replica may read the same generator state: fold the replica id in, so the examples
        # of each replica get their own masks.
        seed = tf.random.experimental.stateless_fold_in(seed, replica_context.replica_id_in_sync_group)
    return tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)


def gather_frames(inputs: tf.Tensor, indices: tf.Tensor, time_axis: int) -> tf.Tensor:
    return tf.gather(inputs, indices, axis=time_axis, batch_dims=1)


def interpolate_frames(below: tf.Tensor, above: tf.Tensor, fraction: tf.Tensor, compute_dtype: str) -> tf.Tensor:
    # `multiply_no_nan` is 0 where `fraction` is 0 whatever `above` holds, so the exact copy needs no
    # select pass; `- x * (-f)` is `+ x * f` exactly, and `b - 0` keeps -0.0 where `b + 0` would not.
    mixed = tf.cast(below, compute_dtype) * (1.0 - fraction) - tf.math.multiply_no_nan(
        tf.cast(above, compute_dtype), -fraction
    )
    return tf.cast(mixed, below.dtype)


def constant_of(function: Callable, inputs: tf.Tensor) -> tf.Tensor:
    """``function(inputs)``, differentiated as a constant.

    ``stop_gradient`` is not enough for a ``tf.cond`` inside: TensorFlow still rewrites the cond for
    its gradient, and XLA cannot compile that rewrite (``OptionalNone``).
    """

    @tf.custom_gradient
    def constant(x):
        return function(x), lambda upstream: tf.zeros_like(x)

    return constant(inputs)


def check_batch_size(lengths: tf.Tensor, batch) -> tf.Tensor:
    """A run-time check for graphs whose batch size is unknown when traced."""
    if isinstance(batch, int):
        return lengths
    with tf.control_dependencies(
        [
            tf.debugging.assert_equal(
                tf.shape(lengths)[0],
                tf.cast(batch, tf.int32),
                message="`lengths` must have one entry per example of the batch",
            )
        ]
    ):
        return tf.identity(lengths)


def compile_fused(function: Callable) -> Callable:
    # One XLA kernel: in graph mode TensorFlow would otherwise run the gathers, the interpolation
    # and the select as separate passes over the tensor.
    return tf.function(function, jit_compile=True, autograph=False)


# One shape-generic graph per layer for eager calls, held outside the layer so that nothing tracks it.
_EAGER_GRAPHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def run_augmentation(layer, inputs, lengths):
    """Run ``layer._augment`` in the form that pays for this call.

    XLA compiles, and keeps, one kernel per input shape: it runs only in a graph whose spectrogram
    axes are static (fixed-shape ``fit``, ``tf.function``). With a dynamic time axis
    (``padded_batch`` pipelines, ``fit`` after a retrace on a new length) the plain graph ops run.
    Eager calls run draw and transform as one graph that generalizes to any shape after the second
    new shape, so a stream of new lengths traces twice in all and compiles nothing.
    """
    if tf.executing_eagerly():
        graph = _EAGER_GRAPHS.get(layer)
        if graph is None:
            graph = tf.function(lambda x, n: layer._augment(x, n, fused=False), reduce_retracing=True, autograph=False)
            _EAGER_GRAPHS[layer] = graph
        return graph(inputs, lengths)
    time_axis, freq_axis = layer._axes(len(inputs.shape))
    static = inputs.shape[time_axis] is not None and inputs.shape[freq_axis] is not None
    return layer._augment(inputs, lengths, fused=layer.fused and static)
