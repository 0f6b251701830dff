"""Where does SpecAugment help a small spoken-digit classifier? Paired runs on FSDD, choices on validation.

For both models of ``examples/train_fsdd.py`` (``conv1d``: mel bins as channels of 1-D convolutions
over time; ``conv2d``: 2-D convolutions over time and frequency) and every part of the FSDD policy
(none, frequency masks, time masks, time warp, time masks + warp, the full policy), in three
regimes (few training recordings, the official split, held-out speakers), this trains one model per
seed and reports the paired difference to no augmentation. Same seed = same initial weights, same
batch order and same dropout masks in every condition of a cell, so the difference is the
augmentation's. Validation (never the test set) chooses the number of epochs of each cell and the
policy of each model; the test set is read once, for the chosen policy against no augmentation.

Test accuracy is recorded at every checkpoint of every run (it costs little) but the report shows
it only at the epochs chosen on validation and only for no augmentation and the chosen policies.

Cost. The log-mel spectrograms are computed once (the frontend at inference); every model then
starts with ``spec_augment.SpecAugment`` on the cached spectrograms, which is what the augmented
frontend computes while training. TensorFlow runs on ``--threads`` CPU threads.

Usage (from the repository root)::

    nice -n 15 python examples/fsdd_study.py --deadline 50 --json /tmp/study.json   # docs/study.md
    python examples/fsdd_study.py --models conv1d --conditions none full --seeds 1 --low-seeds 1 \\
        --epochs 2 --low-epochs 4 --speakers nicolas:jackson --out /tmp/quick.md   # a smoke run
    python examples/fsdd_study.py --render /tmp/study.json --out docs/study.md  # re-render, no training

The report has the exact command above its tables and a short summary between the markers
``<!-- study-summary:start -->`` and ``<!-- study-summary:end -->``.
"""

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time

import numpy as np
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_fsdd as fsdd  # noqa: E402 - the example next to this file (sets TF_CPP_MIN_LOG_LEVEL)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "docs" / "study.md"
CONDITIONS = tuple(fsdd.COMPONENTS)  # none, freq, time, warp, time+warp, full
CONDITION_LABELS = {
    "none": "no augmentation",
    "freq": "frequency masks only",
    "time": "time masks only",
    "warp": "time warp only",
    "time+warp": "time masks + warp",
    "full": "full policy",
}
SUMMARY_START, SUMMARY_END = "<!-- study-summary:start -->", "<!-- study-summary:end -->"


# ---------------------------------------------------------------------------------------- statistics
def paired_stats(treated, control) -> dict:
    """Paired differences ``treated[i] - control[i]``: ``n``, ``mean``, sample ``std`` (0 for one pair),
    and how many were ``positive`` / ``negative`` (the rest are ties)."""
    if len(treated) != len(control) or not treated:
        raise ValueError(f"need equally many paired values, got {len(treated)} and {len(control)}.")
    diffs = [a - b for a, b in zip(treated, control)]
    return dict(
        n=len(diffs),
        mean=statistics.fmean(diffs),
        std=statistics.stdev(diffs) if len(diffs) > 1 else 0.0,
        positive=sum(d > 0 for d in diffs),
        negative=sum(d < 0 for d in diffs),
    )


def mean_std(values) -> tuple:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def choose_epoch(runs) -> int:
    """The checkpoint with the highest validation accuracy averaged over ``runs`` (earliest on ties)."""
    epochs = runs[0]["epochs"]
    means = [statistics.fmean(run["val"][i] for run in runs) for i in range(len(epochs))]
    return epochs[means.index(max(means))]


def analyse(runs) -> dict:
    """Everything the report shows, from the raw runs.

    Returns ``cells``: ``{(model, regime): {"epoch": E, condition: {"seeds", "val", "test"}}}`` with
    accuracies at the epoch chosen on validation; ``choice``: ``{model: condition}`` with the highest
    validation accuracy averaged over the regimes (ties: the earlier condition, "none" first);
    ``score``: ``{(model, condition): that average}``; ``model``: the model whose choice scores best.
    """
    models = list(dict.fromkeys(run["model"] for run in runs))
    regimes = list(dict.fromkeys(run["regime"] for run in runs))
    conditions = [c for c in CONDITIONS if any(run["condition"] == c for run in runs)]
    cells = {}
    for model in models:
        for regime in regimes:
            cell_runs = [r for r in runs if r["model"] == model and r["regime"] == regime]
            if not cell_runs:
                continue
            epoch = choose_epoch(cell_runs)
            cell = {"epoch": epoch}
            for condition in conditions:
                chosen = sorted((r for r in cell_runs if r["condition"] == condition), key=lambda r: r["seed"])
                at = [r["epochs"].index(epoch) for r in chosen]
                cell[condition] = {
                    "seeds": [r["seed"] for r in chosen],
                    "val": [r["val"][i] for r, i in zip(chosen, at)],
                    "test": [r["test"][i] for r, i in zip(chosen, at)],
                }
            cells[(model, regime)] = cell
    score = {
        (model, condition): statistics.fmean(
            statistics.fmean(cells[(model, regime)][condition]["val"]) for regime in regimes if (model, regime) in cells
        )
        for model in models
        for condition in conditions
    }
    choice = {model: max(conditions, key=lambda c: (score[(model, c)], -conditions.index(c))) for model in models}
    best = max(models, key=lambda m: (score[(m, choice[m])], -models.index(m)))
    return dict(
        models=models, regimes=regimes, conditions=conditions, cells=cells, score=score, choice=choice, model=best
    )


# ---------------------------------------------------------------------------------------- report
def _pct(values) -> str:
    mean, std = mean_std(values)
    return f"{100 * mean:.1f} ± {100 * std:.1f}"


def _diff(stats) -> str:
    return f"{100 * stats['mean']:+.1f} ± {100 * stats['std']:.1f} ({stats['positive']}/{stats['n']})"


def _verdict(stats) -> str:
    """'helped' / 'hurt' when a paired t-test rejects "no difference" (5 %, two-sided), else 'unclear'."""
    if stats["n"] < 2 or stats["mean"] == 0:
        return "unclear"
    if stats["std"] > 0:
        from scipy.stats import t as student_t  # scipy comes with librosa

        t_stat = abs(stats["mean"]) / (stats["std"] / stats["n"] ** 0.5)
        if t_stat < student_t.ppf(0.975, stats["n"] - 1):
            return "unclear"
    return "helped" if stats["mean"] > 0 else "hurt"


def render_report(runs, meta) -> str:
    """The Markdown report (summary block, command, validation tables, the choice, test, findings, method)."""
    a = analyse(runs)
    labels = meta["regime_labels"]
    cells, regimes, conditions = a["cells"], a["regimes"], a["conditions"]

    def stats(model, regime, condition, part):
        cell = cells[(model, regime)]
        return paired_stats(cell[condition][part], cell["none"][part])

    lines = [
        "# FSDD study: where SpecAugment helps a small spoken-digit classifier",
        "",
        SUMMARY_START,
        *_summary(a, meta, stats),
        SUMMARY_END,
        "",
        "## How the numbers were made",
        "",
        "Every number below comes from this command (repository root):",
        "",
        "```",
        meta["command"],
        "```",
        "",
        f"- Date {meta['date']}; wall time {meta['wall_seconds'] / 60:.0f} min for {len(runs)} training runs on "
        f"{meta['machine']}, TensorFlow on {meta['threads']} thread(s), `nice -n 15`, on a machine shared with "
        "other jobs.",
        f"- Seeds: {meta['seeds_text']}. A pair is one seed with and without augmentation: same initial weights, "
        "same batches in the same order, same dropout masks. `± x` is the sample standard deviation over seeds; "
        "`(k/n)`: k of the n pairs were better with augmentation.",
        *([f"- {meta['requested']}"] if meta.get("requested") else []),
        "- Validation is never the test set: takes 5-9 of the training speakers (low-data and official regimes), or "
        "all recordings of a second held-out speaker (held-out-speaker regimes). Test: takes 0-4 of every speaker "
        "(official split) or every recording of the held-out speaker.",
        "- Epochs: every run trains for the regime's maximum; the reported epoch of each (model, regime) is the "
        "checkpoint with the best validation accuracy averaged over all its conditions and seeds, the same for every "
        "condition. The learning rate halves every "
        f"{fsdd.HALF_LIFE_STEPS} steps whatever the run's length, so stopping there equals training that many epochs.",
        "",
        "| regime | training / validation / test recordings | max epochs | " + " | ".join(
            f"{m} epochs (chosen)" for m in a["models"]) + " |",
        "|---|---|---|" + "---|" * len(a["models"]),
    ]
    for regime in regimes:
        info = meta["regime_info"][regime]
        chosen = " | ".join(str(cells[(m, regime)]["epoch"]) if (m, regime) in cells else "-" for m in a["models"])
        lines.append(f"| {labels[regime]} | {info['sizes']} | {info['epochs']} | {chosen} |")

    last = [
        f"{m} in {labels[r]}" for (m, r), cell in cells.items() if cell["epoch"] == meta["regime_info"][r]["epochs"]
    ]
    if last:
        lines += [
            "",
            f"The best validation epoch was the last one for {', '.join(last)}: those models were still improving, "
            "and longer training (which augmented models usually need more of) might change their comparison.",
        ]
    lines += ["", "## Validation: every part of the policy against no augmentation", ""]
    lines += [
        "Validation accuracy (%) without augmentation, then the paired difference (points) of each condition: "
        "mean ± std (pairs better / pairs). In the held-out-speaker columns this is the validation speaker's "
        "accuracy; the test speaker is not looked at here.",
        "",
    ]
    for model in a["models"]:
        header = "| condition | " + " | ".join(labels[r] for r in regimes) + " | mean over regimes |"
        lines += [f"**{model}**", "", header]
        lines.append("|---|" + "---|" * (len(regimes) + 1))
        none_row = [_pct(cells[(model, r)]["none"]["val"]) for r in regimes]
        none_mean = 100 * a["score"][(model, "none")]
        lines.append(f"| no augmentation (accuracy) | {' | '.join(none_row)} | {none_mean:.1f} |")
        for condition in conditions[1:]:
            row = [_diff(stats(model, r, condition, "val")) for r in regimes]
            gain = a["score"][(model, condition)] - a["score"][(model, "none")]
            lines.append(f"| {CONDITION_LABELS[condition]} | {' | '.join(row)} | {100 * gain:+.1f} |")
        lines.append("")

    lines += ["## The choice (validation only)", ""]
    for model in a["models"]:
        c = a["choice"][model]
        lines.append(
            f"- **{model}**: {CONDITION_LABELS[c]} (`--policy {c}`), mean validation accuracy over the regimes "
            f"{100 * a['score'][(model, c)]:.1f} % vs {100 * a['score'][(model, 'none')]:.1f} % without augmentation."
        )
    best = a["model"]
    epochs = ", ".join(f"{cells[(best, r)]['epoch']} in {labels[r]}" for r in regimes if (best, r) in cells)
    others = "; ".join(
        f"{m} with `{a['choice'][m]}`: {100 * a['score'][(m, a['choice'][m])]:.2f} %" for m in a["models"] if m != best
    )
    lines += [
        f"- Recommended model: **{best}** with `--policy {a['choice'][best]}` "
        f"({100 * a['score'][(best, a['choice'][best])]:.2f} %" + (f"; {others}" if others else "") + "); "
        f"epochs chosen for it: {epochs}. These are the defaults of `examples/train_fsdd.py`.",
        "",
        "## Test, read once: the chosen policy against no augmentation",
        "",
        "Test accuracy (%) at the epochs chosen on validation; difference in points, mean ± std "
        "(pairs better / pairs).",
        "",
        "| model | policy | " + " | ".join(labels[r] for r in regimes) + " |",
        "|---|---|" + "---|" * len(regimes),
    ]
    for model in a["models"]:
        c = a["choice"][model]
        none_row = " | ".join(_pct(cells[(model, r)]["none"]["test"]) for r in regimes)
        lines.append(f"| {model} | none | {none_row} |")
        if c != "none":
            lines.append(f"| {model} | {c} | " + " | ".join(_pct(cells[(model, r)][c]["test"]) for r in regimes) + " |")
            lines.append(
                f"| {model} | {c} − none | " + " | ".join(_diff(stats(model, r, c, "test")) for r in regimes) + " |"
            )
    lines += ["", "## What the validation says", "", *_findings(a, labels, stats), "", "## Per run", ""]
    lines += _per_run(a, labels)
    return "\n".join(lines) + "\n"


def _summary(a, meta, stats) -> list:
    model, choice = a["model"], a["choice"][a["model"]]
    regimes, labels = a["regimes"], meta["regime_labels"]
    # When no augmentation wins, the table still shows the best augmentation for comparison.
    shown = choice if choice != "none" else max(a["conditions"][1:], key=lambda c: a["score"][(model, c)], default=None)
    lines = [
        f"FSDD digits, paired runs over seeds ({meta['seeds_text']}), every choice made on a validation split; "
        f"full report in `docs/study.md`. Validation chose the **{model}** model with "
        f"**{CONDITION_LABELS[choice]}** (`--policy {choice}`) among {len(a['conditions'])} conditions and "
        f"{len(a['models'])} models. Test accuracy (%), read once:",
        "",
    ]
    if shown is None:
        return lines[:-2] + [lines[-2].replace(" Test accuracy (%), read once:", "")]
    lines += [f"| regime | no augmentation | {shown} | difference (pairs better) |", "|---|---|---|---|"]
    for regime in regimes:
        cell = a["cells"][(model, regime)]
        s = stats(model, regime, shown, "test")
        lines.append(f"| {labels[regime]} | {_pct(cell['none']['test'])} | {_pct(cell[shown]['test'])} | {_diff(s)} |")
    if shown != choice:
        lines += ["", f"(`{shown}` was the best augmentation on validation; it did not beat no augmentation there.)"]
    try_first = _try_first(a, labels, stats)
    return lines + (["", try_first] if try_first else [])


def _findings(a, labels, stats) -> list:
    """Plain sentences generated from the validation numbers: where each part helped or hurt, by how much."""
    lines = [
        "Regimes (of " + str(len(a["regimes"])) + ") where each part helped / hurt on validation "
        "(paired t-test, 5 % two-sided, not corrected for the many comparisons; the rest: no clear difference):",
        "",
        "| condition | " + " | ".join(a["models"]) + " |",
        "|---|" + "---|" * len(a["models"]),
    ]
    for condition in a["conditions"][1:]:
        row = []
        for model in a["models"]:
            verdicts = [_verdict(stats(model, r, condition, "val")) for r in a["regimes"]]
            row.append(f"{verdicts.count('helped')} / {verdicts.count('hurt')}")
        lines.append(f"| {CONDITION_LABELS[condition]} | " + " | ".join(row) + " |")
    lines.append("")
    for model in a["models"]:
        pairs = [(stats(model, r, c, "val"), c, r) for c in a["conditions"][1:] for r in a["regimes"]]
        if pairs:
            hi, c_hi, r_hi = max(pairs, key=lambda p: p[0]["mean"])
            lo, c_lo, r_lo = min(pairs, key=lambda p: p[0]["mean"])
            best = "largest gain" if hi["mean"] > 0 else "smallest loss"
            worst = "largest loss" if lo["mean"] < 0 else "smallest gain"
            lines.append(
                f"- **{model}**: {best} {CONDITION_LABELS[c_hi]} in {labels[r_hi]} ({_diff(hi)}); "
                f"{worst} {CONDITION_LABELS[c_lo]} in {labels[r_lo]} ({_diff(lo)})."
            )
        for verdict in ("helped", "hurt"):
            found = []
            for condition in a["conditions"][1:]:
                for regime in a["regimes"]:
                    s = stats(model, regime, condition, "val")
                    if _verdict(s) == verdict:
                        found.append(f"{CONDITION_LABELS[condition]} in {labels[regime]} ({100 * s['mean']:+.1f})")
            text = "; ".join(found) if found else "nothing"
            lines.append(f"- **{model}**, {verdict} (paired t-test, 5 %): {text}.")
    if "freq" in a["conditions"] and len(a["models"]) > 1:
        # The question behind the two models: do frequency masks hurt less when convolutions slide over frequency?
        per_regime = "; ".join(
            f"{labels[r]}: " + " vs ".join(f"{100 * stats(m, r, 'freq', 'val')['mean']:+.1f}" for m in a["models"])
            for r in a["regimes"]
        )
        lines += ["", f"Frequency masks only, {' vs '.join(a['models'])} (points, validation): {per_regime}."]
    try_first = _try_first(a, labels, stats)
    return lines + (["", try_first] if try_first else [])


def _try_first(a, labels, stats) -> str:
    """What won on validation in the low-data regime, per model ('' without that regime)."""
    low = [r for r in a["regimes"] if r.startswith("low")]
    if not low:
        return ""
    regime = low[0]
    def mean_val(model, condition):
        return statistics.fmean(a["cells"][(model, regime)][condition]["val"]), -a["conditions"].index(condition)

    best = {m: max(a["conditions"], key=lambda c: mean_val(m, c)) for m in a["models"]}
    tried = "; ".join(
        f"{m}: {CONDITION_LABELS[c]} "
        f"({_diff(stats(m, regime, c, 'val')) if c != 'none' else 'no part of the policy beat it'})"
        for m, c in best.items()
    )
    return (
        f"**On a small dataset, try first** what won on validation in {labels[regime]}: {tried}. "
        "Then check it against no augmentation on your own validation split with a few paired seeds: "
        "many differences here are smaller than the spread between seeds."
    )


def _per_run(a, labels) -> list:
    """Every run's validation accuracy; test accuracy only where the report reads it (none, the choice)."""
    lines = [
        "Accuracy (%) of every run at the chosen epoch, per seed: validation, and test for no augmentation and "
        "the chosen policy only (the test set was read for nothing else).",
        "",
        "| model | regime | condition | seed: validation (/ test) |",
        "|---|---|---|---|",
    ]
    for (model, regime), cell in a["cells"].items():
        for condition in a["conditions"]:
            runs = cell[condition]
            shown = condition in ("none", a["choice"][model])
            text = ", ".join(
                f"{s}: {100 * v:.1f}" + (f" / {100 * t:.1f}" if shown else "")
                for s, v, t in zip(runs["seeds"], runs["val"], runs["test"])
            )
            lines.append(f"| {model} | {labels[regime]} | {condition} | {text} |")
    return lines


# ---------------------------------------------------------------------------------------- runs
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def regimes(args) -> dict:
    """``{regime: dict(split arguments, epochs, eval_every, seeds, label)}`` in the study's order."""
    low = f"low:{args.low_takes[0]}-{args.low_takes[1]}"
    out = {
        low: dict(
            split=dict(train_takes=args.low_takes),
            epochs=args.low_epochs,
            eval_every=args.low_eval_every,
            seeds=list(range(args.low_seeds)),
            label=f"low data (takes {args.low_takes[0]}-{args.low_takes[1]})",
        ),
        "official": dict(
            split={}, epochs=args.epochs, eval_every=1, seeds=list(range(args.seeds)), label="official split"
        ),
    }
    for pair in args.speakers:
        test, val = pair.split(":")
        out[f"speaker:{test}"] = dict(
            split=dict(held_out_speaker=test, val_speaker=val),
            epochs=args.epochs,
            eval_every=1,
            seeds=list(range(args.seeds)),
            label=f"held-out {test} (val. {val})",
        )
    return out


def _speaker_pair(text):
    test, sep, val = text.partition(":")
    if not sep or not test or not val or test == val:
        raise argparse.ArgumentTypeError(f"expected TEST:VALIDATION speakers, e.g. nicolas:jackson, got {text!r}")
    return text


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="FSDD: paired study of SpecAugment's parts, two models, three regimes; choices on validation.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=fsdd.DEFAULT_DATA, help="FSDD recordings/ directory")
    parser.add_argument("--models", nargs="+", choices=fsdd.MODELS, default=list(fsdd.MODELS))
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS))
    parser.add_argument(
        "--low-takes", type=fsdd.parse_takes, default=(10, 14), metavar="A-B", help="low-data training takes"
    )
    parser.add_argument("--low-seeds", type=int, default=8, help="seeds 0..N-1 in the low-data regime")
    parser.add_argument("--low-epochs", type=int, default=100, help="epochs of a low-data run")
    parser.add_argument("--low-eval-every", type=int, default=4, help="low-data checkpoints every N epochs")
    parser.add_argument(
        "--speakers", nargs="*", type=_speaker_pair, default=["nicolas:jackson", "lucas:theo"],
        metavar="TEST:VAL", help="held-out-speaker regimes: test speaker and validation speaker",
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 in the official and speaker regimes")
    parser.add_argument("--epochs", type=int, default=16, help="epochs of an official-split or held-out-speaker run")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow CPU threads")
    parser.add_argument(
        "--deadline", type=float, default=None, metavar="MINUTES",
        help="start no round of seeds that would end after this many minutes (the report gives the seeds run)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown report to write")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw runs here")
    parser.add_argument("--render", type=Path, default=None, metavar="JSON", help="re-render a report from raw runs")
    args = parser.parse_args(argv)
    if "none" not in args.conditions:
        parser.error("--conditions must include none: every difference is paired against it")
    for name in ("low_seeds", "low_epochs", "low_eval_every", "seeds", "epochs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def run_study(args, plan, argv, log=print) -> list:
    """Train every (model, condition, regime, seed); returns the raw runs (accuracy curves).

    With ``args.json``, the runs so far are saved after every round (a killed study can be rendered)."""
    fsdd.configure_tensorflow(args.threads)
    items = fsdd.list_recordings(args.data)
    paths = [item[0] for item in items]
    index = {path: i for i, path in enumerate(paths)}
    spectrograms = fsdd.log_mel(fsdd.load_waveforms(paths))
    digits = [item[1] for item in items]
    data = {}
    for regime, spec in plan.items():
        split = fsdd.split_recordings(items, **spec["split"])
        data[regime] = {}
        for part, pairs in split._asdict().items():
            rows = [index[path] for path, _ in pairs]
            data[regime][part] = (spectrograms[rows], np.array([digits[i] for i in rows], "int32"))
        spec["sizes"] = " / ".join(f"{len(part):,}" for part in split)

    # Rounds: round r trains seed r of every cell that has one, so that a deadline leaves complete pairs
    # for the first seeds of every cell instead of all seeds of some cells and none of others.
    trainers = {(m, c): fsdd.Trainer(m, c) for m in args.models for c in args.conditions}
    n_rounds = max(len(spec["seeds"]) for spec in plan.values())
    start, runs = args.start, []
    for r in range(n_rounds):
        cells = [(regime, spec) for regime, spec in plan.items() if r < len(spec["seeds"])]
        elapsed = time.perf_counter() - start
        if r and args.deadline and elapsed + round_seconds(runs, cells) > 60 * args.deadline:
            log(f"stopping before round {r}: it would end after the {args.deadline}-minute deadline")
            break
        for (model, condition), trainer in trainers.items():
            for regime, spec in cells:
                seed = spec["seeds"][r]
                curves = trainer.run(data[regime], seed, spec["epochs"], spec["eval_every"])
                runs.append(dict(model=model, condition=condition, regime=regime, seed=seed, **curves))
                log(
                    f"[{len(runs)}] round {r} {model} {condition:9s} {regime:16s} seed {seed}: "
                    f"val {curves['val'][-1]:.3f} "
                    f"({curves['seconds']:.0f} s; {(time.perf_counter() - start) / 60:.1f} min)"
                )
        if args.json:
            args.json.write_text(json.dumps(dict(meta=make_meta(args, argv, plan, runs), runs=runs)), encoding="utf-8")
    return runs


def round_seconds(runs, cells) -> float:
    """Seconds a round over ``cells`` will take, from the runs so far (the last run of each regime x trainer)."""
    last = {}
    for run in runs:
        last[(run["model"], run["condition"], run["regime"])] = run["seconds"]
    regimes = {regime for regime, _ in cells}
    return sum(seconds for (_, _, regime), seconds in last.items() if regime in regimes)


def achieved_command(argv, runs) -> str:
    """The command that reproduces ``runs``: ``argv`` with the seed counts actually run, without the
    options that change no number (``--deadline``, ``--out``, ``--json``)."""
    low = [run["seed"] for run in runs if run["regime"].startswith("low:")]
    other = [run["seed"] for run in runs if not run["regime"].startswith("low:")]
    counts = {"--low-seeds": max(low, default=-1) + 1, "--seeds": max(other, default=-1) + 1}
    words, skip = [], False
    for word in argv:
        if skip or word.split("=")[0] in (*counts, "--deadline", "--out", "--json"):
            skip = not skip and "=" not in word
            continue
        words.append(word)
    return "python examples/fsdd_study.py " + shlex.join([*words, *(f"{flag}={n}" for flag, n in counts.items())])


def make_meta(args, argv, plan, runs) -> dict:
    """What the report says about how ``runs`` were made."""
    low_seeds = len({r["seed"] for r in runs if r["regime"].startswith("low:")})
    other_seeds = len({r["seed"] for r in runs if not r["regime"].startswith("low:")})
    return dict(
        command=achieved_command(argv, runs),
        requested=None if args.deadline is None else (
            f"`--low-seeds {args.low_seeds} --seeds {args.seeds} --deadline {args.deadline:g}` was asked for; "
            f"the deadline left {low_seeds} and {other_seeds} seeds."
        ),
        date=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        wall_seconds=time.perf_counter() - args.start,
        machine=machine(),
        threads=args.threads,
        seeds_text=f"{low_seeds} in the low-data regime, {other_seeds} in the others",
        regime_labels={r: s["label"] for r, s in plan.items()},
        regime_info={r: dict(sizes=s["sizes"], epochs=s["epochs"]) for r, s in plan.items()},
    )


def main(argv=None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = parse_args(argv)
    args.start = time.perf_counter()
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        report = render_report(saved["runs"], saved["meta"])
    else:
        try:
            plan = regimes(args)
            items = fsdd.list_recordings(args.data)
            for spec in plan.values():
                fsdd.split_recordings(items, **spec["split"])  # fail on a bad split before any training
        except fsdd.DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        runs = run_study(args, plan, argv, log=lambda line: print(line, flush=True))
        meta = make_meta(args, argv, plan, runs)
        report = render_report(runs, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
