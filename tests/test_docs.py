"""The documentation is executable: every Python block of the docs and the README runs, the site builds strictly,
the generated sections match their reports, and a saved model loads in a fresh interpreter as the docs say."""

import doctest
import html
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import subprocess
import sys

import pytest

from conftest import BACKEND, REPO

# A block runs on the TensorFlow backend only if a `<!-- requires: tensorflow -->` line comes right before it,
# or if it uses a TensorFlow feature: TensorFlow itself (tf.data, tf.distribute, SavedModel), kapre, a frontend of
# kapre's layers, TFLite. The layer and the frontends of the package's own layers run on every backend.
BLOCK = re.compile(r"(<!-- requires: tensorflow -->\n)?```python\n(.*?)```", flags=re.S)
TENSORFLOW_FEATURES = re.compile(
    r"to_tflite|ai_edge_litert|use_kapre=True|^\s*(import|from) (tensorflow|kapre)\b", flags=re.M)


def python_blocks(page):
    """[(code, needs TensorFlow)] of a Markdown page, in order."""
    text = (REPO / page).read_text()
    return [(code, bool(marker) or bool(TENSORFLOW_FEATURES.search(code))) for marker, code in BLOCK.findall(text)]


PAGES = [page for page in sorted(["README.md", *(f"docs/{path.name}" for path in (REPO / "docs").glob("*.md"))])
         if python_blocks(page)]


def run_python(code, cwd, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_docs_have_python_examples():
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path):
    """Each block runs in a fresh interpreter; a page's blocks share one folder, in order (a later block may load
    what an earlier one saved, as a reader would in a new interpreter)."""
    blocks = python_blocks(page)
    ran = 0
    for index, (code, needs_tensorflow) in enumerate(blocks):
        if needs_tensorflow and BACKEND != "tensorflow":
            continue
        result = run_python(code, tmp_path)
        assert result.returncode == 0, f"{page}, block {index}:\n{code}\n--- stderr ---\n{result.stderr[-3000:]}"
        ran += 1
    if ran == 0:
        pytest.skip(f"every Python block of {page} needs the TensorFlow backend; this run uses {BACKEND}")


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("section", ["headline", "study-summary"])
def test_readme_sections_are_the_generated_ones(section):
    """README numbers are never typed by hand: tools/update_reports.py copies them from the reports."""
    update_reports = load_tool("update_reports")
    path = update_reports.SECTIONS[section][0]
    assert path.is_file(), f"{path.relative_to(REPO)} does not exist"
    body = update_reports.generated(section)
    assert re.search(r"\d", body), "the section reports numbers"
    readme = (REPO / "README.md").read_text()
    assert update_reports.between(readme, section) == body.strip(), f"run python tools/update_reports.py ({section})"


def test_nest_headings_keeps_code_and_nests_under_a_readme_section():
    update_reports = load_tool("update_reports")
    text = "# Title\ntext\n```bash\n# a comment\n```\n## Sub"
    assert update_reports.nest_headings(text) == "### Title\ntext\n```bash\n# a comment\n```\n#### Sub"


def test_docstrings_render_as_markdown_in_the_api_reference():
    """tools/docstring_markdown.py: doctests, Sphinx roles, literal blocks and simple tables, for mkdocstrings."""
    pytest.importorskip("griffe", reason="griffe is not installed (pip install -e '.[docs]')")
    convert = load_tool("docstring_markdown").markdown
    docstring = "\n".join([
        "Uses :func:`~spec_augment.composed.frame_lengths` and :class:`SpecAugment`::",
        "",
        "    waveform -> STFT",
        "",
        "=====  ======",
        "name   value",
        "=====  ======",
        "a b    1",
        "=====  ======",
        "",
        ">>> [int(n) for n in (1, 2)]",
        "[1, 2]",
        "",
        "Args:",
        "    time_axis, freq_axis: from",
        "        spectrogram_axes.",
        "    warp: whether to warp.",
    ])
    assert convert(docstring).splitlines() == [
        "Uses `frame_lengths` and `SpecAugment`:",
        "",
        "    waveform -> STFT",
        "",
        "| name | value |",
        "|---|---|",
        "| a b | 1 |",
        "",
        "```pycon",
        ">>> [int(n) for n in (1, 2)]",
        "[1, 2]",
        "```",
        "",
        "Args:",
        "    time_axis: from",
        "        spectrogram_axes.",
        "    freq_axis: from",
        "        spectrogram_axes.",
        "    warp: whether to warp.",
    ]


@pytest.mark.parametrize("page, source", [("speed.md", "benchmarks/results.md"), ("changelog.md", "CHANGELOG.md")])
def test_report_pages_include_their_sources(page, source):
    """The speed and changelog pages include the files themselves (pymdownx.snippets), never a copy of them."""
    assert re.search(rf'^--8<-- "{re.escape(source)}(:[-0-9:]*)?"$', (REPO / "docs" / page).read_text(), flags=re.M)
    assert (REPO / source).is_file()


# Imported by every Python process started with this folder on PYTHONPATH: importing a Keras backend (or Keras,
# or kapre) fails there, as in a fresh venv with only the `docs` extra and no backend.
BLOCK_BACKENDS = """
import sys

BLOCKED = {"tensorflow", "keras", "jax", "jaxlib", "torch", "kapre"}


class BlockBackends:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: the docs build must not import a Keras backend")
        return None


sys.meta_path.insert(0, BlockBackends())
"""


@pytest.fixture
def no_backend_env(tmp_path):
    """An environment in which importing TensorFlow, Keras, JAX, PyTorch or kapre fails."""
    blocker = tmp_path / "block_backends"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_BACKENDS)
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(PYTHONPATH=str(blocker), NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3")
    return env


def test_the_backend_blocker_blocks(no_backend_env, tmp_path):
    """The environment of the site build below really has no backend (else that test could not fail)."""
    for module in ("tensorflow", "keras", "jax", "torch", "kapre"):
        result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=tmp_path, env=no_backend_env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and f"{module} is blocked" in result.stderr, (module, result.stderr[-2000:])


def test_mkdocs_build_strict(tmp_path, no_backend_env):
    """`pip install -e ".[docs]"` then `mkdocs build --strict` works without any Keras backend: mkdocstrings reads
    the docstrings from the source (static analysis), and no hook imports a backend."""
    if BACKEND != "tensorflow":
        pytest.skip("the site build does not depend on the Keras backend (it runs with every backend blocked): "
                    f"it runs once, in the TensorFlow run; this run uses {BACKEND}")
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed (pip install -e '.[docs]')")
    pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, env=no_backend_env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    # The API reference shows the builders' docstrings, read from the source.
    api = html.unescape(re.sub(r"<[^>]+>", "", (site / "api" / "index.html").read_text()))
    for name in ("get_augmented_melspectrogram_layer", "use_kapre", "to_tflite", "SpecAugment"):
        assert name in api, f"the API reference does not show {name}"
    # The speed page shows the benchmark's own tables: the first cell of its first table row, as text.
    speed = html.unescape(re.sub(r"<[^>]+>", "", (site / "speed" / "index.html").read_text()))
    results = (REPO / "benchmarks" / "results.md").read_text()
    first_cell = re.search(r"^\| ([^|]*?) \|", results.split("|---", 1)[1], flags=re.M).group(1)
    assert re.sub(r"`", "", first_cell).strip() in speed, "the speed page shows the benchmark's tables"


SAVE_FRONTEND_MODEL = """
import keras, numpy as np
from spec_augment.composed import get_augmented_melspectrogram_layer
model = keras.Sequential([
    get_augmented_melspectrogram_layer(input_shape=(8000, 1), n_fft=256, hop_length=128, n_mels=40,
                                       sample_rate=8000, return_decibel=True, policy="SM", seed=0,
                                       use_kapre={use_kapre}),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dense(3),
])
print(type(model.layers[0].layers[0]).__module__)
waveforms = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 8000, 1)).astype("float32")
np.save("waveforms.npy", waveforms)
np.save("expected.npy", model.predict(waveforms, verbose=0))
model.save("frontend.keras")
"""
LOAD_MODEL = """
{imports}
import keras, numpy as np
model = keras.saving.load_model("{path}")
np.testing.assert_allclose(model.predict(np.load("waveforms.npy"), verbose=0), np.load("expected.npy"), atol=1e-5)
"""


# use_kapre=None makes kapre's layers on TensorFlow (kapre is a test dependency) and ours elsewhere.
@pytest.mark.parametrize("use_kapre", [None, False] if BACKEND == "tensorflow" else [None])
def test_a_saved_frontend_model_loads_in_a_fresh_interpreter_as_the_docs_say(tmp_path, use_kapre):
    result = run_python(SAVE_FRONTEND_MODEL.format(use_kapre=use_kapre), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    made_of_kapre = use_kapre is None and BACKEND == "tensorflow"
    assert result.stdout.split()[0] == ("kapre.time_frequency" if made_of_kapre else "spec_augment.time_frequency")
    # docs/index.md and the README: import spec_augment.composed first (it imports kapre for kapre's layers).
    loaded = run_python(LOAD_MODEL.format(imports="import spec_augment.composed", path="frontend.keras"), tmp_path)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    # Without it Keras cannot find the classes, which is why the docs say so.
    plain = run_python(LOAD_MODEL.format(imports="", path="frontend.keras"), tmp_path)
    assert plain.returncode != 0 and "Could not locate class" in plain.stderr


def test_a_saved_specaugment_model_loads_in_a_fresh_interpreter_after_import_spec_augment(tmp_path):
    save = """
import keras, numpy as np
from spec_augment import SpecAugment
model = keras.Sequential([keras.Input((20, 8, 1)), SpecAugment.from_policy("SM", seed=0), keras.layers.Dense(2)])
waveforms = np.random.default_rng(0).normal(size=(2, 20, 8, 1)).astype("float32")
np.save("waveforms.npy", waveforms)
np.save("expected.npy", model.predict(waveforms, verbose=0))
model.save("layer.keras")
"""
    result = run_python(save, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = run_python(LOAD_MODEL.format(imports="import spec_augment", path="layer.keras"), tmp_path)
    assert loaded.returncode == 0, loaded.stderr[-3000:]


def public_objects():
    """(name, object) of every public class and function (every backend imports them all)."""
    import spec_augment

    objects = [("spec_augment.SpecAugment", spec_augment.SpecAugment),
               ("spec_augment.SpecAugment.from_policy", spec_augment.SpecAugment.from_policy),
               ("spec_augment.to_tflite", spec_augment.to_tflite)]
    for module_name in ("spec_augment.functional", "spec_augment.composed", "spec_augment.time_frequency"):
        module = importlib.import_module(module_name)
        # Its __all__, else what it defines under a public name.
        names = getattr(module, "__all__", None) or [
            name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module_name]
        objects += [(f"{module_name}.{name}", getattr(module, name)) for name in names]
    # Exceptions need no example of their own: the functions that raise them show them.
    return [(name, obj) for name, obj in objects
            if callable(obj) and not (inspect.isclass(obj) and issubclass(obj, BaseException))]


def test_every_public_class_and_function_has_a_docstring_example():
    missing = [name for name, obj in public_objects() if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"no >>> example in the docstring of: {missing}"


# spec_augment.functional and spec_augment.tflite run their doctests in tests/test_functional.py and test_tflite.py.
DOCTEST_MODULES = ["spec_augment", "spec_augment.augmentation", "spec_augment.policies", "spec_augment.composed",
                   "spec_augment.time_frequency"]


@pytest.mark.parametrize("module_name", DOCTEST_MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    modules = [module]
    if module_name == "spec_augment.composed":  # the package and its modules
        modules += [importlib.import_module(info.name)
                    for info in pkgutil.iter_modules(module.__path__, f"{module_name}.")]
    tried = 0
    for each in modules:
        result = doctest.testmod(each, raise_on_error=False, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, f"{each.__name__}: {result.failed} of {result.attempted} doctest examples failed"
        tried += result.attempted
    if module_name != "spec_augment.policies":
        assert tried > 0, f"{module_name} has no docstring example"


def test_the_docs_run_tflite_flatbuffers_with_litert():
    """TensorFlow's tf.lite.Interpreter warns that it is deprecated; the docs use LiteRT's, as TensorFlow says."""
    pages = ["README.md", *(f"docs/{path.name}" for path in sorted((REPO / "docs").glob("*.md")))]
    deprecated = [page for page in pages if "tf.lite.Interpreter(" in (REPO / page).read_text()]
    assert not deprecated, f"tf.lite.Interpreter in {deprecated}: use ai_edge_litert.interpreter.Interpreter"
    using = [code for page in pages for code, _ in python_blocks(page) if "Interpreter(" in code]
    assert using, "the docs show how to run a flatbuffer"
    assert all("from ai_edge_litert.interpreter import Interpreter" in code for code in using)
