#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The README's support table against the code.

The classes the pickle reader knows are the entries of its dispatch tables
(`{ "sklearn.module.Class", SK_... }` in plugins/pickle/sk_*.c); a few
entries exist only to refuse with a precise reason. Every entry must be
named in a README support-table row (its status says whether it is
supported or refused); every class the first column of a "supported" row
names must be lifted by the code: a dispatch-table entry, or, for objects
lifted as part of another (gradient boosting's old init estimators), a
quoted name in the lifters. A name is matched by its last dotted part;
`Name(CV)` stands for Name and NameCV.

Usage: test_support_table.py [--root DIR]  (TAP output)
"""

import argparse
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)
ENTRY = re.compile(r'\{\s*"([A-Za-z_0-9]+(?:\.[A-Za-z_0-9]+)*\.([A-Z][A-Za-z0-9_]*))",\s*SK_')
TICK = re.compile(r'`([^`]+)`')
NAME = re.compile(r'(?:[a-z_0-9]+\.)*([A-Z][A-Za-z0-9_]*)(\(CV\))?')


def code_classes(root):
    """(short name -> set of full names from the dispatch tables, the
    lifters' source text)."""
    out, text = {}, []
    for path in sorted(glob.glob(os.path.join(root, "plugins", "pickle", "sk_*.c"))):
        with open(path, encoding="utf-8") as f:
            src = f.read()
        text.append(src)
        for full, short in ENTRY.findall(src):
            out.setdefault(short, set()).add(full)
    return out, "\n".join(text)


def table_rows(root):
    """The cells of every row of the README's support tables."""
    rows = []
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## Support")
    end = text.find("\n## ", start + 1)
    for line in text[start:end if end > 0 else None].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not line.startswith("|") or set(cells[0]) <= set("-: "):
            continue
        rows.append(cells)
    return rows


def names_in(cell):
    """Class names a first-column cell states: backticked CamelCase names
    (with an optional dotted module), `X(CV)` giving X and XCV."""
    out = set()
    for tick in TICK.findall(cell):
        for part in re.split(r"[,/ ]+", tick):
            m = NAME.fullmatch(part.strip())
            if not m or m.group(1) in ("None", "True", "False"):
                continue
            out.add(m.group(1))
            if m.group(2):
                out.add(m.group(1) + "CV")
    return out


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(HERE, "..", ".."))
    args = ap.parse_args(argv)
    code, source = code_classes(args.root)
    rows = table_rows(args.root)
    supported, listed = set(), set()
    for cells in rows:
        for cell in cells:
            listed |= names_in(cell)
        if cells[-1].startswith("supported"):
            supported |= names_in(cells[0])
    tap = Tap()
    tap.ok(len(code) > 50, "the dispatch tables name classes", "%d found" % len(code))
    tap.ok(len(rows) > 20, "the README has support rows", "%d rows" % len(rows))
    for short in sorted(code):
        tap.ok(short in listed, "%s (%s) is in the README support table"
               % (short, ", ".join(sorted(code[short]))), "missing")
    for short in sorted(supported):
        tap.ok(short in code or ('"%s' % short) in source or ("%s\"" % short) in source,
               "README says %s is supported: the code lifts it" % short,
               "no dispatch-table entry ends in .%s" % short)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
