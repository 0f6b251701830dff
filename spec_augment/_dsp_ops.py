"""The backend differences of the DSP layers (:mod:`spec_augment.time_frequency`).

The spectra are real tensors with the real and imaginary parts on a trailing axis of size 2 (TFLite
has no complex type); where a backend can view its complex FFT as such pairs without a copy, it does.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

BACKEND = keras.backend.backend()


def _compiling_for_xla() -> bool:
    """True while a ``tf.function(jit_compile=True)`` traces (XLA has no complex bitcast; it fuses instead)."""
    import tensorflow as tf
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def rfft_parts(frames: Any, fft_length: int) -> Any:
    """The real FFT of the last axis (zero-padded to ``fft_length``) as ``(..., fft_length // 2 + 1, 2)``:
    the real and imaginary parts on a trailing axis."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        spectra = tf.signal.rfft(frames, fft_length=[fft_length])
        if _compiling_for_xla():
            return tf.stack([tf.math.real(spectra), tf.math.imag(spectra)], axis=-1)
        # A bitcast views complex64 as pairs of float32 without a copy (real, imag and a stack are
        # three full passes outside XLA).
        return tf.bitcast(spectra, frames.dtype)
    if BACKEND == "torch":
        import torch

        return torch.view_as_real(torch.fft.rfft(frames, n=fft_length))
    real, imag = ops.rfft(frames, fft_length=fft_length)
    return ops.stack([real, imag], axis=-1)  # XLA fuses the stack with the FFT's output


def magnitude_of_parts(parts: Any) -> Any:
    """``|re + i im|`` of ``(..., 2)`` real and imaginary parts: ``(...)``."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        if _compiling_for_xla():
            return tf.sqrt(tf.square(parts[..., 0]) + tf.square(parts[..., 1]))
        return tf.abs(tf.bitcast(parts, {tf.float32: tf.complex64, tf.float64: tf.complex128}[parts.dtype]))
    if BACKEND == "torch":
        import torch

        return torch.abs(torch.view_as_complex(parts.contiguous()))
    real, imag = parts[..., 0], parts[..., 1]
    return ops.sqrt(real * real + imag * imag)


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum that keeps NaN and the inputs' dtype (Keras' PyTorch maximum computes float64 in
    float32)."""
    if BACKEND == "torch":
        import torch

        return torch.maximum(a, torch.as_tensor(b, dtype=a.dtype, device=a.device))
    return ops.maximum(a, b)
