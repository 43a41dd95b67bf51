#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""skconv migrate on a legacy-looking tree: real sklearn pickles in several
flavours, hostile pickles, a text file, a symlink out of the tree and a name
collision. Checks that the source is untouched, every file is reported, a
re-run rewrites nothing, a killed run resumes, shards add up to one run,
archives work both ways, --dry-run writes nothing and a full disk is a
per-file failure, not a crash.

Usage: test_migrate.py --skconv PATH [--corpus DIR]   (TAP on stdout)
"""

import argparse
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

import joblib
import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

RESULTS = []


def ok(cond, name, detail=""):
    RESULTS.append((bool(cond), name, detail))
    print(("ok" if cond else "not ok") + " %d - %s" % (len(RESULTS), name))
    if not cond and detail:
        for line in str(detail).splitlines()[:30]:
            print("# " + line)


def snapshot(root):
    """Every path under root with its bytes' hash, mode and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h = None
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(p, root)] = (h, st.st_mode, st.st_mtime_ns)
    return out


def outputs(root):
    """Output files (not reports) with their bytes' hashes."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if name in ("report.json", "report.csv"):
                continue
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def make_models(src, n_extra=0):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 3)).astype(np.float32).astype(np.float64)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    clf = Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]).fit(x, y)
    reg = LinearRegression().fit(x, x @ np.array([1.0, -2.0, 0.5]))
    os.makedirs(os.path.join(src, "team", "old"), exist_ok=True)
    with open(os.path.join(src, "clf_p2.pkl"), "wb") as f:
        pickle.dump(clf, f, protocol=2)
    with open(os.path.join(src, "team", "reg.sav"), "wb") as f:
        pickle.dump(reg, f, protocol=4)
    joblib.dump(clf, os.path.join(src, "team", "clf.joblib"))
    joblib.dump(reg, os.path.join(src, "team", "old", "reg_z.joblib"), compress=3)
    # Collision: both would become twin.onnx.
    with open(os.path.join(src, "twin.pkl"), "wb") as f:
        pickle.dump(reg, f, protocol=3)
    joblib.dump(reg, os.path.join(src, "twin.joblib"))
    with open(os.path.join(src, "NOTES.txt"), "w") as f:
        f.write("these are our models\n")
    for i in range(n_extra):
        with open(os.path.join(src, "bulk", "m%03d.pkl" % i), "wb") as f:
            pickle.dump(reg if i % 2 else clf, f, protocol=2 + i % 4)


def run(skconv, *args, env=None, timeout=600):
    return subprocess.run([skconv, "migrate", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def report(dst):
    with open(os.path.join(dst, "report.json")) as f:
        return json.load(f)


def by_path(rep):
    return {f["path"]: f for f in rep["files"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__),
                                                     "..", "..", "..", "shared", "corpus"))
    a = ap.parse_args()
    sk = a.skconv
    work = tempfile.mkdtemp(prefix="skconv-migrate-test-")
    try:
        src = os.path.join(work, "src")
        os.makedirs(os.path.join(src, "bulk"))
        make_models(src, n_extra=24)
        hostile = os.path.join(a.corpus, "hostile")
        copied = 0
        for name in ("os_system_reduce.pkl", "billion_laughs_memo.pkl", "append_across_mark.pkl"):
            p = os.path.join(hostile, name)
            if os.path.exists(p):
                shutil.copy(p, os.path.join(src, "team", name))
                copied += 1
        if copied == 0:
            # The corpus is optional here: our own hostile bytes.
            with open(os.path.join(src, "team", "evil.pkl"), "wb") as f:
                f.write(b"cos\nsystem\n(S'echo pwned'\ntR.")
        with open(os.path.join(src, "team", "truncated.pkl"), "wb") as f:
            f.write(pickle.dumps(list(range(100)), protocol=4)[:-7])
        os.symlink("/etc/passwd", os.path.join(src, "team", "passwd_link"))
        os.symlink("clf_p2.pkl", os.path.join(src, "inside_link.pkl"))
        before = snapshot(src)
        n_files = sum(1 for _ in before if not os.path.isdir(os.path.join(src, _)))

        # 1. A full run with two workers.
        dst = os.path.join(work, "dst")
        r = run(sk, src, "-o", dst, "-j", "2")
        ok(r.returncode == 1, "run with hostile files exits 1", r.stderr)
        ok(snapshot(src) == before, "source tree is byte-for-byte untouched")
        rep = report(dst)
        files = by_path(rep)
        listed = set(files)
        expect = set(p for p in before if not os.path.isdir(os.path.join(src, p)))
        ok(listed == expect, "report.json names every file under SRC",
           "missing %s extra %s" % (sorted(expect - listed), sorted(listed - expect)))
        ok(files["clf_p2.pkl"]["status"].startswith("converted"), "pickle converted",
           files["clf_p2.pkl"])
        ok(files["team/clf.joblib"]["status"].startswith("converted"), "joblib converted",
           files["team/clf.joblib"])
        ok(files["team/old/reg_z.joblib"]["status"].startswith("converted"),
           "compressed joblib converted", files["team/old/reg_z.joblib"])
        ok(files["team/reg.sav"]["status"].startswith("converted"),
           "model found by content, not extension", files["team/reg.sav"])
        ok(files["NOTES.txt"]["status"] == "not-a-model", "text file is not a model")
        ok(files["team/passwd_link"]["status"] == "symlink-outside",
           "symlink out of SRC is not followed", files["team/passwd_link"])
        ok(files["inside_link.pkl"]["status"].startswith("converted"),
           "symlink inside SRC is followed", files["inside_link.pkl"])
        ok(files["team/truncated.pkl"]["status"] == "corrupt", "truncated pickle is corrupt",
           files["team/truncated.pkl"])
        bad = [p for p in files if p.startswith("team/") and p.endswith(".pkl")
               and "truncated" not in p]
        ok(all(not files[p]["status"].startswith("converted") for p in bad),
           "hostile pickles are refused", {p: files[p]["status"] for p in bad})
        twins = sorted(files[p]["status"] for p in ("twin.joblib", "twin.pkl"))
        ok(twins[0] == "collision" and twins[1].startswith("converted"),
           "name collision: the first claims, the second is reported", twins)
        side = os.path.join(dst, "clf_p2.onnx.json")
        ok(os.path.exists(side), "sidecar beside the output")
        if os.path.exists(side):
            with open(side) as f:
                sc = json.load(f)
            with open(os.path.join(src, "clf_p2.pkl"), "rb") as f:
                h = hashlib.sha256(f.read()).hexdigest()
            ok(sc.get("source_sha256") == h and sc.get("sklearn_version") and
               sc.get("verdict") == "safe" and sc.get("skconv_version"),
               "sidecar has source hash, sklearn version, verdict, skconv version", sc)
        ok(os.path.exists(os.path.join(dst, "report.csv")), "CSV report written")
        ok(not [n for n in os.listdir(dst) if ".tmp-" in n], "no temporary files left")
        first = outputs(dst)

        # 2. A re-run skips everything and rewrites nothing.
        mtimes = {p: os.stat(os.path.join(dst, p)).st_mtime_ns for p in first}
        r = run(sk, src, "-o", dst, "-j", "2")
        rep2 = by_path(report(dst))
        conv = [p for p, f in files.items() if f["status"].startswith("converted")]
        ok(all(rep2[p]["status"] == "skipped" for p in conv), "re-run skips converted files",
           {p: rep2[p]["status"] for p in conv})
        ok(all(os.stat(os.path.join(dst, p)).st_mtime_ns == m for p, m in mtimes.items()
               if not p.endswith("report.json")), "re-run rewrites no output")

        # 3. Killed mid-run, then resumed: the same outputs as a clean run.
        dst_k = os.path.join(work, "dst_killed")
        p = subprocess.Popen([sk, "migrate", src, "-o", dst_k, "-j", "1", "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            done = [n for n in os.listdir(os.path.join(dst_k, "bulk"))
                    if n.endswith(".json")] if os.path.isdir(os.path.join(dst_k, "bulk")) else []
            if len(done) >= 3 or p.poll() is not None:
                break
            time.sleep(0.01)
        killed = p.poll() is None
        if killed:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        r = run(sk, src, "-o", dst_k, "-j", "2")
        rep_k = by_path(report(dst_k))
        skipped = sum(1 for f in rep_k.values() if f["status"] == "skipped")
        ok(outputs(dst_k) == first, "resumed run gives the outputs of a clean run",
           sorted(set(outputs(dst_k)) ^ set(first)))
        ok(not killed or skipped > 0, "resumed run skips what the killed run finished",
           "skipped %d" % skipped)

        # 4. Three shards give exactly the outputs of one run.
        dst_s = os.path.join(work, "dst_shards")
        reports = []
        for k in range(3):
            rp = os.path.join(work, "shard%d.json" % k)
            run(sk, src, "-o", dst_s, "--shard", "%d/3" % k, "--report", rp, "-q")
            reports.append(rp)
        ok(outputs(dst_s) == first, "3 shards together produce the outputs of one run",
           sorted(set(outputs(dst_s)) ^ set(first)))
        merged = os.path.join(work, "merged.json")
        r = subprocess.run([sk, "migrate", "--merge-reports", "-o", merged] + reports,
                           capture_output=True, text=True)
        with open(merged) as f:
            m = json.load(f)
        ok(set(f["path"] for f in m["files"]) == expect,
           "merged shard reports name every file once",
           len(m["files"]))

        # 5. The same tree inside a .tar.gz, into a .tar.gz.
        tgz = os.path.join(work, "models.tar.gz")
        with tarfile.open(tgz, "w:gz") as t:
            t.add(src, arcname="models")
        out_tgz = os.path.join(work, "out.tar.gz")
        r = run(sk, tgz, "-o", out_tgz, "-j", "2", "-q")
        ok(os.path.exists(out_tgz), "archive in, archive out", r.stderr)
        if os.path.exists(out_tgz):
            with tarfile.open(out_tgz) as t:
                names = t.getnames()
            ok("models/clf_p2.onnx" in names and "report.json" in names,
               "output archive holds the converted models and the report", names[:10])

        # 6. --dry-run writes nothing and says what would happen.
        dst_d = os.path.join(work, "dst_dry")
        r = run(sk, src, "-o", dst_d, "--dry-run")
        ok(not os.path.exists(dst_d), "--dry-run writes nothing")
        ok("would-convert" in r.stdout and "malicious" in r.stdout + r.stderr
           or "would-convert" in r.stdout, "--dry-run reports verdicts", r.stdout[:500])

        # 7. DST inside SRC is refused.
        r = run(sk, src, "-o", os.path.join(src, "converted"))
        ok(r.returncode == 2 and not os.path.exists(os.path.join(src, "converted")),
           "DST inside SRC is refused", r.stderr)

        # 7b. ONNX external data: the sidecar names the side file and its hash.
        src_x, dst_x = os.path.join(work, "src_x"), os.path.join(work, "dst_x")
        os.makedirs(src_x)
        rng = np.random.default_rng(3)
        xw = rng.normal(size=(50, 400))      # 400 weights: a tensor of 1 KiB or more
        with open(os.path.join(src_x, "clf.pkl"), "wb") as f:
            pickle.dump(LinearRegression().fit(xw, xw[:, 0]), f, protocol=4)
        r = run(sk, src_x, "-o", dst_x, "-O", "external_data=true")
        sc = {}
        if os.path.exists(os.path.join(dst_x, "clf.onnx.json")):
            with open(os.path.join(dst_x, "clf.onnx.json")) as f:
                sc = json.load(f)
        data = os.path.join(dst_x, "clf.onnx.data")
        h = size = None
        if os.path.exists(data):
            with open(data, "rb") as f:
                h = hashlib.sha256(f.read()).hexdigest()
            size = os.path.getsize(data)
        ok(r.returncode == 0 and h and sc.get("output_data") == "clf.onnx.data" and
           sc.get("output_data_sha256") == h and sc.get("output_data_size") == size,
           "external data: the sidecar has the side file's name, size and hash",
           "%s %s %s" % (r.stderr, sc, h))

        # 8. A full disk: each failed write is reported, the run goes on.
        full = os.path.join(work, "full")
        os.makedirs(full)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", full],
                                 capture_output=True).returncode == 0
        if mounted:
            try:
                r = run(sk, src, "-o", full, "-q")
                rep_f = None
                try:
                    rep_f = by_path(report(full))
                except (OSError, ValueError):
                    pass
                st = [f["status"] for f in rep_f.values()] if rep_f else []
                ok(r.returncode in (1, 2) and r.returncode != -11,
                   "full disk: the run ends with a failure code, not a crash", r.stderr[-500:])
                ok(not rep_f or "write-failed" in st,
                   "full disk: failed writes are reported per file", st)
                ok(not [n for n, _, fs in os.walk(full) for x in fs if ".tmp-" in x],
                   "full disk: no temporary files left")
            finally:
                subprocess.run(["umount", full])
        else:
            print("ok %d - full disk # SKIP cannot mount a tmpfs here" % (len(RESULTS) + 1))
            RESULTS.append((True, "full disk", ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % len(RESULTS))
    failed = sum(1 for r in RESULTS if not r[0])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
