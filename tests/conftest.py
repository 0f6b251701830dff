"""Shared test setup: offline librosa data, quiet TensorFlow, paths to the shared datasets."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
LIBROSA_DATA = SHARED_DATA / "librosa"
FSDD_RECORDINGS = SHARED_DATA / "fsdd" / "recordings"

# librosa reads LIBROSA_DATA_DIR when it is imported: set it before any test imports librosa.
if LIBROSA_DATA.is_dir():
    os.environ.setdefault("LIBROSA_DATA_DIR", str(LIBROSA_DATA))
