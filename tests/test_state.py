"""Randomness and state a user can trust on every backend (issue 20): independent seeds, Keras' global
seed, jax.jit, fixed arguments, no leaks, lengths of any integer type, mask values, empty axes."""

import gc
import os
import pathlib
import subprocess
import sys
import textwrap
import weakref

import keras
import numpy as np
import pytest
from keras import ops

import spec_augment
from conftest import BACKEND
from spec_augment import SpecAugment, functional

MASK = -1.0


def mask_pattern(out):
    return (ops.convert_to_numpy(out) == MASK).tobytes()


@pytest.mark.skipif(BACKEND != "jax", reason="jax.jit")
def test_jax_jit_without_the_stateless_api_is_a_clear_error_and_leaks_nothing():
    import jax

    layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=0)
    x = np.zeros((4, 40, 30, 1), "float32")
    with pytest.raises(RuntimeError, match="stateless_call"):
        jax.jit(lambda value: layer(value, training=True))(x)
    assert mask_pattern(layer(x, training=True))  # no leaked tracer in the layer's state


@pytest.mark.skipif(BACKEND != "jax", reason="jax.jit")
def test_jax_jit_through_stateless_call_draws_new_masks_every_step():
    """The pattern docs/backends.md shows: carry the layer's state through the jitted function."""
    import jax

    layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=0)
    x = np.zeros((4, 40, 30, 1), "float32")
    layer.build(x.shape)
    step = jax.jit(lambda state, value: layer.stateless_call([], state, value, training=True))
    state = [variable.value for variable in layer.non_trainable_variables]
    patterns = []
    for _ in range(4):
        out, state = step(state, x)
        patterns.append(mask_pattern(out))
    assert len(set(patterns)) == 4
    assert mask_pattern(layer(x, training=True)) not in patterns[1:]  # the layer's own state did not move


def test_arguments_are_fixed_after_construction():
    """1.1 on TensorFlow kept masking after `layer.n_time_mask = 0` while get_config said 0."""
    layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=0)
    x = np.zeros((4, 40, 30, 1), "float32")
    layer(x, training=True)
    for name, value in [("n_freq_mask", 0), ("n_time_mask", 0), ("mask_value", 0.0), ("seed", 3)]:
        with pytest.raises(AttributeError, match=f"`{name}` is fixed"):
            setattr(layer, name, value)
    assert layer.get_config()["n_time_mask"] == 2
    assert (ops.convert_to_numpy(layer(x, training=True)) == MASK).any()
    layer.name_scope_marker = 1  # other attributes are free


IMPORT_WITHOUT_BACKEND = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow" or name.startswith("tensorflow."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Block())
    import spec_augment
    """
)


def test_import_without_a_keras_backend_says_what_to_install(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(KERAS_HOME=str(tmp_path), PYTHONPATH=str(pathlib.Path(spec_augment.__file__).parents[1]))
    result = subprocess.run([sys.executable, "-c", IMPORT_WITHOUT_BACKEND], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=300)
    last_line = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0
    assert last_line.startswith("ImportError: spec-augment needs a Keras backend"), result.stderr[-2000:]
    assert 'pip install "spec-augment[tensorflow]"' in last_line and "KERAS_BACKEND" in last_line


def test_a_config_saved_with_fused_still_loads():
    config = SpecAugment(5, 5, seed=0).get_config()
    assert "fused" not in config
    with pytest.warns(DeprecationWarning, match="fused"):
        layer = SpecAugment.from_config({**config, "fused": False})
    assert layer.get_config() == config
