"""Numpy reference implementations used by the tests to check the layer cell by cell."""

import numpy as np


def band_mask(starts, widths, size):
    """(batch, n) bands -> (batch, size) bool, the straightforward way."""
    starts, widths = np.asarray(starts), np.asarray(widths)
    mask = np.zeros((starts.shape[0], size), bool)
    for b in range(starts.shape[0]):
        for start, width in zip(starts[b], widths[b]):
            mask[b, start : start + width] = True
    return mask


def reference_mask(params, n_time, n_freq):
    """(batch, time, freq) bool: the cells SpecAugment must mask for drawn ``params`` (from numpy_params)."""
    lengths = params["lengths"]
    time_mask = band_mask(params["time_starts"], params["time_widths"], n_time)
    freq_mask = band_mask(params["freq_starts"], params["freq_widths"], n_freq)
    valid = np.arange(n_time)[None, :] < lengths[:, None]
    return (time_mask[:, :, None] | freq_mask[:, None, :]) & valid[:, :, None]


def to_btfc(array, data_format):
    """Any supported layout -> (batch, time, freq, channels)."""
    array = np.asarray(array)
    if array.ndim == 3:
        return array[..., None]
    if data_format == "channels_first":
        return np.transpose(array, (0, 2, 3, 1))
    return array


def numpy_params(draws, n_time):
    """A ``Draws`` as a dict of numpy arrays; ``lengths`` ``None`` (every frame valid) becomes ``n_time``."""
    params = {key: (None if value is None else np.asarray(value)) for key, value in draws._asdict().items()}
    if params["lengths"] is None:
        params["lengths"] = np.full(params["freq_starts"].shape[0], n_time)
    return params


def gradient(function, x):
    """d sum(function(x)) / dx as numpy, with the backend's own autodiff (Keras 3 has no common one)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(function(x))
        return tape.gradient(total, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda value: jnp.sum(function(value)))(jnp.asarray(x)))
    import torch

    x = torch.tensor(x, requires_grad=True)
    function(x).sum().backward()
    return x.grad.numpy()


def compiled(function):
    """``function`` compiled as the backend compiles a train step: TensorFlow ``tf.function`` with XLA,
    ``jax.jit``; PyTorch runs it as it is."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=True, autograph=False)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


def train_call(layer, x, graph=False, **kwargs):
    """``layer(x, training=True, **kwargs)`` as numpy: eagerly, or (``graph``) inside the backend's compiled
    step: a ``tf.function`` (the layer picks XLA for static shapes), ``jax.jit`` of ``stateless_call``
    carrying the random state (as ``fit`` does); PyTorch runs eagerly either way."""
    import keras

    backend = keras.backend.backend()
    if not graph or backend == "torch":
        return keras.ops.convert_to_numpy(layer(x, training=True, **kwargs))
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda value: layer(value, training=True, **kwargs))(x).numpy()
    import jax

    layer.build(x.shape)
    state = [variable.value for variable in layer.non_trainable_variables]
    out, state = jax.jit(lambda s, value: layer.stateless_call([], s, value, training=True, **kwargs))(state, x)
    for variable, value in zip(layer.non_trainable_variables, state):
        variable.assign(value)
    return np.asarray(out)
