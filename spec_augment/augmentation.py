"""The SpecAugment Keras layer."""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

import keras
import numpy as np
from keras import ops

from . import _backend_ops, functional
from . import _validation as validation
from .policies import policy_arguments

# More masks of one kind than this cover every bin many times over, and the work grows with the count.
MAX_MASKS = 4096
# Entries of a saved layer's variable store that hold its random state (Keras saves none).
_SEED_STATE_KEY = "seed_generator_state"
_PHILOX_STATE_KEY = "philox_state"
_RANDOM_STATE_KEYS = (_SEED_STATE_KEY, _PHILOX_STATE_KEY)


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
        mask_value (float or 'mean'): the value written into masked cells; ``'mean'`` = each example's
            mean over the finite cells of its valid frames (in float64 for float64 input, else
            float32; 0 if none is finite), taken from the input before any warp or mask.
        time_warp_param (int): W, the time-warp parameter; 0 turns the warp off.
        time_mask_ratio (float): p in (0, 1]: no time mask is wider than ``floor(p * tau)``,
            computed exactly for decimal p (0.29 * 100 frames allows 29).
        time_masks_per_frame (float): p_M in [0, 1]; when > 0 an example gets
            ``min(n_time_mask, floor(p_M * tau))`` time masks; 0 = always ``n_time_mask``.
        data_format (str): ``'channels_last'`` (batch, time, freq, channels), ``'channels_first'``
            (batch, channels, time, freq) or ``'default'`` (``keras.config.image_data_format()``,
            resolved when the layer is made and saved resolved).
            Rank-3 input (batch, time, freq) is accepted in any case.
        seed (int or None): an integer in [0, 2**31 - 1] seeds the layer's random state. Two layers
            with the same seed give the same sequence of outputs on one backend; successive calls give
            new masks. Draws are atomic: threads and parallel ``tf.data`` calls never share one.
        fused (bool): on TensorFlow, run the warp-and-mask transform as one XLA kernel inside graphs
            whose spectrogram shape is static (read and write the tensor about once). Graphs with a
            dynamic time axis and eager calls always run plain ops (no compile per new length).
            ``False`` never uses XLA. No effect on JAX and PyTorch. The random draws are the same
            either way; outputs agree to float rounding.
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Semantics, per example of ``tau`` valid frames (``tau`` = the time axis, or ``lengths[b]``):

    * Time warp (before masking): an anchor frame uniform on ``W .. tau - W - 1`` moves by a shift
      uniform on ``-W .. W``; frames are resampled by linear interpolation along the piecewise-linear
      map that moves the anchor and keeps the first and last frame fixed. ``tau <= 2 W``: no warp.
    * Frequency mask: width ``f`` uniform on ``0 .. min(F, n_freq)``, start uniform on
      ``0 .. n_freq - f``; ``f = 0`` masks nothing.
    * Time mask: width ``t`` uniform on ``0 .. min(T, floor(p * tau))``, start uniform on
      ``0 .. tau - t``.
    * Masks of one kind may overlap. Masked cells are whole rows/columns set to ``mask_value``; every
      other cell is bit-identical to the (warped) input. Frames past ``lengths[b]`` are never changed.
    * Non-finite input: frames the warp does not move (unwarped examples, padding) are copied
      bit-exactly, inf and NaN included; a frame interpolated between two is NaN only if one of them
      is NaN (or they are infinities of opposite sign), and infinite next to an infinite one.
    * All channels of an example share its warp and masks. Output dtype = input dtype (float16 and
      bfloat16 included: the layer does not autocast).

    Input shape:
        ``(batch, time, freq, channels)`` (``channels_last``), ``(batch, channels, time, freq)``
        (``channels_first``) or ``(batch, time, freq)``; any float dtype. Call with
        ``training=True`` to augment and, optionally, ``lengths``: the valid frames of each example,
        integer ``(batch,)`` (negative values count as 0, values past the time axis as all of it).

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
        fused: bool = True,
        **kwargs: Any,
    ) -> None:
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
        self.fused = validation.check_bool(fused, "fused")
        # floor(p * tau) and floor(p_M * tau) in exact integer arithmetic (0.29 * 100 = 28.999...).
        self._time_mask_ratio = functional.as_ratio(self.time_mask_ratio)
        self._time_masks_per_frame = functional.as_ratio(self.time_masks_per_frame)
        # The Keras generator holds the state on every backend (same weights in a .keras file);
        # TensorFlow draws from a Philox generator whose read-and-advance is atomic.
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self._tf_generator = _backend_ops.make_tf_generator(self.seed)
        self.supports_jit = True

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

    # ------------------------------------------------------------------ shapes
    def _axes(self, rank):
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
        philox_state = _backend_ops.random_state(self._tf_generator)
        if philox_state is not None:
            store[_PHILOX_STATE_KEY] = philox_state

    def load_own_variables(self, store):
        keys = list(store.keys())
        super().load_own_variables({key: store[key] for key in keys if key not in _RANDOM_STATE_KEYS})
        # Files saved before 1.1 have neither entry (draws restart from `seed`); one from another
        # backend may have a Philox state this backend does not use.
        if _SEED_STATE_KEY in keys:
            state = self.seed_generator.state
            state.assign(ops.cast(np.asarray(store[_SEED_STATE_KEY]), state.dtype))
        if _PHILOX_STATE_KEY in keys:
            _backend_ops.set_random_state(self._tf_generator, np.asarray(store[_PHILOX_STATE_KEY]))

    def get_random_transformation(self, inputs: Any, lengths: Any = None) -> Dict[str, Any]:
        """Draw every random parameter of one call, per example, from the layer's random state.

        Returns a dict of small tensors: ``lengths`` (batch,), ``freq_starts``/``freq_widths``
        (batch, mF), ``time_starts``/``time_widths`` (batch, mT), ``warp_anchors``/``warp_shifts``
        (batch,), and the Python bool ``padded`` (whether ``lengths`` was given).
        """
        time_axis, freq_axis = self._axes(len(inputs.shape))
        shape = ops.shape(inputs)
        batch, n_time, n_freq = shape[0], shape[time_axis], shape[freq_axis]
        lengths_given = lengths is not None
        lengths = self._check_lengths(lengths, batch, n_time)

        n_freq_mask, n_time_mask = self.n_freq_mask, self.n_time_mask
        n_draws = 2 * n_freq_mask + 2 * n_time_mask + (2 if self.time_warp_param else 0)
        # One random op per call.
        draws = _backend_ops.uniform((batch, n_draws), self.seed_generator, self._tf_generator)
        f0, t0, w0 = 0, 2 * n_freq_mask, 2 * n_freq_mask + 2 * n_time_mask
        # `padded` records whether the caller gave lengths, so unpadded batches skip the masked mean.
        params = {"lengths": lengths, "padded": lengths_given}

        max_f = ops.minimum(n_freq, self.freq_mask_param)
        params["freq_starts"], params["freq_widths"] = functional.sample_bands(
            draws[:, f0 : f0 + n_freq_mask], draws[:, f0 + n_freq_mask : t0], max_f, n_freq
        )

        max_t = functional.floor_ratio(lengths, self._time_mask_ratio)
        if self.time_mask_param is not None:
            max_t = ops.minimum(max_t, self.time_mask_param)
        max_t = ops.minimum(max_t, lengths)[:, None]
        time_starts, time_widths = functional.sample_bands(
            draws[:, t0 : t0 + n_time_mask], draws[:, t0 + n_time_mask : w0], max_t, lengths[:, None]
        )
        if self.time_masks_per_frame > 0:
            # Adaptive multiplicity: masks past min(mT, floor(p_M * tau)) get width 0.
            n_masks = functional.floor_ratio(lengths, self._time_masks_per_frame)[:, None]
            time_widths = ops.where(ops.arange(n_time_mask, dtype="int32")[None, :] < n_masks, time_widths, 0)
        params["time_starts"], params["time_widths"] = time_starts, time_widths

        if self.time_warp_param == 0:
            return params
        # W beyond the axis warps nothing either way; capping it first keeps 2 * W inside int32.
        warp = ops.minimum(ops.cast(n_time, "int32"), self.time_warp_param)
        can_warp = lengths > 2 * warp
        draw_dtype = draws.dtype
        anchor_room = ops.cast(ops.maximum(lengths - 2 * warp, 1), draw_dtype)
        anchors = warp + ops.cast(ops.floor(draws[:, w0] * anchor_room), "int32")
        shifts = ops.cast(ops.floor(draws[:, w0 + 1] * ops.cast(2 * warp + 1, draw_dtype)), "int32") - warp
        params["warp_anchors"] = ops.where(can_warp, ops.minimum(anchors, lengths - warp - 1), 0)
        params["warp_shifts"] = ops.where(can_warp, ops.clip(shifts, -warp, warp), 0)
        return params

    def _check_lengths(self, lengths: Any, batch: Any, n_time: Any) -> Any:
        if lengths is None:
            return ops.full((batch,), n_time, dtype="int32")
        if isinstance(lengths, (list, tuple, int, float, np.ndarray, np.generic)):
            array = np.asarray(lengths)
            self._check_lengths_shape_and_dtype(array.shape, array.dtype, batch)
            # Clip while still wide: an int64 2**32 + 3 must not wrap to 3 in int32.
            lengths = np.clip(array, 0, validation.INT32_MAX).astype("int32")
        else:
            self._check_lengths_shape_and_dtype(tuple(lengths.shape), lengths.dtype, batch)
            lengths = ops.clip(lengths, 0, validation.INT32_MAX)
        lengths = ops.minimum(ops.cast(lengths, "int32"), ops.cast(n_time, "int32"))
        return _backend_ops.check_batch_size(lengths, batch)

    @staticmethod
    def _check_lengths_shape_and_dtype(shape: tuple, dtype: Any, batch: Any) -> None:
        if len(shape) != 1:
            raise ValueError(
                f"`lengths` must have shape (batch,), one number of valid frames per example; "
                f"got lengths of shape {tuple(shape)}."
            )
        if isinstance(batch, int) and shape[0] is not None and shape[0] != batch:
            raise ValueError(
                f"`lengths` must have one entry per example: the batch has {batch}, "
                f"`lengths` has shape {tuple(shape)}."
            )
        if "int" not in str(dtype):
            raise TypeError(f"`lengths` must be an integer tensor, got lengths of dtype {dtype}.")

    # ------------------------------------------------------------------ application
    def transform(self, inputs: Any, params: Dict[str, Any], fused: Optional[bool] = None) -> Any:
        """Apply drawn parameters (from :meth:`get_random_transformation`) to ``inputs``; pure.

        ``fused`` (default: the layer's ``fused``) runs it as one XLA kernel on TensorFlow.
        """
        time_axis, freq_axis = self._axes(len(inputs.shape))
        fused = self.fused if fused is None else fused
        augment = functional.augment_fused if fused else functional.augment
        return augment(
            inputs,
            params,
            time_axis=time_axis,
            freq_axis=freq_axis,
            mask_value=self.mask_value,
            warp=self.time_warp_param > 0,
            mask=self.n_freq_mask > 0 or self.n_time_mask > 0,
        )

    def _augment(self, inputs: Any, lengths: Any, fused: bool) -> Any:
        return self.transform(inputs, self.get_random_transformation(inputs, lengths), fused=fused)

    def call(self, inputs: Any, training: Optional[bool] = None, lengths: Any = None) -> Any:
        rank = len(inputs.shape)
        self._axes(rank)
        if not training:
            return inputs
        if not keras.backend.is_float_dtype(inputs.dtype):
            raise TypeError(f"SpecAugment expects a floating-point spectrogram, got dtype {inputs.dtype}.")
        return _backend_ops.run_augmentation(self, inputs, lengths)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "freq_mask_param": self.freq_mask_param,
                "time_mask_param": self.time_mask_param,
                "n_freq_mask": self.n_freq_mask,
                "n_time_mask": self.n_time_mask,
                "mask_value": self.mask_value,
                "time_warp_param": self.time_warp_param,
                "time_mask_ratio": self.time_mask_ratio,
                "time_masks_per_frame": self.time_masks_per_frame,
                "data_format": self.data_format,
                "seed": self.seed,
                "fused": self.fused,
            }
        )
        return config
