#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`skconv predict` on models whose input mixes string and numeric columns
(the prep-mixed-* fixtures of tests/fixtures/fam_prep.py: a ColumnTransformer
fitted on a pandas DataFrame). The CSV's columns are matched by header
name, string columns stay text, numeric ones must hold numbers; the JSON
must match sklearn's outputs, for the pickle and for its ONNX conversion.
Bad rows exit 2 with one line naming the file, line, row and column.

Usage: test_predict_strings.py --skconv PATH --fixtures DIR (fam-prep)
Output is TAP.
"""

import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile

USAGE = 2


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)


def run(skconv, args):
    p = subprocess.run([skconv] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [v]


def differs(got, want, rtol):
    """None when every expected output matches, else why not."""
    for k, w in want.items():
        if k not in got:
            return "output %s is missing" % k
        g, w = flat(got[k]), flat(w)
        if len(g) != len(w):
            return "%s: %d values, sklearn %d" % (k, len(g), len(w))
        for i, (a, b) in enumerate(zip(g, w)):
            if isinstance(b, str) or isinstance(a, str):
                if a != b:
                    return "%s[%d] = %r, sklearn %r" % (k, i, a, b)
                continue
            a = math.nan if a is None else a
            if math.isnan(b) and math.isnan(a):
                continue
            if not abs(a - b) <= rtol * max(1.0, abs(b)):
                return "%s[%d] = %r, sklearn %r" % (k, i, a, b)
    return None


def rewrite_csv(src, dst, reorder=False, drop=None, cell=None):
    """A copy of the fixture's CSV: columns reversed plus an unused one,
    a column left out, or one cell replaced ((row, column name, text))."""
    rows = list(csv.reader(open(src, newline="")))
    hdr, body = rows[0], rows[1:]
    order = list(range(len(hdr)))
    if reorder:
        order = order[::-1]
    if drop is not None:
        order = [i for i in order if hdr[i] != drop]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([hdr[i] for i in order] + (["unused"] if reorder else []))
    for r, row in enumerate(body):
        row = list(row)
        if cell and cell[0] == r:
            row[hdr.index(cell[1])] = cell[2]
        w.writerow([row[i] for i in order] + (["zz"] if reorder else []))
    with open(dst, "w") as f:
        f.write(out.getvalue())


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--fixtures", required=True)
    a = ap.parse_args(argv[1:])
    tap = Tap()
    manifest = json.load(open(os.path.join(a.fixtures, "manifest.json")))["fixtures"]
    mixed = [e for e in manifest
             if e["model"].startswith("prep-mixed-") and e["file"].endswith("-p4.pkl")]
    tap.ok(len(mixed) >= 6, "the prep-mixed fixtures exist", "%d found" % len(mixed))
    with tempfile.TemporaryDirectory() as tmp:
        for e in mixed:
            model = os.path.join(a.fixtures, e["file"])
            data = os.path.join(a.fixtures, e["input_csv"])
            want = json.load(open(os.path.join(a.fixtures, e["expected"])))
            rc, out, err = run(a.skconv, ["predict", model, "-i", data])
            tap.ok(rc == 0 and differs(json.loads(out), want, 1e-7) is None,
                   "%s: predict on the string CSV matches sklearn" % e["model"],
                   err or (differs(json.loads(out), want, 1e-7) if rc == 0 else ""))
            moved = os.path.join(tmp, e["model"] + ".moved.csv")
            rewrite_csv(data, moved, reorder=True)
            rc, out2, err = run(a.skconv, ["predict", model, "-i", moved])
            tap.ok(rc == 0 and out2 == out,
                   "%s: columns are matched by header name" % e["model"], err)
            onnx = os.path.join(tmp, e["model"] + ".onnx")
            rc, _, err = run(a.skconv, [model, "-o", onnx, "--force"])
            tap.ok(rc == 0, "%s: converts to ONNX" % e["model"], err)
            if rc == 0:
                # An ONNX graph does not record column names: by position.
                rc, out3, err = run(a.skconv, ["predict", onnx, "-i", data])
                why = err if rc else differs(json.loads(out3), want, 1e-5)
                tap.ok(rc == 0 and why is None,
                       "%s: the ONNX predicts the same from the string CSV" % e["model"], why)

        if mixed:
            e = mixed[0]
            model = os.path.join(a.fixtures, e["file"])
            data = os.path.join(a.fixtures, e["input_csv"])
            bad = os.path.join(tmp, "bad-number.csv")
            rewrite_csv(data, bad, cell=(2, "depth", "deep"))
            rc, out, err = run(a.skconv, ["predict", model, "-i", bad])
            lines = err.strip().splitlines()
            tap.ok(rc == USAGE and out == "" and len(lines) == 1 and bad in lines[0] and
                   "line 4" in lines[0] and "row 3" in lines[0] and "'depth'" in lines[0] and
                   "'deep'" in lines[0] and "not a number" in lines[0],
                   "a string in a numeric column: exit 2, one line naming file, row and column",
                   "exit %d: %s" % (rc, err))
            gone = os.path.join(tmp, "no-column.csv")
            rewrite_csv(data, gone, drop="color")
            rc, out, err = run(a.skconv, ["predict", model, "-i", gone])
            lines = err.strip().splitlines()
            tap.ok(rc == USAGE and len(lines) == 1 and gone in lines[0] and "'color'" in lines[0],
                   "a column the model needs is missing: exit 2, named", "exit %d: %s" % (rc, err))
            missing = os.path.join(tmp, "missing-cells.csv")
            rewrite_csv(data, missing, cell=(0, "cut", ""))
            rc, out, err = run(a.skconv, ["predict", model, "-i", missing])
            tap.ok(rc == 0, "an empty string cell is a missing value", err)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
