#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ONNX external data: large tensors in OUTPUT.data beside the model.

- An MLP written with -O external_data=true: its large initializers point
  into mlp.onnx.data (4096-aligned), onnx.checker.check_model(path) passes,
  `skconv predict` matches sklearn, ONNX Runtime gives the same outputs as
  for the model written without the option;
- the side file follows the output's rules: an existing one is not
  overwritten without --force (the main file neither), --force replaces it;
- a tree model with the option: small tensors stay inline (no side file in
  float32), leaf values go out in float64; both predict as sklearn;
- a damaged side file (truncated, wrong length, location '../x' or
  absolute, missing) is refused cleanly by `skconv predict` and `verify`;
- a failed verification and a refused write leave neither file behind;
- past the protobuf limit (lowered with SKCONV_ONNX_PROTO_LIMIT) tensors go
  out automatically with a warning, and a tree ensemble whose list
  attributes pass it is refused, naming them and .skm.

Usage: test_external_data.py --skconv PATH --workdir DIR [--node-modules DIR]
(TAP output)
"""

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

try:
    import numpy as np
    import onnx
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))


def run(args, *argv, env=None):
    return subprocess.run([args.skconv, *argv], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, env=env)


def leftovers(d):
    return sorted(n for n in os.listdir(d) if ".tmp-" in n)


def predict(args, model, rows, out):
    p = run(args, "predict", model, "-i", rows, "-o", out, "--force")
    return (json.load(open(out)) if p.returncode == 0 else None), p


def external(path):
    """{initializer or tensor attribute name: external_data dict} of the file."""
    m = onnx.load(path, load_external_data=False)
    ext = {}
    tensors = [(t.name, t) for t in m.graph.initializer]
    tensors += [(n.op_type + "." + a.name, a.t) for n in m.graph.node for a in n.attribute
                if a.type == onnx.AttributeProto.TENSOR]
    for name, t in tensors:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            ext[name] = {e.key: e.value for e in t.external_data}
    return ext


def ort(node, mods, model, feed, out):
    p = subprocess.run([node, os.path.join(HERE, "..", "onnx", "ort_run.js"), model, feed, out],
                       capture_output=True, text=True, timeout=300, cwd="/",
                       env=dict(os.environ, ORT_NODE_MODULES=mods))
    return (json.load(open(out)) if p.returncode == 0 else None), p.stderr


def damage(src, dst, edit):
    """A copy of model @p src at @p dst with the first external tensor's entries edited."""
    m = onnx.load(src, load_external_data=False)
    t = next(t for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
    entries = {e.key: e for e in t.external_data}
    edit(entries)
    onnx.save(m, dst)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node-modules")
    args = ap.parse_args(argv)
    w = args.workdir
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 20))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    mlp = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=400, random_state=0).fit(x, y)
    rf = RandomForestRegressor(n_estimators=3, max_depth=8, random_state=0).fit(x, x[:, 0])
    for name, est in (("mlp.pkl", mlp), ("rf.pkl", rf)):
        with open(os.path.join(w, name), "wb") as f:
            pickle.dump(est, f, protocol=4)
    rows = os.path.join(w, "rows.csv")
    np.savetxt(rows, x[:40], delimiter=",", fmt="%.17g")
    pkl, out, side = os.path.join(w, "mlp.pkl"), os.path.join(w, "mlp.onnx"), \
        os.path.join(w, "mlp.onnx.data")
    tap = Tap()

    # -- an MLP with its large tensors outside ------------------------------
    p = run(args, pkl, "-o", out, "-O", "external_data=true")
    tap.ok(p.returncode == 0 and os.path.isfile(out) and os.path.isfile(side),
           "MLP with external_data=true: mlp.onnx and mlp.onnx.data written", p.stderr)
    ext = external(out) if p.returncode == 0 else {}
    tap.ok(len(ext) >= 2 and all(e.get("location") == "mlp.onnx.data" and
                                 int(e["offset"]) % 4096 == 0 for e in ext.values()),
           "the large initializers are in mlp.onnx.data, 4096-aligned", str(ext))
    try:
        onnx.checker.check_model(out)
        tap.ok(True, "onnx.checker.check_model(path) passes")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "onnx.checker.check_model(path) passes", str(e))
    got, q = predict(args, out, rows, os.path.join(w, "pred.json"))
    tap.ok(got is not None and got["label"] == [int(v) for v in mlp.predict(x[:40])] and
           np.allclose(got["probabilities"], mlp.predict_proba(x[:40]), rtol=1e-4, atol=1e-5),
           "skconv predict on it matches sklearn", q.stderr)
    tap.ok(leftovers(w) == [], "no temporary file left", str(leftovers(w)))

    inline = os.path.join(w, "inline.onnx")
    p = run(args, pkl, "-o", inline)
    node = shutil.which("node") or shutil.which("nodejs")
    if args.node_modules and node and os.path.isdir(args.node_modules) and p.returncode == 0:
        feed = os.path.join(w, "feed.json")
        with open(feed, "w") as f:
            json.dump({"X": {"dtype": "float32", "shape": [40, 20],
                             "data": [float(v) for v in x[:40].astype(np.float32).ravel()]}}, f)
        a, ea = ort(node, args.node_modules, out, feed, os.path.join(w, "ort_ext.json"))
        b, eb = ort(node, args.node_modules, inline, feed, os.path.join(w, "ort_inline.json"))
        tap.ok(a is not None and a == b,
               "ONNX Runtime (run from another directory) gives the same outputs with and "
               "without external data", ea + eb)
    else:
        tap.skip("ONNX Runtime with external data", "node or onnxruntime-node missing")

    # -- the side file follows the output's rules ---------------------------
    before = open(side, "rb").read()
    p = run(args, pkl, "-o", out, "-O", "external_data=true")
    tap.ok(p.returncode == 2 and "exists" in p.stderr, "again without --force: refused",
           p.stderr)
    os.unlink(out)
    p = run(args, pkl, "-o", out, "-O", "external_data=true")
    tap.ok(p.returncode == 2 and "mlp.onnx.data" in p.stderr and "--force" in p.stderr and
           not os.path.exists(out) and open(side, "rb").read() == before and
           leftovers(w) == [],
           "an existing side file alone: refused, named, untouched, no output", p.stderr)
    p = run(args, pkl, "-o", out, "-O", "external_data=true", "--force")
    tap.ok(p.returncode == 0 and os.path.isfile(out) and leftovers(w) == [],
           "--force replaces both", p.stderr)

    # -- a tree model -------------------------------------------------------
    for dtype, want_side in (("float32", False), ("float64", True)):
        t_out = os.path.join(w, "rf_%s.onnx" % dtype)
        p = run(args, os.path.join(w, "rf.pkl"), "-o", t_out, "-O", "external_data=true",
                "-O", "dtype=" + dtype)
        has_side = os.path.exists(t_out + ".data")
        got, q = predict(args, t_out, rows, os.path.join(w, "pred_rf.json"))
        tap.ok(p.returncode == 0 and has_side == want_side and got is not None and
               np.allclose(np.ravel(got["variable"]), rf.predict(x[:40]), rtol=1e-5,
                           atol=1e-6),
               "tree, dtype=%s: %s, predicts as sklearn" %
               (dtype, "leaf values outside" if want_side else "no side file"),
               p.stderr + q.stderr)

    # -- damaged side files -------------------------------------------------
    cases = []
    trunc = os.path.join(w, "trunc.onnx")
    shutil.copy(out, trunc)
    with open(side, "rb") as f:
        data = f.read()
    with open(trunc + ".data", "wb") as f:
        f.write(data[:3000])  # into the first tensor
    damage(out, trunc, lambda e: e["location"].__setattr__("value", "trunc.onnx.data"))
    cases.append(("truncated", trunc, "runs past the end"))
    for tag, edit, why in (
            ("wrong length", lambda e: e["length"].__setattr__(
                "value", str(int(e["length"].value) - 4)), "the shape needs"),
            ("location ../x", lambda e: e["location"].__setattr__("value", "../x"),
             "not a plain file name"),
            ("absolute location", lambda e: e["location"].__setattr__("value", side),
             "not a plain file name"),
            ("missing file", lambda e: e["location"].__setattr__("value", "nothere.data"),
             "is missing")):
        bad = os.path.join(w, "bad%d.onnx" % len(cases))
        damage(out, bad, edit)
        cases.append((tag, bad, why))
    for tag, bad, why in cases:
        p = run(args, "predict", bad, "-i", rows)
        q = run(args, "verify", bad, pkl)
        tap.ok(p.returncode in (1, 2) and q.returncode in (1, 2) and why in p.stderr and
               why in q.stderr and os.path.basename(bad) in p.stderr,
               "%s: refused by predict and verify" % tag, p.stderr + q.stderr)

    # -- failures leave nothing ---------------------------------------------
    # A float32 target that cannot hold the model (tests/cli/test_verify_dtype.py),
    # 300 columns wide so that its tensors go outside.
    k = 300
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())])
    xs = rng.normal(size=(k + 1, k))
    pipe.fit(xs, xs[:, 0])
    sc, lr = pipe.named_steps["scale"], pipe.named_steps["lr"]
    sc.mean_, sc.scale_, sc.var_ = np.zeros(k), np.ones(k), np.ones(k)
    sc.scale_[:2], sc.var_[:2] = 1e-8, 1e-16
    lr.coef_, lr.intercept_ = np.zeros(k), 0.0
    lr.coef_[:2] = [1.0, -1.0]
    cancel = os.path.join(w, "cancel.pkl")
    with open(cancel, "wb") as f:
        pickle.dump(pipe, f, protocol=4)
    base = np.linspace(1.0, 2.0, 8)
    crow = np.zeros((8, k))
    crow[:, 0], crow[:, 1] = base + 1e-6, base
    crows = os.path.join(w, "cancel.csv")
    np.savetxt(crows, crow, delimiter=",", fmt="%.17g")
    c_out = os.path.join(w, "cancel.onnx")
    p = run(args, cancel, "-o", c_out, "--verify-data", crows, "-O", "external_data=true")
    tap.ok(p.returncode == 1 and "verification failed" in p.stderr and
           not os.path.exists(c_out) and not os.path.exists(c_out + ".data") and
           leftovers(w) == [], "failed verification: neither file left", p.stderr)
    p = run(args, cancel, "-o", c_out, "--verify-data", crows, "-O", "external_data=true",
            "-O", "dtype=float64")
    tap.ok(p.returncode == 0 and os.path.exists(c_out + ".data"),
           "the same model in float64 passes, with its side file", p.stderr)

    small = dict(os.environ, SKCONV_ONNX_PROTO_LIMIT="8000")
    r_out = os.path.join(w, "rf_big.onnx")
    p = run(args, os.path.join(w, "rf.pkl"), "-o", r_out, "-O", "external_data=true",
            "-O", "dtype=float64", env=small)
    tap.ok(p.returncode == 1 and "list attributes" in p.stderr and
           "TreeEnsembleRegressor.nodes_" in p.stderr and ".skm" in p.stderr and
           not os.path.exists(r_out) and not os.path.exists(r_out + ".data") and
           leftovers(w) == [],
           "lists past the limit: refused, naming them and .skm; nothing left", p.stderr)

    # -- the automatic switch -----------------------------------------------
    a_out = os.path.join(w, "auto.onnx")
    p = run(args, pkl, "-o", a_out, env=small)
    got, q = predict(args, a_out, rows, os.path.join(w, "pred_auto.json"))
    tap.ok(p.returncode == 0 and "warning" in p.stderr and "auto.onnx.data" in p.stderr and
           external(a_out) and got is not None and
           got["label"] == [int(v) for v in mlp.predict(x[:40])],
           "past the limit: tensors go outside automatically, with a warning", p.stderr)
    p = run(args, pkl, "-o", os.path.join(w, "auto2.onnx"))
    tap.ok(p.returncode == 0 and not os.path.exists(os.path.join(w, "auto2.onnx.data")),
           "under the limit: no side file", p.stderr)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
