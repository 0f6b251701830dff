"""SpecAugment inside a ``tf.data`` pipeline when Keras runs on JAX or PyTorch.

A ``tf.data`` map runs TensorFlow graphs, whatever ``KERAS_BACKEND`` is: as Keras' own augmentation
layers do, the layer then runs on TensorFlow ops. It runs the package's own code: :mod:`drawing`,
:mod:`functional`, :mod:`_backend_ops` and :mod:`_validation` are loaded a second time with
``keras.ops`` bound to Keras' TensorFlow backend, so there is one definition of every draw and
transform. Draws come from a Philox generator of the layer's (its seed's) stream, whose
read-and-advance is atomic: parallel map calls never share a draw. Loaded only on first such call.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import threading
import types
from typing import Any, Dict, Optional

import tensorflow as tf

_MODULES = ("_backend_ops", "_validation", "drawing", "functional")
_LOCK = threading.Lock()
_LOADED: Dict[str, types.ModuleType] = {}


class _TensorFlowOps:
    """``keras.ops`` names, resolved in Keras' TensorFlow backend (core, then numpy, math, nn)."""

    def __getattr__(self, name: str) -> Any:
        backend = importlib.import_module("keras.src.backend.tensorflow")
        for module in (backend, backend.numpy, backend.math, backend.nn):
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(name)


def _tensorflow_modules() -> Dict[str, types.ModuleType]:
    """The package's drawing and transform modules, on TensorFlow ops; loaded once."""
    with _LOCK:
        if not _LOADED:
            folder = pathlib.Path(__file__).parent
            for name in _MODULES:
                spec = importlib.util.spec_from_file_location(f"spec_augment._tf_data_{name}", folder / f"{name}.py")
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                module.__package__ = "spec_augment"
                spec.loader.exec_module(module)
                _LOADED[name] = module
            ops = _TensorFlowOps()
            for module in _LOADED.values():
                module.ops = ops  # type: ignore[attr-defined]
                # The copies call each other, never the modules of the running backend.
                for other, copy in _LOADED.items():
                    if hasattr(module, other):
                        setattr(module, other, copy)
                for name in ("as_ratio", "floor_ratio", "sample_bands", "Draws"):
                    if hasattr(module, name) and module is not _LOADED["drawing"]:
                        setattr(module, name, getattr(_LOADED["drawing"], name))
            backend_ops = _LOADED["_backend_ops"]
            backend_ops.BACKEND, backend_ops.TENSORFLOW, backend_ops.tf = "tensorflow", True, tf  # type: ignore[attr-defined]
            backend_ops.UNROLLED_BANDS = 0  # type: ignore[attr-defined]
        return _LOADED


def new_generator(stream: int) -> Any:
    """The Philox generator of a layer's stream, made outside any graph (a map function cannot)."""
    with tf.init_scope():
        return tf.random.Generator.from_state([0, 0, stream], alg="philox")


@tf.autograph.experimental.do_not_convert  # plain graph code; a map would convert it
def augment(inputs: Any, lengths: Optional[Any], generator: Any, data_format: str, mask_value: Any, draw_arguments: Dict[str, Any]) -> Any:
    """A training call of the layer on TensorFlow tensors (see ``SpecAugment.call``)."""
    modules = _tensorflow_modules()
    functional, validation = modules["functional"], modules["_validation"]
    inputs = tf.convert_to_tensor(inputs)
    if not inputs.dtype.is_floating:
        raise TypeError(f"SpecAugment expects a floating-point spectrogram, got dtype {inputs.dtype.name}.")
    validation.check_mask_value_fits(mask_value, inputs.dtype.name)
    time_axis, freq_axis = functional.spectrogram_axes(len(inputs.shape), data_format)
    if 0 in tuple(inputs.shape):
        return inputs  # nothing to mask or warp
    shape = tf.shape(inputs)
    lengths = validation.check_lengths(lengths, inputs.shape[0] or shape[0], shape[time_axis])
    draws = modules["drawing"].draw(
        lambda size: modules["_backend_ops"].uniform(size, None, generator, inputs),
        shape[0], shape[time_axis], shape[freq_axis], lengths, **draw_arguments,
    )  # fmt: skip
    return functional.augment(inputs, draws, time_axis=time_axis, freq_axis=freq_axis, mask_value=mask_value)
