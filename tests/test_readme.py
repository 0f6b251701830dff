"""The README is executable documentation: its commands are CI's, its Python blocks run."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def first_bash_block():
    return re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)


def test_readme_opens_with_the_install_example_and_test_commands():
    assert README.lstrip().startswith("# spec-augment")
    commands = [line for line in first_bash_block().splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    example, tests = commands
    assert "pip install" in example and "examples/trumpet.py" in example
    assert "pip install" in tests and tests.rstrip().endswith("pytest")
    # CI runs exactly the README's test command
    ci = (REPO / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def load_update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", REPO / "benchmarks" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("section", ["benchmark", "fsdd-study"])
def test_readme_reports_are_the_generated_ones(section):
    """README numbers come from the scripts' reports (copied by benchmarks/update_readme.py)."""
    update_readme = load_update_readme()
    report = update_readme.SECTIONS[section].read_text()
    assert re.search(r"\| .* \|", report), "the report has a table"
    assert update_readme.as_subsection(report) in README, f"run python benchmarks/update_readme.py ({section})"


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_readme_python_block_runs(index, tmp_path):
    code = PYTHON_BLOCKS[index]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"README block {index} failed:\n{code}\n--- stderr ---\n{result.stderr[-3000:]}"
