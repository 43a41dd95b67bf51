#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""JPMML corpus conformance: every pickle of ../shared/corpus/jpmml, run by
skconv on its dataset CSV and compared with the expected CSV.

Usage:
  run_jpmml.py --skconv PATH [--corpus DIR] [--workdir DIR]
               [--expected FILE] [--node-modules DIR] [--node PATH]
               [--no-onnx] [--jobs N] [--filter SUBSTRING]
               [--report FILE] [--update-expected]

The pickles are untrusted and are never loaded in Python: only skconv reads
them. For each pkl/<module>/<Algorithm><Dataset>.pkl with an expected
csv/<module>/<Algorithm><Dataset>.csv:
  1. the dataset csv/<module>/<Dataset>.csv (the longest dataset name the
     model name ends with) loses its target columns (the expected CSV's
     columns that the dataset has too) and goes to
     `skconv predict MODEL --input ... -o out.csv` (the reference evaluator,
     columns matched by name from PMMLPipeline active_fields);
  2. the same through the native format: `skconv MODEL -o m.skm`, then
     `skconv predict m.skm`;
  3. when every model input is numeric: `skconv MODEL -o m.onnx` (float32)
     run in ONNX Runtime (tests/onnx/ort_run.js), inputs in the model's
     column order.
Compared columns: the target column(s) against `label` (classifiers,
outlier detectors' `outlier` flag) or `variable[j]` (regressors, in
order), `probability(<class>)` against `probabilities[j]` in order,
`decisionFunction` against `scores[0]`, `cluster` against `label`.
Labels must be identical (numbers compare as numbers: 0 and 0.0 agree);
values must satisfy |a - b| <= tol * max(1, |b|) with tol 1e-9 for the
evaluator and .skm, 1e-5 for ONNX in float32. A model whose expected
columns include none of those is "unverifiable".

Outcome per model: pass (every stage that applies matches), mismatch
(converts but some stage differs), blocked (skconv refuses it: the class
named in the message is its blocker), or unverifiable.
The run FAILS (exit 1) only on regressions: a mismatch, or a model listed
in --expected (tests/jpmml/expected_supported.txt, one model per line)
that no longer passes. Blocked models are listed, not failures, and so
are mismatches listed with their reason in --known
(tests/jpmml/known_mismatches.txt).
--update-expected rewrites that list with the models that pass now.
Prints one line per model, a table of blockers by class (with the
inventory.tsv count of models that reference each class), and a last line
"N passed, N failed". Exit 77 (skip) when the corpus is absent.
"""

import argparse
import collections
import concurrent.futures
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "onnx", "ort_run.js")
TOL_REF = 1e-9
TOL_ONNX = 1e-5
# Model-name suffixes whose dataset file is named otherwise.
DATASET_ALIASES = {"Spline": "BSpline", "YeoJohnson": "BoxCox"}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--corpus", default=os.environ.get(
        "SKCONV_JPMML_CORPUS",
        os.path.join(HERE, "..", "..", "..", "shared", "corpus", "jpmml")))
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--expected", default=os.path.join(HERE, "expected_supported.txt"))
    ap.add_argument("--known", default=os.path.join(HERE, "known_mismatches.txt"),
                    help="models that convert but differ for a known reason (not failures)")
    ap.add_argument("--node-modules",
                    default=os.path.join(HERE, "..", "..", "node_modules"))
    ap.add_argument("--node", default=shutil.which("node") or "")
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--filter", default="")
    ap.add_argument("--report", default=None, help="write a TSV of every model's outcome")
    ap.add_argument("--update-expected", action="store_true")
    return ap.parse_args(argv)


# ---- CSV --------------------------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    delim = "\t" if "\t" in first else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delim))
    rows = [r for r in rows if r]
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def is_na(s):
    return s.strip() in ("", "N/A", "NA", "NaN", "nan")


def num(s):
    s = s.strip()
    if is_na(s):
        return math.nan
    low = s.lower()
    if low in ("true", "false"):
        return float(low == "true")
    return float(s)


def try_num(s):
    try:
        return num(s)
    except ValueError:
        return None


# ---- datasets and expected outputs ---------------------------------------------------

def dataset_for(corpus, module, name):
    """The dataset CSV a model was scored on, or None. A CSV named after a
    pickle is that model's expected output, never a dataset."""
    dirs = [os.path.join(corpus, "csv", module), os.path.join(corpus, "csv", "sklearn")]
    best = None
    for d in dirs:
        if not os.path.isdir(d):
            continue
        pkls = os.path.join(corpus, "pkl", os.path.basename(d))
        models = {f[:-4] for f in os.listdir(pkls)} if os.path.isdir(pkls) else set()
        for f in os.listdir(d):
            stem = f[:-4]
            if not f.endswith(".csv") or stem in models or not name.endswith(stem):
                continue
            if best is None or len(stem) > len(best[0]):
                best = (stem, os.path.join(d, f))
        if best:
            return best[1]
    for suffix, stem in DATASET_ALIASES.items():
        if name.endswith(suffix):
            for d in dirs:
                p = os.path.join(d, stem + ".csv")
                if os.path.exists(p):
                    return p
    return None


def mapping(expected_header, dataset_header):
    """Expected columns grouped by what they compare with."""
    m = {"targets": [], "proba": [], "decision": None, "outlier": None,
         "cluster": None, "other": []}
    for j, h in enumerate(expected_header):
        # A first column named plainly that the dataset lacks is the
        # predicted target too (transformer tests score a regressor first).
        if h in dataset_header or (j == 0 and "(" not in h and h not in
                                   ("cluster", "decisionFunction", "outlier")):
            m["targets"].append(j)
        elif h.startswith("probability("):
            m["proba"].append(j)
        elif h == "decisionFunction":
            m["decision"] = j
        elif h == "outlier":
            m["outlier"] = j
        elif h == "cluster":
            m["cluster"] = j
        else:
            m["other"].append(j)
    return m


# ---- running skconv -----------------------------------------------------------------

def run(cmd, env=None, timeout=600):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "timed out after %d s" % timeout
    msg = "\n".join(l for l in (p.stderr or "").splitlines()
                    if "warning:" not in l and l.strip())
    return p.returncode, msg


BLOCKER_PATTERNS = [
    (re.compile(r"global not allowed: ([\w.]+)"), "not on the pickle allowlist"),
    (re.compile(r"global ([\w.]+) refused: can run code"), "runs code (refused as unsafe)"),
    (re.compile(r"unsupported estimator ([\w.]+)"), "no lifter"),
    (re.compile(r"is not a number"), "string input columns (CSV reader reads numbers only)"),
    (re.compile(r"(\d+ columns, but the model takes \d+)"), "input width"),
]


def blocker(msg):
    """(class or reason, kind) for a refusal message."""
    for rx, kind in BLOCKER_PATTERNS:
        mt = rx.search(msg)
        if mt:
            return (mt.group(1) if rx.groups else kind), kind
    last = msg.strip().splitlines()[-1] if msg.strip() else "no message"
    # "path > Class: reason": the innermost class named in the path.
    mt = re.search(r"([A-Z]\w+)(?:\[[^\]]*\])?: ([^:]+)$", last)
    if mt:
        return mt.group(1), "refused: " + mt.group(2)[:90]
    return last[-90:], "refused"


def out_columns(path):
    header, rows = read_csv(path)
    cols = collections.OrderedDict()
    for j, h in enumerate(header):
        cols[h] = [r[j] for r in rows]
    return cols


def series(cols, name):
    if name in cols:
        return cols[name]
    if name + "[0]" in cols and name + "[1]" not in cols:
        return cols[name + "[0]"]
    return None


def same_label(a, b):
    if a.strip() == b.strip():
        return True
    x, y = try_num(a), try_num(b)
    if x is not None and y is not None:
        return x == y or (math.isnan(x) and math.isnan(y))
    return False


def close(a, b, tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def compare(cols, exp_header, exp_rows, m, tol):
    """None when every mapped column agrees, else a one-line reason."""
    n = len(exp_rows)
    checks = []   # (expected column index, our series, kind)
    if m["targets"]:
        if "label" in cols and len(m["targets"]) == 1:
            checks.append((m["targets"][0], cols["label"], "label"))
        else:
            for t, j in enumerate(m["targets"]):
                # A multi-output classifier gives label [N, T]: label[t].
                if "label[%d]" % t in cols:
                    checks.append((j, cols["label[%d]" % t], "label"))
                    continue
                s = cols.get("variable[%d]" % t)
                if s is None and len(m["targets"]) == 1:
                    s = series(cols, "variable")
                if s is None:
                    return "no output for target column '%s'" % exp_header[j]
                checks.append((j, s, "value"))
    if m["proba"]:
        if "probabilities[%d]" % (len(m["proba"]) - 1) not in cols or \
           "probabilities[%d]" % len(m["proba"]) in cols:
            return "probabilities: %d expected columns, the model gives others" % len(m["proba"])
        for t, j in enumerate(m["proba"]):
            checks.append((j, cols["probabilities[%d]" % t], "value"))
    if m["decision"] is not None:
        s = series(cols, "scores")
        if s is None:
            return "no scores output for decisionFunction"
        checks.append((m["decision"], s, "value"))
    if m["outlier"] is not None and "label" in cols:
        checks.append((m["outlier"], ["true" if v.strip() in ("-1", "-1.0") else "false"
                                      for v in cols["label"]], "label"))
    if m["cluster"] is not None and "label" in cols:
        checks.append((m["cluster"], cols["label"], "label"))
    if not checks:
        return "unverifiable"
    worst = 0.0
    for j, ours, kind in checks:
        if len(ours) != n:
            return "%d rows, expected %d" % (len(ours), n)
        for r in range(n):
            e = exp_rows[r][j]
            if kind == "label":
                if not same_label(ours[r], e):
                    return "row %d %s: %r, expected %r" % (r, exp_header[j], ours[r], e)
                continue
            a, b = try_num(ours[r]), try_num(e)
            if a is None or b is None:
                if not same_label(ours[r], e):
                    return "row %d %s: %r, expected %r" % (r, exp_header[j], ours[r], e)
                continue
            if not close(a, b, tol):
                return "row %d %s: %.17g, expected %.17g" % (r, exp_header[j], a, b)
            if not math.isnan(a):
                worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    return None if worst <= tol else "max difference %g" % worst


def model_inputs(skconv, env, skm):
    p = subprocess.run([skconv, "inspect", "--json", skm], capture_output=True, text=True,
                       env=env)
    try:
        return json.loads(p.stdout).get("inputs", [])
    except ValueError:
        return None


def ort_stage(args, env, pkl, work, in_csv, in_header, in_rows, inputs, exp_header, exp_rows,
              m):
    """None (match), "n/a: why", or a mismatch reason."""
    if len(inputs) != 1 or inputs[0].get("dtype") not in ("float64", "float32"):
        return "n/a: not a single numeric input"
    cols = inputs[0].get("columns")
    if cols:
        try:
            order = [in_header.index(c) for c in cols]
        except ValueError as e:
            return "input column missing: %s" % e
    else:
        order = list(range(len(in_header)))
    data = []
    for r in in_rows:
        for j in order:
            v = num(r[j])
            data.append("NaN" if math.isnan(v) else v)
    onnx = os.path.join(work, "model.onnx")
    code, msg = run([args.skconv, pkl, "-o", onnx, "--force", "--verify-data", in_csv],
                    env=env)
    if code != 0:
        return "ONNX conversion failed: " + (msg.splitlines()[-1] if msg else "exit %d" % code)
    jin = os.path.join(work, "ort_in.json")
    jout = os.path.join(work, "ort_out.json")
    with open(jin, "w") as f:
        json.dump({"X": {"dtype": "float32", "shape": [len(in_rows), len(order)],
                         "data": data}}, f)
    oenv = dict(env, ORT_NODE_MODULES=args.ort_modules)
    code, msg = run([args.node, ORT_RUN, onnx, jin, jout], env=oenv)
    if code != 0:
        return "ONNX Runtime failed: " + (msg.splitlines()[-1] if msg else "exit %d" % code)
    with open(jout) as f:
        out = json.load(f)
    ours = collections.OrderedDict()
    for name, t in out.items():
        shape = t["shape"]
        flat = ["NaN" if v is None else str(v) for v in t["data"]]
        if len(shape) == 1:
            ours[name] = flat
        else:
            w = shape[1] if len(shape) > 1 else 1
            for j in range(w):
                ours["%s[%d]" % (name, j)] = flat[j::w]
    return compare(ours, exp_header, exp_rows, m, TOL_ONNX)


def one(args, env, module, pkl):
    name = os.path.basename(pkl)[:-4]
    key = "%s/%s" % (module, name)
    res = {"model": key, "status": "", "detail": "", "blocker": "", "kind": "", "stages": ""}
    exp_path = os.path.join(args.corpus, "csv", module, name + ".csv")
    ds_path = dataset_for(args.corpus, module, name)
    if not os.path.exists(exp_path) or not ds_path:
        res.update(status="no-data", detail="no expected CSV or dataset")
        return res
    work = os.path.join(args.workdir, module, name)
    os.makedirs(work, exist_ok=True)
    ds_header, ds_rows = read_csv(ds_path)
    exp_header, exp_rows = read_csv(exp_path)
    if len(ds_rows) != len(exp_rows):
        res.update(status="unverifiable", detail="the expected CSV has %d rows for %d input "
                   "rows" % (len(exp_rows), len(ds_rows)))
        return res
    m = mapping(exp_header, ds_header)
    targets = {exp_header[j] for j in m["targets"]}
    keep = [j for j, h in enumerate(ds_header) if h not in targets]
    in_header = [ds_header[j] for j in keep]
    in_rows = [[r[j] for j in keep] for r in ds_rows]
    in_csv = os.path.join(work, "input.csv")
    write_csv(in_csv, in_header, in_rows)

    stages = []
    out = os.path.join(work, "predict.csv")
    code, msg = run([args.skconv, "predict", pkl, "--input", in_csv, "-o", out, "--force"],
                    env=env)
    if code != 0 and re.search(r"%d columns, but the model takes %d" %
                               (len(in_header), len(in_header) - 1), msg):
        # A model without column names: the dataset's last column is its
        # target (the corpus convention) even when no output repeats it.
        in_header.pop()
        for r in in_rows:
            r.pop()
        write_csv(in_csv, in_header, in_rows)
        code, msg = run([args.skconv, "predict", pkl, "--input", in_csv, "-o", out,
                         "--force"], env=env)
    if code != 0:
        cls, kind = blocker(msg)
        res.update(status="blocked", blocker=cls, kind=kind,
                   detail=(msg.splitlines()[-1] if msg else "exit %d" % code)[:300])
        return res
    why = compare(out_columns(out), exp_header, exp_rows, m, TOL_REF)
    if why == "unverifiable":
        res.update(status="unverifiable", detail="expected columns: " + ",".join(exp_header)[:200])
        return res
    stages.append("predict" if why is None else "predict: " + why)
    mismatch = why is not None

    skm = os.path.join(work, "model.skm")
    # Verification runs on the dataset rather than synthesised probe rows:
    # the corpus is about these inputs.
    code, msg = run([args.skconv, pkl, "-o", skm, "--force", "--verify-data", in_csv], env=env)
    if code != 0:
        mismatch = True
        stages.append("skm: conversion failed: " + (msg.splitlines()[-1] if msg else ""))
    else:
        out2 = os.path.join(work, "predict_skm.csv")
        code, msg = run([args.skconv, "predict", skm, "--input", in_csv, "-o", out2,
                         "--force"], env=env)
        why = ("predict failed: " + msg.splitlines()[-1] if msg else "predict failed") \
            if code != 0 else compare(out_columns(out2), exp_header, exp_rows, m, TOL_REF)
        stages.append("skm" if why is None else "skm: " + why)
        mismatch |= why is not None

    if args.ort_modules and code == 0:
        inputs = model_inputs(args.skconv, env, skm) or []
        why = ort_stage(args, env, pkl, work, in_csv, in_header, in_rows, inputs, exp_header,
                        exp_rows, m)
        if why is None:
            stages.append("onnx")
        elif why.startswith("n/a"):
            stages.append("onnx " + why)
        else:
            stages.append("onnx: " + why)
            mismatch = True
    res["stages"] = "; ".join(stages)
    res["status"] = "mismatch" if mismatch else "pass"
    return res


# ---- inventory ------------------------------------------------------------------------

def inventory_counts(corpus):
    """Class → number of pickles whose globals name it."""
    counts = collections.Counter()
    path = os.path.join(corpus, "inventory.tsv")
    if not os.path.exists(path):
        return counts
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            for g in set((row.get("globals") or "").split(",")):
                if g:
                    counts[g] += 1
                    counts[g.rsplit(".", 1)[-1]] += 0
    return counts


def inventory_count(counts, cls):
    if cls in counts:
        return counts[cls]
    short = cls.rsplit(".", 1)[-1]
    return sum(v for k, v in counts.items() if k.rsplit(".", 1)[-1] == short and "." in k)


def main(argv):
    args = parse_args(argv)
    args.corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(os.path.join(args.corpus, "pkl")):
        print("SKIP: jpmml corpus not found at %s (set SKCONV_JPMML_CORPUS)" % args.corpus)
        return SKIP
    if args.workdir is None:
        args.workdir = os.path.join(os.getcwd(), "jpmml-work")
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    args.ort_modules = None
    if not args.no_onnx:
        mods = os.path.abspath(os.environ.get("ORT_NODE_MODULES") or
                               os.environ.get("SKCONV_NODE_MODULES") or args.node_modules)
        if args.node and os.path.isdir(os.path.join(mods, "onnxruntime-node")):
            args.ort_modules = mods
        else:
            print("note: node or onnxruntime-node not found; the ONNX stage is skipped")
    env = dict(os.environ)
    models = []
    for module in sorted(os.listdir(os.path.join(args.corpus, "pkl"))):
        d = os.path.join(args.corpus, "pkl", module)
        for f in sorted(os.listdir(d)):
            if f.endswith(".pkl") and args.filter in "%s/%s" % (module, f):
                models.append((module, os.path.join(d, f)))
    expected = set()
    if os.path.exists(args.expected):
        with open(args.expected) as f:
            expected = {l.strip() for l in f if l.strip() and not l.startswith("#")}

    known = {}
    if os.path.exists(args.known):
        with open(args.known) as f:
            for l in f:
                if l.strip() and not l.startswith("#"):
                    parts = l.split(None, 1)
                    known[parts[0]] = parts[1].strip() if len(parts) > 1 else ""

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        results = list(ex.map(lambda mp: one(args, env, *mp), models))

    passed = failed = 0
    blockers = collections.defaultdict(list)
    for r in results:
        if r["status"] == "mismatch" and r["model"] in known:
            r["status"] = "known"
        regress = r["status"] == "mismatch" or (r["model"] in expected and r["status"] != "pass")
        if r["status"] == "pass":
            passed += 1
            print("PASS %s (%s)%s" % (r["model"], r["stages"],
                                      " (listed in %s: remove it)" % os.path.basename(args.known)
                                      if r["model"] in known else ""))
        elif r["status"] == "known":
            print("known %s: %s [%s]" % (r["model"], r["stages"], known[r["model"]]))
        elif regress:
            failed += 1
            print("FAIL %s: %s %s" % (r["model"], r["status"], r["stages"] or r["detail"]))
        elif r["status"] == "blocked":
            blockers[(r["blocker"], r["kind"])].append(r["model"])
            print("blocked %s: %s" % (r["model"], r["detail"]))
        else:
            print("%s %s: %s" % (r["status"], r["model"], r["detail"]))

    counts = inventory_counts(args.corpus)
    by_status = collections.Counter(r["status"] for r in results)
    print()
    print("%d models: %s" % (len(results), ", ".join(
        "%d %s" % (v, k) for k, v in sorted(by_status.items()))))
    print()
    print("Blockers by class (first refusal; 'corpus' = pickles of inventory.tsv naming it):")
    print("%-60s %7s %7s  %s" % ("class / reason", "models", "corpus", "why"))
    for (cls, kind), ms in sorted(blockers.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print("%-60s %7d %7s  %s" % (cls[:60], len(ms), inventory_count(counts, cls) or "-",
                                     kind))
    if args.report:
        with open(args.report, "w", newline="") as f:
            w = csv.writer(f, delimiter="\t")
            w.writerow(["model", "status", "blocker", "kind", "stages", "detail"])
            for r in results:
                w.writerow([r["model"], r["status"], r["blocker"], r["kind"], r["stages"],
                            r["detail"]])
    if args.update_expected:
        # Models outside --filter keep their entries.
        ran = {r["model"] for r in results}
        keep = (expected - ran) | {r["model"] for r in results if r["status"] == "pass"}
        with open(args.expected, "w") as f:
            f.write("# Models of the jpmml corpus that pass tests/jpmml/run_jpmml.py "
                    "(run with --update-expected to refresh).\n# A model listed here that "
                    "stops passing fails the test.\n")
            for k in sorted(keep):
                f.write(k + "\n")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
