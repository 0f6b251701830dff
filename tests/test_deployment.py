"""Deployment paths: tf.data, tf.distribute, mixed precision + XLA, SavedModel export, TFLite, the FSDD example."""

import json
import re
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import FSDD_RECORDINGS, REPO

from spec_augment import SpecAugment, to_tflite
from spec_augment.composed import get_augmented_melspectrogram_layer

SAMPLE_RATE = 8000
N_SAMPLES = 2048
MASK_VALUE = 123.0  # above any decibel value of unit-scale audio: marks masked cells exactly
TRAIN_FSDD = REPO / "examples" / "train_fsdd.py"
RANDOM_OP = re.compile(r"Random|RngBitGenerator|RngReadAndSkip")


def waveforms(batch, seed=0):
    """(batch, N_SAMPLES, 1) float32: a harmonic tone of random pitch plus a little noise per example."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    audio = np.empty((batch, N_SAMPLES, 1), "float32")
    for b in range(batch):
        f0 = rng.uniform(150, 600)
        audio[b, :, 0] = 0.1 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 5))
        audio[b, :, 0] += 0.005 * rng.standard_normal(N_SAMPLES)
    return audio


def frontend(mask_value=MASK_VALUE, seed=0, output_data_format="channels_last", **kwargs):
    """A small augmented log-mel frontend: (batch, 2048, 1) -> (batch, 29, 32, 1)."""
    arguments = dict(
        input_shape=(N_SAMPLES, 1) if output_data_format == "channels_last" else (1, N_SAMPLES),
        n_fft=256,
        hop_length=64,
        sample_rate=SAMPLE_RATE,
        n_mels=32,
        return_decibel=True,
        input_data_format="channels_last" if output_data_format == "channels_last" else "channels_first",
        output_data_format=output_data_format,
        freq_mask_param=8,
        time_mask_param=8,
        n_freq_mask=2,
        n_time_mask=2,
        mask_value=mask_value,
        seed=seed,
    )
    arguments.update(kwargs)
    return get_augmented_melspectrogram_layer(**arguments)


def classifier(front, n_classes=4):
    return keras.Sequential(
        [
            keras.Input((N_SAMPLES, 1)),
            front,
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(n_classes),
        ]
    )


def compile_model(model, **kwargs):
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        **kwargs,
    )
    return model


def dataset(n=32, batch=8, seed=0):
    x = waveforms(n, seed)
    y = np.arange(n) % 4
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


def seed_state(layer):
    return np.asarray(keras.ops.convert_to_numpy(layer.seed_generator.state))


# ------------------------------------------------------------------------------------------ tf.data
def test_layer_in_dataset_map_masks_each_example_differently():
    layer = SpecAugment(freq_mask_param=6, time_mask_param=6, n_freq_mask=2, n_time_mask=2, mask_value=-1.0, seed=3)
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(32, 40, 24, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(8).map(lambda b: layer(b, training=True))
    first = np.concatenate(list(ds.as_numpy_iterator()))
    second = np.concatenate(list(ds.as_numpy_iterator()))
    assert first.shape == x.shape and first.dtype == np.float32
    masked = first == -1.0
    # Masks are whole frames and whole bins; every other cell is the input, bit for bit.
    frames, bins = masked.all(axis=2), masked.all(axis=1)
    np.testing.assert_array_equal(masked, frames[:, :, None, :] | bins[:, None, :, :])
    np.testing.assert_array_equal(first[~masked], x[~masked])
    assert masked.any(axis=(1, 2, 3)).sum() >= 28  # nearly every example is masked
    assert len({m.tobytes() for m in masked}) == 32  # ... each in its own way
    assert not np.array_equal(masked, second == -1.0)  # and a second pass draws new masks


def test_frontend_in_dataset_map_augments_the_pipeline():
    front = frontend(seed=5)
    x = waveforms(16)
    clean = np.asarray(front(x, training=False))
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(16))).batch(8)
    # A sequential map: parallel calls can read the layer's seed state before either advances it.
    ds = ds.map(lambda w, y: (front(w, training=True), y))
    augmented = np.concatenate([spec for spec, _ in ds.as_numpy_iterator()])
    assert augmented.shape == clean.shape == (16, 29, 32, 1)
    changed = augmented != clean
    assert np.all(augmented[changed] == MASK_VALUE)  # only masks, filled with mask_value
    assert changed.any(axis=(1, 2, 3)).sum() >= 14
    assert len({m.tobytes() for m in changed}) >= 15


def test_frontend_in_model_augments_in_fit_only():
    front = frontend(seed=2)
    spec_augment = front.layers[-1]
    assert isinstance(spec_augment, SpecAugment)
    model = compile_model(classifier(front))
    x = waveforms(8)
    before = seed_state(spec_augment)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(seed_state(spec_augment), before)  # inference draws nothing
    history = model.fit(dataset(n=32, batch=8), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.array_equal(seed_state(spec_augment), before)  # fit drew masks
    # In training mode the frontend's output differs between two calls, at inference it does not.
    assert not np.array_equal(front(x, training=True), front(x, training=True))


# ------------------------------------------------------------------------------------------ distribution
MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    import test_deployment as t

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        front = t.frontend(seed=11)
        model = t.compile_model(t.classifier(front))
    history = model.fit(t.dataset(n=32, batch=8), epochs=2, verbose=0)

    # One waveform repeated: any two examples with the same mask got the same draw.
    x = np.repeat(t.waveforms(1), 8, axis=0)
    clean = np.asarray(front(x[:1], training=False))
    batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(8))

    @tf.function
    def step(batch):
        return strategy.run(lambda b: front(b, training=True), args=(batch,))

    per_replica = [np.asarray(v) for v in strategy.experimental_local_results(step(next(iter(batches))))]
    masks = [(p != clean).tolist() for p in per_replica]
    print(json.dumps(dict(replicas=strategy.num_replicas_in_sync, loss=history.history["loss"], masks=masks)))
    """
)


@pytest.fixture(scope="module")
def mirrored_run():
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO / "tests",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mirrored_strategy_fits_the_frontend(mirrored_run):
    assert mirrored_run["replicas"] == 2
    assert len(mirrored_run["loss"]) == 2 and np.isfinite(mirrored_run["loss"]).all()


def test_mirrored_strategy_masks_stay_per_example(mirrored_run):
    per_replica = [np.asarray(m) for m in mirrored_run["masks"]]
    assert [m.shape for m in per_replica] == [(4, 29, 32, 1)] * 2  # global batch 8 split in two
    masks = np.concatenate(per_replica)
    assert masks.any(axis=(1, 2, 3)).all()
    # Every example of the global batch has its own mask, also across replicas.
    assert len({m.tobytes() for m in masks}) == 8
    assert not any(np.array_equal(per_replica[0][i], per_replica[1][i]) for i in range(4))


# ------------------------------------------------------------------------------------------ mixed precision
@pytest.fixture
def mixed_float16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def test_mixed_precision_and_xla_fit(mixed_float16):
    # The DSP frontend stays float32 (float16 has no RFFT); the layers after it compute in float16,
    # including a SpecAugment on float16 feature maps.
    keras.config.set_dtype_policy("float32")
    front = frontend(seed=4)
    keras.config.set_dtype_policy("mixed_float16")
    feature_augment = SpecAugment(freq_mask_param=4, time_mask_param=4, mask_value=0.0, seed=1)
    model = keras.Sequential(
        [
            keras.Input((N_SAMPLES, 1)),
            front,
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            feature_augment,
            keras.layers.Flatten(),
            keras.layers.Dense(4, dtype="float32"),
        ]
    )
    compile_model(model, jit_compile=True)
    assert model.layers[2].compute_dtype == "float16"
    before = seed_state(front.layers[-1])
    history = model.fit(dataset(n=32, batch=8), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.array_equal(seed_state(front.layers[-1]), before)  # the frontend augmented under XLA
    features = model.layers[2](model.layers[1](front(waveforms(2), training=False)))
    assert features.dtype == "float16"
    assert feature_augment(features, training=True).dtype == "float16"
    assert model.predict(waveforms(2), verbose=0).dtype == np.float32


def test_frontend_built_under_mixed_policy(mixed_float16):
    """The builders pin kapre's DSP layers to float32 (tf.signal's FFT has no float16 kernel)."""
    front = frontend(seed=0)
    assert front(waveforms(2), training=True).dtype == "float32"


# ------------------------------------------------------------------------------------------ SavedModel
def graph_op_types(concrete_function):
    """Op types of a concrete function's graph, nested functions included."""
    graph_def = concrete_function.graph.as_graph_def()
    types = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        types |= {node.op for node in function.node_def}
    return types


def test_export_serves_the_inference_path(tmp_path):
    model = compile_model(classifier(frontend(seed=6)))
    model.fit(dataset(n=16, batch=8), epochs=1, verbose=0)
    x = waveforms(3, seed=9)
    path = str(tmp_path / "saved_model")
    model.export(path, verbose=False)
    loaded = tf.saved_model.load(path)
    np.testing.assert_array_equal(np.asarray(loaded.serve(tf.constant(x))), model.predict(x, verbose=0))
    serving_ops = graph_op_types(loaded.signatures["serving_default"])
    assert "Conv2D" in serving_ops and "RFFT" in serving_ops
    assert not {op for op in serving_ops if RANDOM_OP.search(op)}
    # The check can fail: the training-mode graph of the same model does draw random numbers.
    training = tf.function(lambda w: model(w, training=True)).get_concrete_function(
        tf.TensorSpec((None, N_SAMPLES, 1), tf.float32)
    )
    assert {op for op in graph_op_types(training) if RANDOM_OP.search(op)}


# ------------------------------------------------------------------------------------------ TFLite
def run_tflite(flatbuffer, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(
            model_content=flatbuffer,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    interpreter.set_tensor(input_detail["index"], x)
    interpreter.invoke()
    ops = {detail["op_name"] for detail in interpreter._get_ops_details()}
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), tuple(input_detail["shape"]), ops


def assert_builtin_only(flatbuffer, ops):
    assert isinstance(flatbuffer, bytes) and len(flatbuffer) > 1000
    assert b"Flex" not in flatbuffer
    assert not {op for op in ops if op.startswith("Flex") or op == "CUSTOM"}, ops


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

    stft = kapre.STFT(n_fft=256, input_data_format="channels_last", output_data_format="channels_last")
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), stft, kapre.Phase(name="my_phase")])


def _stft_into_lambda_model():
    import kapre

    stft = kapre.STFT(n_fft=256, input_data_format="channels_last", output_data_format="channels_last", name="my_stft")
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), stft, keras.layers.Lambda(tf.math.real)])


def _subclassed_model():
    model = _Subclassed()
    model(np.zeros((1, 3), "float32"))
    return model


def _variable_length_model():
    return keras.Sequential([keras.Input((None, 1)), frontend(input_shape=None)])


@pytest.mark.parametrize(
    "make_model, error, message",
    [
        (_svd_model, ValueError, r"layer 'my_svd' \(.*Lambda\).*builtin.*Svd"),
        (_phase_model, ValueError, r"layer 'my_phase' \(kapre.*Phase\).*approx_atan_accuracy"),
        (_stft_into_lambda_model, ValueError, r"'my_stft'.*Magnitude"),
        (_subclassed_model, TypeError, r"subclassed"),
        (_variable_length_model, ValueError, r"unknown dimension besides the batch"),
    ],
    ids=["unsupported-op", "exact-phase", "stft-into-other-layer", "subclassed", "variable-length"],
)
def test_to_tflite_refuses_clearly(make_model, error, message):
    with pytest.raises(error, match=message):
        to_tflite(make_model())


# ------------------------------------------------------------------------------------------ FSDD example
def run_train_fsdd(*args):
    return subprocess.run(
        [sys.executable, str(TRAIN_FSDD), *args], capture_output=True, text=True, timeout=300, cwd=REPO
    )


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_train_fsdd_without_data_exits_2(tmp_path, kind):
    data = tmp_path / "recordings"
    if kind == "empty":
        data.mkdir()
        (data / "README.txt").write_text("no recordings here")
    result = run_train_fsdd("--data", str(data), "--epochs", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(data) in lines[0]


def _load_train_fsdd():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_fsdd", TRAIN_FSDD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_fsdd_splits():
    if not FSDD_RECORDINGS.is_dir():
        pytest.skip(f"FSDD is not at {FSDD_RECORDINGS} (../shared/data/fsdd/recordings)")
    train_fsdd = _load_train_fsdd()
    items = train_fsdd.list_recordings(FSDD_RECORDINGS)
    train, test = train_fsdd.split_recordings(items)
    assert (len(train), len(test)) == (2700, 300)
    assert all(re.search(r"_[0-4]\.wav$", path) for path, _ in test)
    assert not any(re.search(r"_[0-4]\.wav$", path) for path, _ in train)
    train, test = train_fsdd.split_recordings(items, held_out_speaker="theo")
    assert (len(train), len(test)) == (2500, 500)
    assert all("_theo_" in path for path, _ in test) and not any("_theo_" in path for path, _ in train)
    with pytest.raises(train_fsdd.DataError, match="nobody"):
        train_fsdd.split_recordings(items, held_out_speaker="nobody")


def test_train_fsdd_one_epoch_on_a_subset():
    if not FSDD_RECORDINGS.is_dir():
        pytest.skip(f"FSDD is not at {FSDD_RECORDINGS} (../shared/data/fsdd/recordings)")
    result = run_train_fsdd("--epochs", "1", "--limit", "96", "--seed", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"test accuracy: (\d\.\d{4})", last)
    assert match, last
    assert 0.0 <= float(match[1]) <= 1.0
    assert "96 training / 24 test recordings" in result.stdout
