"""How each Keras backend makes a tensor, compiles a function and waits for a result.

The backend's own library is imported on first use, so that importing this module never picks a
Keras backend (a worker subprocess sets ``KERAS_BACKEND`` first).
"""

from __future__ import annotations

import numpy as np


class Adapter:
    """How one Keras backend makes tensors, compiles a function and waits for a result."""

    name = "?"

    def tensor(self, array):
        raise NotImplementedError

    def compile(self, fn, mode):
        raise NotImplementedError

    def force(self, result):
        raise NotImplementedError


class TensorFlowAdapter(Adapter):
    name = "tensorflow"
    modes = ("graph", "xla", "eager")

    def tensor(self, array):
        import tensorflow as tf

        return tf.constant(array)

    def compile(self, fn, mode):
        import tensorflow as tf

        if mode == "eager":
            return fn
        if mode not in ("graph", "xla"):
            raise ValueError(f"TensorFlow mode must be graph, xla or eager, got {mode!r}")
        return tf.function(fn, jit_compile=mode == "xla", autograph=False, reduce_retracing=False)

    def force(self, result):
        """Wait for a result without copying it: read one element of each output tensor."""
        import tensorflow as tf

        for tensor in tf.nest.flatten(result):
            if tf.is_tensor(tensor):
                tf.reshape(tensor, [-1])[:1].numpy()


class JaxAdapter(Adapter):
    name = "jax"
    modes = ("jit", "eager")

    def tensor(self, array):
        import jax.numpy as jnp

        return jnp.asarray(array)

    def compile(self, fn, mode):
        import jax

        return jax.jit(fn) if mode == "jit" else fn

    def force(self, result):
        import jax

        jax.block_until_ready(result)


class TorchAdapter(Adapter):
    name = "torch"
    modes = ("eager",)

    def tensor(self, array):
        import torch

        return torch.from_numpy(np.ascontiguousarray(array))

    def compile(self, fn, mode):
        if mode != "eager":
            raise ValueError(f"only torch eager is measured, got {mode!r}")
        return fn

    def force(self, result):
        import torch

        for tensor in result if isinstance(result, (tuple, list)) else (result,):
            if isinstance(tensor, torch.Tensor):
                tensor.reshape(-1)[:1].item()


ADAPTERS = {a.name: a for a in (TensorFlowAdapter, JaxAdapter, TorchAdapter)}


def keras_backend() -> str:
    import keras

    return keras.backend.backend()
