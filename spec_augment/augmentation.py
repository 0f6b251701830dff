"""The SpecAugment Keras layer: checks its arguments, draws (:mod:`spec_augment.drawing`), transforms
(:func:`spec_augment.functional.augment`), in the compiled form :mod:`spec_augment._backend_ops` chooses."""

from __future__ import annotations

import random
import warnings
from typing import Any, Dict, Optional, Union

import keras
import numpy as np
from keras import ops

from . import _backend_ops, drawing, functional
from . import _validation as validation
from .drawing import Draws
from .policies import policy_arguments

# More masks of one kind than this cover every bin many times over, and the work grows with the count.
MAX_MASKS = 4096
# Entries of a saved layer's variable store that hold its random state (Keras saves none).
_SEED_STATE_KEY = "seed_generator_state"
_PHILOX_STATE_KEY = "philox_state"
_RANDOM_STATE_KEYS = (_SEED_STATE_KEY, _PHILOX_STATE_KEY)
# The constructor's arguments, all in the config; fixed once the layer is made (a compiled step keeps them).
_ARGUMENTS = (
    "freq_mask_param", "time_mask_param", "n_freq_mask", "n_time_mask", "mask_value", "time_warp_param",
    "time_mask_ratio", "time_masks_per_frame", "data_format", "seed", "time_mask_budget", "apply_probability",
    "n_rect_mask", "rect_time_param", "rect_freq_param", "freq_warp_param",
)


@keras.saving.register_keras_serializable(package="spec_augment")
class SpecAugment(keras.layers.Layer):
    """SpecAugment (Park et al. 2019, arXiv 1904.08779; adaptive masks of Park et al. 2020, arXiv 1912.05533).

    Warps, masks and rectangles drawn for every example and applied in one vectorized pass; an identity unless
    called with ``training=True``. The semantics (per example of ``tau`` valid frames) are in docs/layer.md.

    Args:
        freq_mask_param (int): F, the widest frequency mask (in bins).
        time_mask_param (int or None): T, the widest time mask (in frames); ``None``: ``time_mask_ratio`` alone.
        n_freq_mask (int): mF, frequency masks per example; 0 = off.
        n_time_mask (int): mT, time masks per example (the most, with ``time_masks_per_frame``); 0 = off.
        mask_value (float, 'mean' or 'noise'): the masked cells' value, each example's mean, or normal noise.
        time_warp_param (int): W, the time warp's parameter; 0 = off.
        time_mask_ratio (float): p in (0, 1]: no time mask is wider than ``floor(p * tau)`` (exact for decimals).
        time_masks_per_frame (float): p_M in [0, 1]; > 0: ``min(n_time_mask, floor(p_M * tau))`` time masks.
        data_format (str): ``'channels_last'``, ``'channels_first'`` or ``'default'`` (resolved when made).
        seed (int or None): in [0, 2**31 - 1]; ``None``: from Python's ``random``.
        time_mask_budget (float): in (0, 1]: the time masks cover at most ``floor(budget * tau)`` frames.
        apply_probability (float): in [0, 1]: each example is augmented with this probability, else unchanged.
        n_rect_mask, rect_time_param, rect_freq_param (int): rectangles per example, widest (frames), tallest (bins).
        freq_warp_param (int): the time warp's parameter along the bins; 0 = off.
        **kwargs: for ``keras.layers.Layer``; ``fused`` (1.1) is ignored, with a ``DeprecationWarning``.

    Call ``layer(inputs, training=True, lengths=None)``, ``lengths``: each example's valid frames.

    Example:
        >>> import numpy as np
        >>> layer = SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3,
        ...                     mask_value=-100, seed=0)
        >>> melgram = np.random.default_rng(0).normal(size=(8, 100, 64, 1)).astype("float32")
        >>> padded = np.asarray(layer(melgram, training=True, lengths=np.array([40] * 8)))
        >>> bool((padded == -100).any()), bool((padded[:, 40:] == melgram[:, 40:]).all())  # padding untouched
        (True, True)
    """

    def __init__(
        self, freq_mask_param: int, time_mask_param: Optional[int], n_freq_mask: int = 1, n_time_mask: int = 1,
        mask_value: Union[float, str] = 0.0, time_warp_param: int = 0, time_mask_ratio: float = 1.0,
        time_masks_per_frame: float = 0.0, data_format: str = "channels_last", seed: Optional[int] = None,
        time_mask_budget: float = 1.0, apply_probability: float = 1.0, n_rect_mask: int = 0, rect_time_param: int = 0,
        rect_freq_param: int = 0, freq_warp_param: int = 0, **kwargs: Any,
    ) -> None:
        if "fused" in kwargs:
            kwargs.pop("fused")
            message = "SpecAugment's `fused` is ignored since 1.2: the layer uses XLA where it pays."
            warnings.warn(message, DeprecationWarning, stacklevel=2)
        # Masking works in any float dtype; autocasting would turn float16/bfloat16 into float32.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        counts = dict(freq_mask_param=freq_mask_param, n_freq_mask=n_freq_mask, n_time_mask=n_time_mask,
                      time_warp_param=time_warp_param, n_rect_mask=n_rect_mask, rect_time_param=rect_time_param,
                      rect_freq_param=rect_freq_param, freq_warp_param=freq_warp_param)
        for name, value in counts.items():  # numbers of masks are bounded: the work grows with them
            maximum = MAX_MASKS if name.startswith("n_") else validation.INT32_MAX
            setattr(self, name, validation.check_int(value, name, maximum=maximum))
        self.time_mask_param = validation.check_int(time_mask_param, "time_mask_param", allow_none=True)
        self.mask_value = validation.check_mask_value(mask_value)
        self.time_mask_ratio = validation.check_float(time_mask_ratio, "time_mask_ratio", 0.0, 1.0, low_inclusive=False)
        self.time_masks_per_frame = validation.check_float(time_masks_per_frame, "time_masks_per_frame", 0.0, 1.0)
        # Stored resolved: a model saved under channels_last keeps its layout wherever it is loaded.
        self.data_format = validation.resolve_data_format(data_format)
        self.seed = validation.check_seed(seed)
        self.time_mask_budget = validation.check_float(time_mask_budget, "time_mask_budget", 0.0, 1.0, low_inclusive=False)
        self.apply_probability = validation.check_float(apply_probability, "apply_probability", 0.0, 1.0)
        # Unseeded: Python's random, as Keras' own random layers, so keras.utils.set_random_seed holds. The Keras
        # generator holds the state on every backend; TensorFlow draws from an atomic Philox generator.
        stream = self.seed if self.seed is not None else random.randint(1, validation.SEED_MAX)
        self.seed_generator = keras.random.SeedGenerator(stream)
        self._tf_generator = _backend_ops.new_tf_generator(stream)
        self._stream, self._tf_data_generator = stream, None  # the latter made on a first tf.data call (_tf_data)
        self._compiled = _backend_ops.CompiledGraphs()
        self.supports_jit = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _ARGUMENTS and name in self.__dict__:
            raise AttributeError(
                f"SpecAugment's `{name}` is fixed when the layer is made (a compiled training step would keep "
                f"the old value); make a new layer: SpecAugment.from_config({{**layer.get_config(), {name!r}: ...}})."
            )
        super().__setattr__(name, value)

    @classmethod
    def from_policy(cls, name: str, **overrides: Any) -> "SpecAugment":
        """A layer with a policy of the paper's Table 1 (``'LB'``, ``'LD'``, ``'SM'``, ``'SS'``); ``overrides`` replace
        any of its values or add other arguments (``mask_value``, ``seed``, ``name``, ...).

        >>> layer = SpecAugment.from_policy("LD", mask_value="mean", seed=0)
        >>> layer.time_warp_param, layer.freq_mask_param, layer.n_freq_mask, layer.time_mask_param
        (80, 27, 2, 100)
        """
        return cls(**{**policy_arguments(name), **overrides})

    def _axes(self, rank: int) -> tuple:
        return functional.spectrogram_axes(rank, self.data_format)

    def build(self, input_shape):
        self._axes(len(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape

    def save_own_variables(self, store):
        # Keras saves no seed-generator state: saved here, a resumed model draws on instead of replaying its masks.
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = ops.convert_to_numpy(self.seed_generator.state.value)
        if self._tf_generator is not None:
            store[_PHILOX_STATE_KEY] = ops.convert_to_numpy(self._tf_generator.state)

    def load_own_variables(self, store):
        keys = list(store.keys())
        super().load_own_variables({key: store[key] for key in keys if key not in _RANDOM_STATE_KEYS})
        # Files saved before 1.1 have neither entry; one from another backend may have an unused Philox state.
        if _SEED_STATE_KEY in keys:
            state = self.seed_generator.state
            state.assign(ops.cast(np.asarray(store[_SEED_STATE_KEY]), state.dtype))
        if _PHILOX_STATE_KEY in keys and self._tf_generator is not None:
            self._tf_generator.reset(np.asarray(store[_PHILOX_STATE_KEY]))

    def get_random_transformation(self, inputs: Any, lengths: Any = None) -> Draws:
        """Every random parameter of one call, per example, from the layer's random state (a ``Draws``)."""
        time_axis, freq_axis = self._axes(len(inputs.shape))
        shape = ops.shape(inputs)
        uniform = lambda size: _backend_ops.uniform(size, self.seed_generator, self._tf_generator, inputs)  # noqa: E731
        lengths = validation.check_lengths(lengths, shape[0], shape[time_axis])
        return drawing.draw(uniform, shape[0], shape[time_axis], shape[freq_axis], lengths, **self._draw_arguments())

    def _draw_arguments(self) -> Dict[str, Any]:
        # Every argument but the fill and the layout, the ratios as exact fractions.
        drawn = [name for name in _ARGUMENTS if name not in ("mask_value", "data_format", "seed")]
        arguments = {name: getattr(self, name) for name in drawn}
        for name in ("time_mask_ratio", "time_masks_per_frame", "time_mask_budget"):
            arguments[name] = drawing.as_ratio(arguments[name])
        return {**arguments, "noise": self.mask_value == "noise"}

    def transform(self, inputs: Any, draws: Draws) -> Any:
        """Apply drawn parameters (from :meth:`get_random_transformation`) to ``inputs``; pure."""
        time_axis, freq_axis = self._axes(len(inputs.shape))
        return functional.augment(inputs, draws, time_axis=time_axis, freq_axis=freq_axis, mask_value=self.mask_value)

    def __call__(self, inputs: Any, training: Optional[bool] = None, lengths: Any = None, **kwargs: Any) -> Any:
        if not _backend_ops.TENSORFLOW and type(inputs).__module__.startswith("tensorflow"):
            # A tf.data map on JAX or PyTorch: TensorFlow ops and a TensorFlow random state (_tf_data).
            from . import _tf_data

            if not training:
                return inputs
            if self._tf_data_generator is None:
                self._tf_data_generator = _tf_data.new_generator(self._stream)
            return _tf_data.augment(inputs, lengths, self._tf_data_generator, self.data_format, self.mask_value, self._draw_arguments())
        # Keras would make numpy `lengths` a tensor of the backend's int first (JAX: 2**32 + 3 wraps to 3): narrow here.
        if lengths is not None and not ops.is_tensor(lengths) and not isinstance(lengths, keras.KerasTensor):
            lengths = validation.check_lengths(lengths, None, None)
        return super().__call__(inputs, training=training, lengths=lengths, **kwargs)

    def call(self, inputs: Any, training: Optional[bool] = None, lengths: Any = None) -> Any:
        time_axis, freq_axis = self._axes(len(inputs.shape))
        if not training:
            return inputs
        if not keras.backend.is_float_dtype(inputs.dtype):
            raise TypeError(f"SpecAugment expects a floating-point spectrogram, got dtype {inputs.dtype}.")
        validation.check_mask_value_fits(self.mask_value, inputs.dtype)
        if 0 in tuple(inputs.shape):
            return inputs  # nothing to mask or warp
        shape = ops.shape(inputs)
        lengths = validation.check_lengths(lengths, shape[0], shape[time_axis])
        static_axes = inputs.shape[time_axis] is not None and inputs.shape[freq_axis] is not None
        return _backend_ops.draw_and_transform_compiled(
            self.get_random_transformation, self.transform, inputs, lengths, static_axes, self._compiled
        )

    def get_config(self):
        return {**super().get_config(), **{name: getattr(self, name) for name in _ARGUMENTS}}
