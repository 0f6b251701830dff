"""The error of the TensorFlow-only features (frontends of kapre's layers, TFLite conversion).

Loaded by those features, not by a plain layer call; ``spec_augment.TensorFlowBackendRequiredError`` names it.
"""

from __future__ import annotations

import keras


class TensorFlowBackendRequiredError(RuntimeError):
    """A TensorFlow-only feature (the kapre frontends, TFLite conversion) was used on another Keras backend."""


def require_tensorflow_backend(feature: str, why: str, remedy: str) -> None:
    """Raise :class:`TensorFlowBackendRequiredError` unless Keras runs on TensorFlow."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise TensorFlowBackendRequiredError(
            f"{feature} needs the TensorFlow backend: {why}, but Keras runs on {backend!r} here "
            f"(KERAS_BACKEND={backend}). {remedy}"
        )
