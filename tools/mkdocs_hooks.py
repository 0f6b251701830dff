"""mkdocs hooks (mkdocs.yml: ``hooks``): serve the repository's pictures and document the TensorFlow features.

* ``images/*.png`` live at the repository root, where ``examples/trumpet.py`` writes them and the README
  shows them; the site serves the same files as ``images/...`` instead of keeping copies in ``docs/``.
* The API reference documents ``spec_augment.composed`` and ``to_tflite``, which exist on the TensorFlow
  backend only; mkdocstrings imports them to read their generated docstrings, so the build uses that backend.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from mkdocs.structure.files import File, Files

REPO = pathlib.Path(__file__).resolve().parents[1]


def on_startup(**kwargs: Any) -> None:
    # Before mkdocstrings imports Keras; a docs build is not a training run, so overriding the caller's choice is harmless.
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def on_files(files: Files, config: Any) -> Files:
    for picture in sorted((REPO / "images").glob("*.png")):
        files.append(
            File(
                f"images/{picture.name}",
                src_dir=str(REPO),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
