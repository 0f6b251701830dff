"""Convert a trained Keras model with augmented frontends to a TensorFlow Lite flatbuffer.

:func:`to_tflite` makes the inference graph of a model that uses :class:`~spec_augment.SpecAugment`
or the frontends of :mod:`spec_augment.composed`, and converts it with TFLite *builtin* ops only
(no Flex / ``SELECT_TF_OPS``), so the flatbuffer runs on the plain TFLite runtime. It knows the
layers this package builds frontends from, and converts each:

* every :class:`~spec_augment.SpecAugment` (and kapre's ``SpecAugment``) is dropped: it is an
  identity at inference;
* our :class:`~spec_augment.time_frequency.STFT` computes its DFT as a matrix product
  (``dft='matmul'``) and our ``Magnitude`` takes the root of the squared real and imaginary parts:
  TFLite has no complex dtype;
* kapre's ``STFT`` becomes kapre's ``STFTTflite`` and its ``Magnitude`` ``MagnitudeTflite``
  (kapre is imported only for models that hold kapre layers);
* nested models, at any depth (the frontends are ``keras.Sequential`` layers), are rebuilt the same
  way, and every other layer is reused as it is, weights included;
* layers that compute in float16 or bfloat16 (``mixed_float16`` and similar dtype policies) are
  re-created in float32 with their weights, so the flatbuffer computes in float32.

The flatbuffer takes a batch of ONE example of each of the model's inputs (a padded-batches model
takes its waveform and its ``lengths``). TensorFlow is imported when :func:`to_tflite` runs, not
when this module is imported; conversion needs Keras' TensorFlow backend.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from . import time_frequency
from ._tensorflow_only import require_tensorflow_backend
from .augmentation import SpecAugment

__all__ = ["to_tflite"]

# The rebuilt inference model must compute what the original computes, up to the rounding of a DFT
# by matrix product (float32) ...
_REBUILD_TOLERANCE = 1e-3
# ... or of a model that computes in 16-bit floats, rebuilt in float32 (float16 keeps 11 bits).
_HALF_TOLERANCE = 2e-2
_HALF_DTYPES = ("float16", "bfloat16")


class _DroppedAugmentation(keras.layers.Layer):
    """Stands in for a training-only augmentation layer: returns its input, ignores other arguments."""

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape


class _MagnitudeOfParts(keras.layers.Layer):
    """Our ``Magnitude`` as TFLite's builtin ops compute it: ``sqrt(re^2 + im^2)`` (no complex view)."""

    def call(self, parts):
        return keras.ops.sqrt(keras.ops.sum(keras.ops.square(parts), axis=-1))

    def compute_output_shape(self, input_shape):
        return input_shape[:-1]


def _describe(layer: keras.layers.Layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__module__}.{type(layer).__name__})"


def _is_half(layer: Any) -> bool:
    # Functional models also hold plain operations (keras.ops on symbolic tensors), without a dtype policy.
    return getattr(getattr(layer, "dtype_policy", None), "compute_dtype", None) in _HALF_DTYPES


def _input_structure(model: keras.Model) -> Any:
    """The structure a model is called with: one tensor (Sequential), or a functional model's list or dict."""
    return model.inputs[0] if isinstance(model, keras.Sequential) else model.input


def _inference_config(layer: keras.layers.Layer) -> dict:
    """``layer``'s config, in float32 where it computes in 16-bit floats (the flatbuffer computes in float32)."""
    return {**layer.get_config(), **({"dtype": "float32"} if _is_half(layer) else {})}


def _float32_copy(layer: keras.layers.Layer, copies: list) -> keras.layers.Layer:
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


def _kapre_replacement(layer: keras.layers.Layer) -> Any:
    """The TFLite counterpart of a kapre layer, ``None`` for any other layer."""
    if not type(layer).__module__.startswith("kapre"):
        return None
    from kapre import augmentation, time_frequency_tflite
    from kapre import time_frequency as kapre_layers

    if isinstance(layer, augmentation.SpecAugment):
        return _DroppedAugmentation(name=layer.name)
    if type(layer) is kapre_layers.STFT:
        config = _inference_config(layer)
        # The resolved formats: 'default' must not be re-resolved under another image data format.
        config.update(input_data_format=layer.input_data_format, output_data_format=layer.output_data_format)
        return time_frequency_tflite.STFTTflite.from_config(config)
    if type(layer) is kapre_layers.Magnitude:
        return time_frequency_tflite.MagnitudeTflite.from_config(_inference_config(layer))
    if isinstance(layer, (kapre_layers.Phase, kapre_layers.InverseSTFT)):
        raise ValueError(
            f"Cannot convert {_describe(layer)} to TFLite: to_tflite converts the layers spec-augment's frontends "
            f"are made of (STFT, Magnitude, filterbanks, decibels); a phase or an inverse STFT of a complex "
            f"spectrogram is not one of them. Convert such a model with kapre's own TFLite layers "
            f"(kapre.time_frequency_tflite)."
        )
    return None


def _replacement(layer: keras.layers.Layer, copies: list) -> keras.layers.Layer:
    """The inference/TFLite counterpart of one layer (``layer`` itself when it converts as it is)."""
    if isinstance(layer, SpecAugment):
        return _DroppedAugmentation(name=layer.name, dtype="float32" if _is_half(layer) else layer.dtype_policy)
    if isinstance(layer, time_frequency.STFT):
        return time_frequency.STFT.from_config({**_inference_config(layer), "dft": "matmul"})
    if isinstance(layer, time_frequency.Magnitude):
        return _MagnitudeOfParts(name=layer.name, dtype=_inference_config(layer).get("dtype"))
    kapre_layer = _kapre_replacement(layer)
    if kapre_layer is not None:
        return kapre_layer
    return _float32_copy(layer, copies) if _is_half(layer) else layer


def _check_model_type(model: Any, outer: Any = None) -> None:
    """Only Sequential and functional models (nested ones included) can be rebuilt layer by layer."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"to_tflite expects a keras.Model (Sequential or functional), got {type(model).__name__}.")
    from keras.src.models.functional import Functional  # no public name for a functional model's class

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


def _rebuild(model: keras.Model, cache: dict, copies: list) -> keras.Model:
    """``model`` rebuilt with inference/TFLite layers, through nested models at any depth.

    ``clone_model`` descends one level only, so each nested model is rebuilt here; ``cache`` maps
    each layer to its replacement, so a layer used in several places stays shared.
    """

    def clone(layer):
        if id(layer) not in cache:
            nested = isinstance(layer, keras.Model)
            cache[id(layer)] = _rebuild(layer, cache, copies) if nested else _replacement(layer, copies)
        return cache[id(layer)]

    if isinstance(model, keras.Sequential) and type(model) is not keras.Sequential:
        # clone_model makes a plain Sequential; an AugmentedFrontend must still accept `lengths`.
        inputs = getattr(model, "inputs", None) or []
        layers = [keras.Input(batch_shape=tensor.shape, dtype=tensor.dtype) for tensor in inputs[:1]]
        return type(model)(layers + [clone(layer) for layer in model.layers], name=model.name)
    return keras.models.clone_model(model, clone_function=clone)


def _input_specs(model: keras.Model) -> list:
    """``(name, shape with batch 1, dtype)`` of each of the model's inputs, flattened."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            f"Cannot convert model {model.name!r}: its input shape is unknown. Give it an input "
            f"(keras.Input(shape) or input_shape= on the first layer) or build it first."
        )
    specs = []
    for tensor in inputs:
        shape = tuple(tensor.shape)
        if any(dim is None for dim in shape[1:]):
            raise ValueError(
                f"Cannot convert model {model.name!r}: its input {tensor.name!r} of shape {shape} has an "
                f"unknown dimension besides the batch; a TFLite STFT frames a fixed-length signal. Give "
                f"the model a fixed input length."
            )
        specs.append((tensor.name, (1,) + shape[1:], tensor.dtype))
    return specs


def _probe(specs: list) -> list:
    """One example per input: noise for waveforms, 1 for integer inputs (a length of one sample)."""
    rng = np.random.default_rng(0)
    return [
        rng.uniform(-1.0, 1.0, size=shape).astype(dtype) if "float" in str(dtype) else np.ones(shape, dtype)
        for _, shape, dtype in specs
    ]


def _leaf_layers(model: keras.Model) -> Any:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            yield layer


def _check_rebuilt(model: keras.Model, rebuilt: keras.Model, probe: list) -> None:
    """The rebuilt model must compute what the original computes at inference (never silently else)."""
    leaves = list(_leaf_layers(model))
    tolerance = _HALF_TOLERANCE if any(_is_half(layer) for layer in leaves) else _REBUILD_TOLERANCE
    arguments = keras.tree.pack_sequence_as(_input_structure(model), probe)

    def outputs(m):
        return [keras.ops.convert_to_numpy(y).astype("float64") for y in keras.tree.flatten(m(arguments))]

    expected, got = outputs(model), outputs(rebuilt)
    worst = float("nan")
    if [a.shape for a in got] == [b.shape for b in expected]:
        differences = [np.abs(a - b) for a, b in zip(got, expected)]
        allowed = [tolerance * (max(1.0, float(np.max(np.abs(b), initial=0.0))) + np.abs(b)) for b in expected]
        if all(np.all(d <= a) for d, a in zip(differences, allowed)):
            return
        worst = max(float(np.max(d, initial=0.0)) for d in differences)
    stfts = [layer.name for layer in leaves if type(layer).__name__ == "STFT" and type(layer).__module__.startswith("kapre")]
    hint = (
        f" Check what consumes the output of kapre STFT layer(s) {', '.join(map(repr, stfts))}: only "
        f"kapre's Magnitude has a TFLite version that reads the TFLite STFT's real/imaginary axis."
        if stfts else ""
    )
    raise ValueError(
        f"Cannot convert model {model.name!r}: rebuilt for TFLite, it computes something else than the "
        f"original (output shapes {[y.shape for y in got]} vs {[y.shape for y in expected]}, largest "
        f"difference {worst:.3g}).{hint}"
    )


def to_tflite(model: keras.Model) -> bytes:
    """Convert a trained Keras model with augmented frontends into a TFLite flatbuffer (builtin ops only).

    SpecAugment layers are dropped (they are identities at inference), STFTs compute their DFT as
    a matrix product (ours through ``dft='matmul'``, kapre's through kapre's TFLite layers), nested
    models at any depth (such as the :mod:`spec_augment.composed` frontends) are rebuilt, and every
    other layer keeps its weights. The flatbuffer's inputs are a batch of one example of each of
    the model's inputs; its output matches ``model.predict`` on that example:

    * to float32 rounding (a DFT by matrix product rounds differently from an FFT);
    * for a model that computes in float16 or bfloat16 (e.g. under ``mixed_float16``), to that
      precision's rounding: such layers are re-created in float32 with their weights.

    Run the flatbuffer with LiteRT's interpreter (``pip install ai-edge-litert``), which TensorFlow
    recommends in place of the deprecated ``tf.lite.Interpreter``.

    Args:
        model: a ``keras.Sequential`` or functional model whose inputs have a fixed shape apart from
            the batch, e.g. a classifier whose first layer is
            ``get_augmented_melspectrogram_layer(input_shape=(8000, 1), ...)``.

    Returns:
        The TFLite flatbuffer; it needs no Flex delegate.

    Raises:
        TensorFlowBackendRequiredError: Keras runs on a backend other than TensorFlow (a ``RuntimeError``).
        TypeError: ``model`` is not a Sequential or functional keras.Model (e.g. a subclassed model).
        ValueError: the model cannot be converted; the message names the layer or the ops and the
            reason (an unknown input length, a kapre ``Phase`` or ``InverseSTFT``, TensorFlow ops TFLite
            has no builtin kernel for).

    Example:
        >>> import keras, numpy as np
        >>> from ai_edge_litert.interpreter import Interpreter
        >>> from spec_augment import SpecAugment, to_tflite
        >>> model = keras.Sequential(
        ...     [keras.Input((20, 8, 1)), SpecAugment(4, 5), keras.layers.Flatten(), keras.layers.Dense(3)]
        ... )
        >>> interpreter = Interpreter(model_content=to_tflite(model))
        >>> interpreter.allocate_tensors()
        >>> x = np.random.default_rng(0).normal(size=(1, 20, 8, 1)).astype("float32")
        >>> interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        >>> interpreter.invoke()
        >>> logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        >>> bool(np.allclose(logits, model.predict(x, verbose=0), atol=1e-5))
        True
    """
    require_tensorflow_backend(
        "to_tflite",
        "TFLite converts TensorFlow graphs",
        "Run the conversion in a process started with KERAS_BACKEND=tensorflow, loading the saved model "
        "(keras.saving.load_model) there.",
    )
    import tensorflow as tf

    _check_model_type(model)
    specs = _input_specs(model)
    copies: list = []
    rebuilt = _rebuild(model, {}, copies)
    for layer, twin in copies:
        twin.set_weights([np.asarray(w).astype(v.dtype) for w, v in zip(layer.get_weights(), twin.weights)])
    _check_rebuilt(model, rebuilt, _probe(specs))

    def inference(*tensors):
        return rebuilt(keras.tree.pack_sequence_as(_input_structure(model), list(tensors)), training=False)

    signature = [tf.TensorSpec(shape, dtype, name=name) for name, shape, dtype in specs]
    trackable = tf.Module()
    trackable.model_variables = [getattr(v, "value", v) for v in rebuilt.variables]  # frozen by the converter
    concrete = tf.function(inference, input_signature=signature).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], trackable)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        return converter.convert()
    except Exception as error:  # noqa: BLE001 - tf.lite raises ConverterError and others
        details = " ".join(line.strip() for line in str(error).splitlines() if "op" in line)[:2000]
        raise ValueError(
            f"Cannot convert model {model.name!r} to TFLite builtin ops (it needs TensorFlow ops TFLite has "
            f"no builtin kernel for; replace the layer that uses them, or convert with SELECT_TF_OPS "
            f"yourself, which needs the Flex delegate at run time): {details or str(error)}"
        ) from error
