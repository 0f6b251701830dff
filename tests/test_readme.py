"""The README is for users: short, opens with the repository's two commands (CI runs the second), links that resolve.

Its Python blocks run in tests/test_docs.py, with the docs pages'; its generated sections are checked there too.
"""

import re

from conftest import REPO

README = (REPO / "README.md").read_text()

EXAMPLE_COMMAND = (
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[examples]" && '
    "LIBROSA_DATA_DIR=../shared/data/librosa python examples/trumpet.py"
)
TEST_COMMAND = (
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test,docs]" jax jaxlib torch==2.13.0 && '
    "python tests/run_all.py"
)


def first_bash_block():
    return re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)


def test_readme_opens_with_the_install_example_and_test_commands():
    assert README.startswith("# spec-augment\n")
    assert README.index("```bash") < README.index("\n## "), "the commands come before any section"
    commands = [line for line in first_bash_block().splitlines() if line and not line.startswith("#")]
    assert commands == [EXAMPLE_COMMAND, TEST_COMMAND]


def test_ci_runs_the_readme_test_command():
    assert TEST_COMMAND in (REPO / ".ci" / "run").read_text().splitlines()


def test_readme_is_short_and_shows_the_user_install():
    assert len(README.splitlines()) <= 300
    assert re.search(r"^pip install spec-augment\b", README, flags=re.M)


def test_readme_shows_the_seed_example():
    assert (
        "SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100)" in README
    )


def test_readme_relative_links_and_images_resolve_in_the_repository():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [target for target in targets if not re.match(r"[a-z]+:", target)]
    assert len(relative) >= 8, relative  # the picture and the links into the docs
    missing = [target for target in relative if not (REPO / target.split("#")[0]).is_file()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_readme_shows_the_seed_pair_of_pictures_and_the_policy_picture():
    """The seed README's pair, the original mel spectrogram then the transformed one, and the LD picture: each
    referenced as an image, in that order, and committed (examples/trumpet.py writes them)."""
    images = re.findall(r"!\[[^\]]+\]\(([^)\s]+)\)", README)
    pictures = ["images/mel.png", "images/mel_transformed.png", "images/mel_policy.png"]
    assert [image for image in images if image in pictures] == pictures, images
    for picture in pictures:
        assert (REPO / picture).is_file(), f"{picture} is not in the repository"
    assert "Original mel spectrogram" in README and "Transformed mel spectrogram" in README
