#!/usr/bin/env bash
# Fetch the peer packages the benchmark compares against, without touching the environment's own
# `spec-augment` (this project has the same distribution name):
#   * spec-augment 0.0.3 (PyPI), installed with --target into benchmarks/.peers/ (git-ignored) and
#     imported by file path by bench_specaugment.py;
#   * kapre is a dependency of this project already (pip install -e .).
# bench_specaugment.py does the same download itself when the folder is missing; this script is for
# machines where the benchmark itself should not touch the network (then run it with --no-download).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --no-deps --only-binary :all: --disable-pip-version-check --upgrade \
    --target .peers/spec_augment_003 "spec-augment==0.0.3"
echo "spec-augment 0.0.3 is in $(pwd)/.peers/spec_augment_003"
