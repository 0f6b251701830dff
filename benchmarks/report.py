"""The Markdown report of one run (``bench_specaugment.run``'s result dict), printed and written to results.md.

Between ``<!-- headline:start -->`` and ``<!-- headline:end -->``: a few self-contained lines that
``tools/update_reports.py`` copies into the README.
"""

from __future__ import annotations

import numpy as np

from benchmarks.cases import frontend, headline

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
            f"{float(np.median(loads)):.2f} (a shared machine: compare the paired ratios of one run, not times)",
            f"- Software: Python {m['python']}, " + ", ".join(f"{d} {m.get(d, 'not installed')}" for d in (
                "tensorflow", "keras", "jax", "torch", "kapre", "numpy")) + f"; git {m['git']}", ""]


def _passed(found) -> str:
    count = [t["status"] for t in found].count("PASS")
    return {len(found): "PASS", 0: "MISS"}.get(count, f"{count} of {len(found)} PASS")


def headline_section(r):
    m, loads = r["machine"], r["loads"]
    versions = {role: v for res in r["backends"].values() for role, v in res.get("versions", {}).items()}
    lines = [f"- Machine: {m['cpu']}, {m['cpus_usable']} CPUs, load average {min(loads):.1f}-{max(loads):.1f} "
             "during the run; medians of paired, interleaved ratios"
             + (f"; baseline: spec-augment {versions['baseline']}." if "baseline" in versions else ".")]
    for backend, result in r["backends"].items():
        name = headline.NAMES.get(backend, backend)
        if "skipped" in result:
            lines.append(f"- {name}: skipped: {result['skipped']}")
        groups: dict = {}
        for t in result.get("targets", []):
            if t["group"] and t["value"] is not None:
                groups.setdefault(t["group"], []).append(t)
        for group, found in groups.items():
            goals = ", ".join(dict.fromkeys(t["target"] for t in found))
            lines.append(f"- {name}, {group}: " + ", ".join(f"{t['short']} {ratio(t['value'], t['unit'])}"
                                                             for t in found) + f" (target {goals}: {_passed(found)}).")
    if r.get("stream"):
        lines.append(f"- Variable-length stream ({r['config']['stream_batches']} new lengths, LD + warp, mask_value="
                     "'mean'): " + "; ".join(f"{t['name']} {ratio(t['value'], t['unit'])} (target {t['target']}: "
                                             f"{t['status']})" for t in r["stream"]["goals"]) + ".")
    return ["## Headline", "", HEADLINE_START, *lines, HEADLINE_END, ""]


def method(r):
    c, f = r["config"], ", ".join(f"{k}={v}" for k, v in frontend.FRONTEND.items() if "format" not in k)
    lines = ["## Method", "",
             f"- Main tensor {'x'.join(map(str, c['main_shape']))} float32 (batch, time, mel bins, channels); masks "
             f"F={headline.F}, T={headline.T}; LD = 2 frequency + 2 time masks, the base of every configuration; "
             f"warp W={headline.W}. The floor is `x * v` (one read and one write), compiled like the row it is "
             "compared with. Feature cost: (feature row - LD row) / floor, the extra passes over the tensor.",
             f"- Each backend and version in its own process; {c['rounds']} interleaved rounds of every row's N calls "
             f"(about {c['target_ms']:g} ms per row), the first row and process rotating. Times: median over rounds; "
             "ratios: paired (per round), median and p25-p75 (a status decided by less than that spread is noise).",
             f"- Frontends: `get_augmented_melspectrogram_layer(policy='{frontend.POLICY}', use_kapre=...)`, {f}, on "
             f"{'x'.join(map(str, c['audio_shape']))} audio; augmented = `training=True`, inference = `training=False` "
             "of the same model. More in benchmarks/README.md.", ""]
    notes = [n for res in r["backends"].values() for n in res.get("notes", [])]
    notes += [n for res in (r.get("stream") or {}).get("time", {}).values() for n in res.get("notes", [])]
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
    lines += [""] + [f"- Stream, {mode}: ours {t['first']['ours']:.2f} s, floor {t['first']['floor']:.2f} s over the "
                     f"first pass; repeat pass {ratio(t['repeat']['ratio'])}" for mode, t in
                     (r.get("stream") or {}).get("time", {}).items() if "first" in t]
    missing = sum(t["value"] is None for t in found)
    return lines + [f"- {missing} more targets not measured: their rows are skipped (see above)."] * (missing > 0) \
        + [""]
