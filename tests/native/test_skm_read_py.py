#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_skm_read_py.py: formats/native/skm_read.py reads the .skm files skconv writes exactly as the C reader does.

skm_testgen writes each test model as NAME.skm and the C reader's view of
it as NAME.json; the Python reader, written from SPEC.md alone, must see
the same inputs, outputs, steps, attributes (bit for bit) and metadata,
and must refuse damage naming the section. With --skconv, `skconv
inspect --json` must agree on the steps too. Output is TAP.
"""
import argparse
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

NAMES = {np.dtype("float32"): "float32", np.dtype("float64"): "float64",
         np.dtype("int64"): "int64", np.dtype("int32"): "int32",
         np.dtype("uint8"): "uint8", np.dtype("bool"): "bool",
         np.dtype("uint32"): "uint32", np.dtype("O"): "string"}


def tensor_json(a):
    """The C dump's form of an array: dtype, shape, hex or strings."""
    d = dict(dtype=NAMES[a.dtype], shape=list(a.shape))
    if a.dtype == object:
        d["strings"] = list(a.ravel())
    else:
        d["hex"] = a.astype(a.dtype.newbyteorder("<")).tobytes().hex()
    return d


def model_json(m):
    """The Python reader's dict in the C dump's form."""
    def port(p):
        cols = p["columns"]
        return dict(name=p["name"], dtype=p["dtype"], shape=p["shape"],
                    columns=None if cols is None else
                    dict(dtype="string", shape=[len(cols)], strings=cols))
    steps = []
    for s in m["steps"]:
        attrs = []
        for k, v in s["attrs"].items():
            kind = s["kinds"][k]
            if kind == "float":
                v = "%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]
            elif kind == "tensor":
                v = tensor_json(v)
            attrs.append(dict(key=k, kind=kind, value=v))
        steps.append(dict(op=s["op"], inputs=s["inputs"], outputs=s["outputs"],
                          attrs=attrs))
    return dict(inputs=[port(p) for p in m["inputs"]],
                outputs=[port(p) for p in m["outputs"]], steps=steps,
                meta=[[k, v] for k, v in m["meta"].items()])


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
        if not ok and detail:
            for line in str(detail).splitlines()[:20]:
                print(f"# {line}")


def first_diff(a, b, path="model"):
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: missing on one side"
            d = first_diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: lengths {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{path}[{i}]")
            if d:
                return d
    elif a != b:
        return f"{path}: {a!r} vs {b!r}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--reader", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--skconv")
    a = ap.parse_args()

    sys.dont_write_bytecode = True      # nothing written into the source tree
    spec = importlib.util.spec_from_file_location("skm_read", a.reader)
    skm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(skm)
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    subprocess.run([a.gen, a.workdir], check=True)
    t = Tap()
    files = sorted(f[:-4] for f in os.listdir(a.workdir) if f.endswith(".skm"))
    t.check(len(files) == 4, "skm_testgen wrote four models", files)
    for name in files:
        path = os.path.join(a.workdir, name + ".skm")
        with open(os.path.join(a.workdir, name + ".json"), encoding="utf-8") as f:
            want = json.load(f)
        try:
            got = model_json(skm.read(path))
            t.check(first_diff(want, got) is None, f"{name}: same model as the C reader",
                    first_diff(want, got))
        except skm.SkmError as e:
            t.check(False, f"{name}: read", e)
        r = subprocess.run([sys.executable, a.reader, path], capture_output=True, text=True)
        t.check(r.returncode == 0 and "all CRCs ok" in r.stdout, f"{name}: summary",
                r.stdout + r.stderr)
        r = subprocess.run([sys.executable, a.reader, "--json", path], capture_output=True,
                           text=True)
        t.check(r.returncode == 0 and json.loads(r.stdout)["steps"], f"{name}: --json",
                r.stderr)

        with open(path, "rb") as f:
            data = bytearray(f.read())
        for s in skm.parse(bytes(data))["sections"]:
            if not s["length"]:
                continue
            bad = bytearray(data)
            bad[s["offset"] + s["length"] // 2] ^= 0x04
            try:
                skm.parse(bytes(bad))
                t.check(False, f"{name}: flipped byte in {s['kind']} refused")
            except skm.SkmError as e:
                t.check(f"section {s['kind']}" in str(e),
                        f"{name}: flipped byte in {s['kind']} refused naming it", e)
        refused = 0
        for cut in range(0, len(data), 7):
            try:
                skm.parse(bytes(data[:cut]))
            except skm.SkmError:
                refused += 1
        t.check(refused == len(range(0, len(data), 7)), f"{name}: every truncation refused")

        if a.skconv:
            r = subprocess.run([a.skconv, "inspect", "--json", path], capture_output=True,
                               text=True)
            ok = r.returncode == 0
            if ok:
                rep = json.loads(r.stdout)
                ops = [s["op"] for s in rep["steps"]]
                keys = [sorted(s["attrs"]) for s in rep["steps"]]
                ok = ops == [s["op"] for s in got["steps"]] and \
                    keys == [sorted(x["key"] for x in s["attrs"]) for s in got["steps"]] and \
                    rep["valid"] is True
            t.check(ok, f"{name}: skconv inspect --json agrees", r.stderr)
    print(f"1..{t.n}")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
