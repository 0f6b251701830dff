"""spec-augment: SpecAugment as a Keras 3 layer, with kapre-style augmented audio frontends.

>>> from spec_augment import SpecAugment
>>> layer = SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100)
>>> layer.n_freq_mask
5
"""

import importlib
import warnings

try:
    import keras  # noqa: F401  (imports the Keras backend)
except ModuleNotFoundError as error:
    if error.name not in ("tensorflow", "jax", "torch"):
        raise
    raise ImportError(
        f"spec-augment needs a Keras backend, and Keras' backend {error.name!r} is not installed: "
        f'pip install "spec-augment[tensorflow]", or install jax or torch and set KERAS_BACKEND=jax|torch.'
    ) from None

from . import functional
from .augmentation import SpecAugment
from .policies import POLICIES

__version__ = "1.2.0"

__all__ = [
    "SpecAugment", "POLICIES", "TensorFlowBackendRequiredError", "functional", "composed", "to_tflite", "__version__",
]


def __getattr__(name):
    # kapre (and with it TensorFlow) is imported only when a TensorFlow-only feature is used.
    if name == "composed":
        return importlib.import_module(".composed", __name__)
    if name == "TensorFlowBackendRequiredError":
        return importlib.import_module("._tensorflow_only", __name__).TensorFlowBackendRequiredError
    if name == "to_tflite":
        return importlib.import_module(".tflite", __name__).to_tflite
    if name == "backend":
        warnings.warn(
            "`spec_augment.backend` was renamed; its argument checks are private now "
            "(`spec_augment._validation`). It will be removed in 2.0.",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module("._validation", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
