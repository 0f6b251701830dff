"""Smoke test of the benchmark (benchmarks/): the harness on fixed numbers, every case at tiny shapes,
the report, the command line and the memory probe.

No speed is asserted (the benchmark measures speed, tests never do) and nothing is downloaded: the
spec-augment 0.0.3 rows run only if benchmarks/.peers already holds that package. Every case gets a
small ``Config``; nothing is monkeypatched.
"""

import dataclasses
import json
import pathlib
import sys

import keras
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bench_specaugment, report, suite  # noqa: E402
from benchmarks.cases import backends, core, peers, stream  # noqa: E402
from benchmarks.harness import MEMORY_ENV, Config, Context, Row, Target, can_probe_memory, key, paired_ratio, \
    run_rounds, run_worker, times_by_key, warm_up  # noqa: E402

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the benchmark's main process runs the TensorFlow-only cases; other backends run in its subprocesses",
)

# Tiny but valid for every row: kapre needs time >= T=100 and freq >= F=27; the stream's lengths
# exceed 2 W = 160 so that the warp is drawn.
TINY = Config(main_shape=(2, 200, 32, 1), time_scaling=(120, 200), batch_scaling=(3,), audio_shape=(2, 16000, 1),
              rounds=1, target_ms=1.0, max_calls=2, allow_download=False, backends=("tensorflow",),
              backend_rounds=2, stream_shape=(2, 16, 1), stream_lengths=(170, 260), stream_batches=2,
              stream_memory_batches=2)


def quiet(line):
    del line


@pytest.fixture(scope="module")
def ctx():
    return Context(TINY, "tensorflow")


def test_paired_ratio_is_the_median_of_per_round_ratios():
    median, p25, p75 = paired_ratio([2.0, 3.0, 8.0, 5.0], [1.0, 1.0, 2.0, 1.0])  # per round: 2, 3, 4, 5
    assert (median, p25, p75) == (3.5, 2.75, 4.25)
    assert paired_ratio([], [1.0]) is None and paired_ratio([1.0], None) is None


def test_target_status_and_offset():
    times = {"a": [3.0, 3.0, 3.0], "b": [2.0, 2.0, 2.0]}
    assert Target("t", "a", "b", "<=", 1.5).evaluate(times)["status"] == "PASS"
    assert Target("t", "a", "b", "<=", 1.2, hard=2.0).evaluate(times)["status"] == "MISS (within hard limit)"
    assert Target("t", "a", "b", "<=", 1.0, hard=1.4).evaluate(times)["status"] == "FAIL (over hard limit)"
    assert Target("t", "b", "a", ">=", 1.0).evaluate(times)["status"] == "MISS"
    parts = Target("t", "b", "a", "<=", 1.05, percent=True, offset=1.0).evaluate(times)
    assert parts["value"] == pytest.approx(1 + 2 / 3) and parts["spread"] == [pytest.approx(1 + 2 / 3)] * 2
    assert Target("t", "a", "missing", "<=", 1.0).evaluate(times)["status"] == "n/a"


def test_warm_up_skips_a_failing_peer_but_never_our_layer(ctx):
    def broken():
        raise RuntimeError("no such peer")

    peer = Row("peer@1", "a peer", "peers", (2, 200, 32, 1), broken)
    warm_up([peer], ctx, log=quiet)
    assert peer.skipped == "RuntimeError: no such peer"
    with pytest.raises(RuntimeError):
        warm_up([Row("ours@1", "ours", "main", (2, 200, 32, 1), broken)], ctx, log=quiet)


def test_main_process_rows_build_run_and_keep_shapes(ctx):
    rows = suite.main_rows(ctx)  # main, peers, scaling, frontend, breakdown
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), "row keys must be unique"
    assert {row.group for row in rows} == {"main", "peers", "scaling", "frontend", "breakdown"}
    warm_up(rows, ctx, log=quiet)  # builds, runs once, checks every output shape
    skipped = {row.key: row.skipped for row in rows if row.skipped}
    for row in rows:
        if row.group in ("main", "scaling", "frontend") or row.key.startswith("kapre_"):
            assert row.skipped is None, f"{row.key} skipped: {row.skipped}"
        if row.key.startswith("seed_") and row.skipped:
            assert peers.seed_package_path() is None, f"{row.key} skipped although the package is there"
    for name, reason in skipped.items():  # a breakdown stage may skip only naming the stage and the error
        assert not name.startswith("bd_") or reason.startswith("stage "), reason
    run_rounds(rows, ctx, 2, log=quiet)
    assert all(len(row.times) == 2 for row in rows if row.skipped is None)
    ratio = paired_ratio(*(times_by_key(rows)[key(n, TINY.main_shape)] for n in ("ours_ld", "floor")))
    assert ratio is not None and ratio[0] > 0
    # The main shape is one of the scaling shapes: its main rows serve there (no duplicate rows).
    assert set(core.scaling_ratios(TINY, times_by_key(rows))) == {"2x120x32x1", "2x200x32x1", "3x200x32x1"}


def test_our_rows_really_augment_and_the_floor_multiplies(ctx):
    x = ctx.input(TINY.main_shape)
    ours = np.asarray(core.make_ours(ctx, 1, 1)(x))
    assert ours.shape == TINY.main_shape
    assert (ours == 0.0).any() and (ours == np.asarray(x)).any()
    floor = np.asarray(core.make_floor(ctx, TINY.main_shape)(x))
    assert floor.shape == TINY.main_shape and not np.array_equal(floor, np.asarray(x))


@pytest.fixture(scope="module")
def backend_result(ctx):
    return backends.worker(ctx, {"log": quiet})


def test_backend_case_on_tensorflow(backend_result):
    assert backend_result["backend"] == "tensorflow"
    assert [row["skipped"] for row in backend_result["rows"]] == [None] * 6  # graph and XLA: floor, LD, warp+LD
    assert all(len(row["times_ms"]) == TINY.backend_rounds for row in backend_result["rows"])
    names = [t["name"] for t in backend_result["targets"]]
    assert len(names) == 4 and all(t["value"] > 0 and t["target"] == "<= 1.2x" for t in backend_result["targets"])
    assert sum("XLA" in name for name in names) == 2


def test_stream_lengths_are_distinct_and_in_range():
    first, second = stream.stream_lengths(TINY)
    assert len(first) == 2 and len(second) == 2 and len(set(first + second)) == 4
    assert all(170 <= n <= 260 for n in first + second)
    with pytest.raises(ValueError, match="stream_lengths"):
        # 2 + 2 distinct lengths and one more for the memory warm-up: 170..173 holds only 4.
        stream.stream_lengths(dataclasses.replace(TINY, stream_lengths=(170, 173)))


@pytest.fixture(scope="module")
def stream_result(ctx):
    result = {"time": {mode: stream.time_worker(ctx, {"mode": mode}) for mode in stream.MODES},
              "memory": {f"{mode}/{impl}": stream.memory_worker(ctx, {"mode": mode, "impl": impl})
                         for mode in stream.MODES for impl in stream.IMPLS},
              "lengths": list(TINY.stream_lengths), "batches": [TINY.stream_batches, TINY.stream_memory_batches]}
    result["targets"] = stream.targets(result)
    return result


def test_stream_case_times_and_memory(stream_result):
    for mode in stream.MODES:
        timing = stream_result["time"][mode]
        assert timing["batches"] == 2
        for name in ("first", "repeat"):
            total = timing[name]["total_s"]
            assert total["ours"] > 0 and total["floor"] > 0
            assert timing[name]["ratio"] == pytest.approx(total["ours"] / total["floor"])
    for memory in stream_result["memory"].values():
        assert len(memory["rss_mib"]) == 3 and memory["rss_mib"][0] > 0
    assert {(t["kind"], t["mode"]) for t in stream_result["targets"]} == {
        (kind, mode) for kind in ("first_pass", "memory") for mode in stream.MODES}
    assert all(t["status"] in ("PASS", "MISS") for t in stream_result["targets"])


def test_command_line_flags_make_the_config():
    full = bench_specaugment.config_from_args(bench_specaugment.parse_args([]))
    assert (full.rounds, full.backends, full.stream, full.memory) == (30, ("tensorflow", "jax", "torch"), True, True)
    quick = bench_specaugment.config_from_args(bench_specaugment.parse_args(["--quick", "--no-scaling"]))
    assert (quick.rounds, quick.backends, quick.stream, quick.memory, quick.time_scaling) == (3, (), False, False, ())
    chosen = bench_specaugment.parse_args(["--quick", "--backends", "jax", "--stream-batches", "5", "--rows", "a,b"])
    chosen = bench_specaugment.config_from_args(chosen)
    assert (chosen.backends, chosen.stream, chosen.stream_batches, chosen.rows) == (("jax",), True, 5, ("a", "b"))


def test_main_writes_markdown_and_json_and_the_report_renders_every_section(tmp_path, backend_result,
                                                                            stream_result):
    md, js = tmp_path / "results.md", tmp_path / "latest.json"
    config = dataclasses.replace(TINY, memory=False, frontend=False, breakdown=False, backends=(), stream=False,
                                 rows=("floor", "ours_1x1", "ours_ld", "ours_10x10"))
    assert bench_specaugment.main(["--quick", "--markdown", str(md), "--json", str(js)], config=config) == 0
    text = md.read_text()
    for section in ("# SpecAugment benchmark results", "## Headline", "## Method", "## Times",
                    "## Ratios and targets", "## Scaling", "Machine:", "Command:", "Date:", "Load average"):
        assert section in text
    data = json.loads(js.read_text())
    assert {t["name"] for t in data["targets"]} >= {"ours LD / floor (graph)", "ours 10+10 / ours 1+1"}
    # The same results with the per-backend and stream sections added render them, headline included.
    data.update(backends={"tensorflow": backend_result, "jax": {"skipped": "worker failed (rc 1): ImportError"}},
                stream=stream_result)
    text = report.render(data)
    assert "## Per backend" in text and "## Variable-length stream" in text
    headline = text.split(report.HEADLINE_START)[1].split(report.HEADLINE_END)[0].strip().splitlines()
    assert 3 <= len(headline) <= 8
    tensorflow = "- TensorFlow, ours / its floor compiled the same way: tf.function LD "
    assert any(line.startswith(tensorflow) and "; XLA LD " in line for line in headline)
    assert "- JAX: skipped: worker failed (rc 1): ImportError" in headline
    assert any("Variable-length stream" in line for line in headline)


@pytest.mark.skipif(not can_probe_memory(), reason="needs a writable /proc/self/clear_refs")
def test_memory_probe_in_a_subprocess():
    # 16 x 200 x 32 float32 = 400 KiB, far above the 64 KiB mmap threshold (a page or two of the
    # allocator's own does not matter): the floor's peak is its output. Median of 3 calls.
    config = dataclasses.replace(TINY, main_shape=(16, 200, 32, 1), peers=False)
    result = run_worker("memory", config, {"names": ["floor", "ours_1x1", "ours_10x10"], "repeats": 3},
                        env=MEMORY_ENV, log=quiet)
    assert set(result["rows"]) == {"floor", "ours_1x1", "ours_10x10"}, result
    size = 16 * 200 * 32 * 4
    assert 0.9 * size <= result["rows"]["floor"]["peak_extra_bytes"] <= 3 * size
    assert result["check"]["value"] > 0
