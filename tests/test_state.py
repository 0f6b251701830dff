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


def test_seeds_draw_independent_streams():
    """Seeds 0..15, 50 calls each: no mask pattern is shared by two seeds (1.1 on PyTorch: seed 1's call k
    was seed 0's call k + 1, so DDP ranks seeded base + rank masked alike one step apart)."""
    x = np.zeros((4, 40, 30, 1), "float32")
    owners = {}
    for seed in range(16):
        layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, seed=seed)
        for _ in range(50):
            owners.setdefault(mask_pattern(layer(x, training=True)), set()).add(seed)
    assert len(owners) > 790
    assert all(len(seeds) == 1 for seeds in owners.values())


def test_unseeded_layers_follow_keras_global_seed():
    x = np.zeros((4, 40, 30, 1), "float32")

    def run(global_seed):
        keras.utils.set_random_seed(global_seed)
        layer = SpecAugment(10, 10, 2, 2, mask_value=MASK, time_warp_param=3)
        return [mask_pattern(layer(x, training=True)) for _ in range(3)]

    first = run(123)
    assert run(123) == first and len(set(first)) == 3
    assert run(124) != first


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


def test_deleted_layers_are_collected():
    """1.1 on TensorFlow kept every layer alive in its cache of eager graphs."""
    x = np.zeros((2, 30, 20, 1), "float32")
    refs = []
    for _ in range(6):
        layer = SpecAugment(5, 5, mask_value=MASK, time_warp_param=2)
        layer(x, training=True)
        layer(x[..., 0], training=True, lengths=np.array([10, 30]))
        refs.append(weakref.ref(layer))
    del layer
    gc.collect()
    assert [ref() for ref in refs] == [None] * 6


@pytest.mark.parametrize("kind", ["list", "tuple", "numpy"])
def test_lengths_as_python_or_numpy_values_cost_what_a_tensor_costs(monkeypatch, kind):
    """Counts the transform's Python calls (a trace each on TensorFlow): 1.1 retraced on every list."""
    calls = []
    augment = functional.augment
    monkeypatch.setattr(functional, "augment", lambda *args, **kwargs: calls.append(1) or augment(*args, **kwargs))
    x = np.zeros((3, 30, 20, 1), "float32")
    values = [[5 + i, 10, 30 - i] for i in range(6)]
    convert = {"list": list, "tuple": tuple, "numpy": np.array}[kind]
    counts = []
    for form in (convert, lambda v: ops.convert_to_tensor(np.array(v, "int32"))):
        layer = SpecAugment(5, 5, mask_value=MASK, seed=0)
        calls.clear()
        for value in values:
            layer(x, training=True, lengths=form(value))
        counts.append(len(calls))
    assert counts[0] == counts[1]
    if BACKEND == "tensorflow":
        assert counts[0] == 1  # one graph traced once, whatever the lengths


INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("form", ["numpy", "tensor"])
@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_lengths_of_every_integer_dtype_are_clipped_before_narrowing(dtype, form):
    """Values past the axis mean the whole axis (1.1 on JAX: int64 2**32 + 3 became 3), negative ones 0."""
    info = np.iinfo(dtype)
    big = 2**32 + 3 if info.bits == 64 else info.max
    lengths = np.array([big] * 199 + [info.min], dtype)
    if form == "tensor":
        try:
            lengths = ops.convert_to_tensor(lengths)
        except Exception:  # noqa: BLE001 - a backend without this dtype: the numpy form covers it
            pytest.skip(f"{BACKEND} has no {dtype} tensors")
        if keras.backend.standardize_dtype(lengths.dtype) != dtype:
            pytest.skip(f"{BACKEND} holds {dtype} as {lengths.dtype}")
    x = np.zeros((200, 20, 4, 1), "float32")
    out = ops.convert_to_numpy(SpecAugment(0, 20, 0, 1, mask_value=MASK, seed=1)(x, training=True, lengths=lengths))
    masked_frames = (out[..., 0, 0] == MASK)
    assert masked_frames[:199, 10:].any()  # masks reach the whole axis
    assert not masked_frames[199].any() or info.min >= 0  # negative = 0 valid frames


def test_lengths_and_training_may_be_given_by_position():
    x = np.zeros((2, 20, 4, 1), "float32")
    layer = SpecAugment(0, 20, 0, 3, mask_value=MASK, seed=0)
    out = ops.convert_to_numpy(layer(x, True, [5, 20]))
    assert not (out[0, 5:] == MASK).any() and (out == MASK).any()


def test_lengths_of_a_float_dtype_are_rejected_by_name():
    with pytest.raises(TypeError, match="`lengths` must be integers"):
        SpecAugment(5, 5)(np.zeros((2, 20, 4, 1), "float32"), training=True, lengths=np.array([3.0, 4.0]))


@pytest.mark.parametrize("dtype, value", [("float16", -1e6), ("float16", 70000.0), ("bfloat16", 1e39)])
def test_mask_value_beyond_the_input_dtype_is_an_error_naming_it(dtype, value):
    """1.1 wrote -inf into float16 for mask_value=-1e6, silently."""
    layer = SpecAugment(5, 5, mask_value=value, seed=0)
    with pytest.raises(ValueError, match="mask_value") as info:
        layer(ops.cast(np.zeros((2, 20, 8, 1)), dtype), training=True)
    assert repr(value) in str(info.value) and dtype in str(info.value)
    fits = SpecAugment(5, 5, mask_value=-60000.0, seed=0)(ops.cast(np.zeros((2, 20, 8, 1)), dtype), training=True)
    assert np.isfinite(ops.convert_to_numpy(ops.cast(fits, "float32"))).all()


@pytest.mark.parametrize(
    "shape, data_format",
    [((2, 0, 10, 1), "channels_last"), ((2, 30, 0, 1), "channels_last"), ((2, 30, 10, 0), "channels_last"),
     ((2, 0, 30, 10), "channels_first"), ((2, 1, 30, 0), "channels_first"), ((2, 30, 0), "channels_last")],
)
def test_empty_axes_come_back_unchanged_with_every_option_on(shape, data_format):
    """1.1 crashed with the warp on an empty frequency or channel axis (JAX, PyTorch)."""
    layer = SpecAugment(5, 5, 2, 2, mask_value="mean", time_warp_param=3, time_masks_per_frame=0.1,
                        data_format=data_format, seed=0)
    x = np.zeros(shape, "float32")
    out = ops.convert_to_numpy(layer(x, training=True, lengths=np.array([3, 30])))
    assert out.shape == shape
    np.testing.assert_array_equal(out, x)


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
