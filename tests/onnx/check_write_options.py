#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the ONNX writer's `-O zipmap=true` and `-O inputs=columns`
against scikit-learn and ONNX Runtime.

inputs=columns: for fixtures fitted on DataFrames (ColumnTransformer by
column names; with fam_prep.py's prep-mixed-* fixtures, text columns
beside numeric ones) the ONNX file has one input [N, 1] per column, named
as the columns and typed as X; ONNX Runtime fed the columns one by one
matches sklearn; `skconv predict` on the file matches the CSV by header
(the reader lifts the inputs back into one X); a model without column
names is refused (exit 1, no file).

zipmap=true:

For classifier fixtures (int and string labels, binary and multiclass),
converts with zipmap=true and checks:
  - onnx.checker passes; `probabilities` is declared as a sequence of
    maps keyed int64 or string as the labels are, and ZipMap's labels are
    the classifier's classes_ in order (read with sklearn from the fixture);
  - ONNX Runtime loads and runs the model (its node API cannot return a
    sequence of maps, so a run that fails only there counts as run);
  - the tensor ZipMap zips, exposed as an extra output, matches sklearn's
    predict_proba in ONNX Runtime (1e-5 * max(1, |b|)), labels exactly;
  - `skconv predict` on the ZipMap file gives the same probabilities;
  - refusals, exit 1 with a message naming the reason and no file left:
    a regressor, and zipmap=true with dtype=float64.

Usage: check_write_options.py --skconv PATH --fixtures DIR --workdir DIR
                       [--node PATH] [--node-modules DIR]
Exit: 0 passed, 1 failed, 77 node/onnxruntime-node or fixtures missing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

try:
    import joblib
    import numpy as np
    import onnx
    import onnx.checker
    from onnx import helper as h, TensorProto as T
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)
ORT_RUN = os.path.join(HERE, "ort_run.js")
CLASSIFIERS = ["logreg-bin-int.joblib", "logreg-bin-str.joblib",
               "logreg-multi-int.joblib", "logreg-multi-str.joblib"]
REGRESSOR = "linreg"


def run(cmd, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300, **kw)


def expose_zipmap_input(path, out):
    """A copy of the model with the tensor ZipMap zips as output `zipped`
    (in place of the sequence of maps, which node cannot return); also
    returns ZipMap's labels."""
    m = onnx.load(path)
    g = m.graph
    zm = [n for n in g.node if n.op_type == "ZipMap"][0]
    attrs = {a.name: a for a in zm.attribute}
    labels = (list(attrs["classlabels_int64s"].ints) if "classlabels_int64s" in attrs
              else [v.decode() for v in attrs["classlabels_strings"].strings])
    keep = [o for o in g.output if o.name != "probabilities"]
    del g.output[:]
    g.output.extend(keep)
    g.output.append(h.make_tensor_value_info(zm.input[0], T.FLOAT, None))
    onnx.save(m, out)
    return zm.input[0], labels


def column_feed(inp, columns, path):
    """The fixture's X [N, F] as one [N, 1] input per column."""
    x = inp["X"]
    n, f = x["shape"]
    feed = {}
    for j, c in enumerate(columns):
        feed[c] = {"dtype": x["dtype"], "shape": [n, 1],
                   "data": [x["data"][i * f + j] for i in range(n)]}
    with open(path, "w") as fh:
        json.dump(feed, fh)


def check_columns(args, env, check):
    """-O inputs=columns on DataFrame fixtures."""
    picks = []
    for fam, prefix in (("fam-compose", "compose-ct-names"), ("fam-prep", "prep-mixed-")):
        d = os.path.join(args.fixtures, fam)
        man = os.path.join(d, "manifest.json")
        if not os.path.exists(man):
            continue
        fx = [f for f in json.load(open(man))["fixtures"]
              if f["file"].startswith(prefix) and f["file"].endswith(".joblib")]
        picks += [(d, f) for f in fx[:3]]
    check("inputs=columns: DataFrame fixtures found", len(picks) >= 1, "none")
    for d, fx in picks:
        tag = "inputs=columns " + fx["file"]
        src = os.path.join(d, fx["file"])
        out = os.path.join(args.workdir, fx["file"] + ".columns.onnx")
        p = run([args.skconv, src, "-o", out, "--force", "-O", "inputs=columns"])
        if p.returncode != 0:
            check(tag + " converts", False, p.stderr.strip())
            continue
        m = onnx.load(out)
        onnx.checker.check_model(m)
        names = [i.name for i in m.graph.input]
        inp = json.load(open(os.path.join(d, fx["input"])))
        cols = getattr(joblib.load(src), "feature_names_in_", None)
        cols = list(cols) if cols is not None else names
        elem = T.STRING if inp["X"]["dtype"] == "string" else T.FLOAT
        check(tag + " one input per column, named and typed as X",
              names == cols and all(i.type.tensor_type.elem_type == elem for i in m.graph.input),
              "%s vs %s" % (names, cols))
        feed = os.path.join(args.workdir, fx["file"] + ".columns.json")
        column_feed(inp, names, feed)
        res = os.path.join(args.workdir, fx["file"] + ".columns.ort.json")
        p = run([args.node, ORT_RUN, out, feed, res], env=env)
        if p.returncode != 0:
            check(tag + " runs in ONNX Runtime", False, p.stderr.strip())
            continue
        r = json.load(open(res))
        exp = json.load(open(os.path.join(d, fx["expected"])))
        ok = all(close(np.asarray(r[k]["data"]).reshape(r[k]["shape"]), v)
                 if k != "label" else r[k]["data"] == v for k, v in exp.items())
        check(tag + " ONNX Runtime matches sklearn", ok, "outputs %s" % sorted(r))
        pj = os.path.join(args.workdir, fx["file"] + ".columns.pred.json")
        p = run([args.skconv, "predict", out, "--input", os.path.join(d, fx["input_csv"]),
                 "--output", pj])
        ok = p.returncode == 0 and all(
            close(json.load(open(pj))[k], v) if k != "label" else json.load(open(pj))[k] == v
            for k, v in exp.items())
        check(tag + " skconv predict matches the CSV by header", ok, p.stderr.strip())
    out = os.path.join(args.workdir, "refused.onnx")
    if os.path.exists(out):
        os.unlink(out)
    p = run([args.skconv, os.path.join(args.fixtures, CLASSIFIERS[0]), "-o", out,
             "-O", "inputs=columns"])
    check("inputs=columns without column names refused",
          p.returncode == 1 and "inputs=columns" in p.stderr and not os.path.exists(out),
          "exit %d: %s" % (p.returncode, p.stderr.strip()))


def close(a, b, tol=1e-5):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * np.maximum(1, np.abs(b))))


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "")
    ap.add_argument("--node-modules", default=os.path.join(HERE, "..", "..", "node_modules"))
    args = ap.parse_args(argv)
    mods = os.path.abspath(os.environ.get("ORT_NODE_MODULES") or
                           os.environ.get("SKCONV_NODE_MODULES") or args.node_modules)
    if not args.node or not os.path.isdir(os.path.join(mods, "onnxruntime-node")):
        print("1..0 # SKIP node or onnxruntime-node not found in %s" % mods)
        return 77
    manifest = os.path.join(args.fixtures, "manifest.json")
    if not os.path.exists(manifest):
        print("1..0 # SKIP no fixtures in %s" % args.fixtures)
        return 77
    fixtures = {f["file"]: f for f in json.load(open(manifest))["fixtures"]}
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    env = dict(os.environ, ORT_NODE_MODULES=mods)
    tap = Tap()

    def check(name, ok, why=""):
        tap.ok(ok, name, why)

    for fname in CLASSIFIERS:
        fx = fixtures[fname]
        src = os.path.join(args.fixtures, fname)
        exp = json.load(open(os.path.join(args.fixtures, fx["expected"])))
        classes = [c.item() if hasattr(c, "item") else c for c in joblib.load(src).classes_]
        tag = fname
        out = os.path.join(args.workdir, fname + ".onnx")
        p = run([args.skconv, src, "-o", out, "--force", "-O", "zipmap=true"])
        if p.returncode != 0:
            check(tag + " converts", False, p.stderr.strip())
            continue
        m = onnx.load(out)
        try:
            onnx.checker.check_model(m)
            check(tag + " onnx.checker", True)
        except Exception as e:  # noqa: BLE001 - report any checker failure
            check(tag + " onnx.checker", False, str(e))
        po = [o for o in m.graph.output if o.name == "probabilities"]
        seq = bool(po) and po[0].type.WhichOneof("value") == "sequence_type"
        key = po[0].type.sequence_type.elem_type.map_type.key_type if seq else None
        want_key = T.STRING if isinstance(exp["label"][0], str) else T.INT64
        check(tag + " probabilities is seq(map) keyed by the labels' type",
              seq and key == want_key, "output type %s" % (po[0].type if po else "missing"))
        res = os.path.join(args.workdir, fname + ".ort.json")
        p = run([args.node, ORT_RUN, out, os.path.join(args.fixtures, fx["input"]), res],
                env=env)
        check(tag + " ONNX Runtime loads and runs the ZipMap model",
              p.returncode == 0 or "Non tensor type" in p.stderr, p.stderr.strip())
        exposed = out + ".zipped.onnx"
        zin, labels = expose_zipmap_input(out, exposed)
        check(tag + " ZipMap's labels are classes_ in order", labels == classes,
              "%s vs %s" % (labels, classes))
        p = run([args.node, ORT_RUN, exposed, os.path.join(args.fixtures, fx["input"]), res],
                env=env)
        if p.returncode != 0:
            check(tag + " the zipped tensor runs in ONNX Runtime", False, p.stderr.strip())
            continue
        r = json.load(open(res))
        got = np.asarray(r[zin]["data"]).reshape(r[zin]["shape"])
        check(tag + " the zipped tensor matches predict_proba", close(got, exp["probabilities"]),
              "max diff %g" % float(np.max(np.abs(got - np.asarray(exp["probabilities"])))))
        check(tag + " ORT labels match", r["label"]["data"] == exp["label"],
              "%s vs %s" % (r["label"]["data"][:5], exp["label"][:5]))
        pj = os.path.join(args.workdir, fname + ".pred.json")
        p = run([args.skconv, "predict", out, "--input",
                 os.path.join(args.fixtures, fx["input_csv"]), "--output", pj])
        ok = p.returncode == 0 and close(json.load(open(pj))["probabilities"],
                                         exp["probabilities"])
        check(tag + " skconv predict on the ZipMap file", ok, p.stderr.strip())

    refusals = [(CLASSIFIERS[0], ["-O", "dtype=float64"], "dtype=float64")]
    refusals.append((sorted(f for f in fixtures
                            if f.startswith(REGRESSOR) and f.endswith(".joblib"))[0], [],
                     "zipmap"))
    for fname, extra, word in refusals:
        out = os.path.join(args.workdir, "refused.onnx")
        if os.path.exists(out):
            os.unlink(out)
        p = run([args.skconv, os.path.join(args.fixtures, fname), "-o", out,
                 "-O", "zipmap=true"] + extra)
        check("%s zipmap=true %s refused" % (fname, " ".join(extra)),
              p.returncode == 1 and word in p.stderr and not os.path.exists(out),
              "exit %d: %s" % (p.returncode, p.stderr.strip()))

    check_columns(args, env, check)

    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
