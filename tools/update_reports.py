"""Copy the generated reports' summaries into README.md, so that no number in the README is typed by hand.

    python tools/update_reports.py          # rewrite README.md
    python tools/update_reports.py --check  # exit 1 if README.md is out of date

Between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in README.md goes:

* ``headline``: the headline of ``benchmarks/results.md`` (written by ``python benchmarks/bench_specaugment.py``),
  the text between the same markers there; a report without them gives its machine line and its table of
  ratios and targets;
* ``study-summary``: the summary of ``docs/study.md`` (written by ``python examples/fsdd_study.py``), the
  text between the same markers there.

The docs site includes the whole reports itself (``docs/speed.md``, ``docs/study.md``).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BENCHMARK_REPORT = REPO / "benchmarks" / "results.md"
STUDY_REPORT = REPO / "docs" / "study.md"


def between(text: str, name: str) -> str | None:
    """The text between ``<!-- name:start -->`` and ``<!-- name:end -->``, stripped; None without the markers."""
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, flags=re.S)
    return match.group(1).strip() if match else None


def nest_headings(text: str, top: int = 3) -> str:
    """Shift the Markdown headings of ``text`` so that its highest one has level ``top`` (it nests in a README section)."""
    lines = text.splitlines()
    fenced, headings = False, []
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            headings.append(index)
    if headings:
        shift = top - min(len(lines[i]) - len(lines[i].lstrip("#")) for i in headings)
        for i in headings:
            level = len(lines[i]) - len(lines[i].lstrip("#"))
            lines[i] = "#" * (level + shift) + lines[i][level:]
    return "\n".join(lines)


def benchmark_headline(report: str) -> str:
    headline = between(report, "headline")
    if headline is not None:
        return nest_headings(headline)
    # A report from before the headline markers: its machine and its table of ratios and targets.
    machine = re.search(r"^- Machine: .*$", report, flags=re.M)
    table = re.search(r"^#+ Ratios and targets\n(.*?)(?=^#|\Z)", report, flags=re.S | re.M)
    if machine is None or table is None:
        raise ValueError(f"{BENCHMARK_REPORT.relative_to(REPO)} has neither headline markers nor a ratio table")
    return machine.group(0) + "\n\n" + table.group(1).strip()


def study_summary(report: str) -> str:
    summary = between(report, "study-summary")
    if summary is None:
        raise ValueError(f"{STUDY_REPORT.relative_to(REPO)} has no <!-- study-summary:start/end --> markers")
    return nest_headings(summary)


SECTIONS = {
    "headline": (BENCHMARK_REPORT, benchmark_headline),
    "study-summary": (STUDY_REPORT, study_summary),
}


def generated(name: str) -> str:
    """What README.md must hold between the markers of section ``name``."""
    path, summarize = SECTIONS[name]
    return summarize(path.read_text())


def updated_readme(readme: str) -> tuple[str, list[str]]:
    """README.md with every section whose report exists regenerated, and the names of those sections."""
    done = []
    for name, (path, _) in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(readme):
            raise ValueError(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
        if not path.exists():
            print(f"{name}: {path.relative_to(REPO)} does not exist yet, section left as it is", file=sys.stderr)
            continue
        body = generated(name)
        readme = pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), readme)
        done.append(name)
    return readme, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    readme = README.read_text()
    new, done = updated_readme(readme)
    if args.check:
        if new != readme or len(done) < len(SECTIONS):
            print("README.md is out of date or a report is missing: run python tools/update_reports.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    print(f"README.md: {', '.join(done) or 'nothing'} copied from the reports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
