"""Under tf.distribute every replica must draw its own masks (Keras' draw alone repeats them)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
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


def test_replicas_draw_different_masks():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "identical across replicas: 0" in result.stdout
