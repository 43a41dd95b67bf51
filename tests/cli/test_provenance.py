#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Provenance of a conversion: the source hash and the verification summary.

A RandomForest pickle of more than 8 MB (large enough that the reader hashes
it on a second thread while it reads it, and hands pages back as it lifts
the trees) and the same model gzip-compressed by joblib are converted:
- source.sha256 is the SHA-256 of the file's bytes on disk;
- an ONNX file carries skconv.verification exactly once ("passed ..."),
  appended after verification, and passes onnx.checker; its predictions
  equal those of the pickle;
- converting that ONNX file again gives one summary, the new one, not
  the old one next to it; --no-verify gives none;
- ONNX Runtime runs the large file (its votes were packed on a second
  thread) and matches sklearn (with --node-modules);
- a .skm file (written again with the summary) carries it too;
- -v prints the time of each phase;
- SKCONV_THREADS=1 (everything on one thread) and a room in memory
  (SKCONV_ROOM=memory) write the same bytes;
- a writer that offers to append provenance but refuses (the test
  plugin's format tgood, with --test-plugins) still gets the source hash
  (made past the read) and the summary: the source model, freed before
  the read-back, is read again and written whole with them.

Usage: test_provenance.py --skconv PATH --workdir DIR [--node-modules DIR]
                          [--test-plugins DIR]
(TAP output)
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

try:
    import joblib
    import numpy as np
    import onnx
    from sklearn.ensemble import RandomForestClassifier
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(77)


def run(args, *argv, env=None):
    return subprocess.run([args.skconv, *argv], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **env) if env else None)


def onnx_meta(path):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return [(p.key, p.value) for p in m.metadata_props]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node-modules")
    ap.add_argument("--test-plugins")
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=4000)      # noise: deep trees, a large file
    rf = RandomForestClassifier(n_estimators=60, random_state=0).fit(x, y)
    plain = os.path.join(args.workdir, "rf.joblib")
    gz = os.path.join(args.workdir, "rf.joblib.gz")
    joblib.dump(rf, plain)
    joblib.dump(rf, gz, compress=("gzip", 3))
    rows = os.path.join(args.workdir, "rows.csv")
    np.savetxt(rows, x[:50], delimiter=",", fmt="%.9g")

    tap = Tap()
    tap.ok(os.path.getsize(plain) > 8 << 20, "the plain file is over 8 MB (hashed on a thread)",
           str(os.path.getsize(plain)))
    for src in (plain, gz):
        name = os.path.basename(src)
        out = os.path.join(args.workdir, name + ".onnx")
        p = run(args, src, "-o", out, "--force")
        tap.ok(p.returncode == 0, "%s converts" % name, p.stderr)
        if p.returncode:
            continue
        meta = onnx_meta(out)
        keys = [k for k, _ in meta]
        d = dict(meta)
        tap.ok(d.get("source.sha256") == sha256(src), "%s: source.sha256 is the file's" % name,
               "%s vs %s" % (d.get("source.sha256"), sha256(src)))
        tap.ok(keys.count("skconv.verification") == 1 and
               d["skconv.verification"].startswith("passed on "),
               "%s: one verification summary in the ONNX file" % name, str(meta))
        a, b = os.path.join(args.workdir, "a.json"), os.path.join(args.workdir, "b.json")
        pa = run(args, "predict", src, "--input", rows, "--output", a, "--force")
        pb = run(args, "predict", out, "--input", rows, "--output", b, "--force")
        same = False
        if pa.returncode == 0 and pb.returncode == 0:
            ja, jb = json.load(open(a)), json.load(open(b))
            same = ja["label"] == jb["label"] and np.allclose(
                ja["probabilities"], jb["probabilities"], rtol=1e-5, atol=1e-5)
        tap.ok(same, "%s: the ONNX file predicts as the pickle" % name, pa.stderr + pb.stderr)

    first = os.path.join(args.workdir, "rf.joblib.onnx")
    node = shutil.which("node") or shutil.which("nodejs")
    if args.node_modules and node and os.path.isdir(args.node_modules):
        inp, res = os.path.join(args.workdir, "ort_in.json"), os.path.join(args.workdir, "ort.json")
        with open(inp, "w") as f:
            json.dump({"X": {"dtype": "float32", "shape": [50, 6],
                             "data": [float(v) for v in x[:50].ravel()]}}, f)
        ort = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx", "ort_run.js")
        p = subprocess.run([node, ort, first, inp, res], capture_output=True, text=True,
                           env=dict(os.environ, ORT_NODE_MODULES=args.node_modules), timeout=300)
        ok = False
        if p.returncode == 0:
            o = json.load(open(res))
            prob = np.array(o["probabilities"]["data"], dtype=float).reshape(50, -1)
            ok = (list(o["label"]["data"]) == list(rf.predict(x[:50])) and
                  np.allclose(prob, rf.predict_proba(x[:50]), rtol=1e-5, atol=1e-5))
        tap.ok(ok, "ONNX Runtime runs the large ONNX file as sklearn predicts", p.stderr)
    else:
        tap.skip("ONNX Runtime on the large ONNX file", "node or onnxruntime-node missing")
    again = os.path.join(args.workdir, "again.onnx")
    p = run(args, first, "-o", again, "--force")
    if p.returncode == 0:
        meta = onnx_meta(again)
        sums = [v for k, v in meta if k == "skconv.verification"]
        tap.ok(len(sums) == 1, "ONNX -> ONNX: one verification summary, not two", str(meta))
    else:
        tap.ok(False, "ONNX -> ONNX converts", p.stderr)
    p = run(args, first, "-o", again, "--force", "--no-verify")
    tap.ok(p.returncode == 0 and
           not [k for k, _ in onnx_meta(again) if k == "skconv.verification"],
           "--no-verify: no summary (not even the input's)", p.stderr)

    p = run(args, "-v", plain, "-o", again, "--force")
    tap.ok(p.returncode == 0 and re.search(r"time: read [0-9.]+ s, write [0-9.]+ s, "
                                           r"verify [0-9.]+ s, commit [0-9.]+ s", p.stderr),
           "-v prints the time of each phase", p.stderr)

    # The second thread (hash, list counts and fills, the read-back's
    # halves, the reference's evaluation) changes nothing in the file.
    one = os.path.join(args.workdir, "one_thread.onnx")
    p = run(args, plain, "-o", one, "--force", env={"SKCONV_THREADS": "1"})
    tap.ok(p.returncode == 0 and open(one, "rb").read() == open(first, "rb").read(),
           "SKCONV_THREADS=1 writes the same bytes", p.stderr)
    # Where the output's pages cannot be allocated ahead, the model is
    # packed in memory and written at the end: the same bytes.
    mem = os.path.join(args.workdir, "memory_room.onnx")
    p = run(args, plain, "-o", mem, "--force", env={"SKCONV_ROOM": "memory"})
    tap.ok(p.returncode == 0 and open(mem, "rb").read() == open(first, "rb").read(),
           "a room in memory (SKCONV_ROOM=memory) writes the same bytes", p.stderr)

    skm = os.path.join(args.workdir, "rf.skm")
    p = run(args, plain, "-o", skm, "--force")
    q = run(args, "inspect", "--json", skm)
    meta = json.loads(q.stdout).get("meta", {}) if q.returncode == 0 else {}
    tap.ok(p.returncode == 0 and meta.get("skconv.verification", "").startswith("passed on ")
           and meta.get("source.sha256") == sha256(plain),
           ".skm: the summary and the source hash are in its provenance", p.stderr + q.stderr)

    if args.test_plugins:
        src, dst = os.path.join(args.workdir, "in.tgood"), os.path.join(args.workdir, "out.tgood")
        with open(src, "w") as f:
            f.write("TGOOD steps=1\n")
        path = os.environ.get("SKCONV_PLUGIN_PATH", "") + ":" + args.test_plugins
        p = run(args, src, "-o", dst, "--force", env={"SKCONV_PLUGIN_PATH": path})
        text = open(dst).read() if os.path.exists(dst) else ""
        want = r"TGOOD steps=1\nsource.sha256=%s\nverification=passed on \d+ rows.*\n" % sha256(src)
        tap.ok(p.returncode == 0 and re.fullmatch(want, text),
               "a refused append: the input read again, written whole with its hash and the "
               "summary", p.stderr + text)
    else:
        tap.skip("a refused append", "no --test-plugins")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
