"""Random draws: reproducible from the seed, never repeated by concurrent callers, distinct per device."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from conftest import BACKEND, REPO
from spec_augment import SpecAugment

MASK = -1.0


def mask_patterns(outputs):
    return [(np.asarray(out) == MASK).tobytes() for out in outputs]


def test_sequential_use_is_reproducible_from_the_seed():
    x = np.zeros((4, 40, 30, 1), "float32")
    runs = []
    for _ in range(2):
        layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, time_warp_param=3, seed=11)
        runs.append(mask_patterns(layer(x, training=True) for _ in range(5)))
    assert runs[0] == runs[1] and len(set(runs[0])) == 5


def test_threads_sharing_a_layer_never_draw_the_same_masks():
    """4 threads x 50 eager calls: 200 distinct draws, and exactly the 200 a single caller would get."""
    x = np.zeros((8, 40, 30, 1), "float32")
    layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=3)
    layer(x, training=True)  # build before the threads start
    outputs, errors = [], []

    def work():
        try:
            for _ in range(50):
                outputs.append(layer(x, training=True))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    concurrent = mask_patterns(outputs)
    assert len(concurrent) == 200 and len(set(concurrent)) == 200
    replay = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=3)
    replay(x, training=True)
    sequential = mask_patterns(replay(x, training=True) for _ in range(200))
    assert set(concurrent) == set(sequential)  # no draw lost, none repeated


@pytest.mark.tensorflow_only("tf.data")
@pytest.mark.parametrize("parallel_calls", [4, "AUTOTUNE"])
def test_parallel_dataset_map_never_repeats_a_draw(parallel_calls):
    import tensorflow as tf

    layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=0)
    calls = tf.data.AUTOTUNE if parallel_calls == "AUTOTUNE" else parallel_calls
    dataset = (
        tf.data.Dataset.from_tensors(np.zeros((4, 40, 30, 1), "float32"))
        .repeat(400)
        .map(lambda batch: layer(batch, training=True), num_parallel_calls=calls)
    )
    patterns = mask_patterns(batch.numpy() for batch in dataset)
    assert len(patterns) == 400 and len(set(patterns)) == 400


MIRRORED = textwrap.dedent(
    """
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from spec_augment import SpecAugment

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        layer = SpecAugment(10, 10, 1, 1, mask_value=-1.0, seed=0)
    x = np.zeros((16, 40, 30, 1), "float32")
    dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(16))

    @tf.function
    def step(batch):
        return strategy.run(lambda b: layer(b, training=True), args=(batch,))

    masks = [np.asarray(t) == -1 for t in strategy.experimental_local_results(step(next(iter(dataset))))]
    assert len(masks) == 2 and masks[0].shape == (8, 40, 30, 1)
    same = sum(np.array_equal(masks[0][i], masks[1][i]) for i in range(8))
    distinct = len({m.tobytes() for m in np.concatenate(masks)})
    print("identical across replicas:", same, "distinct masks:", distinct)
    assert same == 0 and distinct == 16
    """
)

DATA_PARALLEL = textwrap.dedent(
    """
    import jax, keras, numpy as np
    from spec_augment import SpecAugment

    devices = jax.devices()
    assert len(devices) == 2, devices
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    layer = SpecAugment(10, 10, 1, 1, mask_value=-1.0, seed=0)
    model = keras.Sequential([keras.Input((40, 30, 1)), layer, keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    x = np.zeros((16, 40, 30, 1), "float32")
    history = model.fit(x, np.zeros((16, 2), "float32"), batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    @jax.jit
    def augment(state, batch):
        out, _ = layer.stateless_call([], state, batch, training=True)
        return out

    batch = jax.device_put(x, keras.distribution.distribution().get_data_layout(x.shape).backend_layout)
    out = augment([v.value for v in layer.non_trainable_variables], batch)
    assert len(out.sharding.device_set) == 2
    masks = np.asarray(out) == -1
    same = sum(np.array_equal(masks[i], masks[8 + i]) for i in range(8))
    distinct = len({m.tobytes() for m in masks})
    print("identical across devices:", same, "distinct masks:", distinct)
    assert same == 0 and distinct == 16
    """
)


def run_script(script, **env):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=environment)


@pytest.mark.tensorflow_only("tf.distribute")
def test_mirrored_strategy_replicas_draw_different_masks():
    result = run_script(MIRRORED, KERAS_BACKEND="tensorflow")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "identical across replicas: 0" in result.stdout


@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution.DataParallel on JAX devices")
def test_jax_data_parallel_fits_and_devices_draw_different_masks():
    flags = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    result = run_script(DATA_PARALLEL, KERAS_BACKEND="jax", XLA_FLAGS=flags)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "identical across devices: 0" in result.stdout
