"""Smoke test of the benchmark (benchmarks/): every case at tiny shapes, the harness on fixed numbers,
the baseline side by side in worker processes, the report and the command line.

No speed is asserted (the benchmark measures speed, tests never do) and nothing is downloaded: the
spec-augment 0.0.3 rows run only if benchmarks/.peers already holds that package. The rows of the
Keras backend under test run in this process; the whole run (workers, report) on TensorFlow only.
"""

import ast
import dataclasses
import json
import math
import pathlib
import shutil
import sys

import keras
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bench_specaugment, report  # noqa: E402
from benchmarks.cases import frontend, headline, peers, stream  # noqa: E402
from benchmarks.harness import Config, Context, Target, paired_ratio, time_row, warm_up  # noqa: E402

BACKEND = keras.backend.backend()
tensorflow_only = pytest.mark.tensorflow_only("the whole run and the stream are tested once, on TensorFlow")
# Tiny but valid for every row: kapre needs time >= T=100 and freq >= F=27; the stream's lengths
# exceed 2 W = 160 so that the warp is drawn.
TINY = Config(main_shape=(2, 200, 32, 1), audio_shape=(2, 8000, 1), rounds=2, target_ms=1.0, max_calls=2,
              backends=("tensorflow",), allow_download=False, stream_shape=(2, 16, 1), stream_lengths=(170, 260),
              stream_batches=2, stream_memory_batches=2)


def quiet(line):
    del line


def test_paired_ratio_is_the_median_of_per_round_ratios():
    assert paired_ratio([2.0, 3.0, 8.0, 5.0], [1.0, 1.0, 2.0, 1.0]) == (3.5, 2.75, 4.25)  # per round 2, 3, 4, 5
    assert paired_ratio([3.0, 5.0, 4.0], [1.0, 2.0, 1.0], minus=[1.0, 1.0, 2.0]) == (2.0, 2.0, 2.0)
    assert paired_ratio([], [1.0]) is None and paired_ratio([1.0], None) is None


def test_target_status():
    times = {"a": [3.0, 3.0], "b": [2.0, 2.0], "c": [1.0, 1.0]}
    assert Target("t", "a", "b", 1.5).evaluate(times)["status"] == "PASS"
    assert Target("t", "a", "b", 1.2).evaluate(times)["status"] == "MISS"
    assert Target("t", "b", "a", 1.0, ">=").evaluate(times)["status"] == "MISS"
    passes = Target("t", "a", "c", 1.0, minus="b", unit=" passes").evaluate(times)
    assert (passes["value"], passes["status"], passes["target"]) == (1.0, "PASS", "<= 1 passes")
    assert Target("t", "a", "missing", 1.0).evaluate(times)["status"] == "n/a"
    assert [Target("t", a, b, 1.6, "~").evaluate(times)["status"] for a, b in (("a", "b"), ("b", "a"), ("a", "c"))] == [
        "PASS", "PASS", "MISS"]


def test_the_benchmark_uses_only_the_public_api():
    """No private name of spec_augment and nothing of spec_augment.functional's internals."""
    allowed = {"spec_augment": {"SpecAugment", "__version__"}, "spec_augment.composed": None}
    for path in sorted((REPO / "benchmarks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spec_augment"):
                names = {alias.name for alias in node.names}
                assert node.module in allowed or node.module == "spec_augment.time_frequency", (path, node.module)
                assert allowed.get(node.module) is None or names <= allowed[node.module], (path, names)
                assert not any(name.startswith("_") for name in names), (path, names)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "spec_augment":
                assert node.attr in ("__version__", "__file__"), (path, node.attr)


@pytest.fixture(scope="module")
def measured():
    """Every row of this backend built, warmed up and timed for two rounds, in this process."""
    ctx = Context(TINY)
    rows = bench_specaugment.rows_for(ctx, "ours")
    warm_up(rows, ctx, log=quiet)
    times: dict = {}
    for _ in range(2):
        for row in rows:
            if row.skipped is None:
                times.setdefault(f"ours:{row.name}", []).append(time_row(row, ctx))
    return ctx, rows, times


def test_rows_of_this_backend_run_or_say_why_not(measured):
    ctx, rows, times = measured
    names = [row.name for row in rows]
    assert len(names) == len(set(names)), "row names must be unique"
    for mode in headline.MODES[BACKEND]:
        for name in ("floor", *(n for n, _ in headline.HEADLINE + headline.REFERENCE)):
            assert f"{mode}/{name}" in names and len(times[f"ours:{mode}/{name}"]) == 2, (mode, name)
        for name, arguments in headline.FEATURES:  # a feature this version lacks is skipped, naming its arguments
            row = next(row for row in rows if row.name == f"{mode}/{name}")
            assert row.skipped is None or any(argument in row.skipped for argument in arguments), row.skipped
    assert all(math.isfinite(t) and t > 0 for seconds in times.values() for t in seconds)
    front = [row for row in rows if row.name.startswith("frontend/")]
    assert len(front) == (5 if BACKEND == "tensorflow" else 2)
    for row in front:
        assert row.skipped is None or "use_kapre" in row.skipped or "get_augmented" in row.skipped, row.skipped
    if BACKEND == "tensorflow":
        assert [row.skipped for row in rows if "kapre" in row.name and "augmented" not in row.name
                and "inference" not in row.name] == [None] * 3
        assert all(row.skipped is None or peers.seed_path() is None for row in rows if "0.0.3" in row.name)
    targets = bench_specaugment.targets_for(BACKEND, TINY, False)
    evaluated = {t["name"]: t for t in (target.evaluate(times) for target in targets)}
    for mode in headline.MODES[BACKEND]:
        label = f"{headline.NAMES[BACKEND]} {headline.MODE_LABELS[mode]}"
        for name, _ in headline.HEADLINE:
            value = evaluated[f"{label}: ours {name} / floor"]["value"]
            assert value is not None and math.isfinite(value) and value > 0
    baseline = [row.name for row in bench_specaugment.rows_for(ctx, "baseline")]
    assert baseline == [f"{m}/{n}" for m in headline.MODES[BACKEND] for n in ("floor", "LD", "warp+LD")]


def test_our_rows_really_augment_and_the_floor_multiplies(measured):
    """What is timed is the augmentation: the 1+1 row masks (zeros beside untouched values), the floor multiplies."""
    ctx, rows, _ = measured
    x = ctx.input(TINY.main_shape)
    by_name = {row.name: row for row in rows}
    for mode in headline.MODES[BACKEND]:
        ours = keras.ops.convert_to_numpy(by_name[f"{mode}/1+1"].fn(x))
        assert ours.shape == TINY.main_shape
        assert (ours == 0.0).any() and (ours == keras.ops.convert_to_numpy(x)).any()
        floor = keras.ops.convert_to_numpy(by_name[f"{mode}/floor"].fn(x))
        assert floor.shape == TINY.main_shape and not np.allclose(floor, keras.ops.convert_to_numpy(x))


@tensorflow_only
def test_stream_case_in_process():
    ctx = Context(TINY)
    first, second, warm = stream.lengths(TINY)
    assert len(set(first + second + [warm])) == 5 and all(170 <= n <= 260 for n in first + second)
    with pytest.raises(ValueError, match="stream_lengths"):
        stream.lengths(dataclasses.replace(TINY, stream_lengths=(170, 173)))
    for mode in stream.MODES:
        timing = stream.time_worker(ctx, {"mode": mode})
        for name in ("first", "repeat"):
            assert timing[name]["ours"] > 0 and timing[name]["ratio"] == timing[name]["ours"] / timing[name]["floor"]
        memory = stream.memory_worker(ctx, {"mode": mode})
        assert len(memory["rss_mib"]) == 3 and memory["growth_mib"] == memory["rss_mib"][2] - memory["rss_mib"][1]
    assert stream.goal("g", 2.5, 2.0, "x")["status"] == "MISS" and stream.goal("g", None, 2.0, "x")["status"] == "n/a"


def test_command_line_flags_make_the_config(tmp_path):
    (tmp_path / "spec_augment").mkdir()
    (tmp_path / "spec_augment" / "__init__.py").write_text("")
    full = bench_specaugment.config_from_args(bench_specaugment.parse_args([]))
    assert (full.rounds, full.backends, full.stream, full.baseline) == (20, ("tensorflow", "jax", "torch"), True, None)
    quick = bench_specaugment.config_from_args(bench_specaugment.parse_args(["--quick", "--no-download"]))
    assert (quick.rounds, quick.backends, quick.stream, quick.allow_download) == (3, ("tensorflow",), False, False)
    chosen = bench_specaugment.parse_args(["--backends", "jax", "--baseline", str(tmp_path), "--rows", "LD,frontend",
                                           "--stream-memory-batches", "0"])
    chosen = bench_specaugment.config_from_args(chosen)
    assert (chosen.backends, chosen.baseline, chosen.rows, chosen.stream_memory_batches) == (
        ("jax",), str(tmp_path.resolve()), ("LD", "frontend"), 0)
    with pytest.raises(SystemExit, match="--baseline"):
        bench_specaugment.config_from_args(bench_specaugment.parse_args(["--baseline", str(tmp_path / "spec_augment")]))


@tensorflow_only
def test_whole_run_side_by_side_with_a_baseline_writes_the_report(tmp_path):
    """Ours and a baseline checkout (a copy of this package elsewhere) in worker processes, in the same
    rounds; the report with its headline, which tools/update_reports.py copies into the README."""
    shutil.copytree(REPO / "spec_augment", tmp_path / "base" / "spec_augment")
    md, js = tmp_path / "results.md", tmp_path / "results.json"
    config = dataclasses.replace(TINY, baseline=str(tmp_path / "base"), rows=("LD",), peers=False, stream=False)
    assert bench_specaugment.main(["--markdown", str(md), "--json", str(js)], config=config) == 0
    result = json.loads(js.read_text())["backends"]["tensorflow"]
    assert str(tmp_path / "base" / "spec_augment") in result["versions"]["baseline"]
    assert str(REPO / "spec_augment") in result["versions"]["ours"]
    for role in ("ours", "baseline"):
        for name in ("graph/floor", "graph/LD", "xla/warp+LD"):
            assert len(result["times_ms"][f"{role}:{name}"]) == TINY.rounds
    ratios = {t["name"]: t for t in result["targets"]}
    for name in ("TensorFlow tf.function: ours LD / baseline LD", "TensorFlow XLA: ours warp+LD / baseline warp+LD",
                 "TensorFlow XLA: ours LD / floor", "TensorFlow XLA: floor / baseline's floor"):
        assert math.isfinite(ratios[name]["value"]) and ratios[name]["status"] in ("PASS", "MISS")
    text = md.read_text()
    for part in ("# SpecAugment benchmark results", "## Method", "## TensorFlow", "## Ratios and targets",
                 "| baseline: ours LD (XLA) |", "Machine:", "Load average", "Command:"):
        assert part in text, part
    lines = text.split(report.HEADLINE_START)[1].split(report.HEADLINE_END)[0].strip().splitlines()
    assert lines[1].startswith("- TensorFlow, ours / its floor compiled the same way: tf.function LD ")
    assert lines[0].startswith("- Machine: ") and str(tmp_path / "base") in lines[0]
    assert any(line.startswith("- TensorFlow, ours / baseline in the same rounds: tf.function LD ")
               and ", XLA warp+LD " in line for line in lines)
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import update_reports
    finally:
        sys.path.remove(str(REPO / "tools"))
    assert update_reports.benchmark_headline(text).splitlines() == lines
    assert f"policy='{frontend.POLICY}'" in text  # the method says which augmentation the frontends use
