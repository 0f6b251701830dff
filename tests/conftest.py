"""Shared test setup: offline librosa data, quiet TensorFlow, the Keras backend under test.

The suite runs once per Keras backend (``KERAS_BACKEND``; ``python tests/run_all.py`` runs all
three). Tests of TensorFlow-only features carry ``@pytest.mark.tensorflow_only("why")`` and are
skipped, with that reason, on the other backends.
"""

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
LIBROSA_DATA = SHARED_DATA / "librosa"
FSDD_RECORDINGS = SHARED_DATA / "fsdd" / "recordings"

# librosa reads LIBROSA_DATA_DIR when it is imported: set it before any test imports librosa.
if LIBROSA_DATA.is_dir():
    os.environ.setdefault("LIBROSA_DATA_DIR", str(LIBROSA_DATA))

import keras  # noqa: E402  (after the environment is set)

BACKEND = keras.backend.backend()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tensorflow_only(reason): a TensorFlow-backend feature (kapre, tf.data, TFLite, tf.distribute)"
    )


def pytest_collection_modifyitems(config, items):
    if BACKEND == "tensorflow":
        return
    for item in items:
        marker = item.get_closest_marker("tensorflow_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "a TensorFlow feature"
            item.add_marker(pytest.mark.skip(reason=f"TensorFlow backend only ({why}); this run uses {BACKEND}"))


@pytest.fixture
def mixed_float16():
    """The mixed_float16 dtype policy for one test."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def pytest_report_header(config):
    return f"keras backend: {BACKEND}"
