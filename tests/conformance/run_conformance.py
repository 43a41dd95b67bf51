#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance: convert every fixture with skconv, check the ONNX file with
onnx.checker, run it in ONNX Runtime and compare with sklearn's outputs.

Usage:
  run_conformance.py --skconv PATH (--fixtures DIR | --make-fixtures SCRIPT)
                     --workdir DIR [--node-modules DIR] [--node PATH]
                     [--jobs N] [--filter SUBSTRING] [--dtype float32|float64]

--make-fixtures runs tests/fixtures/make_fixtures.py into WORKDIR/fixtures
first; --fixtures uses a directory it already made (its manifest.json).

Comparison rules (the same for every fixture):
  - every output sklearn gives (label, probabilities / variable) must be
    an output of the ONNX model, with the same shape;
  - labels must be identical: same values, and the same kind (integer
    classes stay integers, string classes stay strings);
  - numbers a (ONNX Runtime) and b (sklearn) must satisfy
        |a - b| <= 1e-5 * max(1, |b|)
    i.e. 1e-5 relative, and 1e-5 absolute for values below 1 in size;
    with --dtype float64 the models are written with `-O dtype=float64`,
    fed the same values as doubles, and held to 1e-9;
    NaN matches only NaN (ort_run.js writes non-finite floats as the
    strings "NaN", "Infinity", "-Infinity").

ONNX Runtime runs through tests/onnx/ort_run.js; onnxruntime-node is found
in $ORT_NODE_MODULES, else $SKCONV_NODE_MODULES, else --node-modules
(default: node_modules at the top of the source tree). Prints one line per fixture and a last line
"N passed, N failed". Exit status: 0 all passed, 1 some failed, 77 (skip)
when node or onnxruntime-node is absent, 2 on a usage or setup error.
"""

import argparse
import concurrent.futures
import json
import math
import os
import shutil
import subprocess
import sys

RTOL = {"float32": 1e-5, "float64": 1e-9}
SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "onnx", "ort_run.js")
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skconv", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--fixtures")
    src.add_argument("--make-fixtures")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node-modules",
                    default=os.path.join(HERE, "..", "..", "node_modules"))
    ap.add_argument("--node", default=shutil.which("node") or "")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--filter", default="")
    ap.add_argument("--dtype", choices=sorted(RTOL), default="float32",
                    help="the ONNX arithmetic type (skconv -O dtype=...)")
    ap.add_argument("--known-failures", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "known-failures.txt"))
    return ap.parse_args(argv)


def find_ort(args):
    """The node_modules directory holding onnxruntime-node, or None."""
    mods = (os.environ.get("ORT_NODE_MODULES") or
            os.environ.get("SKCONV_NODE_MODULES") or args.node_modules)
    mods = os.path.abspath(mods)
    if not args.node or not os.access(args.node, os.X_OK):
        print("SKIP: node not found (install nodejs)")
        return None
    if not os.path.isdir(os.path.join(mods, "onnxruntime-node")):
        print("SKIP: onnxruntime-node not found in %s "
              "(see README: npm install ... onnxruntime-node)" % mods)
        return None
    return mods


def convert(skconv, src, dst, dtype):
    """Run skconv; return None or a one-line reason."""
    try:
        p = subprocess.run([skconv, src, "-o", dst, "--force", "-O", "dtype=" + dtype],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "skconv timed out"
    if p.returncode != 0:
        first = (p.stderr.strip().splitlines() or ["(no message)"])[0]
        return "skconv exit %d: %s" % (p.returncode, first)
    if not os.path.isfile(dst):
        return "skconv exit 0 but no output file"
    return None


def check_onnx(path):
    import onnx
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - any checker failure is a FAIL
        return "onnx.checker: %s" % str(e).strip().splitlines()[0][:200]
    names = [i.name for i in model.graph.input]
    if names != ["X"]:
        return "inputs are %s, want [X]" % names
    return None


def flatten(v):
    if isinstance(v, list):
        for x in v:
            yield from flatten(x)
    else:
        yield v


def shape_of(v):
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0] if v else None
    return shape


def close(a, b, rtol):
    a = NONFINITE.get(a, a) if isinstance(a, str) else a
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    if not isinstance(a, (int, float)) or isinstance(a, bool):
        return False
    return abs(a - b) <= rtol * max(1.0, abs(b))


def compare(expected, got, rtol):
    """None when ONNX Runtime's outputs match sklearn's, else the reason."""
    if "error" in got:
        return "onnxruntime: %s" % got["error"]
    for name, want in expected.items():
        if name not in got:
            return "output %r missing (has %s)" % (name, sorted(got))
        out = got[name]
        if list(out["shape"]) != shape_of(want):
            return "%s: shape %s, sklearn %s" % (name, out["shape"],
                                                 shape_of(want))
        wflat = list(flatten(want))
        for i, (a, b) in enumerate(zip(out["data"], wflat)):
            if name == "label":
                # Same value and same kind: 1 != "1", 1 != 1.0 stays exact.
                if type(a) is not type(b) or a != b:
                    return "label[%d] = %r, sklearn %r" % (i, a, b)
            elif not close(a, b, rtol):
                return "%s[%d] = %r, sklearn %r (tolerance %g relative)" % (
                    name, i, a, b, rtol)
    return None


def make_fixtures(script, outdir):
    os.makedirs(outdir, exist_ok=True)
    p = subprocess.run([sys.executable, script, outdir],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit("make_fixtures.py failed (exit %d)" % p.returncode)


class OrtMissing(Exception):
    pass


def run_ort(node, mods, model, inputs, output):
    """Run ort_run.js; return its outputs as a dict, or {"error": why}."""
    env = dict(os.environ, ORT_NODE_MODULES=mods)
    p = subprocess.run([node, ORT_RUN, model, inputs, output], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    if p.returncode == SKIP:
        raise OrtMissing((p.stderr.strip().splitlines() or [""])[0])
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or
                          ["exit %d" % p.returncode])[0]}
    with open(output) as f:
        return json.load(f)


def check_fixture(args, mods, fixdir, outdir, fx):
    """Convert, check and run one fixture; None when it passes."""
    name = fx["file"]
    onnx_path = os.path.join(outdir, name + ".onnx")
    r = convert(args.skconv, os.path.join(fixdir, name), onnx_path, args.dtype)
    if r is None:
        r = check_onnx(onnx_path)
    if r is None:
        inputs = os.path.join(fixdir, fx["input"])
        if args.dtype == "float64":
            # The same values (float32-representable) as doubles.
            with open(inputs) as f:
                feed = json.load(f)
            for v in feed.values():
                if v.get("dtype") == "float32":
                    v["dtype"] = "float64"
            inputs = os.path.join(outdir, name + ".input64.json")
            with open(inputs, "w") as f:
                json.dump(feed, f)
        got = run_ort(args.node, mods, onnx_path, inputs,
                      os.path.join(outdir, name + ".ort.json"))
        with open(os.path.join(fixdir, fx["expected"])) as f:
            r = compare(json.load(f), got, RTOL[args.dtype])
    return r


def main(argv):
    args = parse_args(argv)
    args.skconv = os.path.abspath(args.skconv)
    mods = find_ort(args)
    if mods is None:
        return SKIP
    work = os.path.abspath(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fixdir = args.fixtures
    if args.make_fixtures:
        fixdir = os.path.join(work, "fixtures")
        make_fixtures(args.make_fixtures, fixdir)
    with open(os.path.join(fixdir, "manifest.json")) as f:
        fixtures = [fx for fx in json.load(f)["fixtures"]
                    if args.filter in fx["file"]]
    if not fixtures:
        raise SystemExit("no fixtures selected")
    outdir = os.path.join(work, "out")
    os.makedirs(outdir)

    # Known defects, each with its reason (tests/conformance/known-failures.txt:
    # "<fixture file prefix> <reason>"): reported as XFAIL, not failures, so
    # they stay visible without hiding new regressions.
    known = {}
    if args.known_failures and os.path.exists(args.known_failures):
        with open(args.known_failures) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    key, _, why = line.partition(" ")
                    known[key] = why.strip()

    def known_reason(fname):
        for key, why in known.items():
            if fname.startswith(key):
                return why
        return None

    passed = failed = xfailed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futures = [ex.submit(check_fixture, args, mods, fixdir, outdir, fx)
                   for fx in fixtures]
        try:
            for fx, fut in zip(fixtures, futures):
                r = fut.result()
                if r is None:
                    passed += 1
                    print("PASS %s (%s)" % (fx["file"], fx["estimator"]),
                          flush=True)
                elif known_reason(fx["file"]) is not None:
                    xfailed += 1
                    print("XFAIL %s (%s): known defect (%s): %s" % (
                        fx["file"], fx["estimator"], known_reason(fx["file"]), r),
                        flush=True)
                else:
                    failed += 1
                    print("FAIL %s (%s): %s" % (fx["file"], fx["estimator"],
                                                r), flush=True)
        except OrtMissing as e:
            for fut in futures:
                fut.cancel()
            print("SKIP: %s" % e)
            return SKIP
    if xfailed:
        print("%d known defects (XFAIL), listed in %s" % (xfailed, args.known_failures))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
