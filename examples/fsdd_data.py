"""FSDD data for the examples: the recordings on disk, the train / validation / test split, the waveforms.

Data: the Free Spoken Digit Dataset (``{digit}_{speaker}_{take}.wav``, 8 kHz mono, 6 speakers x 10
digits x 50 takes), expected at ``../shared/data/fsdd/recordings`` relative to the repository root.
No TensorFlow here: ``train_fsdd.py`` and ``fsdd_padded.py`` build on it.
"""

import random
import re
import wave
from pathlib import Path
from typing import NamedTuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "fsdd" / "recordings"

SAMPLE_RATE = 8000
N_SAMPLES = 8000  # 1 s: waveforms are zero-padded or trimmed to this length
N_TAKES = 50
TEST_TAKES = (0, 4)  # the dataset's official test set (inclusive range)
DEFAULT_VAL_TAKES = (5, 9)

FILE_PATTERN = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")


class DataError(Exception):
    """The data directory is missing, empty or cannot be split as asked."""


class Split(NamedTuple):
    """Lists of ``(path, digit)``; the three never share a recording."""

    train: list
    val: list
    test: list



def parse_takes(text: str) -> tuple:
    """``'A-B'`` or ``'A'`` -> ``(A, B)``, an inclusive range of takes within 0-49."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
    if not match:
        raise ValueError(f"takes must look like 'A-B' or 'A', got {text!r}.")
    first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
    if not 0 <= first <= last < N_TAKES:
        raise ValueError(f"takes must satisfy 0 <= A <= B <= {N_TAKES - 1}, got {text!r}.")
    return first, last


def list_recordings(data_dir) -> list:
    """``[(path, digit, speaker, take)]`` of every ``{digit}_{speaker}_{take}.wav`` in ``data_dir``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"FSDD recordings not found: {data_dir} is not a directory. Get the Free Spoken Digit "
            f"Dataset's recordings/ folder there or pass --data DIR."
        )
    items = []
    for path in sorted(data_dir.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match and path.is_file():
            items.append((str(path), int(match[1]), match[2], int(match[3])))
    if not items:
        raise DataError(
            f"No FSDD recordings ({{digit}}_{{speaker}}_{{take}}.wav) in {data_dir}. "
            f"Pass --data DIR pointing at the dataset's recordings/ folder."
        )
    return items


def _in(take, takes):
    return takes is not None and takes[0] <= take <= takes[1]


def _overlap(a, b):
    return a is not None and b is not None and a[0] <= b[1] and b[0] <= a[1]


def split_recordings(
    items,
    held_out_speaker=None,
    train_takes=None,
    val_takes=DEFAULT_VAL_TAKES,
    val_speaker=None,
    limit=None,
    seed=0,
) -> Split:
    """Train / validation / test lists of ``(path, digit)``.

    Test: takes 0-4 (official split) or every recording of ``held_out_speaker``. Validation: every
    recording of ``val_speaker`` if given (then ``val_takes`` is unused), else the ``val_takes`` of the
    training speakers. Training: the training speakers' other takes, or only ``train_takes``
    (inclusive ``(first, last)``). ``limit`` (quick runs, tests) keeps a random subset of at most
    ``limit`` training and ``max(1, limit // 4)`` validation and test recordings.
    """
    speakers = sorted({s for _, _, s, _ in items})
    for option, name in (("--held-out-speaker", held_out_speaker), ("--val-speaker", val_speaker)):
        if name is not None and name not in speakers:
            raise DataError(f"{option} {name!r} is not a speaker of the dataset; speakers: {', '.join(speakers)}.")
    if val_speaker is not None:
        if val_speaker == held_out_speaker:
            raise DataError(
                f"--val-speaker {val_speaker!r} is the test speaker; validation must never be the test set."
            )
        val_takes = None
    test_takes = TEST_TAKES if held_out_speaker is None else None
    for name, takes in (("--train-takes", train_takes), ("--val-takes", val_takes)):
        if _overlap(takes, test_takes):
            raise DataError(f"{name} {takes[0]}-{takes[1]} overlaps the test takes {TEST_TAKES[0]}-{TEST_TAKES[1]}.")
    if _overlap(train_takes, val_takes):
        raise DataError(
            f"--train-takes {train_takes[0]}-{train_takes[1]} overlaps --val-takes {val_takes[0]}-{val_takes[1]}."
        )

    split = Split([], [], [])
    for path, digit, speaker, take in items:
        if speaker == held_out_speaker or _in(take, test_takes):
            split.test.append((path, digit))
        elif speaker == val_speaker or _in(take, val_takes):
            split.val.append((path, digit))
        elif train_takes is None or _in(take, train_takes):
            split.train.append((path, digit))
    if limit is not None:
        rng = random.Random(seed)
        sizes = (limit, max(1, limit // 4), max(1, limit // 4))
        split = Split(*(sorted(rng.sample(part, min(size, len(part)))) for part, size in zip(split, sizes)))
    if not split.train or not split.val or not split.test:
        raise DataError(
            f"The split is empty: {len(split.train)} training, {len(split.val)} validation and "
            f"{len(split.test)} test recordings."
        )
    return split


def read_wav(path, max_samples: int) -> np.ndarray:
    """A 16-bit mono WAV file -> float32 ``(n,)`` in [-1, 1], its first ``max_samples`` samples at most."""
    with wave.open(str(path)) as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
            raise DataError(f"{path}: expected 16-bit mono {SAMPLE_RATE} Hz audio.")
        samples = np.frombuffer(wav.readframes(max_samples), "<i2")
    return (samples / 32768.0).astype(np.float32)  # tf.audio.decode_wav's scaling


def load_waveforms(paths) -> np.ndarray:
    """16-bit mono WAV files -> float32 ``(n, N_SAMPLES, 1)`` in [-1, 1], zero-padded or trimmed at the end."""
    out = np.zeros((len(paths), N_SAMPLES, 1), np.float32)
    for i, path in enumerate(paths):
        samples = read_wav(path, N_SAMPLES)
        out[i, : len(samples), 0] = samples
    return out
