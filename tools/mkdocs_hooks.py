"""mkdocs hooks (mkdocs.yml: ``hooks``): serve the repository's pictures.

``images/*.png`` live at the repository root, where ``examples/trumpet.py`` writes them and the README
shows them; the site serves the same files as ``images/...`` instead of keeping copies in ``docs/``.

The API reference needs no hook: mkdocstrings reads the docstrings from the source (static analysis,
``allow_inspection: false`` in mkdocs.yml), so the site builds without Keras, TensorFlow, JAX or PyTorch.
"""

from __future__ import annotations

import pathlib
from typing import Any

from mkdocs.structure.files import File, Files

REPO = pathlib.Path(__file__).resolve().parents[1]


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
