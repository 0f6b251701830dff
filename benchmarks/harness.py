"""The harness every case runs on: config, context (the backend: tensors, compile modes, waiting), rows,
warm-up, interleaved rounds, paired ratios, targets, worker processes and machine information.

Nothing here imports a Keras backend at import time: a worker process sets ``KERAS_BACKEND`` first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
CLI = HERE / "bench_specaugment.py"
PREFIX = "RESULT-JSON "
# Resident memory that follows live tensors: every buffer above 64 KiB is its own mmap (returned to
# the OS when freed), and no oneDNN, whose pooled CPU allocator never returns memory.
MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "TF_ENABLE_ONEDNN_OPTS": "0"}


@dataclasses.dataclass
class Config:
    """Everything a run depends on; passed to every worker (tests pass a small one)."""

    main_shape: tuple = (32, 1000, 80, 1)  # (batch, time, mel bins, channels)
    audio_shape: tuple = (32, 16_000, 1)  # 1 s of 16 kHz audio
    rounds: int = 20
    target_ms: float = 75.0  # time per row per round; sets each row's calls per round
    max_calls: int = 200
    seed: int = 0
    backends: tuple = ("tensorflow", "jax", "torch")
    rows: tuple = ()  # only rows whose name contains one of these words (the floors always run)
    baseline: str | None = None  # a checkout of another spec-augment, measured side by side
    peers: bool = True
    allow_download: bool = True
    frontend: bool = True
    stream: bool = True
    stream_shape: tuple = (32, 80, 1)  # (batch, mel bins, channels); the time axis varies
    stream_lengths: tuple = (500, 1500)  # inclusive range of the distinct time lengths
    stream_batches: int = 150  # the timed first pass
    stream_memory_batches: int = 300  # more new lengths, for the memory growth (0: no memory workers)


class Skip(Exception):
    """A row that cannot run here (missing peer, API not there yet); its message is the reason."""


def short_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]


class Context:
    """What the rows of one process share: the config, the Keras backend, inputs, models and notes."""

    def __init__(self, config: Config):
        import keras

        self.config, self.backend, self.tensor = config, keras.backend.backend(), keras.ops.convert_to_tensor
        self.notes: list[str] = []  # for the report's method (repeats are dropped there)
        self.inputs: dict = {}
        self.cache: dict = {}  # models shared by rows

    def compile(self, fn, mode: str):
        """``fn`` as the backend runs it: TensorFlow ``graph`` or ``xla``, JAX ``jit``, or ``eager``."""
        if mode in ("graph", "xla"):
            import tensorflow as tf

            return tf.function(fn, jit_compile=mode == "xla", autograph=False)
        if mode == "jit":
            import jax

            return jax.jit(fn)
        return fn

    def force(self, result) -> None:
        """Wait for a result: read one element of it (``block_until_ready`` on JAX)."""
        if self.backend == "jax":
            result.block_until_ready()
        else:
            np.asarray(result[(0,) * len(result.shape)])

    def array(self, shape) -> np.ndarray:
        """The same values for every row of a shape: standard normal (a tenth of it for audio, (batch, samples, 1))."""
        scale = np.float32(0.1 if len(shape) == 3 else 1.0)
        return scale * np.random.default_rng(self.config.seed).standard_normal(tuple(shape), dtype=np.float32)

    def input(self, shape):
        if tuple(shape) not in self.inputs:
            self.inputs[tuple(shape)] = self.tensor(self.array(shape))
        return self.inputs[tuple(shape)]


# ------------------------------------------------------------------------------------ rows
@dataclasses.dataclass
class Row:
    name: str  # unique within its process, e.g. "graph/LD"
    label: str
    shape: tuple
    build: Callable  # () -> a callable taking ctx.input(shape)
    must_run: bool = False  # the floor and our headline rows: failing there is a bug, never a skip
    fn: Callable | None = None
    n_calls: int = 1
    skipped: str | None = None


def warm_up(rows: list, ctx: Context, log=print, n_calls: dict | None = None) -> None:
    """Build and trace every row, then pick its calls per round from the fastest of a few calls
    (or take them from ``n_calls``, so that a baseline row makes as many calls as ours)."""
    force = ctx.force
    for row in rows:
        started = time.perf_counter()
        try:
            row.fn = row.build()
            x = ctx.input(row.shape)
            force(row.fn(x))
            trace_s = time.perf_counter() - started
            single = []
            while len(single) < 3 or (sum(single) < 0.1 and len(single) < 50):
                t0 = time.perf_counter()
                force(row.fn(x))
                single.append(time.perf_counter() - t0)
            row.n_calls = (n_calls or {}).get(row.name) or int(
                min(ctx.config.max_calls, max(1, round(ctx.config.target_ms / 1e3 / min(single)))))
            log(f"  ready {row.name:<36} trace {trace_s:5.2f} s, {min(single) * 1e3:8.2f} ms/call")
        except Exception as error:
            if row.must_run and not isinstance(error, Skip):
                raise
            row.skipped = str(error) if isinstance(error, Skip) else short_error(error)
            log(f"  SKIP  {row.name:<36} {row.skipped}")


def time_row(row: Row, ctx: Context) -> float:
    """Seconds per call of the row's N calls back to back, completion forced after the last."""
    x, fn, n = ctx.input(row.shape), row.fn, row.n_calls
    started = time.perf_counter()
    for _ in range(n):
        result = fn(x)
    ctx.force(result)
    return (time.perf_counter() - started) / n


def paired_ratio(numerator: list | None, denominator: list | None, minus: list | None = None):
    """(median, p25, p75) over rounds of the per-round ratio (of ``numerator - minus`` when given),
    or None when a side has no times."""
    if not numerator or not denominator or (minus is not None and not minus):
        return None
    ratios = [(a - (minus[i] if minus else 0.0)) / b for i, (a, b) in enumerate(zip(numerator, denominator))]
    q25, q75 = np.percentile(ratios, [25, 75])
    return float(statistics.median(ratios)), float(q25), float(q75)


@dataclasses.dataclass
class Target:
    """A paired ratio of two rows (``(numerator - minus) / denominator`` with ``minus``) and its goal."""

    name: str
    numerator: str  # row keys
    denominator: str
    goal: float
    op: str = "<="  # or ">=", or "~" (within a factor ``goal`` of 1: two processes alike)
    minus: str | None = None
    unit: str = "x"
    group: str | None = None  # the README headline line it is shown on (None: the report's tables only)
    short: str = ""  # its name on that line

    def evaluate(self, times: dict) -> dict:
        found = paired_ratio(times.get(self.numerator), times.get(self.denominator),
                             times.get(self.minus) if self.minus else None)
        value = None if found is None else found[0]
        bounds = {"<=": (float("-inf"), self.goal), ">=": (self.goal, float("inf")), "~": (1 / self.goal, self.goal)}[self.op]
        passed = value is not None and bounds[0] <= value <= bounds[1]
        op = "within" if self.op == "~" else self.op
        return {"name": self.name, "numerator": self.numerator, "value": value, "unit": self.unit,
                "spread": None if found is None else list(found[1:]), "target": f"{op} {self.goal:g}{self.unit}",
                "status": "n/a" if value is None else "PASS" if passed else "MISS", "group": self.group,
                "short": self.short}


# ------------------------------------------------------------------------------------ workers
def emit(message: dict) -> None:
    """A worker's answer: one JSON line on stdout."""
    print(PREFIX + json.dumps(message, default=str), flush=True)


class Worker:
    """``bench_specaugment.py --worker TASK`` in a fresh process; ``read()`` its next answer and
    ``ask(message)`` to send one line of JSON and read the answer (the rows worker answers rounds)."""

    def __init__(self, task: str, config: Config, params: dict | None = None, env: dict | None = None):
        job = {"task": task, "config": dataclasses.asdict(config), "params": params or {}}
        command = [sys.executable, str(CLI), "--worker", json.dumps(job)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", **(env or {})}
        self.task = task
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                        cwd=REPO)

    def read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(PREFIX):
                return json.loads(line[len(PREFIX):])
        code = self.process.wait()
        return {"error": f"worker {self.task} exited (rc {code}) without an answer"}

    def ask(self, message: dict) -> dict:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        """End of input: the worker leaves its loop and exits."""
        with contextlib.suppress(OSError):  # it may have died already
            self.process.stdin.close()
        self.process.wait()


def run_once(task: str, config: Config, params: dict | None = None, env: dict | None = None) -> dict:
    """A one-answer worker (a stream measurement) in a fresh process."""
    worker = Worker(task, config, params, env)
    answer = worker.read()
    worker.close()
    return answer


# ------------------------------------------------------------------------------------ machine
def machine_info() -> dict:
    """CPU model and cores, memory, OS, library versions and git state of this checkout."""
    with open("/proc/cpuinfo") as handle:
        cpu = next((ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), "?")
    info = {"cpu": cpu, "logical_cpus": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version()}
    for dist in ("tensorflow", "keras", "jax", "torch", "kapre", "numpy"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            info[dist] = importlib.metadata.version(dist)
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    info["git"] = git.stdout.strip() or "?"
    return info
