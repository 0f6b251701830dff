"""Run the whole test suite once per Keras backend: TensorFlow, JAX, PyTorch.

Usage: ``python tests/run_all.py [pytest arguments]``. Each backend runs in its own pytest process
(Keras picks its backend at import). A backend that is not installed fails the run: CI installs
all three. The last line sums the three runs up.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
REPO = Path(__file__).resolve().parents[1]
COUNTS = ("passed", "failed", "skipped", "error", "errors")


def run(backend: str, arguments: list) -> tuple:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    if backend == "jax":
        # Two host devices, so the JAX data-parallel test has two devices to split a batch over.
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    print(f"\n==================== KERAS_BACKEND={backend} ====================", flush=True)
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", *arguments], cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    last_lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        last_lines = (last_lines + [line])[-5:]
    process.wait()
    counts = dict.fromkeys(COUNTS, 0)
    for line in last_lines:
        for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", line):
            counts[word] += int(number)
    counts["failed"] += counts.pop("error") + counts.pop("errors")
    print(f"[{backend}] exit {process.returncode} in {time.time() - started:.0f} s", flush=True)
    return process.returncode, counts


def main(arguments: list) -> int:
    total = dict(passed=0, failed=0, skipped=0)
    failed_backends = []
    for backend in BACKENDS:
        code, counts = run(backend, arguments)
        for key in total:
            total[key] += counts[key]
        if code != 0:
            failed_backends.append(backend)
    print()
    if failed_backends:
        print(f"failing backends: {', '.join(failed_backends)}")
    print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if failed_backends else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
