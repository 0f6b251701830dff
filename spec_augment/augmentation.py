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
# The constructor's arguments, all in the config; fixed once the layer is made (a compiled step would
# keep the old values).
_ARGUMENTS = (
    "freq_mask_param", "time_mask_param", "n_freq_mask", "n_time_mask", "mask_value", "time_warp_param",
    "time_mask_ratio", "time_masks_per_frame", "data_format", "seed", "time_mask_budget", "apply_probability",
    "n_rect_mask", "rect_time_param", "rect_freq_param", "freq_warp_param",
)


@keras.saving.register_keras_serializable(package="spec_augment")
class SpecAugment(keras.layers.Layer):
    """SpecAugment (Park et al. 2019, arXiv 1904.08779; adaptive masks of Park et al. 2020, arXiv 1912.05533).

    Time warp, frequency masks and time masks, drawn independently for every example of the batch and
    applied in one vectorized pass. The layer is an identity unless it is called with ``training=True``
    (as ``model.fit`` does); at inference it adds no op to the graph.

    Args:
        freq_mask_param (int): F, the widest frequency mask (in bins).
        time_mask_param (int or None): T, the widest time mask (in frames); ``None`` = no absolute cap,
            only ``time_mask_ratio`` bounds the width (the 2020 paper's adaptive size).
        n_freq_mask (int): mF, frequency masks per example; 0 turns them off.
        n_time_mask (int): mT, time masks per example (the most, with ``time_masks_per_frame``); 0 = off.
        mask_value (float, 'mean' or 'noise'): the value written into masked cells; ``'mean'`` = each
            example's mean over the finite cells of its valid frames (in float64 for float64 input, else
            float32; 0 if none is finite), taken from the input before any warp or mask; ``'noise'`` =
            a normal draw per cell with that mean and the standard deviation of the same cells
            (population; 0 with fewer than two finite cells), from the layer's random state.
        time_warp_param (int): W, the time-warp parameter; 0 turns the warp off.
        time_mask_ratio (float): p in (0, 1]: no time mask is wider than ``floor(p * tau)``,
            computed exactly for decimal p (0.29 * 100 frames allows 29).
        time_masks_per_frame (float): p_M in [0, 1]; when > 0 an example gets
            ``min(n_time_mask, floor(p_M * tau))`` time masks; 0 = always ``n_time_mask``.
        time_mask_budget (float): in (0, 1]: the time masks of an example together cover at most
            ``floor(budget * tau)`` frames (exact as ``time_mask_ratio``); 1 = no budget.
        apply_probability (float): in [0, 1]: each example is augmented (warps and every mask) with
            this probability, drawn per example; the others come back bit-exactly.
        n_rect_mask, rect_time_param, rect_freq_param (int): rectangles (time x frequency blocks) per
            example (0 = off), the widest in frames, the tallest in bins.
        freq_warp_param (int): the frequency warp's parameter (the time warp's along the bins); 0 = off.
        data_format (str): ``'channels_last'`` (batch, time, freq, channels), ``'channels_first'``
            (batch, channels, time, freq) or ``'default'`` (``keras.config.image_data_format()``,
            resolved when the layer is made and saved resolved).
            Rank-3 input (batch, time, freq) is accepted in any case.
        seed (int or None): an integer in [0, 2**31 - 1] seeds the layer's random state. Two layers
            with the same seed give the same sequence of outputs on one backend; successive calls give
            new masks; different seeds give independent streams. ``None``: a seed from Python's
            ``random``, so ``keras.utils.set_random_seed`` makes the layer reproducible. Draws are
            atomic: threads and parallel ``tf.data`` calls never share one.
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...). ``fused`` (1.1) is
            accepted and ignored, with a ``DeprecationWarning``: the layer chooses XLA where it pays.

    The arguments are fixed when the layer is made: assigning one raises an ``AttributeError`` (make a
    new layer, e.g. ``SpecAugment.from_config({**layer.get_config(), "n_time_mask": 0})``).

    Semantics, per example of ``tau`` valid frames (``tau`` = the time axis, or ``lengths[b]``):

    * Time warp (before masking): an anchor frame uniform on ``W .. tau - W - 1`` moves by a shift
      uniform on ``-W .. W``; frames are resampled by linear interpolation along the piecewise-linear
      map that moves the anchor and keeps the first and last frame fixed. ``tau <= 2 W``: no warp.
    * Frequency mask: width ``f`` uniform on ``0 .. min(F, n_freq)``, start uniform on
      ``0 .. n_freq - f``; ``f = 0`` masks nothing.
    * Time mask: width ``t`` uniform on ``0 .. min(T, floor(p * tau))``, start uniform on
      ``0 .. tau - t``.
    * Time budget: when the time masks' widths sum past ``floor(budget * tau)``, the longest prefix
      of masks within it is kept, and a first mask wider than it is cut to it; starts are drawn for
      the final widths (overlaps count twice: the masked frames never exceed the budget).
    * Rectangle: width uniform on ``0 .. min(rect_time_param, tau)``, start on ``0 .. tau - width``;
      height and start likewise along the bins. Its cells get ``mask_value``.
    * Frequency warp (after the time warp): the time warp's definition along the bins of every valid
      frame, same non-finite rules. An example left out by ``apply_probability`` gets warps and
      masks of size 0.
    * Masks of one kind may overlap. Masked cells are whole rows/columns set to ``mask_value``; every
      other cell is bit-identical to the (warped) input. Frames past ``lengths[b]`` are never changed.
    * Non-finite input: frames the warp does not move (unwarped examples, padding) are copied
      bit-exactly, inf and NaN included; a frame interpolated between two is NaN only if one of them
      is NaN (or they are infinities of opposite sign), and infinite next to an infinite one.
    * All channels of an example share its warp and masks. Output dtype = input dtype (float16 and
      bfloat16 included: the layer does not autocast); a ``mask_value`` beyond the dtype's range is a
      ``ValueError`` at call time. An input with an empty axis comes back unchanged.

    Input shape:
        ``(batch, time, freq, channels)`` (``channels_last``), ``(batch, channels, time, freq)``
        (``channels_first``) or ``(batch, time, freq)``; any float dtype. Call with
        ``training=True`` to augment and, optionally, ``lengths``: the valid frames of each example,
        integer ``(batch,)`` of any integer dtype (negative values count as 0, values past the time
        axis as all of it).

    Output shape:
        Same as the input, same dtype.

    Example:
        >>> import numpy as np
        >>> from spec_augment import SpecAugment
        >>> layer = SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3,
        ...                     mask_value=-100, seed=0)
        >>> melgram = np.random.default_rng(0).normal(size=(8, 100, 64, 1)).astype("float32")
        >>> augmented = np.asarray(layer(melgram, training=True))  # per-example masks
        >>> augmented.shape, bool((augmented == -100).any())
        ((8, 100, 64, 1), True)
        >>> bool((np.asarray(layer(melgram)) == melgram).all())  # identity at inference
        True
        >>> padded = np.asarray(layer(melgram, training=True, lengths=np.array([40] * 8)))
        >>> bool((padded[:, 40:] == melgram[:, 40:]).all())  # frames past each length untouched
        True
    """

    def __init__(
        self,
        freq_mask_param: int,
        time_mask_param: Optional[int],
        n_freq_mask: int = 1,
        n_time_mask: int = 1,
        mask_value: Union[float, str] = 0.0,
        time_warp_param: int = 0,
        time_mask_ratio: float = 1.0,
        time_masks_per_frame: float = 0.0,
        data_format: str = "channels_last",
        seed: Optional[int] = None,
        time_mask_budget: float = 1.0,
        apply_probability: float = 1.0,
        n_rect_mask: int = 0,
        rect_time_param: int = 0,
        rect_freq_param: int = 0,
        freq_warp_param: int = 0,
        **kwargs: Any,
    ) -> None:
        if "fused" in kwargs:
            kwargs.pop("fused")
            warnings.warn("SpecAugment's `fused` is ignored since 1.2: the layer uses XLA where it pays.", DeprecationWarning, stacklevel=2)
        # Masking works in any float dtype; autocasting would turn float16/bfloat16 into float32.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.freq_mask_param = validation.check_int(freq_mask_param, "freq_mask_param")
        self.time_mask_param = validation.check_int(time_mask_param, "time_mask_param", allow_none=True)
        self.n_freq_mask = validation.check_int(n_freq_mask, "n_freq_mask", maximum=MAX_MASKS)
        self.n_time_mask = validation.check_int(n_time_mask, "n_time_mask", maximum=MAX_MASKS)
        self.mask_value = validation.check_mask_value(mask_value)
        self.time_warp_param = validation.check_int(time_warp_param, "time_warp_param")
        self.time_mask_ratio = validation.check_float(time_mask_ratio, "time_mask_ratio", 0.0, 1.0, low_inclusive=False)
        self.time_masks_per_frame = validation.check_float(time_masks_per_frame, "time_masks_per_frame", 0.0, 1.0)
        # Stored resolved: a model saved under channels_last keeps its layout wherever it is loaded.
        self.data_format = validation.resolve_data_format(data_format)
        self.seed = validation.check_seed(seed)
        self.time_mask_budget = validation.check_float(time_mask_budget, "time_mask_budget", 0.0, 1.0, low_inclusive=False)
        self.apply_probability = validation.check_float(apply_probability, "apply_probability", 0.0, 1.0)
        self.n_rect_mask = validation.check_int(n_rect_mask, "n_rect_mask", maximum=MAX_MASKS)
        self.rect_time_param = validation.check_int(rect_time_param, "rect_time_param")
        self.rect_freq_param = validation.check_int(rect_freq_param, "rect_freq_param")
        self.freq_warp_param = validation.check_int(freq_warp_param, "freq_warp_param")
        # Unseeded: Python's random, as Keras' own random layers, so keras.utils.set_random_seed holds.
        stream = self.seed if self.seed is not None else random.randint(1, validation.SEED_MAX)
        # The Keras generator holds the state on every backend (same weights in a .keras file);
        # TensorFlow draws from a Philox generator whose read-and-advance is atomic.
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
        """A layer with a policy of the paper's Table 1: ``'LB'``, ``'LD'``, ``'SM'`` or ``'SS'``.

        ``overrides`` replace any of the policy's values or add other arguments
        (``mask_value``, ``data_format``, ``seed``, ``name``, ...).

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

    # ------------------------------------------------------------------ randomness
    def save_own_variables(self, store):
        # Keras saves no seed-generator state, so a loaded model would replay the masks of its first
        # steps: the random state goes beside the variables, and a resumed model draws on where it stopped.
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = ops.convert_to_numpy(self.seed_generator.state.value)
        if self._tf_generator is not None:
            store[_PHILOX_STATE_KEY] = ops.convert_to_numpy(self._tf_generator.state)

    def load_own_variables(self, store):
        keys = list(store.keys())
        super().load_own_variables({key: store[key] for key in keys if key not in _RANDOM_STATE_KEYS})
        # Files saved before 1.1 have neither entry (draws restart from `seed`); one from another
        # backend may have a Philox state this backend does not use.
        if _SEED_STATE_KEY in keys:
            state = self.seed_generator.state
            state.assign(ops.cast(np.asarray(store[_SEED_STATE_KEY]), state.dtype))
        if _PHILOX_STATE_KEY in keys and self._tf_generator is not None:
            self._tf_generator.reset(np.asarray(store[_PHILOX_STATE_KEY]))

    def get_random_transformation(self, inputs: Any, lengths: Any = None) -> Draws:
        """Draw every random parameter of one call, per example, from the layer's random state.

        ``lengths`` as for a call. Returns a :class:`~spec_augment.drawing.Draws`: ``lengths`` (int32,
        clipped; ``None`` if not given), the frequency and time bands, the warps and rectangles (``None``
        when off), the noise fill's seed.
        """
        time_axis, freq_axis = self._axes(len(inputs.shape))
        shape = ops.shape(inputs)
        return drawing.draw(
            lambda size: _backend_ops.uniform(size, self.seed_generator, self._tf_generator, inputs),
            shape[0],
            shape[time_axis],
            shape[freq_axis],
            validation.check_lengths(lengths, shape[0], shape[time_axis]),
            **self._draw_arguments(),
        )

    def _draw_arguments(self) -> Dict[str, Any]:
        names = ("freq_mask_param", "time_mask_param", "n_freq_mask", "n_time_mask", "time_warp_param",
                 "apply_probability", "n_rect_mask", "rect_time_param", "rect_freq_param", "freq_warp_param")  # fmt: skip
        ratios = ("time_mask_ratio", "time_masks_per_frame", "time_mask_budget")
        return {**{name: getattr(self, name) for name in names}, **{name: drawing.as_ratio(getattr(self, name)) for name in ratios},
                "noise": self.mask_value == "noise"}  # fmt: skip

    # ------------------------------------------------------------------ application
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
        # Keras would turn numpy `lengths` into a tensor of the backend's default int first (JAX: int32,
        # wrapping 2**32 + 3 to 3; PyTorch: no uint64): narrow them here, clipped, once.
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
