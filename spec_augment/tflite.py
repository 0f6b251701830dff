"""Convert a trained Keras model with augmented frontends to a TensorFlow Lite flatbuffer.

:func:`to_tflite` makes the inference graph of a model that uses :class:`~spec_augment.SpecAugment`
or the frontends of :mod:`spec_augment.composed`, and converts it with TFLite *builtin* ops only
(no Flex / ``SELECT_TF_OPS``), so the flatbuffer runs on the plain TFLite runtime:

* every :class:`~spec_augment.SpecAugment` (and kapre's ``SpecAugment`` / ``ChannelSwap``) is
  dropped: it is an identity at inference;
* kapre's ``STFT`` becomes ``kapre.STFTTflite`` and ``Magnitude`` becomes ``kapre.MagnitudeTflite``
  (``Phase(approx_atan_accuracy=n)`` becomes ``PhaseTflite``): TFLite has no complex dtype, so the
  TFLite STFT puts real and imaginary parts in an extra last axis, which the TFLite magnitude and
  phase consume;
* nested models (the frontends are ``keras.Sequential`` layers) are rebuilt the same way, and every
  other layer is reused as it is, weights included.

The flatbuffer takes a batch of ONE waveform (kapre's TFLite STFT frames a fixed-size signal of
batch one) of the model's input shape.

Example:
    ::

        import numpy as np
        import tensorflow as tf
        from spec_augment import to_tflite

        flatbuffer = to_tflite(model)                # model: trained, with an augmented frontend
        interpreter = tf.lite.Interpreter(model_content=flatbuffer)
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], waveform[None])
        interpreter.invoke()
        logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
"""

import re

import keras
import numpy as np

from .augmentation import SpecAugment

__all__ = ["to_tflite"]

# Relative tolerance of the Keras-level check that the rebuilt inference model computes what the
# original computes (STFTTflite's matmul DFT differs from the FFT by float32 rounding only).
_REBUILD_TOLERANCE = 1e-3


class _DroppedAugmentation(keras.layers.Layer):
    """Stands in for a training-only augmentation layer: returns its input, ignores other arguments."""

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape


def _kapre():
    """kapre's layer classes, imported on first use (``import spec_augment`` stays light)."""
    from kapre import augmentation, time_frequency, time_frequency_tflite

    return augmentation, time_frequency, time_frequency_tflite


def _describe(layer):
    return f"layer {layer.name!r} ({type(layer).__module__}.{type(layer).__name__})"


def _training_only_classes():
    augmentation, _, _ = _kapre()
    return (SpecAugment, augmentation.SpecAugment, augmentation.ChannelSwap)


def _replacement(layer):
    """The inference/TFLite counterpart of one layer (``layer`` itself when it converts as it is)."""
    _, tf_layers, tflite_layers = _kapre()
    if isinstance(layer, _training_only_classes()):
        return _DroppedAugmentation(name=layer.name)
    if type(layer) is tf_layers.STFT:
        config = layer.get_config()
        # The resolved formats: 'default' must not be re-resolved under another image data format.
        config.update(input_data_format=layer.input_data_format, output_data_format=layer.output_data_format)
        return tflite_layers.STFTTflite.from_config(config)
    if type(layer) is tf_layers.Magnitude:
        return tflite_layers.MagnitudeTflite.from_config(layer.get_config())
    if type(layer) is tf_layers.Phase:
        if not layer.approx_atan_accuracy:
            raise ValueError(
                f"Cannot convert {_describe(layer)} to TFLite: it takes the exact angle of a complex "
                f"STFT, and TFLite has neither complex tensors nor an exact TFLite version of it in kapre. "
                f"Build the model with kapre's Phase(approx_atan_accuracy=N), whose approximation "
                f"kapre's PhaseTflite reproduces."
            )
        return tflite_layers.PhaseTflite.from_config(layer.get_config())
    if isinstance(layer, tf_layers.InverseSTFT):
        raise ValueError(
            f"Cannot convert {_describe(layer)} to TFLite: it consumes a complex STFT and kapre has no "
            f"TFLite-compatible inverse STFT."
        )
    return layer


def _check_model_type(model, outer=None):
    """Only Sequential and functional models (nested ones included) can be rebuilt layer by layer."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"to_tflite expects a keras.Model (Sequential or functional), got {type(model).__name__}."
        )
    if not isinstance(model, keras.Sequential) and not _is_functional(model):
        where = f"model {model.name!r}" if outer is None else f"layer {model.name!r} of model {outer.name!r}"
        raise TypeError(
            f"Cannot convert {where} ({type(model).__name__}): it is a subclassed keras.Model, whose "
            f"call() is arbitrary Python that cannot be rebuilt layer by layer. Use a keras.Sequential "
            f"or a functional keras.Model."
        )
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            _check_model_type(layer, model)


def _clone(model):
    """Rebuild ``model`` (recursively through nested models) with the inference/TFLite layers."""
    try:
        return keras.models.clone_model(model, clone_function=_replacement, recursive=True)
    except (ValueError, TypeError) as error:
        if str(error).startswith("Cannot convert"):
            raise
        raise ValueError(
            f"Cannot convert model {model.name!r} to TFLite: rebuilding it with kapre's TFLite layers "
            f"(STFTTflite outputs real and imaginary parts in an extra last axis, which only "
            f"MagnitudeTflite/PhaseTflite consume) failed: {error}"
        ) from error


def _is_functional(model):
    from keras.src.models.functional import Functional

    return isinstance(model, Functional)


def _input_spec(model):
    """``(shape with batch 1, dtype)`` of the model's single input."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"Cannot convert model {model.name!r}: its input shape is unknown. Give it an input "
            f"(keras.Input(shape) or input_shape= on the first layer) or build it first."
        )
    if len(inputs) != 1:
        raise ValueError(f"Cannot convert model {model.name!r}: to_tflite supports single-input models, it has {len(inputs)}.")
    shape = tuple(inputs[0].shape)
    if any(dim is None for dim in shape[1:]):
        raise ValueError(
            f"Cannot convert model {model.name!r}: its input shape {shape} has an unknown dimension "
            f"besides the batch; the TFLite STFT frames a fixed-length signal. Give the model a fixed "
            f"input length."
        )
    return (1,) + shape[1:], inputs[0].dtype


def _probe_input(shape, dtype):
    if "float" in str(dtype):
        return np.random.default_rng(0).uniform(-1.0, 1.0, size=shape).astype(dtype)
    return np.zeros(shape, dtype=dtype)


def _check_rebuilt(model, rebuilt, shape, dtype):
    """The rebuilt model must compute what the original computes at inference."""
    x = _probe_input(shape, dtype)
    expected = [keras.ops.convert_to_numpy(y) for y in keras.tree.flatten(model(x, training=False))]
    try:
        got = [keras.ops.convert_to_numpy(y) for y in keras.tree.flatten(rebuilt(x, training=False))]
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(f"Cannot convert model {model.name!r}: the rebuilt inference model fails: {error}") from error

    def close(a, b):
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        return a.shape == b.shape and np.allclose(a, b, rtol=_REBUILD_TOLERANCE, atol=_REBUILD_TOLERANCE * scale)

    if len(got) != len(expected) or not all(close(a, b) for a, b in zip(got, expected)):
        _, tf_layers, _ = _kapre()
        stfts = [layer.name for layer in _leaf_layers(model) if type(layer) is tf_layers.STFT]
        hint = (
            f" Check what consumes the output of kapre STFT layer(s) {', '.join(map(repr, stfts))}: "
            f"only kapre's Magnitude and Phase have TFLite versions that read the TFLite STFT's "
            f"real/imaginary axis."
            if stfts
            else ""
        )
        raise ValueError(
            f"Cannot convert model {model.name!r}: rebuilt for TFLite, it computes something else than "
            f"the original (output shapes {[y.shape for y in got]} vs {[y.shape for y in expected]}).{hint}"
        )


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            yield layer


def _convert(fn, signature, trackable):
    """Convert one tf.function with builtin ops only."""
    import tensorflow as tf

    concrete = tf.function(fn, input_signature=[signature]).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], trackable)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def _trackable(model):
    """A tf.Module that holds the model's variables, so the converter freezes their values."""
    import tensorflow as tf

    module = tf.Module()
    module.model_variables = [getattr(v, "value", v) for v in model.variables]
    return module


def _unsupported_ops(message):
    """The op names a TFLite ConverterError complains about, e.g. ``'Svd'``."""
    found = re.findall(r"(?:TF Select ops|Custom ops): ([^\n]+)", message)
    if found:
        return ", ".join(found)
    found = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", message)))
    return ", ".join(found)


def _find_unconvertible_layer(rebuilt):
    """The first leaf layer that does not convert on its own, with the ops it needs; else ``None``."""
    import tensorflow as tf

    _, _, tflite_layers = _kapre()
    known_good = (_DroppedAugmentation, tflite_layers.STFTTflite, tflite_layers.MagnitudeTflite, tflite_layers.PhaseTflite)
    for layer in _leaf_layers(rebuilt):
        if isinstance(layer, known_good) or not layer._inbound_nodes:
            continue
        tensors = layer._inbound_nodes[0].arguments.keras_tensors
        if len(tensors) != 1:
            continue
        spec = tf.TensorSpec((1,) + tuple(tensors[0].shape)[1:], tensors[0].dtype)
        if any(dim is None for dim in spec.shape):
            continue
        try:
            _convert(lambda x, layer=layer: layer(x, training=False), spec, _trackable(layer))
        except Exception as error:  # noqa: BLE001 - any failure names the culprit
            return layer, _unsupported_ops(str(error)) or str(error).splitlines()[0]
    return None


def to_tflite(model):
    """Convert a trained Keras model with augmented frontends into a TFLite flatbuffer (builtin ops only).

    SpecAugment layers are dropped (they are identities at inference), kapre's ``STFT`` and
    ``Magnitude`` are swapped for ``STFTTflite`` and ``MagnitudeTflite``, nested models such as the
    :mod:`spec_augment.composed` frontends are rebuilt, and every other layer keeps its weights.
    The flatbuffer's input is a batch of one example of the model's input shape; its output matches
    ``model.predict`` on that example (to float32 rounding; the TFLite STFT is a DFT by matrix
    product).

    Args:
        model (keras.Model): a ``keras.Sequential`` or functional model with one input of fixed
            shape (apart from the batch), e.g. a classifier whose first layer is
            ``get_augmented_melspectrogram_layer(input_shape=(8000, 1), ...)``.

    Returns:
        bytes: the TFLite flatbuffer; it needs no Flex delegate.

    Raises:
        TypeError: ``model`` is not a Sequential or functional keras.Model (e.g. a subclassed model).
        ValueError: the model cannot be converted; the message names the layer and the reason
            (an unknown input length, a kapre layer without a TFLite counterpart such as
            ``InverseSTFT``, a layer that needs TensorFlow ops TFLite has no builtin kernel for, ...).
    """
    import tensorflow as tf

    _check_model_type(model)
    shape, dtype = _input_spec(model)
    rebuilt = _clone(model)
    _check_rebuilt(model, rebuilt, shape, dtype)
    signature = tf.TensorSpec(shape, dtype, name="inputs")
    try:
        return _convert(lambda x: rebuilt(x, training=False), signature, _trackable(rebuilt))
    except Exception as error:  # noqa: BLE001 - tf.lite raises ConverterError and others
        culprit = _find_unconvertible_layer(rebuilt)
        if culprit is not None:
            layer, ops = culprit
            raise ValueError(
                f"Cannot convert {_describe(layer)} to TFLite builtin ops: it needs TensorFlow ops that "
                f"TFLite has no builtin kernel for ({ops}). Replace the layer (or convert with "
                f"SELECT_TF_OPS yourself, which needs the Flex delegate at run time)."
            ) from error
        ops = _unsupported_ops(str(error))
        raise ValueError(
            f"Cannot convert model {model.name!r} to TFLite builtin ops"
            + (f": unsupported ops {ops}." if ops else f": {str(error).splitlines()[0]}")
        ) from error
