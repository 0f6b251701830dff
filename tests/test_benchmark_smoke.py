"""Smoke test of benchmarks/bench_specaugment.py: every row builds, runs once and has the right shape.

No timing is asserted (speed is measured by the benchmark, never tested), and nothing is downloaded:
the spec-augment 0.0.3 rows run only if benchmarks/.peers already holds that package.
"""

import importlib.util
import json
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
BENCH_PATH = REPO / "benchmarks" / "bench_specaugment.py"

# Tiny but valid for every row: kapre needs time >= T=100 and freq >= F=27.
TINY_MAIN = (2, 200, 32, 1)
TINY_AUDIO = (2, 16000, 1)  # 1 s at 16 kHz -> 97 frames


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_specaugment_under_test", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # Shrink every shape the benchmark uses (build_rows, targets and main read these at call time).
    module.MAIN_SHAPE = TINY_MAIN
    module.TIME_SCALING = (120, 200)
    module.BATCH_SCALING = (3,)
    module.AUDIO_SHAPE = TINY_AUDIO
    yield module
    sys.modules.pop(spec.name, None)


def _composed_ready():
    try:
        from spec_augment.composed import get_augmented_melspectrogram_layer  # noqa: F401
    except Exception:
        return False
    return True


def test_rows_build_run_and_keep_shapes(bench):
    rows = bench.build_rows(allow_download=False)
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), "row keys must be unique"
    bench.warm_up(rows, target_s=0.0, log=lambda line: None)  # builds, runs once, checks output shapes
    skipped = {row.key: row.skipped for row in rows if row.skipped}

    # Our layer, the floor, the scaling rows and kapre must always run.
    must_run = [row for row in rows if row.group in ("main", "scaling")]
    must_run += [row for row in rows if row.key.startswith(("kapre_", "frontend_kapre"))]
    if _composed_ready():
        must_run += [row for row in rows if row.key.startswith("frontend_aug")]
    for row in must_run:
        assert row.skipped is None, f"{row.key} skipped: {row.skipped}"
    # Peers may be missing only when not fetched (no download here); breakdown stages may be skipped
    # only when the layer's internals moved (the reason names the API).
    for key, reason in skipped.items():
        if key.startswith("seed_"):
            assert bench.seed_package_path() is None, f"{key} skipped although the package is there: {reason}"

    # Every tensor row gives the documented output shape once more, outside warm_up.
    for row in rows:
        if row.skipped is None and row.expected_shape is not None:
            out = row.fn(bench.get_input(row.shape))
            assert tuple(out.shape) == tuple(row.expected_shape), row.key

    bench.run_rounds(rows, 1, log=lambda line: None)
    assert all(len(row.times) == 1 for row in rows if row.skipped is None)
    by_key = {row.key: row for row in rows}
    main = TINY_MAIN
    assert bench.paired_ratio(by_key, bench.key("ours_ld", main), bench.key("floor", main)) > 0


def test_outputs_of_main_rows(bench):
    """The layer rows really augment (training=True) and the floor really multiplies."""
    import numpy as np

    x = bench.get_input(TINY_MAIN)
    ours = bench.make_ours(1, 1)(x).numpy()
    assert ours.shape == TINY_MAIN
    assert (ours == 0.0).any() and (ours == x.numpy()).any()
    floor = bench.make_floor(TINY_MAIN)(x).numpy()
    assert floor.shape == TINY_MAIN and not np.array_equal(floor, x.numpy())


def test_main_writes_markdown_and_json(bench, tmp_path):
    md, js = tmp_path / "results.md", tmp_path / "latest.json"
    argv = ["--rounds", "1", "--target-ms", "1", "--no-download", "--no-memory", "--no-breakdown",
            "--no-frontend", "--rows", "floor,ours_1x1,ours_ld,ours_10x10", "--markdown", str(md), "--json", str(js)]
    assert bench.main(argv) == 0
    text = md.read_text()
    for section in ("# SpecAugment benchmark results", "## Method", "## Times", "## Ratios and targets",
                    "## Scaling", "Machine:", "Command:", "Date:"):
        assert section in text
    data = json.loads(js.read_text())
    assert {t["name"] for t in data["targets"]} >= {"ours LD / floor (graph)", "ours 10+10 / ours 1+1"}
    assert all(t["status"] in ("PASS", "MISS", "MISS (within hard limit)", "FAIL (over hard limit)", "n/a")
               for t in data["targets"])


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs /proc/self/clear_refs")
def test_memory_worker_reports_peaks(bench, capsys):
    bench.memory_worker(TINY_MAIN, ("floor", "ours_1x1", "ours_10x10"), allow_download=False, repeats=1)
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("MEMORY-JSON ")][-1]
    result = json.loads(line[len("MEMORY-JSON "):])
    assert set(result) == {"floor", "ours_1x1", "ours_10x10"}
    assert all(entry["peak_extra_bytes"] >= 0 for entry in result.values())
