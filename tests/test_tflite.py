"""spec_augment.to_tflite: builtin-ops flatbuffers that compute what ``model.predict`` does, or a clear refusal."""

import doctest
import json
import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from conftest import REPO
from frontends import N_SAMPLES, classifier, compile_model, dataset, frontend, head, waveforms

from spec_augment import to_tflite


pytestmark = pytest.mark.tensorflow_only("TFLite conversion needs the TensorFlow backend")

def run_tflite(flatbuffer, *inputs):
    """Run a flatbuffer with LiteRT's interpreter (the one TensorFlow recommends); no warning may be raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interpreter = Interpreter(
            model_content=flatbuffer,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interpreter.allocate_tensors()
        details = interpreter.get_input_details()
        assert len(details) == (len(inputs[0]) if isinstance(inputs[0], dict) else len(inputs))
        if isinstance(inputs[0], dict):  # by input name: the flatbuffer orders its inputs its own way
            inputs = [next(x for name, x in inputs[0].items() if name in d["name"]) for d in details]
        for detail, x in zip(details, inputs):
            interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
    ops = {detail["op_name"] for detail in interpreter._get_ops_details()}
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), tuple(details[0]["shape"]), ops


def assert_builtin_only(flatbuffer, ops):
    assert isinstance(flatbuffer, bytes) and len(flatbuffer) > 1000
    assert b"Flex" not in flatbuffer
    assert not {op for op in ops if op.startswith("Flex") or op == "CUSTOM"}, ops


# ------------------------------------------------------------------------------------------ conversions
def test_to_tflite_matches_predict_with_builtin_ops_only():
    model = compile_model(classifier(frontend(seed=7)))
    model.fit(dataset(n=16, batch=8), epochs=1, verbose=0)
    layers_before = [type(layer) for layer in model.layers[0].layers]
    flatbuffer = to_tflite(model)
    for seed in (1, 2):
        x = waveforms(1, seed=seed)
        output, input_shape, ops = run_tflite(flatbuffer, x)
        assert input_shape == (1, N_SAMPLES, 1)
        np.testing.assert_allclose(output, model.predict(x, verbose=0), atol=1e-3, rtol=0)
    assert_builtin_only(flatbuffer, ops)
    assert "CONV_2D" in ops
    # The trained model itself is untouched: same layers, still augmenting when training.
    assert [type(layer) for layer in model.layers[0].layers] == layers_before
    assert not np.array_equal(model(x, training=True), model(x, training=True))


@pytest.mark.parametrize("output_data_format", ["channels_last", "channels_first"])
def test_to_tflite_converts_our_own_frontend_layers(output_data_format):
    """A frontend of spec_augment.time_frequency layers: the STFT becomes a DFT by matrix product."""
    front = frontend(seed=9, use_kapre=False, output_data_format=output_data_format)
    model = keras.Sequential([keras.Input(front.input_shape[1:]), front, keras.layers.Flatten(), keras.layers.Dense(3)])
    assert not any(type(layer).__module__.startswith("kapre") for layer in model.layers[0].layers)
    flatbuffer = to_tflite(model)
    for seed in (1, 2):
        x = waveforms(1, seed=seed)
        if output_data_format == "channels_first":
            x = np.transpose(x, (0, 2, 1))
        output, _, ops = run_tflite(flatbuffer, x)
        np.testing.assert_allclose(output, model.predict(x, verbose=0), atol=1e-3, rtol=0)
    assert_builtin_only(flatbuffer, ops)
    assert model.layers[0].layers[0].dft == "fft"  # the model itself is untouched


def test_to_tflite_converts_a_padded_batches_model_with_a_lengths_input():
    """The padded-batches recipe: a waveform and its valid samples in, pooling over the valid frames."""
    front = frontend(seed=10, use_kapre=False)
    waveform = keras.Input((N_SAMPLES, 1), name="waveform")
    lengths = keras.Input((), dtype="int32", name="lengths")
    frames = keras.layers.Reshape((29, 32))(front(waveform, lengths=lengths))
    mask = keras.ops.cast(front.frame_mask(waveform, lengths), "float32")[:, :, None]
    pooled = keras.ops.sum(frames * mask, axis=1) / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
    model = keras.Model({"waveform": waveform, "lengths": lengths}, keras.layers.Dense(3)(pooled))
    flatbuffer = to_tflite(model)
    x = waveforms(1, seed=5)
    for n in (N_SAMPLES, 700):
        x[:, n:] = 0.0
        samples = np.array([n], "int32")
        output, _, ops = run_tflite(flatbuffer, {"waveform": x, "lengths": samples})
        expected = model.predict({"waveform": x, "lengths": samples}, verbose=0)
        np.testing.assert_allclose(output, expected, atol=1e-3, rtol=0)
    assert_builtin_only(flatbuffer, ops)


def test_to_tflite_functional_channels_first():
    front = frontend(seed=8, output_data_format="channels_first")  # (batch, 1, 2048) -> (batch, 1, 29, 32)
    inputs = keras.Input((1, N_SAMPLES))
    spec = keras.layers.Reshape((29, 32))(front(inputs))
    residual = keras.layers.Conv1D(32, 3, padding="same")(spec)
    hidden = keras.layers.Add()([spec, residual])  # a branch: not a Sequential topology
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling1D()(hidden))
    model = keras.Model(inputs, outputs)
    flatbuffer = to_tflite(model)
    x = np.transpose(waveforms(1, seed=3), (0, 2, 1))
    output, input_shape, ops = run_tflite(flatbuffer, x)
    assert input_shape == (1, 1, N_SAMPLES)
    assert_builtin_only(flatbuffer, ops)
    np.testing.assert_allclose(output, model.predict(x, verbose=0), atol=1e-3, rtol=0)


def _functional(layer, shape=(N_SAMPLES, 1)):
    inputs = keras.Input(shape)
    return keras.Model(inputs, layer(inputs))


def _sequential_in_sequential():
    inner = keras.Sequential([keras.Input((N_SAMPLES, 1)), frontend()])
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), inner, *head()])


def _functional_in_functional():
    inputs = keras.Input((N_SAMPLES, 1))
    hidden = _functional(frontend())(inputs)
    for layer in head():
        hidden = layer(hidden)
    return keras.Model(inputs, hidden)


def _functional_in_sequential():
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), _functional(frontend()), *head()])


def _three_levels():
    """frontend (Sequential) in a Sequential in a functional model in a Sequential."""
    middle = _functional(keras.Sequential([keras.Input((N_SAMPLES, 1)), frontend()]))
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), middle, *head()])


@pytest.mark.parametrize(
    "make_model",
    [_sequential_in_sequential, _functional_in_functional, _functional_in_sequential, _three_levels],
    ids=["sequential-in-sequential", "functional-in-functional", "functional-in-sequential", "three-levels"],
)
def test_to_tflite_converts_deeply_nested_models(make_model):
    model = make_model()
    flatbuffer = to_tflite(model)
    x = waveforms(1, seed=4)
    output, _, ops = run_tflite(flatbuffer, x)
    assert_builtin_only(flatbuffer, ops)
    assert "CONV_2D" in ops
    np.testing.assert_allclose(output, model.predict(x, verbose=0), atol=1e-3, rtol=0)
    assert not np.array_equal(model(x, training=True), model(x, training=True))  # still augments


def _stft(n_fft=256, **kwargs):
    import kapre

    formats = dict(input_data_format="channels_last", output_data_format="channels_last")
    return kapre.STFT(n_fft=n_fft, hop_length=64, **formats, **kwargs)


def test_to_tflite_mixed_float16_model_converts_in_float32(mixed_float16):
    model = classifier(frontend(seed=5))
    assert model.layers[-1].compute_dtype == "float16"
    flatbuffer = to_tflite(model)
    keras.config.set_dtype_policy("float32")
    twin = classifier(frontend(seed=5))
    twin.set_weights(model.get_weights())
    for seed in (1, 2):
        x = waveforms(1, seed=seed)
        output, _, ops = run_tflite(flatbuffer, x)
        assert output.dtype == np.float32
        # The flatbuffer is the float32 twin of the model; it matches predict to float16 rounding.
        np.testing.assert_allclose(output, twin.predict(x, verbose=0), atol=1e-3, rtol=0)
        expected = model.predict(x, verbose=0).astype("float32")
        np.testing.assert_allclose(output, expected, atol=2e-2 * max(1.0, np.abs(expected).max()), rtol=0)
    assert_builtin_only(flatbuffer, ops)
    assert model.layers[-1].compute_dtype == "float16"  # the model itself is untouched


class _Scale(keras.layers.Layer):
    """A layer whose config cannot re-create it (its factor is an array, which Keras does not auto-serialize)."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * keras.ops.cast(self.factor, x.dtype)


def test_to_tflite_mixed_float16_names_float16_when_it_cannot_rebuild(mixed_float16):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), _Scale(np.float32([2.0]), name="scaling")])
    message = r"layer 'scaling' .* computes in float16 \(dtype policy 'mixed_float16'\).*float32"
    with pytest.raises(ValueError, match=message):
        to_tflite(model)


def test_to_tflite_docstring_example_runs():
    from spec_augment import tflite

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # LiteRT's interpreter raises no deprecation notice
        failures, tried = doctest.testmod(tflite, raise_on_error=False)
    assert tried >= 5 and failures == 0


# ------------------------------------------------------------------------------------------ refusals
class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def _svd_model():
    svd = keras.layers.Lambda(lambda x: tf.linalg.svd(x, compute_uv=False), name="my_svd")
    return keras.Sequential([keras.Input((16, 12)), svd, keras.layers.Dense(2)])


def _phase_model():
    import kapre

    return keras.Sequential([keras.Input((N_SAMPLES, 1)), _stft(), kapre.Phase(name="my_phase")])


def _approximate_phase_model():
    import kapre

    return keras.Sequential([keras.Input((N_SAMPLES, 1)), _stft(), kapre.Phase(approx_atan_accuracy=29000,
                                                                              name="approximate")])


def _stft_into_lambda_model():
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), _stft(name="my_stft"), keras.layers.Lambda(tf.math.real)])


def _subclassed_model():
    model = _Subclassed()
    model(np.zeros((1, 3), "float32"))
    return model


def _variable_length_model():
    return keras.Sequential([keras.Input((None, 1)), frontend(input_shape=None)])


def _nested_subclassed_model():
    return keras.Sequential([keras.Input((3,)), keras.Sequential([keras.Input((3,)), _subclassed_model()])])


@pytest.mark.parametrize(
    "make_model, error, message",
    [
        (_svd_model, ValueError, r"builtin ops.*Svd"),
        (_phase_model, ValueError, r"layer 'my_phase' \(kapre.*Phase\).*not one of them"),
        (_approximate_phase_model, ValueError, r"layer 'approximate' \(kapre.*Phase\).*kapre's own TFLite"),
        (_stft_into_lambda_model, ValueError, r"'my_stft'.*Magnitude"),
        (_subclassed_model, TypeError, r"subclassed"),
        (_variable_length_model, ValueError, r"unknown dimension besides the batch"),
        (_nested_subclassed_model, TypeError, r"subclassed"),
    ],
    ids=[
        "unsupported-op", "exact-phase", "approximate-phase", "stft-into-other-layer", "subclassed",
        "variable-length", "nested-subclassed",
    ],
)
def test_to_tflite_refuses_clearly(make_model, error, message):
    with pytest.raises(error, match=message):
        to_tflite(make_model())


# ------------------------------------------------------------------------------------------ imports, backends
def run_python(code, backend):
    environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=300, cwd=REPO, env=environment,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_to_tflite_loads_kapre_only_when_it_runs():
    # On TensorFlow, Keras itself imports TensorFlow (and with it tf.lite); kapre waits for to_tflite.
    code = """
        import json, sys
        import spec_augment
        from spec_augment import to_tflite
        print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"kapre", "tensorflow"})))
    """
    assert run_python(code, "tensorflow") == ["tensorflow"]


def test_to_tflite_on_jax_says_it_needs_tensorflow_and_imports_neither():
    code = """
        import json, sys, keras
        from spec_augment import SpecAugment, to_tflite
        layers = [keras.Input((20, 8, 1)), SpecAugment(4, 5), keras.layers.Flatten(), keras.layers.Dense(2)]
        model = keras.Sequential(layers)
        try:
            to_tflite(model)
        except Exception as error:
            loaded = sorted({m.split(".")[0] for m in sys.modules} & {"kapre", "tensorflow"})
            print(json.dumps([type(error).__name__, str(error), loaded]))
    """
    kind, message, loaded = run_python(code, "jax")
    assert kind == "TensorFlowBackendRequiredError"  # a RuntimeError, the builders' error too
    assert "TensorFlow backend" in message and "'jax'" in message and "KERAS_BACKEND=tensorflow" in message
    assert loaded == []  # neither TensorFlow (its converter included) nor kapre was imported
