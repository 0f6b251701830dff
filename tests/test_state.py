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
