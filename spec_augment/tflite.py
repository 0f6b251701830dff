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
* nested models, at any depth (the frontends are ``keras.Sequential`` layers), are rebuilt the same
  way, and every other layer is reused as it is, weights included;
* layers that compute in float16 or bfloat16 (``mixed_float16`` and similar dtype policies) are
  re-created in float32 with their weights, so the flatbuffer computes in float32.

The flatbuffer takes a batch of ONE example (kapre's TFLite STFT frames a fixed-size signal of
batch one) of the model's input shape. TensorFlow and kapre are imported when :func:`to_tflite`
runs, not when this module is imported; conversion needs Keras' TensorFlow backend.
"""

from __future__ import annotations

import functools
import re

import keras
import numpy as np

from . import _validation as validation
from .augmentation import SpecAugment

__all__ = ["to_tflite"]

# Tolerance of the Keras-level check that the rebuilt inference model computes what the original
# computes (STFTTflite's matmul DFT differs from the FFT by float32 rounding only) ...
_REBUILD_TOLERANCE = 1e-3
# ... and for a model that computes in 16-bit floats, rebuilt in float32 (float16 keeps 11 bits).
_HALF_TOLERANCE = 2e-2
_HALF_DTYPES = ("float16", "bfloat16")


class _DroppedAugmentation(keras.layers.Layer):
    """Stands in for a training-only augmentation layer: returns its input, ignores other arguments."""

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape


def _kapre():
    """kapre's layer modules, imported on first use (``import spec_augment`` stays light)."""
    from kapre import augmentation, time_frequency, time_frequency_tflite

    return augmentation, time_frequency, time_frequency_tflite


@functools.lru_cache(maxsize=None)
def _stft_tflite_class():
    """kapre's ``STFTTflite`` with the DC and Nyquist bins' imaginary parts set to exactly 0."""
    from kapre.time_frequency_tflite import STFTTflite

    class RealEdgeBinsSTFTTflite(STFTTflite):
        # The FFT of a real signal gives exactly 0 there; the matmul DFT gives +-1e-7, which moves
        # the phase of a negative real part from pi to -pi (a 2*pi jump that reaches any layer after).
        def call(self, x):
            n_freq = self.n_fft // 2 + 1
            keep = np.ones((n_freq, 2), "float32")
            keep[0, 1] = 0.0
            if self.n_fft % 2 == 0:
                keep[-1, 1] = 0.0
            if self.output_data_format == "channels_last":  # (batch, time, freq, channels, re/im)
                keep = keep[:, None, :]
            return super().call(x) * keep

    return RealEdgeBinsSTFTTflite


def _describe(layer):
    return f"layer {layer.name!r} ({type(layer).__module__}.{type(layer).__name__})"


def _is_half(layer):
    return getattr(layer.dtype_policy, "compute_dtype", None) in _HALF_DTYPES


def _inference_config(layer):
    """``layer``'s config, in float32 where it computes in 16-bit floats (the flatbuffer computes in float32)."""
    return {**layer.get_config(), **({"dtype": "float32"} if _is_half(layer) else {})}


def _float32_copy(layer, copies):
    """A float32 twin of a 16-bit layer; its weights are copied once the rebuilt model built it."""
    try:
        twin = type(layer).from_config(_inference_config(layer))
    except Exception as error:  # noqa: BLE001 - re-raised with the cause named
        raise ValueError(
            f"Cannot convert {_describe(layer)} to TFLite: it computes in {layer.dtype_policy.compute_dtype} "
            f"(dtype policy {layer.dtype_policy.name!r}), and to_tflite, which makes float32 flatbuffers, "
            f"could not re-create it in float32 from its config: {error}. Build the model under "
            f"keras.config.set_dtype_policy('float32') and load the trained weights into it."
        ) from error
    copies.append((layer, twin))
    return twin


def _replacement(layer, copies):
    """The inference/TFLite counterpart of one layer (``layer`` itself when it converts as it is)."""
    augmentation, tf_layers, tflite_layers = _kapre()
    if isinstance(layer, (SpecAugment, augmentation.SpecAugment, augmentation.ChannelSwap)):
        return _DroppedAugmentation(name=layer.name, dtype="float32" if _is_half(layer) else layer.dtype_policy)
    if type(layer) is tf_layers.STFT:
        config = _inference_config(layer)
        # The resolved formats: 'default' must not be re-resolved under another image data format.
        config.update(input_data_format=layer.input_data_format, output_data_format=layer.output_data_format)
        return _stft_tflite_class().from_config(config)
    if type(layer) is tf_layers.Magnitude:
        return tflite_layers.MagnitudeTflite.from_config(_inference_config(layer))
    if type(layer) is tf_layers.Phase:
        if not layer.approx_atan_accuracy:
            raise ValueError(
                f"Cannot convert {_describe(layer)} to TFLite: it takes the exact angle of a complex "
                f"STFT, and TFLite has neither complex tensors nor an exact TFLite version of it in kapre. "
                f"Build the model with kapre's Phase(approx_atan_accuracy=N), whose approximation "
                f"kapre's PhaseTflite reproduces (modulo 2*pi)."
            )
        return tflite_layers.PhaseTflite.from_config(_inference_config(layer))
    if isinstance(layer, tf_layers.InverseSTFT):
        raise ValueError(
            f"Cannot convert {_describe(layer)} to TFLite: it consumes a complex STFT and kapre has no "
            f"TFLite-compatible inverse STFT."
        )
    return _float32_copy(layer, copies) if _is_half(layer) else layer


def _check_model_type(model, outer=None):
    """Only Sequential and functional models (nested ones included) can be rebuilt layer by layer."""
    from keras.src.models.functional import Functional

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"to_tflite expects a keras.Model (Sequential or functional), got {type(model).__name__}."
        )
    if not isinstance(model, (keras.Sequential, Functional)):
        where = f"model {model.name!r}" if outer is None else f"layer {model.name!r} of model {outer.name!r}"
        raise TypeError(
            f"Cannot convert {where} ({type(model).__name__}): it is a subclassed keras.Model, whose "
            f"call() is arbitrary Python that cannot be rebuilt layer by layer. Use a keras.Sequential "
            f"or a functional keras.Model."
        )
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            _check_model_type(layer, model)


def _rebuild(model, cache, copies):
    """``model`` rebuilt with inference/TFLite layers, through nested models at any depth.

    ``clone_model(recursive=True)`` descends one level only, so each nested model is rebuilt here;
    ``cache`` maps each layer to its replacement, so a layer used in several places stays shared.
    """

    def clone(layer):
        if id(layer) not in cache:
            if isinstance(layer, keras.Model):
                cache[id(layer)] = _rebuild(layer, cache, copies)
            else:
                cache[id(layer)] = _replacement(layer, copies)
        return cache[id(layer)]

    return keras.models.clone_model(model, clone_function=clone)


def _clone(model):
    """The rebuilt inference model, with the weights of the layers re-created in float32."""
    copies: list[tuple[keras.layers.Layer, keras.layers.Layer]] = []
    try:
        rebuilt = _rebuild(model, {}, copies)
    except (ValueError, TypeError) as error:
        if str(error).startswith("Cannot convert"):
            raise
        raise ValueError(
            f"Cannot convert model {model.name!r} to TFLite: rebuilding it with kapre's TFLite layers "
            f"(STFTTflite outputs real and imaginary parts in an extra last axis, which only "
            f"MagnitudeTflite/PhaseTflite consume) failed: {error}"
        ) from error
    for layer, twin in copies:
        twin.set_weights([np.asarray(w).astype(v.dtype) for w, v in zip(layer.get_weights(), twin.weights)])
    return rebuilt


def _input_spec(model):
    """``(shape with batch 1, dtype)`` of the model's single input."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"Cannot convert model {model.name!r}: its input shape is unknown. Give it an input "
            f"(keras.Input(shape) or input_shape= on the first layer) or build it first."
        )
    if len(inputs) != 1:
        raise ValueError(
            f"Cannot convert model {model.name!r}: to_tflite supports single-input models, it has {len(inputs)}."
        )
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


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            yield layer


def _check_rebuilt(model, rebuilt, shape, dtype):
    """The rebuilt model must compute what the original computes at inference."""
    _, tf_layers, _ = _kapre()
    leaves = list(_leaf_layers(model))
    phases = [layer for layer in leaves if type(layer) is tf_layers.Phase]
    tolerance = _HALF_TOLERANCE if any(_is_half(layer) for layer in leaves) else _REBUILD_TOLERANCE
    x = _probe_input(shape, dtype)
    expected = [keras.ops.convert_to_numpy(y).astype("float64") for y in keras.tree.flatten(model(x, training=False))]
    try:
        got = [keras.ops.convert_to_numpy(y).astype("float64") for y in keras.tree.flatten(rebuilt(x, training=False))]
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(f"Cannot convert model {model.name!r}: the rebuilt inference model fails: {error}") from error

    def excess(a, b):
        """How far ``a`` is from ``b``, in units of the allowed difference (<= 1 passes)."""
        difference = np.abs(a - b)
        if phases:  # a phase at the branch cut is pi in one model and -pi in the other
            difference = np.abs((a - b + np.pi) % (2 * np.pi) - np.pi)
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        return float(np.max(difference / (tolerance * (scale + np.abs(b))), initial=0.0))

    if len(got) == len(expected) and all(a.shape == b.shape for a, b in zip(got, expected)):
        if max(excess(a, b) for a, b in zip(got, expected)) <= 1.0:
            return
        worst = max(float(np.max(np.abs(a - b), initial=0.0)) for a, b in zip(got, expected))
    else:
        worst = float("nan")
    stfts = [layer.name for layer in leaves if type(layer) is tf_layers.STFT]
    hints = []
    if phases:
        accuracies = ", ".join(f"{p.name!r} (approx_atan_accuracy={p.approx_atan_accuracy})" for p in phases)
        hints.append(
            f" Its kapre Phase layer(s) {accuracies} can differ: where |imaginary / real| of a bin is "
            f"large, kapre's approximate atan converges slowly and magnifies the TFLite STFT's float32 "
            f"rounding (a larger approx_atan_accuracy, e.g. the 29000 kapre suggests, helps); and a bin "
            f"on the branch cut may be pi in one model and -pi in the other, which only the phase "
            f"itself tolerates, not a layer after it."
        )
    if stfts:
        hints.append(
            f" Check what consumes the output of kapre STFT layer(s) {', '.join(map(repr, stfts))}: "
            f"only kapre's Magnitude and Phase have TFLite versions that read the TFLite STFT's "
            f"real/imaginary axis."
        )
    raise ValueError(
        f"Cannot convert model {model.name!r}: rebuilt for TFLite, it computes something else than "
        f"the original (output shapes {[y.shape for y in got]} vs {[y.shape for y in expected]}, "
        f"largest difference {worst:.3g}).{''.join(hints)}"
    )


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
    known_good = (_DroppedAugmentation, tflite_layers.STFTTflite, tflite_layers.MagnitudeTflite,
                  tflite_layers.PhaseTflite)
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


def to_tflite(model: keras.Model) -> bytes:
    """Convert a trained Keras model with augmented frontends into a TFLite flatbuffer (builtin ops only).

    SpecAugment layers are dropped (they are identities at inference), kapre's ``STFT``,
    ``Magnitude`` and ``Phase(approx_atan_accuracy=N)`` are swapped for their TFLite versions,
    nested models at any depth (such as the :mod:`spec_augment.composed` frontends) are rebuilt,
    and every other layer keeps its weights. The flatbuffer's input is a batch of one example of
    the model's input shape; its output matches ``model.predict`` on that example:

    * to float32 rounding (the TFLite STFT is a DFT by matrix product);
    * for a phase, modulo 2*pi: a bin on the branch cut (negative real part, imaginary part ~0) may
      be pi in one and -pi in the other, a jump that layers after the phase pass on (the DC and
      Nyquist bins, real for a real signal, are kept exactly real so they never flip); and where
      |imaginary / real| of a bin is large, only as well as kapre's approximate atan allows, whose
      error there amplifies the float32 rounding (on a harmonic tone: 0.06 rad at
      ``approx_atan_accuracy=5000``, 3e-4 rad at 29000, the value kapre suggests);
    * for a model that computes in float16 or bfloat16 (e.g. under ``mixed_float16``), to that
      precision's rounding: such layers are re-created in float32 with their weights, and the
      flatbuffer computes in float32.

    Args:
        model: a ``keras.Sequential`` or functional model with one input of fixed shape (apart
            from the batch), e.g. a classifier whose first layer is
            ``get_augmented_melspectrogram_layer(input_shape=(8000, 1), ...)``.

    Returns:
        The TFLite flatbuffer; it needs no Flex delegate.

    Raises:
        TensorFlowBackendRequiredError: Keras runs on a backend other than TensorFlow (a ``RuntimeError``).
        TypeError: ``model`` is not a Sequential or functional keras.Model (e.g. a subclassed model).
        ValueError: the model cannot be converted; the message names the layer and the reason
            (an unknown input length, a kapre layer without a TFLite counterpart such as
            ``InverseSTFT`` or the exact ``Phase``, a layer that needs TensorFlow ops TFLite has no
            builtin kernel for, ...).

    Example:
        >>> import keras, numpy as np, tensorflow as tf
        >>> from spec_augment import SpecAugment, to_tflite
        >>> model = keras.Sequential(
        ...     [keras.Input((20, 8, 1)), SpecAugment(4, 5), keras.layers.Flatten(), keras.layers.Dense(3)]
        ... )
        >>> flatbuffer = to_tflite(model)
        >>> interpreter = tf.lite.Interpreter(model_content=flatbuffer)
        >>> interpreter.allocate_tensors()
        >>> x = np.random.default_rng(0).normal(size=(1, 20, 8, 1)).astype("float32")
        >>> interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        >>> interpreter.invoke()
        >>> logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        >>> bool(np.allclose(logits, model.predict(x, verbose=0), atol=1e-5))
        True
    """
    validation.require_tensorflow_backend(
        "to_tflite",
        "TFLite converts TensorFlow graphs",
        "Run the conversion in a process started with KERAS_BACKEND=tensorflow, loading the saved model "
        "(keras.saving.load_model) there.",
    )
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
