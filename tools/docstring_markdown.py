"""A griffe extension for the API reference: the docstrings' reStructuredText habits, rendered in Markdown.

The docstrings are written to read well in ``help()`` and to run as doctests; mkdocstrings renders them as
Markdown. This rewrites, for the site only:

* every run of ``>>>`` lines and their output into a ``pycon`` fence (outside a Google ``Examples:`` section
  Markdown would read them as prose; ``[59, 24]`` under ``>>> [...]`` even parses as a reference link);
* Sphinx roles (``:func:`~spec_augment.x```) into code spans (``x``);
* a paragraph ending in ``::`` (its indented block is code in Markdown too) into one ending in ``:``;
* simple tables (columns framed by ``====  ====`` lines) into Markdown tables;
* a grouped argument (``time_axis, freq_axis: from ...`` under ``Args:``) into one entry per argument, each
  with the whole description, as Google style has it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

PROMPT = re.compile(r"^(\s*)>>> ")
ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`~?([^`]+)`")
TABLE_RULE = re.compile(r"^(\s*)=+(?: +=+)+\s*$")
ARGS_SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")
GROUPED_ARGUMENT = re.compile(r"^(\s+)(\w+(?:,\s*\w+)+)((?:\s*\([^)]*\))?:.*)$")


def fence_doctests(lines: list[str]) -> list[str]:
    out, index, fenced = [], 0, False
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else PROMPT.match(line)
        if match is None:
            out.append(line)
            index += 1
            continue
        indent = match.group(1)
        out.append(f"{indent}```pycon")
        # A doctest example runs until the first blank line, as doctest itself reads it.
        while index < len(lines) and lines[index].strip():
            out.append(lines[index])
            index += 1
        out.append(f"{indent}```")
    return out


def simple_tables(lines: list[str]) -> list[str]:
    out, index = [], 0
    while index < len(lines):
        rule = TABLE_RULE.match(lines[index])
        # A simple table: rule, header, rule, rows, rule.
        if rule is None or index + 2 >= len(lines) or not TABLE_RULE.match(lines[index + 2]):
            out.append(lines[index])
            index += 1
            continue
        spans = [match.span() for match in re.finditer(r"=+", lines[index])]
        end = next((j for j in range(index + 3, len(lines)) if TABLE_RULE.match(lines[j])), None)
        if end is None:
            out.append(lines[index])
            index += 1
            continue

        def cells(line: str) -> str:
            starts = [start for start, _ in spans] + [len(line) + 1]
            return "| " + " | ".join(line[starts[k]:starts[k + 1]].strip() for k in range(len(spans))) + " |"

        indent = rule.group(1)
        out.append(indent + cells(lines[index + 1]))
        out.append(indent + "|" + "---|" * len(spans))
        out += [indent + cells(line) for line in lines[index + 3:end] if line.strip()]
        index = end + 1
    return out


def split_grouped_arguments(lines: list[str]) -> list[str]:
    out, index, section_indent = [], 0, None
    while index < len(lines):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        if ARGS_SECTION.match(line):
            section_indent = indent
        elif line.strip() and section_indent is not None and indent <= section_indent:
            section_indent = None
        grouped = GROUPED_ARGUMENT.match(line) if section_indent is not None else None
        if grouped is None:
            out.append(line)
            index += 1
            continue
        # The entry: this line and the more-indented lines that continue its description.
        end = index + 1
        while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
            end += 1
        for name in re.split(r",\s*", grouped.group(2)):
            out += [grouped.group(1) + name + grouped.group(3), *lines[index + 1:end]]
        index = end
    return out


def markdown(text: str) -> str:
    lines = split_grouped_arguments(simple_tables(text.splitlines()))  # tables first: columns are found by position
    lines = [ROLE.sub(lambda match: f"`{match.group(1).split('.')[-1]}`", line) for line in lines]
    lines = [re.sub(r"(\S)::$", r"\1:", line) for line in lines]
    return "\n".join(fence_doctests(lines))


class DocstringMarkdown(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
