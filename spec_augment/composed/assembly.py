"""Check a builder's arguments, resolve its SpecAugment's arguments, assemble the frontend.

The layers come from :mod:`spec_augment.time_frequency` (every backend) or from kapre (TensorFlow);
both take the same arguments, so one assembly serves both. kapre is imported only when it is used.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Optional, Union

import keras

from .. import _dsp_checks
from .. import _validation as validation
from ..augmentation import SpecAugment
from ..policies import POLICIES, policy_arguments
from .arguments import (
    AugmentArguments,
    DecibelArguments,
    LogFilterbank,
    MelFilterbank,
    StftArguments,
    check_input_shape,
    check_name,
    require_tensorflow_backend,
)
from .frontend import AugmentedFrontend, StftFraming

# The DSP runs in float32 whatever the global policy (FFTs have no float16 kernel on most devices):
# under mixed_float16 the frontend computes in float32 and the layers after it cast as usual.
DSP_DTYPE = "float32"

# Builder defaults that are not functions of the frontend (see the package docstring).
BUILDER_TIME_MASK_PARAM = 20
BUILDER_MASK_VALUE = "mean"
BUILDER_FREQ_MASK_FRACTION = 8  # freq_mask_param = max(1, n_bins // 8)


def unique_name(name: Optional[str], default_name: str) -> str:
    """``name`` as given, or ``default_name`` made unique with Keras' naming counter."""
    if name is not None:
        return name
    # Same counter Keras uses for auto names: 'x', 'x_1', 'x_2', ... until clear_session().
    uid = keras.backend.get_uid(default_name)
    return default_name if uid == 1 else f"{default_name}_{uid - 1}"


def kapre_is_installed() -> bool:
    return importlib.util.find_spec("kapre") is not None


def resolve_use_kapre(use_kapre: Optional[bool]) -> bool:
    """Whether a frontend is made of kapre's layers: ``None`` means where Keras runs on TensorFlow and kapre is installed."""
    if use_kapre is None:
        return keras.backend.backend() == "tensorflow" and kapre_is_installed()
    if not _dsp_checks.check_bool(use_kapre, "use_kapre"):
        return False
    require_tensorflow_backend("A frontend of kapre layers (use_kapre=True)")
    if not kapre_is_installed():
        raise ImportError(
            'use_kapre=True needs kapre: pip install "spec-augment[kapre]" (or use_kapre=False for the '
            "package's own layers, equal to kapre's)."
        )
    return True


def dsp_layers(use_kapre: bool) -> Any:
    """The module whose ``STFT``, ``Magnitude``, ``ApplyFilterbank`` and ``MagnitudeToDecibel`` build the frontend."""
    if use_kapre:
        return importlib.import_module("kapre.time_frequency")
    return importlib.import_module("spec_augment.time_frequency")


def spec_augment_arguments(augment: AugmentArguments, n_bins: int) -> dict:
    """SpecAugment's arguments: explicit ones, then the policy's, then builder defaults (then the layer's own)."""
    arguments = {
        "freq_mask_param": max(1, n_bins // BUILDER_FREQ_MASK_FRACTION),
        "time_mask_param": BUILDER_TIME_MASK_PARAM,
        "mask_value": BUILDER_MASK_VALUE,
    }
    if augment.policy is not None:
        try:
            arguments.update(policy_arguments(augment.policy))
        except ValueError:
            raise ValueError(
                f"`policy` must be None or one of {tuple(POLICIES)}, got policy={augment.policy!r}."
            ) from None
    arguments.update(augment.given())
    return arguments


def check_fits_one_frame(input_shape: Optional[tuple], input_format: str, stft: StftArguments) -> None:
    """A fixed-length input must give at least one STFT frame (kapre fails obscurely otherwise)."""
    if input_shape is None:
        return
    n_samples = input_shape[0 if input_format == validation.CH_LAST else 1]
    # `stft` is checked: win_length and hop_length are resolved to integers.
    assert stft.win_length is not None and stft.hop_length is not None
    framing = StftFraming(stft.n_fft, stft.win_length, stft.hop_length, stft.pad_begin, stft.pad_end)
    if n_samples is not None and framing.n_frames(n_samples) < 1:
        raise ValueError(
            f"`input_shape` is too short for one STFT frame of win_length={stft.win_length} samples "
            f"(pad_end=False): got input_shape={input_shape!r}."
        )


def assemble(
    *,
    default_name: str,
    name: Optional[str],
    input_shape,
    input_data_format: str,
    output_data_format: str,
    stft: StftArguments,
    filterbank: Union[MelFilterbank, LogFilterbank, None],
    decibel: DecibelArguments,
    augment: AugmentArguments,
    use_kapre: Optional[bool] = None,
) -> AugmentedFrontend:
    """Check every argument, then build waveform -> STFT -> Magnitude -> [filterbank] -> [decibel] -> SpecAugment."""
    layers_module = dsp_layers(resolve_use_kapre(use_kapre))
    input_format = validation.resolve_data_format(input_data_format, "input_data_format")
    output_format = validation.resolve_data_format(output_data_format, "output_data_format")
    input_shape = check_input_shape(input_shape, input_format)
    stft = stft.checked()
    check_fits_one_frame(input_shape, input_format, stft)
    if filterbank is not None:
        filterbank.check(stft)
    decibel.check()
    name = unique_name(check_name(name), default_name)
    n_bins = stft.n_freq if filterbank is None else filterbank.n_bins
    # The layer checks each of its arguments and raises an error naming it, before any DSP layer is made.
    spec_augment = SpecAugment(
        **spec_augment_arguments(augment, n_bins), data_format=output_format, seed=augment.seed,
        name=f"{name}_spec_augment",
    )

    layers = []
    if input_shape is not None:
        # An Input layer instead of kapre's `input_shape=` kwarg, which Keras 3 warns about.
        layers.append(keras.Input(shape=input_shape, name=f"{name}_waveform"))
    layers.append(
        layers_module.STFT(
            n_fft=stft.n_fft,
            win_length=stft.win_length,
            hop_length=stft.hop_length,
            window_name=stft.window_name,
            pad_begin=stft.pad_begin,
            pad_end=stft.pad_end,
            input_data_format=input_format,
            output_data_format=output_format,
            name=f"{name}_stft",
            dtype=DSP_DTYPE,
        )
    )
    layers.append(layers_module.Magnitude(name=f"{name}_magnitude", dtype=DSP_DTYPE))
    if filterbank is not None:
        layers.append(
            layers_module.ApplyFilterbank(
                type=filterbank.kind,
                filterbank_kwargs=filterbank.kapre_kwargs(stft),
                data_format=output_format,
                name=f"{name}_filterbank",
                dtype=DSP_DTYPE,
            )
        )
    if decibel.return_decibel:
        layers.append(layers_module.MagnitudeToDecibel(**decibel.kapre_kwargs(), name=f"{name}_decibel", dtype=DSP_DTYPE))
    layers.append(spec_augment)
    return AugmentedFrontend(layers, name=name)
