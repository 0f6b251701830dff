"""Distribution: every replica/device draws its own masks (tf.distribute, keras.distribution on JAX); a frontend model fits."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import BACKEND, REPO

MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    import frontends as t

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


@pytest.mark.tensorflow_only("tf.distribute and kapre frontends")
def test_mirrored_strategy_fits_the_frontend(mirrored_run):
    assert mirrored_run["replicas"] == 2
    assert len(mirrored_run["loss"]) == 2 and np.isfinite(mirrored_run["loss"]).all()


@pytest.mark.tensorflow_only("tf.distribute and kapre frontends")
def test_mirrored_strategy_masks_stay_per_example(mirrored_run):
    per_replica = [np.asarray(m) for m in mirrored_run["masks"]]
    assert [m.shape for m in per_replica] == [(4, 29, 32, 1)] * 2  # global batch 8 split in two
    masks = np.concatenate(per_replica)
    assert masks.any(axis=(1, 2, 3)).all()
    # Every example of the global batch has its own mask, also across replicas.
    assert len({m.tobytes() for m in masks}) == 8
    assert not any(np.array_equal(per_replica[0][i], per_replica[1][i]) for i in range(4))


LAYER_MIRRORED = textwrap.dedent(
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
    result = run_script(LAYER_MIRRORED, KERAS_BACKEND="tensorflow")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "identical across replicas: 0" in result.stdout


@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution.DataParallel on JAX devices")
def test_jax_data_parallel_fits_and_devices_draw_different_masks():
    flags = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    result = run_script(DATA_PARALLEL, KERAS_BACKEND="jax", XLA_FLAGS=flags)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "identical across devices: 0" in result.stdout
