"""Copy generated reports into README.md, between their markers, so README numbers are never typed by hand.

    python benchmarks/update_readme.py

replaces the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in README.md with the
report of each section below (its top-level title dropped, its other headings moved one level down).
"""

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[1]
SECTIONS = {
    "benchmark": REPO / "benchmarks" / "results.md",  # python benchmarks/bench_specaugment.py
    "fsdd-study": REPO / "examples" / "fsdd_study.md",  # python examples/fsdd_study.py
}


def as_subsection(report):
    lines = report.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join("#" + line if line.startswith("#") else line for line in lines).strip()


def main():
    readme_path = REPO / "README.md"
    readme = readme_path.read_text()
    for name, path in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
        if not path.exists():
            print(f"{name}: {path.relative_to(REPO)} does not exist yet, section left as it is")
            continue
        body = as_subsection(path.read_text())
        readme = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), readme)
        print(f"{name}: copied {path.relative_to(REPO)} into README.md")
    readme_path.write_text(readme)


if __name__ == "__main__":
    main()
