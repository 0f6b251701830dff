"""examples/trumpet.py runs end to end, offline, on every Keras backend, and writes the three README pictures; the
committed pictures are what its default run writes on TensorFlow."""

import concurrent.futures
import importlib.util
import os
import pathlib
import struct
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from conftest import BACKEND

REPO = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "trumpet.py"
SHARED_LIBROSA_DATA = REPO.parent / "shared" / "data" / "librosa"
PICTURES = ("mel.png", "mel_transformed.png", "mel_policy.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FALLBACK_LINE = "Trumpet recording unavailable"

REPO_PICTURES = REPO / "images"
# The committed pictures against a fresh default run: at most this fraction of pixels may differ by more than
# PIXEL_TOLERANCE (float rounding of the spectrogram may move a colour by a step; a mask drawn elsewhere moves
# whole bars, several percent of the picture).
PIXEL_TOLERANCE = 0.02
MAX_DIFFERENT_FRACTION = 0.002
# Started with the script (a sitecustomize on PYTHONPATH): the example must not need kapre on any backend.
BLOCK_KAPRE = """
import sys


class BlockKapre:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "kapre":
            raise ImportError("kapre is blocked: the trumpet example runs without it")
        return None


sys.meta_path.insert(0, BlockKapre())
"""


def png_size(path):
    """(width, height) from the PNG header, checking the signature on the way."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def check_pictures(out_dir):
    pixels = {}
    for name in PICTURES:
        path = out_dir / name
        assert path.is_file(), f"{name} was not written"
        assert png_size(path) == (1000, 400)  # figsize (10, 4) at 100 dpi
        image = matplotlib.image.imread(path)
        assert image.shape[:2] == (400, 1000) and image.std() > 0.05, f"{name} looks blank"
        pixels[name] = image
    assert not np.array_equal(pixels["mel.png"], pixels["mel_transformed.png"]), "the masks are not drawn"
    assert not np.array_equal(pixels["mel.png"], pixels["mel_policy.png"])


def run_script(out_dir, env_changes, *arguments):
    env = {key: value for key, value in os.environ.items() if key not in env_changes}
    env.update({key: value for key, value in env_changes.items() if value is not None})
    env["KERAS_BACKEND"] = BACKEND
    # kapre blocked; this checkout's spec_augment, whatever is installed.
    blocker = out_dir / "block_kapre"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_KAPRE)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(out_dir), *arguments],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory):
    """Both runs at once (2 cores): the trumpet from ../shared, and the fallback with a dead network."""
    have_trumpet = SHARED_LIBROSA_DATA.is_dir()
    trumpet_dir, fallback_dir = tmp_path_factory.mktemp("trumpet"), tmp_path_factory.mktemp("fallback")
    empty_cache = tmp_path_factory.mktemp("empty_librosa_cache")
    # Unset LIBROSA_DATA_DIR: the script must find ../shared/data/librosa by itself; unset
    # TF_CPP_MIN_LOG_LEVEL: the script must keep TensorFlow's CUDA probe quiet by itself.
    trumpet_env = {"LIBROSA_DATA_DIR": None, "TF_CPP_MIN_LOG_LEVEL": None}
    # Nothing cached and every download refused at once by a proxy on the discard port: the
    # download is really attempted and fails, whatever network this machine has.
    dead_proxy = "http://127.0.0.1:9"
    fallback_env = {"LIBROSA_DATA_DIR": str(empty_cache), "HTTPS_PROXY": dead_proxy, "HTTP_PROXY": dead_proxy,
                    "https_proxy": dead_proxy, "http_proxy": dead_proxy, "NO_PROXY": None, "no_proxy": None}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        trumpet = pool.submit(run_script, trumpet_dir, trumpet_env, "--no-download") if have_trumpet else None
        fallback = pool.submit(run_script, fallback_dir, fallback_env)
        return {
            "trumpet": (trumpet.result(), trumpet_dir) if have_trumpet else None,
            "fallback": (fallback.result(), fallback_dir),
        }


def test_trumpet_example_writes_the_pictures(script_runs):
    if script_runs["trumpet"] is None:
        pytest.skip(f"no offline librosa data at {SHARED_LIBROSA_DATA} (the fallback test still runs)")
    result, out_dir = script_runs["trumpet"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cuInit" not in result.stderr  # no CUDA probe error on a machine without a GPU
    assert FALLBACK_LINE not in result.stdout
    assert "librosa.ex('trumpet')" in result.stdout
    assert f"backend: {BACKEND};" in result.stdout
    # frontend.summary(): the spectrogram layers (the package's own: kapre is blocked), then the SpecAugment.
    assert "trumpet_spec_augment" in result.stdout
    for layer in ("STFT", "Magnitude", "ApplyFilterbank", "MagnitudeToDecibel", "SpecAugment"):
        assert f"({layer})" in result.stdout, layer
    for name in PICTURES:
        assert any(line.startswith("wrote") and name in line for line in result.stdout.splitlines()), name
    check_pictures(out_dir)


def test_the_committed_pictures_are_what_the_default_run_writes(script_runs):
    """images/*.png come from `python examples/trumpet.py` on TensorFlow (the README's first command)."""
    if script_runs["trumpet"] is None:
        pytest.skip(f"no offline librosa data at {SHARED_LIBROSA_DATA}")
    if BACKEND != "tensorflow":
        pytest.skip(f"the committed pictures are the TensorFlow run's (each backend draws its own masks from a seed); "
                    f"this run uses {BACKEND}")
    result, out_dir = script_runs["trumpet"]
    assert result.returncode == 0, result.stderr[-3000:]
    for name in PICTURES:
        committed = matplotlib.image.imread(REPO_PICTURES / name)
        fresh = matplotlib.image.imread(out_dir / name)
        assert committed.shape == fresh.shape, name
        different = float(np.mean(np.abs(committed - fresh).max(axis=-1) > PIXEL_TOLERANCE))
        assert different <= MAX_DIFFERENT_FRACTION, (
            f"images/{name} is not what the default run writes ({different:.2%} of its pixels differ): "
            f"regenerate the pictures with LIBROSA_DATA_DIR=../shared/data/librosa KERAS_BACKEND=tensorflow "
            f"python examples/trumpet.py"
        )


def test_fallback_when_the_trumpet_cannot_be_had(script_runs):
    result, out_dir = script_runs["fallback"]
    assert result.returncode == 0, result.stderr[-3000:]
    fallback_lines = [line for line in result.stdout.splitlines() if FALLBACK_LINE in line]
    assert len(fallback_lines) == 1, result.stdout
    assert "synthesized harmonic tone" in fallback_lines[0]
    check_pictures(out_dir)


def test_no_download_uses_only_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LIBROSA_DATA_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("trumpet_example", SCRIPT)
    trumpet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trumpet)

    def no_network(*args, **kwargs):
        raise AssertionError("librosa.ex was called with --no-download and nothing cached")

    monkeypatch.setattr(trumpet.librosa, "ex", no_network)
    waveform, sample_rate, source = trumpet.load_audio(allow_download=False)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [line for line in printed if FALLBACK_LINE in line] and len(printed) == 1
    assert "--no-download" in printed[0]
    assert sample_rate == trumpet.SAMPLE_RATE and "synthesized" in source
    assert waveform.dtype == np.float32 and np.all(np.isfinite(waveform)) and 0.05 < np.abs(waveform).max() <= 1.0
