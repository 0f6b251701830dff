"""The Markdown report of one run (``suite.run``'s result dict), printed and written to results.md.

Between ``<!-- headline:start -->`` and ``<!-- headline:end -->``: a few self-contained lines that
``tools/update_reports.py`` copies into the README.
"""

from __future__ import annotations

import numpy as np

from benchmarks.cases import frontend, headline, stream

HEADLINE_START, HEADLINE_END = "<!-- headline:start -->", "<!-- headline:end -->"


def ratio(value, unit="x") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def ms(value) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def render(r: dict) -> str:
    sections = (header, headline_section, method, per_backend, targets)
    return "\n".join(line for section in sections for line in section(r)).rstrip() + "\n"


def header(r):
    m, loads = r["machine"], r["loads"]
    return ["# SpecAugment benchmark results", "",
            f"- Date: {r['date']}; wall time {r['wall_s']:.0f} s",
            f"- Command: `{r.get('command', 'python benchmarks/bench_specaugment.py')}`",
            f"- Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs ({m['cpus_usable']} usable), "
            f"{m['memory_gib']} GiB RAM; {m['os']}",
            f"- Load average (1 min) during the run: {min(loads):.2f} - {max(loads):.2f}, median "
            f"{float(np.median(loads)):.2f} (a shared machine: compare the paired ratios of one run, not absolute times)",
            f"- Software: Python {m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']}, JAX {m['jax']}, "
            f"PyTorch {m['torch']}, kapre {m['kapre']}, NumPy {m['numpy']}; git {m['git']}", ""]


def _found(result, name):
    return next((t for t in result.get("targets", []) if t["name"] == name), None)


def _value(t):
    return "skipped" if t is None or t["value"] is None else ratio(t["value"], t["unit"])


def _passed(found) -> str:
    statuses = [t["status"] for t in found if t is not None]
    count = statuses.count("PASS")
    return {len(statuses): "PASS", 0: "MISS"}.get(count, f"{count} of {len(statuses)} PASS")


def headline_section(r):
    m, loads = r["machine"], r["loads"]
    lines = [f"- Machine: {m['cpu']}, {m['cpus_usable']} CPUs, load average {min(loads):.1f}-{max(loads):.1f} "
             "during the run; medians of paired, interleaved ratios."]
    fronts, bases = [], []
    for backend, result in r["backends"].items():
        name = headline.NAMES.get(backend, backend)
        if "skipped" in result:
            lines.append(f"- {name}: skipped: {result['skipped']}")
            continue
        label = lambda mode: f"{name} {headline.MODE_LABELS[mode]}"  # noqa: E731
        found, parts = [], []
        for mode in headline.MODES[backend]:
            ts = [_found(result, f"{label(mode)}: ours {row} / floor") for row, _ in headline.HEADLINE]
            found += ts
            parts.append(f"{headline.MODE_LABELS[mode]} " + ", ".join(f"{row} {_value(t)}" for (row, _), t in
                                                                      zip(headline.HEADLINE, ts)))
            base = [_found(result, f"{label(mode)}: ours {row} / baseline {row}") for row, _ in headline.HEADLINE]
            if any(base):
                bases.append(f"{label(mode)} " + ", ".join(f"{row} {_value(t)}" for (row, _), t in
                                                          zip(headline.HEADLINE, base)))
        lines.append(f"- {name}, ours / its floor compiled the same way: {'; '.join(parts)} "
                     f"(target <= {headline.GOALS[backend]:g}x: {_passed(found)}).")
        aug = _found(result, f"{name} frontend: ours augmented / at inference")
        vs_kapre = _found(result, f"{name} frontend: ours at inference / kapre")
        if aug is not None and aug["value"] is not None:
            fronts.append(f"{name} {_value(aug)}" + (f" (at inference {_value(vs_kapre)} kapre's time)"
                                                     if vs_kapre else ""))
    if bases:
        version = next((res["versions"].get("baseline") for res in r["backends"].values()
                        if "baseline" in res.get("versions", {})), "?")
        lines.append(f"- Ours / baseline spec-augment {version.split(' ')[0]}, same rounds: {'; '.join(bases)} "
                     f"(unchanged within noise: <= {headline.BASELINE_GOAL:g}x).")
    if fronts:
        lines.append(f"- Frontend (32 x 1 s at 16 kHz, 80 mels, dB), augmented ({frontend.POLICY}) / the same "
                     f"frontend at inference: {'; '.join(fronts)} (target <= {frontend.AUGMENTATION_GOAL:g}x).")
    st = r.get("stream")
    if st:
        g = {t["name"].split(":")[0]: t for t in st["goals"]}
        first = [g.get(f"first pass, {mode}") for mode in stream.MODES]
        lines.append(f"- Variable-length stream ({r['config']['stream_batches']} new lengths, LD + warp, "
                     f"mask_value='mean'): first pass {' / '.join(_value(t) + ' (' + t['status'] + ')' for t in first)} "
                     f"the floor in a dynamic-shape tf.function / eager (target <= {stream.FIRST_PASS_GOAL:g}x).")
    tf = r["backends"].get("tensorflow", {})
    kapre, seed = (_found(tf, f"TensorFlow tf.function: {peer} LD / ours LD") for peer in ("kapre", "0.0.3"))
    if kapre or seed:
        lines.append(f"- Peers at LD (TensorFlow tf.function): kapre 0.4.1 takes {_value(kapre)} and spec-augment "
                     f"0.0.3 {_value(seed)} our layer's time.")
    return ["## Headline", "", HEADLINE_START, *lines, HEADLINE_END, ""]


def method(r):
    c = r["config"]
    lines = ["## Method", "",
             f"- Main tensor {'x'.join(map(str, c['main_shape']))} float32 (batch, time, mel bins, channels), one "
             f"standard-normal tensor per shape; masks F={headline.F}, T={headline.T}; LD = 2 frequency + 2 time "
             f"masks (every configuration below builds on it), warp W={headline.W}. Layers called with "
             "`training=True`.",
             "- Floor: `x * v`, `v` of shape (1, 1, freq, 1): one read and one write of the tensor, compiled the "
             "same way as the rows it is compared with.",
             "- Each backend runs in its own process (`KERAS_BACKEND`): TensorFlow `tf.function` and XLA, JAX "
             "`jax.jit` of `stateless_call` (seed state in and out, new masks every call, as Keras' JAX trainer "
             "runs it), PyTorch eager. With `--baseline`, the other checkout runs the floor and the headline rows "
             "in a process of its own, in the same rounds.",
             f"- Warm-up traces each row and sets its calls per round N (about {c['target_ms']:g} ms per row per "
             f"round). {c['rounds']} interleaved rounds: each runs every row's N calls back to back, the first row "
             "(and the first process) rotating; completion is forced on one element of the output.",
             "- A row's time is the median over rounds of (round time / N). Ratios are paired: computed within "
             "each round, median over rounds, p25-p75 their spread (a status decided by less than it is noise).",
             f"- Frontends: `get_augmented_melspectrogram_layer(policy='{frontend.POLICY}', use_kapre=...)` with "
             + ", ".join(f"{k}={v}" for k, v in frontend.FRONTEND.items() if "format" not in k)
             + f" on {'x'.join(map(str, c['audio_shape']))} audio; augmented = `training=True`, inference = "
             "`training=False` of the same model; kapre = kapre's plain `get_melspectrogram_layer`.",
             "- Feature cost: (feature row - LD row) / floor, per round: the extra passes over the tensor.",
             "- Stream: in fresh processes, batches of distinct lengths; the first pass includes every trace.", ""]
    notes = [n for res in r["backends"].values() for n in res.get("notes", [])]
    for res in (r.get("stream") or {}).get("time", {}).values():
        notes += res.get("notes", [])
    return lines + [f"- Note: {n}" for n in dict.fromkeys(notes)] + ([""] if notes else [])


def per_backend(r):
    lines = []
    for backend, result in r["backends"].items():
        lines += [f"## {headline.NAMES.get(backend, backend)}", ""]
        if "skipped" in result:
            lines += [f"Skipped: {result['skipped']}", ""]
            continue
        versions = "; ".join(f"{role}: spec-augment {v}" for role, v in result["versions"].items())
        lines += [f"{versions}. Load average {min(result['load']):.2f} - {max(result['load']):.2f}.", "",
                  "| row | median ms | p25-p75 ms | x floor | N |", "|---|---:|---:|---:|---:|"]
        skipped: dict = {}
        for row in result["rows"]:
            label = row["label"] if row["role"] == "ours" else f"baseline: {row['label']}"
            if row["skipped"] or "ms" not in row:
                skipped.setdefault(row["skipped"] or "no times", []).append(label)
                continue
            q = row["ms"]
            lines.append(f"| {label} | {ms(q[1])} | {ms(q[0])}-{ms(q[2])} | {ratio(row.get('to_floor'))} | "
                         f"{row['n_calls']} |")
        lines += [""] + [f"- Skipped: {', '.join(labels)}: {why}" for why, labels in skipped.items()] + [""]
    return lines


def targets(r):
    lines = ["## Ratios and targets", "", "| ratio | value | p25-p75 | target | status |", "|---|---:|---:|---|---|"]
    found = [t for result in r["backends"].values() for t in result.get("targets", [])]
    for t in found:
        if t["value"] is not None:
            spread = " - ".join(ratio(v, t["unit"]) for v in t["spread"])
            lines.append(f"| {t['name']} | {ratio(t['value'], t['unit'])} | {spread} | {t['target']} | {t['status']} |")
    for t in (r.get("stream") or {}).get("goals", []):
        lines.append(f"| stream, {t['name']} | {ratio(t['value'], t['unit'])} | - | {t['target']} | {t['status']} |")
    missing = [t["name"] for t in found if t["value"] is None]
    return lines + ([""] + [f"Not measured (a row skipped): {'; '.join(missing)}."] if missing else []) + [""]
