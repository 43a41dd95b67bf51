#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The text vectorizers (tests/fixtures/fam_text.py) through the reference
evaluator: `skconv predict` on each pickle, and on its .skm conversion,
must give sklearn's outputs (within 1e-12 relative; labels exactly). And
the ONNX writer: the settings it refuses (README, vectorizer row) must be
refused with their reason, every other fixture must convert (the ONNX
Runtime results are run_conformance.py's).

Usage: test_predict_text.py --skconv PATH --fixtures DIR (fam-text) --workdir DIR
Output is TAP.
"""

import argparse
import json
import os
import subprocess
import sys


def differs(want, got):
    for key, w in want.items():
        if key not in got:
            return "output %s missing" % key
        g = got[key]
        if key == "label":
            if list(g) != list(w):
                return "label %r, sklearn %r" % (g, w)
            continue
        if len(g) != len(w):
            return "%s: %d rows, sklearn %d" % (key, len(g), len(w))
        for r, (gr, wr) in enumerate(zip(g, w)):
            if len(gr) != len(wr):
                return "%s row %d: %d values, sklearn %d" % (key, r, len(gr), len(wr))
            for c, (a, b) in enumerate(zip(gr, wr)):
                if abs(a - b) > 1e-12 * max(1.0, abs(b)):
                    return "%s[%d][%d] = %r, sklearn %r" % (key, r, c, a, b)
    return None


# Fixtures the ONNX writer refuses, with a piece of the reason it gives.
ONNX_SIGMA = "Greek sigma in the vocabulary"
ONNX_REFUSED = dict([(name, ONNX_SIGMA) for name in (
    "text-count", "text-count-ngram12", "text-count-stop", "text-count-stoplist",
    "text-count-binary", "text-count-tfidf", "text-count-nb", "text-count-logreg",
    "text-tfidf", "text-tfidf-ngram12", "text-tfidf-stop", "text-tfidf-sublinear",
    "text-tfidf-l1", "text-tfidf-nonorm", "text-tfidf-noidf", "text-tfidf-nb",
    "text-tfidf-logreg")] + [("text-count-ngram23-stop", "stop_words with ngram_range (2, 3)")])


def onnx_check(args, fx, src):
    out = os.path.join(args.workdir, fx["model"] + ".onnx")
    p = subprocess.run([args.skconv, src, "-o", out, "--force"], capture_output=True, text=True)
    want = ONNX_REFUSED.get(fx["model"])
    if want is None:
        return "exit %d: %s" % (p.returncode, p.stderr.strip()) if p.returncode else None
    if p.returncode == 0:
        return "converted to ONNX, expected a refusal (%s)" % want
    if want not in p.stderr or "cannot be written to ONNX" not in p.stderr:
        return "refused, but not for '%s': %s" % (want, p.stderr.strip())
    return None


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args(argv[1:])
    os.makedirs(args.workdir, exist_ok=True)
    with open(os.path.join(args.fixtures, "manifest.json")) as f:
        fixtures = [fx for fx in json.load(f)["fixtures"] if fx["file"].endswith(".pkl")]
    print("1..%d" % (3 * len(fixtures)))
    n = failed = 0
    for fx in fixtures:
        src = os.path.join(args.fixtures, fx["file"])
        skm = os.path.join(args.workdir, fx["model"] + ".skm")
        with open(os.path.join(args.fixtures, fx["expected"])) as f:
            want = json.load(f)
        conv = subprocess.run([args.skconv, src, "-o", skm, "--force"],
                              capture_output=True, text=True)
        for model in (src, skm):
            n += 1
            why = None
            if model == skm and conv.returncode:
                why = "convert: " + conv.stderr.strip()
            else:
                p = subprocess.run([args.skconv, "predict", model, "--input",
                                    os.path.join(args.fixtures, fx["input_csv"])],
                                   capture_output=True, text=True)
                why = ("exit %d: %s" % (p.returncode, p.stderr.strip()) if p.returncode
                       else differs(want, json.loads(p.stdout)))
            failed += why is not None
            print("%s %d - %s" % ("not ok" if why else "ok", n, os.path.basename(model)))
            if why:
                print("#   " + why)
        n += 1
        why = onnx_check(args, fx, src)
        failed += why is not None
        print("%s %d - %s to ONNX" % ("not ok" if why else "ok", n, fx["model"]))
        if why:
            print("#   " + why)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
