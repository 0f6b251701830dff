"""The one harness every case runs on: config, rows, warm-up, interleaved rounds, paired ratios,
targets, the resident-memory probe, worker subprocesses and machine information.

Nothing here imports a Keras backend at import time: a worker subprocess sets ``KERAS_BACKEND``
first, and the backend's own library is imported by its adapter (``benchmarks.adapters``) when used.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib.metadata
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import threading
import time
from typing import Callable

import numpy as np

from benchmarks.adapters import ADAPTERS, keras_backend

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
CLI = HERE / "bench_specaugment.py"
RESULT_PREFIX = "RESULT-JSON "
# For the resident-memory probes: every buffer above 64 KiB is its own mmap, returned to the OS when
# freed, so resident memory follows live tensors instead of the allocator's free lists; and no
# oneDNN, whose pooled CPU allocator (TensorFlow's default on AVX-512 CPUs) never returns memory.
MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "TF_ENABLE_ONEDNN_OPTS": "0"}


@dataclasses.dataclass
class Config:
    """Everything a run depends on; passed to every case (tests pass a small one)."""

    main_shape: tuple = (32, 1000, 80, 1)
    time_scaling: tuple = (250, 1000, 4000)  # () = no scaling rows
    batch_scaling: tuple = (8, 32, 128)
    audio_shape: tuple = (32, 160_000, 1)  # 10 s of 16 kHz audio
    rounds: int = 30
    target_ms: float = 75.0  # time per row per round; sets each row's calls per round
    max_calls: int = 200
    seed: int = 0
    rows: tuple = ()  # only rows whose key contains one of these words
    peers: bool = True
    allow_download: bool = True
    memory: bool = True
    frontend: bool = True
    breakdown: bool = True
    backends: tuple = ("tensorflow", "jax", "torch")
    backend_rounds: int = 20
    stream: bool = True
    stream_shape: tuple = (32, 80, 1)  # (batch, mel bins, channels); the time axis varies
    stream_lengths: tuple = (500, 1500)  # inclusive range of the distinct time lengths
    stream_batches: int = 150  # the timed first pass
    stream_memory_batches: int = 300  # a second stream of new lengths, for the memory growth
    threads: int | None = None  # TensorFlow intra-op threads
    worker_timeout_s: float = 600.0

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, list):
                setattr(self, field.name, tuple(value))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls(**json.loads(text))


class Skip(Exception):
    """A row or case that cannot run here (missing peer, API not there yet); its message is the reason."""


def short_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]


class Context:
    """What the cases of one process share: the config, the backend adapter, inputs and notes."""

    def __init__(self, config: Config, backend: str | None = None):
        self.config = config
        self.adapter = ADAPTERS[backend or keras_backend()]()
        self.notes: list[str] = []
        self.cache: dict = {}  # per-process state of cases (e.g. a loaded peer package)
        self._inputs: dict = {}

    def array(self, shape) -> np.ndarray:
        """The same values for every row of a shape: standard normal, or a noisy tone for audio."""
        shape = tuple(shape)
        rng = np.random.default_rng(self.config.seed)
        if len(shape) == 3 and shape[1] > 10_000:  # audio in [-1, 1]
            t = np.arange(shape[1], dtype=np.float32) / 16000.0
            tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)[None, :, None]
            return (tone + 0.1 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
        return rng.standard_normal(shape, dtype=np.float32)

    def input(self, shape):
        shape = tuple(shape)
        if shape not in self._inputs:
            self._inputs[shape] = self.adapter.tensor(self.array(shape))
        return self._inputs[shape]

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


# ------------------------------------------------------------------------------------ rows
def key(name: str, shape) -> str:
    return f"{name}@{'x'.join(str(s) for s in shape)}"


@dataclasses.dataclass
class Row:
    key: str
    label: str
    group: str  # main | peers | scaling | frontend | breakdown | backend
    shape: tuple
    build: Callable  # () -> callable taking ctx.input(shape)
    expected_shape: tuple | None = None  # output shape checked at warm-up (None: not one tensor)
    fn: Callable | None = None
    n_calls: int = 1
    trace_s: float = float("nan")
    single_s: float = float("nan")
    times: list = dataclasses.field(default_factory=list)  # seconds per call, one per round
    skipped: str | None = None

    def to_dict(self) -> dict:
        out = {"key": self.key, "label": self.label, "group": self.group, "shape": list(self.shape),
               "elements": int(np.prod(self.shape)), "n_calls": self.n_calls, "trace_s": self.trace_s,
               "skipped": self.skipped, "times_ms": [t * 1e3 for t in self.times]}
        if self.times:
            q = np.percentile(self.times, [25, 50, 75]) * 1e3
            out.update(p25_ms=float(q[0]), median_ms=float(q[1]), p75_ms=float(q[2]))
        return out


def select(rows: list, words) -> list:
    """The rows whose key contains one of ``words`` (all rows when there are none)."""
    return [row for row in rows if not words or any(w in row.key for w in words)]


def warm_up(rows: list, ctx: Context, must_run=("main", "scaling"), log=print) -> None:
    """Build and trace every row, check its output shape, and pick its calls per round.

    A row that cannot run is marked skipped with the reason, except in the ``must_run`` groups
    (our layer or the floor failing there is a bug, never a skip).
    """
    target_s, force = ctx.config.target_ms / 1e3, ctx.adapter.force
    for row in rows:
        started = time.perf_counter()
        try:
            row.fn = row.build()
            x = ctx.input(row.shape)
            result = row.fn(x)
            force(result)
            if row.expected_shape is not None and tuple(result.shape) != tuple(row.expected_shape):
                raise AssertionError(f"{row.key}: output shape {tuple(result.shape)}, expected {row.expected_shape}")
            row.trace_s = time.perf_counter() - started
            # The fastest of 3+ calls (up to 50 within 0.1 s) sets N: a spike must not set it too low.
            single, spent = [], 0.0
            while len(single) < 3 or (spent < 0.1 and len(single) < 50):
                t0 = time.perf_counter()
                force(row.fn(x))
                single.append(time.perf_counter() - t0)
                spent += single[-1]
            row.single_s = min(single)
            row.n_calls = int(min(ctx.config.max_calls, max(1, round(target_s / max(row.single_s, 1e-6)))))
            log(f"  ready  {row.key:<40} trace {row.trace_s:6.2f} s, {row.single_s * 1e3:9.2f} ms/call, "
                f"{row.n_calls} calls/round")
        except Exception as error:
            if row.group in must_run and not isinstance(error, Skip):
                raise
            row.skipped = str(error) if isinstance(error, Skip) else short_error(error)
            log(f"  SKIP   {row.key:<40} {row.skipped}")


def run_rounds(rows: list, ctx: Context, rounds: int, log=print) -> None:
    """Interleaved rounds: each round runs every active row's N calls back to back, the starting row
    rotating from round to round, so drift of a shared machine hits every row alike."""
    active = [row for row in rows if row.skipped is None]
    force = ctx.adapter.force
    for index in range(rounds):
        gc.collect()
        offset = index % max(len(active), 1)
        started = time.perf_counter()
        for row in active[offset:] + active[:offset]:
            x, fn, n = ctx.input(row.shape), row.fn, row.n_calls
            t0 = time.perf_counter()
            for _ in range(n):
                result = fn(x)
            force(result)
            row.times.append((time.perf_counter() - t0) / n)
        log(f"  round {index + 1}/{rounds}: {time.perf_counter() - started:5.1f} s")


def paired_ratio(numerator_times, denominator_times):
    """(median, p25, p75) over rounds of the per-round ratio, or None when a side has no times."""
    if not numerator_times or not denominator_times:
        return None
    ratios = [a / b for a, b in zip(numerator_times, denominator_times)]
    q = np.percentile(ratios, [25, 75])
    return float(statistics.median(ratios)), float(q[0]), float(q[1])


# ------------------------------------------------------------------------------------ targets
@dataclasses.dataclass
class Target:
    name: str
    numerator: str  # row keys
    denominator: str
    op: str  # "<=" or ">="
    goal: float
    hard: float | None = None
    percent: bool = False  # shown as (ratio - 1) in percent
    offset: float = 0.0  # added to the ratio (1.0: "1 + part / whole")

    def status(self, value) -> str:
        if value is None:
            return "n/a"
        if (value <= self.goal) if self.op == "<=" else (value >= self.goal):
            return "PASS"
        if self.hard is not None:
            within = value <= self.hard if self.op == "<=" else value >= self.hard
            return "MISS (within hard limit)" if within else "FAIL (over hard limit)"
        return "MISS"

    def describe(self) -> str:
        if self.percent:
            return f"overhead {self.op} {(self.goal - 1) * 100:.0f}%"
        return f"{self.op} {self.goal:g}x" + (f" (hard {self.hard:g}x)" if self.hard is not None else "")

    def evaluate(self, times_by_key: dict) -> dict:
        found = paired_ratio(times_by_key.get(self.numerator), times_by_key.get(self.denominator))
        value = spread = None
        if found is not None:
            value, spread = found[0] + self.offset, [found[1] + self.offset, found[2] + self.offset]
        return {"name": self.name, "numerator": self.numerator, "denominator": self.denominator,
                "value": value, "spread": spread, "target": self.describe(), "status": self.status(value),
                "percent": self.percent}


def times_by_key(rows) -> dict:
    """Row key -> per-round seconds (rows as objects or as their dicts)."""
    out = {}
    for row in rows:
        if isinstance(row, Row):
            out[row.key] = row.times
        else:
            out[row["key"]] = [t / 1e3 for t in row["times_ms"]]
    return out


# ------------------------------------------------------------------------------------ memory
def can_probe_memory() -> bool:
    return os.access("/proc/self/clear_refs", os.W_OK)


def proc_status(field: str) -> int:
    """A byte count of /proc/self/status, e.g. ``VmRSS:`` (resident) or ``VmHWM:`` (its peak)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_extra_bytes(fn: Callable, x, force, repeats: int = 3) -> list:
    """Resident memory added at the peak of one call, output included, for each of ``repeats`` calls.

    The kernel's peak-RSS counter is reset (``echo 5 > /proc/self/clear_refs``) before each call;
    ``VmHWM - VmRSS(before)`` is that call's peak extra memory. Meaningful under ``MEMORY_ENV``.
    """
    force(fn(x))
    force(fn(x))
    peaks = []
    for _ in range(repeats):
        gc.collect()
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        before = proc_status("VmRSS:")
        result = fn(x)
        force(result)
        peaks.append(proc_status("VmHWM:") - before)
        del result
    return peaks


# ------------------------------------------------------------------------------------ subprocesses
def emit(result: dict) -> None:
    """A worker's answer: one JSON line on stdout."""
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def run_worker(name: str, config: Config, params: dict | None = None, env: dict | None = None,
               log=print) -> dict:
    """Run ``bench_specaugment.py --worker NAME`` in a fresh process (TensorFlow backend unless ``env``
    says otherwise); its JSON answer, or {"skipped": why}."""
    command = [sys.executable, str(CLI), "--worker", name, "--worker-config", config.to_json(),
               "--worker-params", json.dumps(params or {})]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", **(env or {})}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=config.worker_timeout_s,
                              env=full_env, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"skipped": f"worker {name} timed out after {config.worker_timeout_s:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()][-3:]
    log(f"  worker {name} {params or ''} failed (rc {done.returncode}): " + " | ".join(tail))
    reason = tail[-1].strip()[:300] if tail else "no output"
    return {"skipped": f"worker failed (rc {done.returncode}): {reason}"}


# ------------------------------------------------------------------------------------ machine
def load_average() -> float:
    return os.getloadavg()[0]


class LoadSampler:
    """The 1-minute load average at the start, every ``interval_s`` seconds (a daemon thread) and at the end."""

    def __init__(self, interval_s: float = 10.0):
        self.interval_s, self.samples = interval_s, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(self.interval_s):
            self.samples.append(load_average())

    def __enter__(self) -> "LoadSampler":
        self.samples.append(load_average())
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self.samples.append(load_average())


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict:
    """CPU model and cores, memory, OS, library versions, the Keras backend and git state."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), cpu)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import spec_augment

    info = {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "cpus_usable": usable,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "avx512": _has_cpu_flag("avx512f"),
        "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"),
        "keras_backend": keras_backend(),
        "spec_augment": f"{spec_augment.__version__} ({pathlib.Path(spec_augment.__file__).parent})",
        "git": _git_describe(),
    }
    for dist in ("tensorflow", "keras", "jax", "jaxlib", "torch", "kapre", "numpy"):
        info[dist] = _version(dist)
    return info


def _has_cpu_flag(flag: str) -> bool:
    try:
        with open("/proc/cpuinfo") as handle:
            return any(line.startswith("flags") and flag in line.split() for line in handle)
    except OSError:
        return False


def _git_describe() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "?"
