"""The Markdown report of one run (``suite.run``'s result dict): printed and written to results.md.

The part between ``<!-- headline:start -->`` and ``<!-- headline:end -->`` is a few self-contained
lines (key ratio per backend, the stream, the peers) that the README copies.
"""

from __future__ import annotations

import numpy as np

from benchmarks.cases import backends, core, frontend, stream
from benchmarks.harness import key

HEADLINE_START, HEADLINE_END = "<!-- headline:start -->", "<!-- headline:end -->"
BELOW_FLOOR = ("A ratio below 1x against the graph floor means our layer, which runs its transform as one XLA-compiled "
               "kernel, beat TensorFlow's plain graph-mode multiply; the XLA rows compare like with like.")


def shape_text(shape) -> str:
    return "x".join(map(str, shape))


def ms(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def ratio(value, percent=False) -> str:
    if value is None:
        return "-"
    return f"{(value - 1) * 100:+.1f}%" if percent else f"{value:.2f}x"


def mib(value) -> str:
    return "-" if value is None else f"{value:+.1f}"


def render(results: dict) -> str:
    sections = (_header, _headline, _method, _times, _targets, _backends, _stream, _scaling, _memory, _frontend,
                _breakdown)
    return "\n".join(line for section in sections for line in section(results)).rstrip() + "\n"


def _header(r):
    m, loads = r["machine"], r["loads"]
    return [
        "# SpecAugment benchmark results", "",
        f"- Date: {r['date']}",
        f"- Command: `{r.get('command', 'python benchmarks/bench_specaugment.py')}`",
        f"- Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs ({m['cpus_usable']} usable), "
        f"{m['memory_gib']} GiB RAM; {m['os']}",
        f"- Load average (1 min), sampled every 10 s during the run: {min(loads):.2f} - {max(loads):.2f}, median "
        f"{float(np.median(loads)):.2f} (a shared machine: compare the paired ratios of this run, not absolute times)",
        f"- Software: Python {m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']} (main process on "
        f"the {m['keras_backend']} backend), JAX {m['jax']}, PyTorch {m['torch']}, kapre {m['kapre']}, "
        f"NumPy {m['numpy']}, spec-augment {m['spec_augment']}, git {m['git']}; AVX-512: "
        f"{'yes' if m.get('avx512') else 'no'}, TF_ENABLE_ONEDNN_OPTS {m.get('tf_enable_onednn_opts', 'unset')}",
        f"- Wall time of the run: {r['wall_s']:.0f} s", "",
    ]


def _target(targets, name):
    return next((t for t in targets if t["name"] == name), None)


def _status(t):
    return "-" if t is None or t["value"] is None else f"{ratio(t['value'], t['percent'])} ({t['status']})"


def _headline(r):
    m, loads, lines = r["machine"], r["loads"], []
    lines.append(f"- Machine: {m['cpu']}, {m['cpus_usable']} CPUs, load average {min(loads):.1f}-{max(loads):.1f} "
                 "during the run; medians of paired, interleaved ratios.")
    for backend, result in r.get("backends", {}).items():
        name = backends.NAMES.get(backend, backend)
        if "skipped" in result:
            lines.append(f"- {name}: skipped: {result['skipped']}")
            continue
        by_key = {t["numerator"]: t for t in result["targets"]}
        parts = []
        for mode in backends.MODES[backend]:
            found = [by_key.get(backends.row_key(backend, mode, variant, _main_shape(r)))
                     for variant, _, _ in backends.VARIANTS]
            values = ", ".join(f"{short} {ratio(t['value']) if t and t['value'] is not None else 'skipped'}"
                               for short, t in zip(("LD", "warp+LD"), found))
            parts.append(f"{backends.MODE_LABELS[mode]} {values}")
        statuses = [t["status"] for t in result["targets"]]
        count = statuses.count("PASS")
        passed = {len(statuses): "PASS", 0: "MISS"}.get(count, f"{count} of {len(statuses)} PASS")
        lines.append(f"- {name}, ours / its floor compiled the same way: {'; '.join(parts)} "
                     f"(target <= {backends.GOALS[backend]:g}x: {passed}).")
    st = r.get("stream") or {}
    if st.get("targets"):
        t = {(row["kind"], row["mode"]): row for row in st["targets"]}
        first, grow = ([t.get((kind, mode), {}) for mode in stream.MODES] for kind in ("first_pass", "memory"))
        lo, hi = st["lengths"]
        lines.append(
            f"- Variable-length stream ({st['batches'][0]} new lengths of {lo}-{hi} frames, LD + warp W=80, "
            f"mask_value='mean'): first pass {ratio(first[0].get('value'))} the floor in a dynamic-shape "
            f"tf.function, {ratio(first[1].get('value'))} eager (target <= {stream.FIRST_PASS_GOAL:g}x: "
            f"{first[0].get('status')}, {first[1].get('status')}); resident memory {mib(grow[0].get('value'))} / "
            f"{mib(grow[1].get('value'))} MiB over {st['batches'][1]} more new lengths (target < "
            f"{stream.MEMORY_GOAL_MIB:g} MiB: {grow[0].get('status')}, {grow[1].get('status')}).")
    ts = r["targets"]
    kapre, seed = _target(ts, "kapre / ours, LD"), _target(ts, "spec-augment 0.0.3 / ours, LD")
    if kapre or seed:
        lines.append(f"- Peers at LD (TensorFlow graph): kapre 0.4.1 takes {_status(kapre)} and spec-augment 0.0.3 "
                     f"{_status(seed)} our layer's time.")
    return ["## Headline", "", HEADLINE_START, *lines, HEADLINE_END, ""]


def _method(r):
    c, masks = r["config"], r["masks"]
    lines = [
        "## Method", "",
        "- Main process (TensorFlow): every row is a `tf.function` (`autograph=False`; layers called with "
        "`training=True`); XLA rows add `jit_compile=True`. Identical inputs: one standard-normal float32 tensor per "
        "shape, fixed seed.",
        f"- Warm-up: each row is traced and run once (output shape checked), then the fastest of 3+ calls sets its "
        f"calls per round N (about {c['target_ms']:.0f} ms per row per round, 1 <= N <= {c['max_calls']}).",
        f"- {c['rounds']} rounds, interleaved: each round runs every row's N calls back to back (completion forced by "
        "reading one element of the last output), the starting row rotating every round. A row's time is the "
        "median over rounds of (round time / N); p25-p75 show the spread.",
        "- Ratios are paired: computed within each round, median over rounds (so drift of the shared machine hits "
        "both sides alike; it can differ slightly from the ratio of two medians).",
        "- Floor: `x * v`, `v` of shape (1, 1, freq, 1): one read and one write of the tensor, the least any "
        "out-of-place augmentation must do; always compiled the same way as the row it is compared with.",
        f"- Masks: F={masks['F']}, T={masks['T']}; LD = 2 frequency + 2 time masks, no warp (warp rows add "
        f"W={masks['W']}). The frontend uses `policy='LD'`, which includes the warp.",
        f"- Per backend: one subprocess per Keras backend (`KERAS_BACKEND` set), the same harness, "
        f"{c['backend_rounds']} rounds. JAX: `jax.jit` of `layer.stateless_call` with the seed-generator state "
        "passed in and the advanced state out, as Keras' JAX trainer runs random layers (new masks every call). "
        "PyTorch: eager, as `fit` runs on torch.",
        "- Stream and peak memory: see their sections.", "",
    ]
    return lines + [f"- Note: {note}" for note in r["notes"]] + ([""] if r["notes"] else [])


def _times_table(rows):
    out = ["| row | shape | median ms | p25-p75 ms | ns/element | N x rounds | trace s |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        if row["skipped"]:
            out.append(f"| {row['label']} | {shape_text(row['shape'])} | skipped: {row['skipped']} | | | | |")
            continue
        out.append(f"| {row['label']} | {shape_text(row['shape'])} | {ms(row['median_ms'])} | {ms(row['p25_ms'])}-"
                   f"{ms(row['p75_ms'])} | {row['median_ms'] * 1e6 / row['elements']:.3f} | "
                   f"{row['n_calls']} x {len(row['times_ms'])} | {row['trace_s']:.1f} |")
    return out + [""]


def _main_shape(r):
    return tuple(r["config"]["main_shape"])


def _times(r):
    main = _main_shape(r)
    rows = [row for row in r["rows"] if row["group"] in ("main", "peers") and tuple(row["shape"]) == main]
    return ["## Times", "", f"Main tensor {shape_text(main)} float32 (batch, time, freq, channels).", "",
            *_times_table(rows)]


def _targets_table(targets, spread_note=True):
    out = ["| ratio | value | p25-p75 | target | status |", "|---|---:|---:|---|---|"]
    for t in targets:
        spread = t.get("spread")
        spread = "-" if not spread else f"{ratio(spread[0], t['percent'])} - {ratio(spread[1], t['percent'])}"
        out.append(f"| {t['name']} | {ratio(t['value'], t['percent'])} | {spread} | {t['target']} | {t['status']} |")
    return out


def _targets(r):
    lines = ["## Ratios and targets", "",
             "value = median over rounds of the per-round ratio; p25-p75 = spread of the per-round ratio (a status "
             f"decided by less than that spread is within this machine's noise). {BELOW_FLOOR}", "",
             *_targets_table(r["targets"])]
    check = (r.get("memory") or {}).get("check")
    if check:
        lines.append(f"| {check['name']} | {ratio(check['value'])} | (one subprocess) | {check['target']} | "
                     f"{check['status']} |")
    return lines + [""]


def _backends(r):
    if not r.get("backends"):
        return []
    lines = ["## Per backend", "",
             "Each Keras backend in its own process, against its own floor compiled the same way. (The TensorFlow "
             "rows repeat the main table's measurement in a process of their own, like the other backends.) "
             + BELOW_FLOOR, ""]
    targets, rows = [], []
    for backend, result in r["backends"].items():
        name = backends.NAMES.get(backend, backend)
        if "skipped" in result:
            lines.append(f"- {name}: skipped: {result['skipped']}")
            continue
        targets += result["targets"]
        rows += result["rows"]
        lines.append(f"- {name}: load average {result['load'][0]:.2f} -> {result['load'][1]:.2f} during its "
                     f"{result['rounds']} rounds")
    return lines + ["", *_targets_table(targets), "", *(_times_table(rows) if rows else [])]


def _stream(r):
    st = r.get("stream")
    if not st:
        return []
    lo, hi = st["lengths"]
    batch, n_freq, channels = r["config"]["stream_shape"]
    lines = [
        "## Variable-length stream", "",
        f"Batches ({batch}, time, {n_freq}, {channels}) whose time lengths are all distinct, uniform on {lo}..{hi} "
        f"frames, as an ASR pipeline feeds them. Ours = the default layer of the stream, LD + time warp "
        f"W={r['masks']['W']} with `mask_value='mean'`; the floor `x * v` takes the same stream, run the same way:",
        "",
        "- graph: one dynamic-shape `tf.function` (`input_signature` with a `None` time axis), as `tf.data` or "
        "`fit` with a `None` time axis run it; eager: plain eager calls.",
        f"- Time: one fresh process per mode; ours and the floor take each batch in turn (order alternating per "
        f"batch). The first pass over {st['batches'][0]} new lengths is the measure, every trace and compile "
        "included; a repeat pass over the same lengths shows the steady cost.",
        f"- Memory: one fresh process per mode and implementation, under `MALLOC_MMAP_THRESHOLD_=65536` (see Peak "
        f"memory, oneDNN off); resident memory after one warm-up batch of another length, after the "
        f"{st['batches'][0]} lengths of the first stream, and after {st['batches'][1]} more new lengths (the "
        "growth judged against the target), each after `gc.collect()`.", "",
        "| goal | value | target | status |", "|---|---:|---|---|"]
    for t in st["targets"]:
        value = ("skipped: " + t["skipped"]) if t.get("skipped") else (
            ratio(t["value"]) if t["kind"] == "first_pass" else f"{mib(t['value'])} MiB")
        lines.append(f"| {t['name']} | {value} | {t['target']} | {t['status']} |")
    lines += ["", "| mode | pass | ours s | floor s | ours / floor | ours slowest batch ms | ours median batch ms "
              "| floor median batch ms |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for mode, result in st["time"].items():
        if "skipped" in result:
            lines.append(f"| {mode} | skipped: {result['skipped']} | | | | | | |")
            continue
        for name in ("first", "repeat"):
            p = result[name]
            lines.append(f"| {mode} | {name} | {p['total_s']['ours']:.2f} | {p['total_s']['floor']:.2f} | "
                         f"{ratio(p['ratio'])} | {ms(p['slowest_ms']['ours'])} | {ms(p['median_ms']['ours'])} | "
                         f"{ms(p['median_ms']['floor'])} |")
    if st["memory"]:
        lines += ["", "| mode / implementation | RSS after warm-up MiB | growth over first stream MiB | growth over "
                  "second stream MiB |", "|---|---:|---:|---:|"]
        for name, m in st["memory"].items():
            if "skipped" in m:
                lines.append(f"| {name} | skipped: {m['skipped']} | | |")
            else:
                lines.append(f"| {name} | {m['rss_mib'][0]:.0f} | {mib(m['growth_first_mib'])} | "
                             f"{mib(m['growth_second_mib'])} |")
    return lines + [""]


def _scaling(r):
    if not r["scaling_ratios"]:
        return []
    lines = ["## Scaling", "",
             "Our layer vs the floor of the same shape; ns/element = median / number of elements, so a linear cost "
             "is a flat column, and flat LD vs 10+10 columns mean the cost does not grow with the masks.", "",
             "| shape | floor ms | LD ms | 10+10 ms | LD / floor | 10+10 / floor | 10+10 / LD | floor ns/el | LD ns/el "
             "| 10+10 ns/el |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by_key = {row["key"]: row for row in r["rows"]}
    for text, q in r["scaling_ratios"].items():
        shape = tuple(int(s) for s in text.split("x"))
        f, ld, tt = (by_key[key(name, shape)] for name in core.SCALING_ROWS)
        n = f["elements"]
        lines.append(f"| {text} | {ms(f['median_ms'])} | {ms(ld['median_ms'])} | {ms(tt['median_ms'])} | "
                     f"{ratio(q['ld_floor'])} | {ratio(q['tt_floor'])} | {ratio(q['tt_ld'])} | "
                     + " | ".join(f"{row['median_ms'] * 1e6 / n:.3f}" for row in (f, ld, tt)) + " |")
    return lines + [""]


def _memory(r):
    mem = r.get("memory") or {}
    if not mem:
        return []
    lines = ["## Peak memory of one call", ""]
    if "skipped" in mem:
        return lines + [f"Skipped: {mem['skipped']}", ""]
    main = _main_shape(r)
    size = int(np.prod(main)) * 4
    lines += [
        "In a subprocess with `MALLOC_MMAP_THRESHOLD_=65536` (every buffer above 64 KiB is its own mmap, returned "
        "to the OS when freed, so resident memory follows live tensors) and `TF_ENABLE_ONEDNN_OPTS=0` (oneDNN's "
        "pooled CPU allocator, on by default on AVX-512 CPUs, never returns memory): per row, traced and run twice, "
        "then the "
        "kernel's peak-RSS counter is reset (`echo 5 > /proc/self/clear_refs`) and the row called once; "
        "`VmHWM - VmRSS(before)` is its peak extra memory, output included. Median of 3 calls.", "",
        f"Main tensor {shape_text(main)} float32 = {size / 2**20:.2f} MiB (so the floor is ~1x the input).", "",
        "| row | peak extra MiB | x input size | vs floor |", "|---|---:|---:|---:|"]
    floor_peak = mem["rows"].get("floor", {}).get("peak_extra_bytes")
    labels = {row["key"]: row["label"] for row in r["rows"]}
    for name, entry in mem["rows"].items():
        label = labels.get(key(name, main), name)
        if "skipped" in entry:
            lines.append(f"| {label} | skipped: {entry['skipped']} | | |")
            continue
        b = entry["peak_extra_bytes"]
        vs_floor = ratio(b / floor_peak if floor_peak else None)
        lines.append(f"| {label} | {b / 2**20:.2f} | {b / size:.2f} | {vs_floor} |")
    return lines + [""]


def _frontend(r):
    rows = [row for row in r["rows"] if row["group"] == "frontend"]
    if not rows:
        return []
    rate = frontend.FRONTEND_ARGS["sample_rate"]
    lines = ["## Augmented frontend", "",
             f"Audio {shape_text(rows[0]['shape'])} (batch, samples, channels) = {rows[0]['shape'][1] / rate:g} s at "
             f"{rate} Hz; melspectrogram {', '.join(f'{k}={v}' for k, v in frontend.FRONTEND_ARGS.items())}; called "
             "with training=True.", "", *_times_table(rows)]
    parts = _target(r["targets"], frontend.targets(r["config"]["audio_shape"])[1].name)
    if parts and parts["value"] is not None:
        lines += [f"Overhead from parts (SpecAugment sublayer alone / plain kapre frontend, paired): "
                  f"{ratio(parts['value'], True)} (also in the ratio table). The direct comparison of the two "
                  "frontends is a small difference of two large, noisy times; this estimate is the steadier one.", ""]
    return lines


def _breakdown(r):
    rows = [row for row in r["rows"] if row["group"] == "breakdown"]
    if not rows:
        return []
    main, to_floor = _main_shape(r), r["ratios_to_floor"]
    lines = ["## Where our layer spends its time", "",
             f"Stages of our layer timed alone at {shape_text(main)} (LD masks; warp stages with "
             f"W={r['masks']['W']}), each its own tf.function in graph mode; 'params given' = random parameters "
             "drawn once beforehand and captured. 'x floor' is the paired ratio to the graph floor of this run. "
             "Stages marked (small) do no full-size work: their time is per-op dispatch overhead.", "",
             "| stage | median ms | x floor |", "|---|---:|---:|"]
    by_key = {row["key"]: row for row in r["rows"]}
    whole = [by_key[k] for k in (key(n, main) for n in ("floor", "floor_xla", "ours_ld", "ours_warp_ld"))
             if k in by_key and not by_key[k]["skipped"]]
    for row in whole:
        lines.append(f"| (whole row) {row['label']} | {ms(row['median_ms'])} | {ratio(to_floor.get(row['key']))} |")
    for row in rows:
        if row["skipped"]:
            lines.append(f"| {row['label']} | skipped: {row['skipped']} | |")
        else:
            lines.append(f"| {row['label']} | {ms(row['median_ms'])} | {ratio(to_floor.get(row['key']))} |")
    return lines + [""]
