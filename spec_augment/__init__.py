"""spec-augment: SpecAugment as a Keras 3 layer, with kapre-style augmented audio frontends.

>>> from spec_augment import SpecAugment
>>> layer = SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100)
"""

from . import backend, functional
from .augmentation import SpecAugment
from .policies import POLICIES
from . import composed
from .tflite import to_tflite

__version__ = "1.0.0"

__all__ = ["SpecAugment", "POLICIES", "functional", "backend", "composed", "to_tflite", "__version__"]
