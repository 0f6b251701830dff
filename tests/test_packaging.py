"""The package as a maintainer publishes it and a user installs it: sdist and wheel, metadata, LICENSE, py.typed,
an sdist whose test suite collects like the repository's, and types checked by mypy.

Slow-ish (it builds the package and collects the suite twice); packaging does not depend on the Keras backend, so
these run once, in the TensorFlow run.
"""

import email
import inspect
import os
import re
import subprocess
import sys
import tarfile
import zipfile

import pytest

import spec_augment
from conftest import REPO

pytestmark = pytest.mark.tensorflow_only("packaging does not depend on the backend: checked once, in the TensorFlow run")

VERSION = spec_augment.__version__
SHIPPED = ["LICENSE", "spec_augment/py.typed"]


def run(command, cwd, env=None, timeout=900):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """``python -m build`` (sdist, then the wheel from the sdist) without network: the installed setuptools."""
    pytest.importorskip("build", reason="build is not installed (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    result = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)], cwd=out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())
    return sdists[0], wheels[0]


@pytest.fixture(scope="module")
def unpacked_sdist(dist, tmp_path_factory):
    root = tmp_path_factory.mktemp("sdist")
    with tarfile.open(dist[0]) as archive:
        archive.extractall(root, filter="data")
    (folder,) = root.iterdir()
    return folder


def wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_version_is_the_same_everywhere(dist):
    assert re.search(r'^version = "(.*)"$', (REPO / "pyproject.toml").read_text(), flags=re.M).group(1) == VERSION
    assert wheel_metadata(dist[1])["Version"] == VERSION
    assert dist[0].name == f"spec_augment-{VERSION}.tar.gz"


def test_twine_check(dist):
    pytest.importorskip("twine", reason="twine is not installed (pip install -e '.[test]')")
    result = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_license_and_py_typed_ship_in_sdist_and_wheel(dist):
    sdist, wheel = dist
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(SHIPPED) <= names
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        license_files = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert "spec_augment/py.typed" in names and license_files
        assert "Copyright (c) 2026 spec-augment developers" in archive.read(license_files[0]).decode()


def test_the_wheel_holds_every_module_of_the_package(dist):
    modules = {str(path.relative_to(REPO)) for path in (REPO / "spec_augment").rglob("*.py")}
    with zipfile.ZipFile(dist[1]) as archive:
        missing = modules - set(archive.namelist())
    assert not missing, f"not in the wheel: {sorted(missing)}"


def test_metadata_is_complete(dist):
    metadata = wheel_metadata(dist[1])
    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    classifiers = metadata.get_all("Classifier")
    for expected in ["Development Status :: 5 - Production/Stable", "Operating System :: OS Independent",
                     "Programming Language :: Python :: 3.11", "Typing :: Typed"]:
        assert expected in classifiers
    assert any(c.startswith("Topic :: Multimedia :: Sound/Audio") for c in classifiers)
    assert "specaugment" in metadata["Keywords"]
    requires = metadata.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    assert sorted(core) == ["keras>=3.6", "numpy"], core
    # What our code needs, not kapre's pins: no upper bounds, and no backend (jax, torch) anywhere.
    assert not [r for r in requires if "<" in r.split(";")[0]], requires
    assert not [r for r in requires if re.match(r"(jax|jaxlib|torch)\b", r)], requires

    def extra(name):
        return sorted(r.split(";")[0].strip() for r in requires if f'extra == "{name}"' in r)

    # `pip install "spec-augment[tensorflow]"` gets the newest TensorFlow: kapre (and its pins) only on request.
    assert extra("tensorflow") == ["tensorflow>=2.16"]
    assert extra("kapre") == ["kapre>=0.4.1", "librosa>=0.11", "tensorflow>=2.16"]
    assert extra("tflite") == ["ai-edge-litert", "tensorflow>=2.16"]
    assert set(metadata.get_all("Provides-Extra")) == {"tensorflow", "kapre", "tflite", "test", "docs", "examples"}


def collected(folder, env=None):
    result = run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=folder,
                 env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_the_unpacked_sdist_collects_every_test_of_the_repository(unpacked_sdist):
    # The sdist's own package, not the editable install, is what its tests import.
    in_sdist = collected(unpacked_sdist, env={"PYTHONPATH": str(unpacked_sdist)})
    in_repository = collected(REPO)
    assert in_sdist == in_repository, (
        f"only in the repository: {sorted(in_repository - in_sdist)[:20]}; only in the sdist: "
        f"{sorted(in_sdist - in_repository)[:20]}"
    )
    assert len(in_repository) > 200


def test_the_unpacked_sdist_passes_its_readme_tests(unpacked_sdist):
    """Everything the README links to ships, and so do the README's commands and CI's."""
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_readme.py"],
                 cwd=unpacked_sdist, env={"PYTHONPATH": str(unpacked_sdist)})
    assert result.returncode == 0, result.stdout[-3000:]


def test_mypy(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    # pyproject.toml's [tool.mypy] says what to check and how; the cache goes to tmp, not into the repository.
    result = run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy")], cwd=REPO)
    assert result.returncode == 0, result.stdout[-5000:]


def public_functions():
    composed = spec_augment.composed
    functions = {
        "SpecAugment.__init__": spec_augment.SpecAugment.__init__,
        "SpecAugment.from_policy": spec_augment.SpecAugment.from_policy,
        "SpecAugment.call": spec_augment.SpecAugment.call,
        "to_tflite": spec_augment.to_tflite,
    }
    functions.update({f"functional.{n}": getattr(spec_augment.functional, n) for n in spec_augment.functional.__all__})
    functions.update({f"composed.{n}": getattr(composed, n) for n in composed.__all__
                      if inspect.isfunction(getattr(composed, n))})
    return functions


def test_the_public_api_is_typed():
    untyped = []
    for name, function in public_functions().items():
        signature = inspect.signature(function)
        parameters = [p for p in list(signature.parameters.values()) if p.name not in ("self", "cls")]
        untyped += [f"{name}({p.name})" for p in parameters if p.annotation is inspect.Parameter.empty]
        # A class (functional.Draws) returns itself: its fields' annotations are its parameters' hints.
        returns_itself = name.endswith("__init__") or inspect.isclass(function)
        if signature.return_annotation is inspect.Signature.empty and not returns_itself:
            untyped.append(f"{name} -> ?")
    assert not untyped, f"missing type hints: {untyped}"


WITHOUT_TENSORFLOW = '''
import sys


class WithoutTensorFlow:
    """The core install: TensorFlow, kapre and librosa (the `tensorflow` extra) fail to import as if absent."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"tensorflow", "kapre", "librosa"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, WithoutTensorFlow())
import numpy as np
import spec_augment

x = np.random.default_rng(0).normal(size=(2, 50, 8, 1)).astype("float32")
y = np.asarray(spec_augment.SpecAugment(4, 10, n_freq_mask=2, mask_value=-1.0, seed=0)(x, training=True))
assert (y == -1.0).any() and "tensorflow" not in sys.modules
# An augmented frontend of the package's own layers: built, trained, saved, loaded, predicting.
import keras
from spec_augment.composed import get_augmented_melspectrogram_layer

frontend = get_augmented_melspectrogram_layer(input_shape=(8000, 1), n_fft=512, hop_length=128, sample_rate=8000,
                                              n_mels=40, return_decibel=True, policy="SM", seed=0)
model = keras.Sequential([frontend, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
model.compile("adam", "mse")
waveforms = np.random.default_rng(0).uniform(-0.5, 0.5, (4, 8000, 1)).astype("float32")
model.fit(waveforms, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
model.save("frontend.keras")
loaded = keras.saving.load_model("frontend.keras")
np.testing.assert_allclose(loaded.predict(waveforms, verbose=0), model.predict(waveforms, verbose=0), atol=1e-5)
assert not {"tensorflow", "kapre", "librosa"} & {m.split(".")[0] for m in sys.modules}
print("frontend without tensorflow, kapre or librosa: ok")
'''


def test_the_core_install_runs_without_the_tensorflow_extra(tmp_path):
    """keras and numpy are the only core dependencies: on JAX the layer and the frontends need no TensorFlow,
    kapre or librosa."""
    pytest.importorskip("jax", reason="JAX is not installed")
    result = run([sys.executable, "-c", WITHOUT_TENSORFLOW], cwd=tmp_path, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "frontend without tensorflow, kapre or librosa: ok" in result.stdout, result.stdout
