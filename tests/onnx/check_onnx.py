#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the ONNX writer end to end against scikit-learn and ONNX Runtime.

Fits small sklearn models (seeded), describes each as IR following
core/OPS.md, writes it with ir_json_write (the ONNX plugin, through
libskconv), checks the file with onnx.checker and its header fields, runs it
in ONNX Runtime through ort_run.js and compares with sklearn's own outputs.
Also checks that refused options fail with the right status.

Usage:
  check_onnx.py --writer PATH/ir_json_write --workdir DIR
                [--node PATH] [--node-modules DIR] [--filter SUBSTRING]

onnxruntime-node comes from $ORT_NODE_MODULES, else $SKCONV_NODE_MODULES,
else --node-modules (default: node_modules at the top of the source tree).
The plugin comes from $SKCONV_PLUGIN_PATH (meson test sets it).

Comparison: float64 models must match sklearn within 1e-9 * max(1, |b|);
float32 models, fed the float32-rounded X that sklearn also gets, within
1e-5 * max(1, |b|). Labels must be equal, except on float32 rows whose
decision score is within 1e-4 of a tie (counted and shown). NaN matches NaN.

Exit status: 0 all passed; 1 some failed; 77 node or onnxruntime-node is
missing (the checker part still ran); 2 usage or setup error.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    import onnx.checker
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
except ImportError as e:  # Debian: python3-sklearn python3-onnx
    print("SKIP: %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
# onnx/docs/Versioning.md: the IR version released with each opset.
IR_FOR_OPSET = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


# ---------------------------------------------------------------------------
# IR description (the JSON read by ir_json_write)
# ---------------------------------------------------------------------------

def tensor(values, dtype="float64"):
    a = np.asarray(values)
    data = a.ravel().tolist()
    if dtype == "string":
        data = [str(v) for v in data]
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def step(op, inputs, outputs, **attrs):
    return {"op": op, "inputs": inputs, "outputs": outputs, "attrs": attrs}


def lift_scaler(est, x, y):
    """StandardScaler / MinMaxScaler as OPS.md describes them."""
    if isinstance(est, StandardScaler):
        f = est.n_features_in_
        # mean_ is computed even with with_mean=False, but not applied.
        off = est.mean_ if est.with_mean else np.zeros(f)
        sc = 1.0 / est.scale_ if est.with_std else np.ones(f)
        return [step("scaler", [x], [y], offset=tensor(off), scale=tensor(sc))]
    off = np.zeros(est.n_features_in_)
    if not est.clip:
        return [step("scaler", [x], [y], offset=tensor(off),
                     scale=tensor(est.scale_), bias=tensor(est.min_))]
    return [step("scaler", [x], [y + "_unclipped"], offset=tensor(off),
                 scale=tensor(est.scale_), bias=tensor(est.min_)),
            step("clip", [y + "_unclipped"], [y],
                 min=float(est.feature_range[0]), max=float(est.feature_range[1]))]


def class_tensor(classes):
    if classes.dtype.kind in "iu":
        return tensor(classes.astype(np.int64), "int64"), "int64"
    return tensor(classes, "string"), "string"


def lift_final(est, x):
    """The last estimator: steps and the model outputs."""
    if isinstance(est, LinearRegression):
        coef = np.atleast_2d(est.coef_)
        icpt = np.atleast_1d(est.intercept_)
        return ([step("linear", [x], ["variable"], coef=tensor(coef),
                      intercept=tensor(icpt))],
                [{"name": "variable", "dtype": "float64", "shape": [-1, coef.shape[0]]}])
    assert isinstance(est, LogisticRegression)
    classes, ctype = class_tensor(est.classes_)
    k = len(est.classes_)
    steps = [step("linear", [x], ["scores"], coef=tensor(est.coef_),
                  intercept=tensor(est.intercept_))]
    if k == 2:
        steps += [step("proba", ["scores"], ["probabilities"], mode="logistic_binary"),
                  step("label", ["scores"], ["label"], classes=classes,
                       mode="threshold", threshold=0.0)]
    else:
        mode = "logistic_ovr" if est.multi_class == "ovr" else "softmax"
        steps += [step("proba", ["scores"], ["probabilities"], mode=mode),
                  step("label", ["scores"], ["label"], classes=classes, mode="argmax")]
    return steps, [{"name": "label", "dtype": ctype, "shape": [-1]},
                   {"name": "probabilities", "dtype": "float64", "shape": [-1, k]}]


def lift(model, n_features):
    estimators = model.steps if isinstance(model, Pipeline) else [("m", model)]
    steps, x = [], "X"
    outputs = None
    for i, (name, est) in enumerate(estimators):
        if isinstance(est, FunctionTransformer):
            assert est.func is None
            steps.append(step("identity", [x], [name + ".out"]))
            x = name + ".out"
        elif isinstance(est, (StandardScaler, MinMaxScaler)):
            y = "variable" if i == len(estimators) - 1 else name + ".out"
            steps += lift_scaler(est, x, y)
            x = y
            outputs = [{"name": "variable", "dtype": "float64",
                        "shape": [-1, n_features]}]
        else:
            s, outputs = lift_final(est, x)
            steps += s
    return {"inputs": [{"name": "X", "dtype": "float64", "shape": [-1, n_features]}],
            "outputs": outputs, "steps": steps,
            "meta": {"source.class": type(model).__name__,
                     "producer.sklearn": __import__("sklearn").__version__}}


# ---------------------------------------------------------------------------
# Cases: real fits on seeded data
# ---------------------------------------------------------------------------

def make_cases():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -1.0, 2.0]
    w = np.array([1.0, -0.2, 4.0, 0.3])
    z = (X - X.mean(0)) / X.std(0) @ w
    Xt = rng.normal(size=(25, 4)) * [1.2, 12.0, 0.12, 3.5] + [0.0, 5.0, -1.0, 2.0]

    y2 = np.where(z > 0, 3, -1)
    y2s = np.where(z > 0, "yes", "no")
    y3 = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    y3i = np.array([1, 2, 5])[y3]
    y3s = np.array(["cat", "dog", "eel"])[y3]

    def pipe(clf):
        return Pipeline([("scale", StandardScaler()), ("clf", clf)])

    cases = [
        ("logreg_binary_int", pipe(LogisticRegression()).fit(X, y2)),
        ("logreg_binary_str", pipe(LogisticRegression(C=0.5)).fit(X, y2s)),
        ("logreg_softmax_int", pipe(LogisticRegression(multi_class="multinomial")).fit(X, y3i)),
        ("logreg_ovr_str", pipe(LogisticRegression(multi_class="ovr")).fit(X, y3s)),
        ("linreg_1", LinearRegression().fit(X, z * 2.5 + 1.0)),
        ("linreg_3", Pipeline([("passthrough", FunctionTransformer()),
                               ("scale", StandardScaler()),
                               ("reg", LinearRegression())]).fit(
                                   X, np.c_[z, -z + 4.0, X[:, 1] * 0.5])),
        ("minmax_clip", MinMaxScaler(feature_range=(-1, 2), clip=True).fit(X)),
        ("standard_nomean", StandardScaler(with_mean=False).fit(X)),
    ]
    # Scalers keep NaN; the rows outside the training range exercise clip.
    Xn = Xt.copy()
    Xn[3, 1] = np.nan
    Xn[7, :] = np.nan
    return [SklearnCase(name, model, Xn if name in ("minmax_clip", "standard_nomean") else Xt)
            for name, model in cases] + hand_cases()


class SklearnCase:
    """A fitted sklearn model: sklearn itself gives the expected outputs."""

    def __init__(self, name, model, X):
        self.name, self.model, self.X = name, model, X
        self.spec = lift(model, X.shape[1])

    def expect(self, X):
        m = self.model
        if hasattr(m, "predict_proba"):
            return {"label": m.predict(X), "probabilities": m.predict_proba(X)}
        if hasattr(m, "transform") and not hasattr(m, "predict"):
            return {"variable": m.transform(X)}
        return {"variable": m.predict(X).reshape(len(X), -1)}

    def margin(self, X):
        """Distance of each row's decision from a tie (None: not a classifier)."""
        if not hasattr(self.model, "decision_function"):
            return None
        d = np.atleast_2d(self.model.decision_function(X).T).T
        if d.shape[1] == 1:
            return np.abs(d[:, 0])
        s = np.sort(d, axis=1)
        return s[:, -1] - s[:, -2]


def ref_sigmoid(z):
    with np.errstate(over="ignore"):
        return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))),
                        np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


class HandCase:
    """linear -> proba -> label on chosen scores, against OPS.md in numpy:
    the edges sklearn data rarely reaches (underflow, overflow, NaN)."""

    def __init__(self, name, coef, intercept, mode, label_mode, classes, X,
                 threshold=0.0):
        self.name, self.X = name, np.asarray(X, dtype=np.float64)
        self.coef, self.intercept = np.asarray(coef, float), np.asarray(intercept, float)
        self.mode, self.label_mode, self.threshold = mode, label_mode, threshold
        self.classes = np.asarray(classes)
        cls, ctype = class_tensor(self.classes)
        k = len(self.classes)
        label_attrs = {"classes": cls, "mode": label_mode}
        if label_mode == "threshold":
            label_attrs["threshold"] = float(threshold)
        self.spec = {
            "inputs": [{"name": "X", "dtype": "float64", "shape": [-1, self.X.shape[1]]}],
            "outputs": [{"name": "label", "dtype": ctype, "shape": [-1]},
                        {"name": "probabilities", "dtype": "float64", "shape": [-1, k]}],
            "steps": [step("linear", ["X"], ["scores"], coef=tensor(self.coef),
                           intercept=tensor(self.intercept)),
                      step("proba", ["scores"], ["probabilities"], mode=mode),
                      step("label", ["scores"], ["label"], **label_attrs)],
            "meta": {"source.class": "hand"}}

    def expect(self, X):
        s = X @ self.coef.T + self.intercept
        if self.mode == "logistic_binary":
            p = ref_sigmoid(s[:, 0])
            proba = np.c_[1 - p, p]
        elif self.mode == "softmax":
            e = np.exp(s - s.max(axis=1, keepdims=True))
            proba = e / e.sum(axis=1, keepdims=True)
        else:
            q = ref_sigmoid(s)
            tot = q.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                proba = np.where(tot > 0, q / tot, 1.0 / q.shape[1])
        if self.label_mode == "threshold":
            idx = (s[:, 0] > self.threshold).astype(int)
        else:
            idx = np.argmax(s, axis=1)
        return {"label": self.classes[idx], "probabilities": proba}

    def margin(self, X):
        return None


def hand_cases():
    eye = np.eye(3)
    nan = float("nan")
    return [
        # Every sigmoid underflows to 0: OPS.md gives 1/K.
        HandCase("hand_ovr_underflow", eye, [0, 0, 0], "logistic_ovr", "argmax",
                 np.array([10, 20, 30]),
                 [[-800, -800, -800], [-800, -900, -1000], [1, 2, 3], [3, -2, 0.5]]),
        # Softmax must not overflow on large scores.
        HandCase("hand_softmax_large", eye, [0, 0, 0], "softmax", "argmax",
                 np.array(["a", "b", "c"]),
                 [[1000, 0, -1000], [-50, 700, 699], [0, 0, 1]]),
        # NaN scores: NaN probabilities, and the first class (NaN > t is false).
        HandCase("hand_binary_nan", [[2.0]], [-1.0], "logistic_binary", "threshold",
                 np.array(["neg", "pos"]),
                 [[nan], [0.5], [0.875], [-3], [800], [-800]], threshold=0.75),
    ]


# ---------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------

def num(v):
    return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))


def compare(name, got, want, rtol, margin):
    """Failure strings (empty: equal) and the largest scaled difference."""
    errs = []
    if name not in got:
        return ["output %s missing (have %s)" % (name, sorted(got))], 0.0
    g = got[name]
    want = np.asarray(want)
    if list(g["shape"]) != list(want.shape):
        return ["%s: shape %s, sklearn %s" % (name, g["shape"], list(want.shape))], 0.0
    if name == "label":
        kind = "string" if want.dtype.kind in "UO" else "int64"
        if g["dtype"] != kind:
            errs.append("label: dtype %s, expected %s" % (g["dtype"], kind))
        bad = [i for i, (a, b) in enumerate(zip(g["data"], want.tolist())) if a != b]
        near = [i for i in bad if margin is not None and margin[i] < 1e-4]
        if len(bad) > len(near) or (bad and rtol < 1e-6):
            errs.append("label: %d of %d differ (rows %s)" % (len(bad), len(want), bad[:5]))
        elif near:
            print("    note: %d label(s) differ on near-tie rows %s" % (len(near), near))
        return errs, 0.0
    worst = 0.0
    for a, b in zip(g["data"], want.ravel().tolist()):
        a = num(a)
        if math.isnan(b) or math.isnan(a):
            if not (math.isnan(a) and math.isnan(b)):
                return ["%s: NaN mismatch (%r vs %r)" % (name, a, b)], worst
            continue
        worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    if worst > rtol:
        errs.append("%s: max scaled diff %.3g > %.0e" % (name, worst, rtol))
    return errs, worst


def check_header(path, opset, dtype, spec):
    """onnx.checker and the fields the writer promises; returns failures."""
    m = onnx.load(path)
    errs = []
    if opset <= onnx.defs.onnx_opset_version():
        try:
            onnx.checker.check_model(m, full_check=True)
        except Exception as e:  # the checker's own exception types vary by version
            errs.append("onnx.checker: %s" % str(e).splitlines()[0])
    if m.ir_version != IR_FOR_OPSET[opset]:
        errs.append("ir_version %d for opset %d" % (m.ir_version, opset))
    ops = {o.domain: o.version for o in m.opset_import}
    if ops != {"": opset}:
        errs.append("opset_import %s" % ops)
    if m.producer_name != "skconv" or not m.producer_version:
        errs.append("producer %r %r" % (m.producer_name, m.producer_version))
    meta = {p.key: p.value for p in m.metadata_props}
    if meta != spec["meta"]:
        errs.append("metadata_props %s" % meta)
    x = m.graph.input[0]
    elem = onnx.TensorProto.FLOAT if dtype == "float32" else onnx.TensorProto.DOUBLE
    if x.name != "X" or x.type.tensor_type.elem_type != elem or \
            x.type.tensor_type.shape.dim[0].dim_param != "N":
        errs.append("input %s" % x)
    names = [o.name for o in m.graph.output]
    if names != [o["name"] for o in spec["outputs"]]:
        errs.append("outputs %s" % names)
    return errs


def run(cmd, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, **kw)


def write_model(args, spec_path, out, options):
    p = run([args.writer, spec_path, out] + ["%s=%s" % kv for kv in options.items()])
    return p.returncode, (p.stderr or "").strip()


def check_refusals(args, spec_path, workdir):
    """Options that must fail, and how."""
    cases = [({"opset": "12"}, "status -2", "opset"),
             ({"opset": "22"}, "status -2", "opset"),
             ({"dtype": "float16"}, "status -2", "dtype"),
             ({"ml_opset": "6"}, "status -2", "ml_opset")]
    errs = []
    for opts, status, word in cases:
        out = os.path.join(workdir, "refused.onnx")
        rc, msg = write_model(args, spec_path, out, opts)
        if rc != 1 or status not in msg or word not in msg or os.path.exists(out):
            errs.append("%s: rc %d, %r" % (opts, rc, msg))
    return errs


def find_ort(args):
    mods = (os.environ.get("ORT_NODE_MODULES") or os.environ.get("SKCONV_NODE_MODULES")
            or args.node_modules)
    mods = os.path.abspath(mods)
    if not args.node or not os.path.isdir(os.path.join(mods, "onnxruntime-node")):
        print("SKIP (ORT part): node or onnxruntime-node not found in %s" % mods)
        return None
    return mods


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writer", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "")
    ap.add_argument("--node-modules", default=os.path.join(HERE, "..", "..", "node_modules"))
    ap.add_argument("--filter", default="")
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    mods = find_ort(args)
    env = dict(os.environ)
    if mods:
        env["ORT_NODE_MODULES"] = mods

    passed = failed = 0
    worst = {}
    for case in make_cases():
        name, spec, X = case.name, case.spec, case.X
        spec_path = os.path.join(args.workdir, name + ".ir.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        for dtype in ("float32", "float64"):
            for opset in (13, 17, 21):
                tag = "%s/%s/opset%d" % (name, dtype, opset)
                if args.filter not in tag:
                    continue
                base = os.path.join(args.workdir, "%s.%s.op%d" % (name, dtype, opset))
                errs = []
                rc, msg = write_model(args, spec_path, base + ".onnx",
                                      {"dtype": dtype, "opset": opset})
                if rc == 2:
                    print("setup error: %s" % msg)
                    return 2
                if rc != 0:
                    errs.append("write: %s" % msg)
                else:
                    errs += check_header(base + ".onnx", opset, dtype, spec)
                if not errs and mods:
                    Xin = X.astype(np.float32) if dtype == "float32" else X
                    feed = {"X": {"dtype": dtype, "shape": list(X.shape),
                                  "data": ["NaN" if math.isnan(v) else v
                                           for v in Xin.ravel().tolist()]}}
                    with open(base + ".in.json", "w") as f:
                        json.dump(feed, f)
                    p = run([args.node, os.path.join(HERE, "ort_run.js"), base + ".onnx",
                             base + ".in.json", base + ".out.json"], env=env)
                    if p.returncode != 0:
                        errs.append("ort_run: %s" % p.stderr.strip().splitlines()[-1:])
                    else:
                        with open(base + ".out.json") as f:
                            got = json.load(f)
                        Xs = Xin.astype(np.float64)
                        rtol = 1e-5 if dtype == "float32" else 1e-9
                        margin = case.margin(Xs)
                        for out, want in case.expect(Xs).items():
                            e, w = compare(out, got, want, rtol, margin)
                            errs += e
                            worst[dtype] = max(worst.get(dtype, 0.0), w)
                print("%s %s%s" % ("ok  " if not errs else "FAIL", tag,
                                   "" if not errs else ": " + "; ".join(errs)))
                passed += not errs
                failed += bool(errs)

    if not args.filter:
        spec_path = os.path.join(args.workdir, "logreg_binary_int.ir.json")
        errs = check_refusals(args, spec_path, args.workdir)
        print("%s refused options%s" % ("ok  " if not errs else "FAIL",
                                        "" if not errs else ": " + "; ".join(errs)))
        passed += not errs
        failed += bool(errs)

    for dtype, w in sorted(worst.items()):
        print("max scaled difference vs sklearn, %s: %.3g" % (dtype, w))
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        return 1
    return 0 if mods else SKIP


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
