#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Pickles whose top level is not one fitted estimator: a dict, list or
tuple holding models beside plain data (README "Usage", `-I object=`),
estimators pickled before fit() in the pre-0.20 layout (fitted attributes
set to None / [] by __init__), a PMMLPipeline that records no sklearn
version of its own, and a dump cut short after a whole frame.

Each case checks the exit code (README "Exit codes"), that stderr is one
line naming the file and the reason, and for conversions the provenance
in the ONNX metadata. Old-layout objects are stand-in classes registered
under the old module path while pickling (as tests/fixtures/fam_prep.py's
old_layouts() does); skconv never runs them.

With --corpus, the real files these cases come from are checked too
(skipped when the corpus is absent).

Usage: test_container.py --skconv PATH [--corpus DIR]. Output is TAP.
"""

import argparse
import json
import os
import pickle
import pickletools
import subprocess
import sys
import tempfile
import types

import numpy as np
import onnx
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_bad_input import FAILED, USAGE, Tap  # noqa: E402  (one TAP writer for the cli tests)


def stand_in(module, name, state):
    """An object pickled as module.name with this __dict__."""
    cls = type(name, (object,), {})
    cls.__module__ = module
    obj = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


def dump(obj, path, protocol=4):
    """pickle.dump with every stand-in class reachable under its module
    path, the real class (if any) put back afterwards."""
    saved = []
    todo, seen = [obj], set()
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
        elif type(o).__module__.startswith(("sklearn.", "sklearn2pmml")) and \
                type(o).__qualname__ == type(o).__name__ and \
                getattr(sys.modules.get(type(o).__module__), type(o).__name__, None) is not type(o):
            cls = type(o)
            mod = sys.modules.get(cls.__module__)
            if mod is None:
                parts = cls.__module__.split(".")
                for i in range(1, len(parts)):
                    parent = ".".join(parts[:i])
                    if parent not in sys.modules:
                        sys.modules[parent] = types.ModuleType(parent)
                        saved.append((sys.modules[parent], None, None, True))
                mod = sys.modules[cls.__module__] = types.ModuleType(cls.__module__)
                saved.append((mod, cls.__name__, None, True))
            else:
                saved.append((mod, cls.__name__, getattr(mod, cls.__name__, None), False))
            setattr(mod, cls.__name__, cls)
            todo.extend(vars(o).values())
    try:
        with open(path, "wb") as f:
            pickle.dump(obj, f, protocol=protocol)
    finally:
        for mod, name, real, new in reversed(saved):
            if new:
                sys.modules.pop(mod.__name__, None)
            elif real is None:
                delattr(mod, name)
            else:
                setattr(mod, name, real)


def run(skconv, args):
    p = subprocess.run([skconv] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr


def meta(path):
    return {p.key: p.value for p in onnx.load(path).metadata_props}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--corpus", help="the shared corpus (wild/, jpmml/); its cases skip without it")
    a = ap.parse_args()
    tap = Tap()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression().fit(scaler.transform(x), y)
    reg = Ridge().fit(x, x[:, 2])

    with tempfile.TemporaryDirectory() as d:
        def conv(name, obj, opts, code, stderr_has, meta_want=None, protocol=4):
            src = os.path.join(d, name + ".pkl")
            dst = os.path.join(d, name + ".onnx")
            if obj is not None:
                dump(obj, src, protocol)
            rc, err = run(a.skconv, [src, "-o", dst, "--force"] + opts)
            lines = err.strip().splitlines()
            why = "exit %d, stderr:\n%s" % (rc, err)
            good = rc == code and all(s in err for s in stderr_has) and \
                (not stderr_has or (len(lines) == 1 and src in lines[0]))
            if not stderr_has:
                good = good and not err.strip()
            if good and code == 0:
                m = meta(dst)
                for k, v in (meta_want or {}).items():
                    if m.get(k) != v:
                        good, why = False, "meta %s = %r, want %r" % (k, m.get(k), v)
            if good and code != 0 and os.path.exists(dst):
                good, why = False, "output left behind"
            tap.ok(good, name, why)
            return src

        # Containers: the one final estimator is taken, with a warning.
        src = conv("dict-svc-scaler", {"svc": clf, "scaler": scaler, "orient": 9,
                                       "spatial_size": (32, 32)}, [], 0,
                   ["warning", "'svc' (LogisticRegression)", "scaler (StandardScaler)",
                    "-I object=KEY"],
                   {"source.object": "svc", "source.object_others": "scaler (StandardScaler)",
                    "source.class": "sklearn.linear_model.LogisticRegression"})
        p = subprocess.run([a.skconv, "inspect", "--json", src], capture_output=True,
                           text=True, timeout=120)
        rc, out = p.returncode, p.stdout
        rep = json.loads(out) if rc == 0 else {}
        tap.ok([e.get("object") for e in rep.get("estimators", [])] == ["svc", "scaler"],
               "inspect lists the keys -I object= takes", out[:400])
        conv("tuple-clf-scaler", (clf, scaler), [], 0, ["'0' (LogisticRegression)", "1 (StandardScaler)"],
             {"source.object": "0"})
        conv("dict-only-one", {"model": reg, "name": "ridge", "min_": np.zeros(4)}, [], 0,
             ["'model' (Ridge), the only estimator"], {"source.object": "model"})
        conv("nested-list", {"models": [scaler, clf]}, [], 0, ["'models[1]'"],
             {"source.object": "models[1]"})
        # The option chooses; no warning when the user did.
        conv("option-key", {"svc": clf, "scaler": scaler}, ["-I", "object=scaler"], 0, [],
             {"source.object": "scaler", "source.class": "sklearn.preprocessing.StandardScaler"})
        conv("option-index", (clf, scaler), ["-I", "object=-1"], 0, [], {"source.object": "-1"})
        conv("option-bracket", {"a.b": {"m": [reg]}}, ["-I", "object=['a.b'].m[0]"], 0, [],
             {"source.object": "['a.b'].m[0]"})
        conv("option-attribute", {"grid": stand_in("sklearn.model_selection._search",
                                                   "GridSearchCV",
                                                   {"best_estimator_": reg, "refit": True})},
             ["-I", "object=grid.best_estimator_"], 0, [], {"source.class":
                                                            "sklearn.linear_model.Ridge"})
        # migrate takes the same choice and says so in its report.
        mig_src, mig_dst = os.path.join(d, "mig-src"), os.path.join(d, "mig-dst")
        os.makedirs(mig_src)
        dump({"svc": clf, "scaler": scaler}, os.path.join(mig_src, "svc_pickle.p"))
        dump({"a": clf, "b": reg}, os.path.join(mig_src, "two.pkl"))
        p = subprocess.run([a.skconv, "migrate", mig_src, "-o", mig_dst, "-q"],
                           capture_output=True, text=True, timeout=300)
        try:
            with open(os.path.join(mig_dst, "report.json")) as f:
                got = {e["path"]: e["status"] for e in json.load(f)["files"]}
        except (OSError, ValueError, KeyError) as e:
            got = {"error": str(e)}
        tap.ok(got == {"svc_pickle.p": "converted-with-warnings", "two.pkl": "unsupported"},
               "migrate: converted-with-warnings, ambiguous unsupported",
               "exit %d %s\n%s" % (p.returncode, got, p.stderr))

        # Bad choices: usage errors naming what exists.
        conv("option-unknown-key", {"svc": clf, "scaler": scaler}, ["-I", "object=nope"], USAGE,
             ["-I object=nope", "no key 'nope'", "svc, scaler"])
        conv("option-not-estimator", {"svc": clf, "orient": 9}, ["-I", "object=orient"], USAGE,
             ["-I object=orient", "an int, not an estimator", "svc (LogisticRegression)"])
        conv("option-index-range", (clf, scaler), ["-I", "object=2"], USAGE,
             ["index 2 is out of range", "2 items"])
        conv("option-bad-path", {"svc": clf}, ["-I", "object=svc["], USAGE, ["unterminated ["])
        # No single choice: refused, naming the candidates and the option.
        conv("ambiguous", {"a": clf, "b": reg, "scaler": scaler}, [], FAILED,
             ["3 estimators", "a (LogisticRegression), b (Ridge), scaler (StandardScaler)",
              "-I object=KEY"])
        conv("two-transformers", [scaler, StandardScaler().fit(x)], [], FAILED,
             ["none of them alone makes predictions", "0 (StandardScaler), 1 (StandardScaler)"])
        conv("one-failing", {"scaler": scaler, "svc": stand_in(
            "sklearn.svm.classes", "LinearSVC", dict(coef_="not an array", classes_=None))},
             [], USAGE, ["svc > LinearSVC:"])
        conv("no-estimator", {"orient": 9, "w": np.ones(3)}, [], USAGE,
             ["dict holding no estimator"])

        # Estimators pickled before fit(): sklearn < 0.20 __init__ set the
        # fitted attributes to None (trees) or [] (ensembles).
        tree = dict(criterion="gini", splitter="best", max_depth=None, min_samples_split=2,
                    presort=False, tree_=None, n_features_=None, n_outputs_=None,
                    n_classes_=None, classes_=None, max_features_=None,
                    _sklearn_version="0.18.1")
        conv("unfitted-tree-018", stand_in("sklearn.tree.tree", "DecisionTreeClassifier", tree),
             [], FAILED, ["DecisionTreeClassifier: not fitted", "tree_"], protocol=0)
        forest = dict(n_estimators=10, estimators_=[], estimator_params=("criterion",),
                      base_estimator=stand_in("sklearn.tree.tree", "DecisionTreeClassifier",
                                              dict(tree)),
                      _sklearn_version="0.18.1")
        conv("unfitted-forest-018", stand_in("sklearn.ensemble.forest",
                                             "RandomForestClassifier", forest),
             [], FAILED, ["RandomForestClassifier: not fitted", "estimators_"], protocol=3)
        conv("unfitted-adaboost-018", stand_in("sklearn.ensemble.weight_boosting",
                                               "AdaBoostClassifier",
                                               dict(n_estimators=50, estimators_=[],
                                                    base_estimator=None,
                                                    _sklearn_version="0.18.1")),
             [], FAILED, ["AdaBoostClassifier: not fitted"], protocol=3)
        kbest = stand_in("sklearn.feature_selection.univariate_selection", "SelectKBest",
                         dict(k=20, _sklearn_version="0.18.1"))
        pipe = stand_in("sklearn.pipeline", "Pipeline", dict(steps=[
            ("select_features", kbest),
            ("classify", stand_in("sklearn.tree.tree", "DecisionTreeClassifier", dict(tree)))],
            _sklearn_version="0.18.1"))
        conv("unfitted-pipeline-018", pipe, [], FAILED,
             ["Pipeline: not fitted", "last step 'classify'"], protocol=0)

        # sklearn2pmml's PMMLPipeline records no _sklearn_version: its steps do.
        pmml = stand_in("sklearn2pmml.pipeline", "PMMLPipeline", dict(
            steps=[("scaler", scaler), ("classifier", clf)], memory=None, verbose=False,
            active_fields=None, target_fields=None))
        conv("pmml-version", pmml, [], 0, [], {"producer.sklearn_version": sklearn.__version__})

        # A dump that stopped after a whole protocol-4 frame.
        data = pickle.dumps([list(range(40000)), clf], protocol=4)
        frames = [pos for op, _, pos in pickletools.genops(data) if op.name == "FRAME"]
        with open(os.path.join(d, "truncated-at-frame.pkl"), "wb") as f:
            f.write(data[:frames[1]])
        conv("truncated-at-frame", None, [], USAGE,
             ["truncated", "without STOP", "last frame is whole"])
        corpus_cases(tap, a, d)
    return tap.done()


# wild/files/...: what each real file gives (exit code, text on stderr).
WILD = [
    ("AnsgarNell__CarND-Vehicle-Detection/svc_pickle.p", 0, "'svc' (LinearSVC)"),
    ("BScottHenderson__CarND-Vehicle-Detection/svc_pickle.p", 0, "'svc' (LinearSVC)"),
    ("Geordio__CarND-Vehicle-Detection/svc_pickle.p", 0, "'svc' (LinearSVC)"),
    ("NeilMaude__SDCND1-Vehicle-Finding/svc_pickle.p", 0, "'svc' (LinearSVC)"),
    ("RobinCPC__CarND-Vehicle-Detection/svc_pickle~18624196.p", 0, "'svc' (LinearSVC)"),
    ("RobinCPC__CarND-Vehicle-Detection/svc_pickle~afdbaef3.p", 0, "'svc' (LinearSVC)"),
    ("Sachin-Bharadwaj__CarND-VehicleDetection/classifier.pickle", 0, "'svm' (LinearSVC)"),
    ("jinchenglee__CarND-Vehicle-Detection/svc_pickle.p", 0, "'svc' (LinearSVC)"),
    ("tocigm__id_digits/model.pkl.gz", 0, "'model' (SVC)"),
    ("DeniseJames__Udacity-P5-Vehicle-Detection/classifier.pickle", 0, "'0' (LinearSVC)"),
    ("Singhak__MLFlask/NB_spam_model.pkl", 0, "'1' (MultinomialNB)"),
    ("bikz05__Digit-Recognition/digits_cls.pkl", 0, "'0' (LinearSVC)"),
    ("bikz05__digit-recognition/digits_cls~3dcbf176.pkl", 0, "'0' (LinearSVC)"),
    ("stanchanpsu__monnie/digits_cls.pkl", 0, "'0' (LinearSVC)"),
    ("tylervanv__cs181-practical2/classifier.p", 0, "'1' (RandomForestClassifier)"),
    ("AdmcCarthy__Identify_Fraud_from_Enron_Email/my_classifier~137a55ed.pkl", FAILED,
     "RandomForestClassifier: not fitted"),
    ("AdmcCarthy__Identify_Fraud_from_Enron_Email/my_classifier~cb4b0e38.pkl", FAILED,
     "RandomForestClassifier: not fitted"),
    ("AdmcCarthy__Identify_Fraud_from_Enron_Email/final_project/my_classifier~50376d4c.pkl",
     FAILED, "AdaBoostClassifier: not fitted"),
    ("AdmcCarthy__Identify_Fraud_from_Enron_Email/final_project/my_classifier~9287d1bd.pkl",
     FAILED, "DecisionTreeClassifier: not fitted"),
    ("WillKoehrsen__ud120-projects/final_project/my_classifier.pkl", FAILED,
     "Pipeline: not fitted"),
    ("Bryce317__Car_Price_prediction_with_deployment_using_Flask/"
     "random_forest_regression_model.pkl", USAGE, "last frame is whole"),
]


def corpus_cases(tap, a, d):
    wild = os.path.join(a.corpus or "", "wild", "files")
    for rel, code, text in WILD:
        src = os.path.join(wild, rel)
        if not a.corpus or not os.path.exists(src):
            tap.skip("wild " + rel, "corpus not found")
            continue
        rc, err = run(a.skconv, [src, "-o", os.path.join(d, "wild.onnx"), "--force",
                                 "--no-verify"])
        tap.ok(rc == code and text in err and src in err, "wild " + rel,
               "exit %d, stderr:\n%s" % (rc, err))
    # A real PMMLPipeline: the version is its steps'.
    src = os.path.join(a.corpus or "", "jpmml", "pkl", "extension", "TPOTIris.pkl")
    if not a.corpus or not os.path.exists(src):
        tap.skip("jpmml PMMLPipeline version", "corpus not found")
        return
    dst = os.path.join(d, "pmml.onnx")
    rc, err = run(a.skconv, [src, "-o", dst, "--force", "--no-verify"])
    got = meta(dst).get("producer.sklearn_version") if rc == 0 else None
    tap.ok(got == "1.5.2", "jpmml PMMLPipeline version from its steps",
           "exit %d, version %r, stderr:\n%s" % (rc, got, err))


if __name__ == "__main__":
    sys.exit(main())
