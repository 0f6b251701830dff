"""Random draws: reproducible from the seed, never repeated by concurrent callers (distribution: test_distribution.py)."""

import threading

import keras
import numpy as np
import pytest

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


def _seeded_model(seed=11):
    return keras.Sequential(
        [keras.Input((40, 30, 1)), SpecAugment(10, 10, 2, 2, mask_value=MASK, time_warp_param=3, seed=seed)]
    )


@pytest.mark.parametrize("file_name", ["model.keras", "model.weights.h5"])
def test_a_saved_model_draws_on_where_it_stopped(tmp_path, file_name):
    """Resuming from a checkpoint must not replay the masks of the first steps (1.0 restarted from the seed)."""
    x = np.zeros((4, 40, 30, 1), "float32")
    model = _seeded_model()
    first = mask_patterns(model(x, training=True) for _ in range(3))
    path = str(tmp_path / file_name)
    if file_name.endswith(".keras"):
        model.save(path)
        loaded = keras.models.load_model(path)
    else:
        model.save_weights(path)
        loaded = _seeded_model()
        loaded.load_weights(path)
    resumed = mask_patterns(loaded(x, training=True) for _ in range(3))
    assert resumed == mask_patterns(model(x, training=True) for _ in range(3))
    assert set(resumed).isdisjoint(first)


def test_a_variable_store_from_another_backend_loads():
    """TensorFlow writes one more entry (its Philox state) that other backends ignore; files saved by
    1.0 have no random state at all."""
    x = np.zeros((4, 40, 30, 1), "float32")
    source = _seeded_model().layers[0]
    source(x, training=True)
    store = {}
    source.save_own_variables(store)
    assert "seed_generator_state" in store
    for entries in ({}, {**store, "philox_state": np.array([0, 7, 0], "int64")}):
        target = _seeded_model(seed=5).layers[0]
        target.load_own_variables(entries)
        target(x, training=True)
