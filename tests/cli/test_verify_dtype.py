#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Verification against a float32 target that cannot hold the model.

A Pipeline(StandardScaler, LinearRegression) computing
y = x0 / 1e-8 - x1 / 1e-8, checked on rows where x0 and x1 differ by 1e-6,
loses the answer to float32 rounding: each scaled column (about 1e8) is
off by a few units in float32, the result is about 100. Converting to ONNX in the
default float32 mode must fail verification (exit 1), say that
`-O dtype=float64` computes in double, and leave no file; with
`-O dtype=float64` the same conversion passes and the file is written.
With --keep-failed the failing file is kept: it carries the source hash
(made past the read and appended at the end) but no verification summary.

Usage: test_verify_dtype.py --skconv PATH --workdir DIR   (TAP output)
"""

import argparse
import hashlib
import os
import pickle
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

try:
    import numpy as np
    import onnx
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(77)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.join(args.workdir, "cancel.pkl")
    rows = os.path.join(args.workdir, "rows.csv")
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())])
    pipe.fit(x, x[:, 0] - x[:, 1])
    sc, lr = pipe.named_steps["scale"], pipe.named_steps["lr"]
    sc.mean_, sc.scale_, sc.var_ = np.zeros(2), np.full(2, 1e-8), np.full(2, 1e-16)
    lr.coef_, lr.intercept_ = np.array([1.0, -1.0]), 0.0
    with open(model, "wb") as f:
        pickle.dump(pipe, f, protocol=4)
    base = np.linspace(1.0, 2.0, 8)
    np.savetxt(rows, np.column_stack([base + 1e-6, base]), delimiter=",", fmt="%.17g")

    tap = Tap()
    out = os.path.join(args.workdir, "cancel.onnx")
    for dtype, want in (("float32", 1), ("float64", 0)):
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run([args.skconv, model, "-o", out, "--verify-data", rows,
                            "-O", "dtype=" + dtype], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        err = p.stderr.strip()
        tap.ok(p.returncode == want, "dtype=%s exits %d" % (dtype, want),
               "exit %d: %s" % (p.returncode, err))
        if want:
            tap.ok("verification failed" in err and "-O dtype=float64" in err,
                   "dtype=float32: says verification failed and names -O dtype=float64", err)
            tap.ok(not os.path.exists(out) and
                   not [n for n in os.listdir(args.workdir) if ".tmp" in n],
                   "dtype=float32: no file left", str(os.listdir(args.workdir)))
        else:
            tap.ok(os.path.exists(out), "dtype=float64: the file is written", err)
    os.unlink(out)
    p = subprocess.run([args.skconv, model, "-o", out, "--verify-data", rows, "--keep-failed"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    meta = ({e.key: e.value for e in onnx.load(out).metadata_props}
            if os.path.exists(out) else {})
    want = hashlib.sha256(open(model, "rb").read()).hexdigest()
    tap.ok(p.returncode == 1 and meta.get("source.sha256") == want and
           "skconv.verification" not in meta,
           "--keep-failed: the file is kept with its source hash, without a summary",
           "exit %d: %s %s" % (p.returncode, p.stderr.strip(), meta))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
