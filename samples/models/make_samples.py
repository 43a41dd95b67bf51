#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Remake the bundled sample model and its expected outputs.

Usage: /usr/bin/python3 samples/models/make_samples.py

Writes, beside this script (the results are committed; they are ours):
  iris_logreg.pkl            Pipeline(StandardScaler -> LogisticRegression)
                             fitted on iris, pickle protocol 4
  iris_logreg.input.json     10 iris rows, float32 ({"X": {...}})
  iris_logreg.input.csv      the same rows with a header
  iris_logreg.expected.json  sklearn's label and probabilities on them
  manifest.json              the same manifest format as the test fixtures,
                             so tests/conformance checks the sample too
Made with Debian 12's python3-sklearn (sklearn 1.2.1, numpy 1.24).
"""

import os
import pickle
import sys

import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
import make_fixtures as mf  # noqa: E402  (shared writers and formats)

NAME = "iris_logreg"


def main():
    iris = load_iris()
    x = mf.f32(iris.data)
    # Class names, not 0/1/2, so the ONNX label output is a string tensor.
    y = iris.target_names[iris.target].astype(object)
    model = Pipeline([("scaler", StandardScaler()),
                      ("model", LogisticRegression(max_iter=1000))])
    model.fit(x, y)
    rows = x[::15]
    rows = rows[mf.margins(model, rows) >= mf.MIN_MARGIN]

    fn = NAME + ".pkl"
    with open(os.path.join(HERE, fn), "wb") as f:
        pickle.dump(model, f, protocol=4)
    mf.write_inputs(HERE, NAME, rows)
    mf.write_json(os.path.join(HERE, NAME + ".expected.json"),
                  mf.expected(model, "classifier", rows))
    mf.write_json(os.path.join(HERE, "manifest.json"), {"fixtures": [{
        "file": fn, "model": NAME, "kind": "classifier",
        "estimator": mf.describe(model), "format": "pickle", "protocol": 4,
        "input": NAME + ".input.json", "input_csv": NAME + ".input.csv",
        "expected": NAME + ".expected.json",
        "outputs": ["label", "probabilities"]}]})
    print("wrote %s (%d rows of expected outputs)" % (fn, len(rows)))


if __name__ == "__main__":
    main()
