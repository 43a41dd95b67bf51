#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bad input to `skconv INPUT -o OUTPUT`: each case must exit with its
documented code (README "Exit codes"), print one line on stderr that names
the file and the reason, and leave nothing behind in the output directory
(no output, no temporary file).

Usage: test_bad_input.py --skconv PATH [--fixtures DIR]

--fixtures is the directory tests/fixtures/make_fixtures.py wrote (for
the unsupported-estimator and --force cases; skipped without it).
Output is TAP.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

USAGE = 2    # usage error, unreadable or unrecognised input, output that
             # exists without --force
FAILED = 1   # the conversion failed: not supported, or the output cannot
             # be written (no such directory, not writable)
HINT = re.compile(r"^Try '.*--help'\.?$")


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)


def run(skconv, args):
    p = subprocess.run([skconv] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def check(tap, skconv, name, args, code, names, reason, outdir,
          before=None):
    """Run one case and check code, stderr and the output directory."""
    rc, err = run(skconv, args)
    # A usage error may add the conventional "Try '... --help'." hint.
    lines = [ln for ln in err.splitlines()
             if ln.strip() and not HINT.match(ln)]
    detail = "exit %d, stderr:\n%s" % (rc, err or "(empty)")
    tap.ok(rc == code, "%s: exit code %d" % (name, code), detail)
    first = lines[0] if lines else ""
    tap.ok(len(lines) == 1, "%s: one line on stderr" % name, detail)
    tap.ok(names in first, "%s: message names %s" % (name, names), detail)
    tap.ok(re.search(reason, first, re.I) is not None,
           "%s: message gives the reason (/%s/)" % (name, reason), detail)
    after = listing(outdir)
    want = before if before is not None else []
    tap.ok(after == want, "%s: nothing left in the output directory" % name,
           "before %s, after %s" % (want, after))


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skconv", required=True)
    ap.add_argument("--fixtures")
    args = ap.parse_args(argv)
    sk = os.path.abspath(args.skconv)
    tap = Tap()

    with tempfile.TemporaryDirectory(prefix="skconv-bad-") as tmp:
        src = os.path.join(tmp, "in")
        out = os.path.join(tmp, "out")
        os.makedirs(src)
        os.makedirs(out)
        dst = os.path.join(out, "model.onnx")

        missing = os.path.join(src, "missing.pkl")
        check(tap, sk, "missing input", [missing, "-o", dst], USAGE,
              missing, r"no such file|not found|does not exist", out)

        empty = os.path.join(src, "empty.pkl")
        open(empty, "w").close()
        check(tap, sk, "empty input", [empty, "-o", dst], USAGE,
              empty, r"empty", out)

        text = os.path.join(src, "notes.pkl")
        with open(text, "w") as f:
            f.write("This is a text file, not a pickle.\n" * 20)
        check(tap, sk, "text input", [text, "-o", dst], USAGE,
              text, r"not a pickle|unknown|recogni[sz]|no reader|format",
              out)

        check(tap, sk, "no -o", [text], USAGE, "-o",
              r"usage|missing|required|output", out)

        # A directory is not a readable model either.
        check(tap, sk, "directory as input", [src, "-o", dst], USAGE,
              src, r"directory|not a regular file|read", out)

        fx = args.fixtures
        good = unsupported = unsupported_class = None
        if fx and os.path.isfile(os.path.join(fx, "manifest.json")):
            with open(os.path.join(fx, "manifest.json")) as f:
                man = json.load(f)
            unsupported = os.path.join(fx, man["unsupported"][0]["file"])
            unsupported_class = man["unsupported"][0]["estimator"]
            good = os.path.join(fx, next(
                x["file"] for x in man["fixtures"]
                if x["model"] == "linreg1" and x["format"] == "pickle"
                and x["protocol"] == 4))

        if unsupported:
            check(tap, sk, "unsupported estimator", [unsupported, "-o", dst],
                  FAILED, unsupported, re.escape(unsupported_class), out)
        else:
            tap.skip("unsupported estimator", "no fixtures")

        # Output problems need a valid input, so a fixture.
        if good:
            nodir = os.path.join(out, "no-such-dir", "model.onnx")
            check(tap, sk, "output directory missing", [good, "-o", nodir],
                  FAILED, nodir, r"no such|does not exist|not found|director",
                  out)

            # Root can write anywhere, so make the parent a regular file:
            # that fails for every user.
            blocker = os.path.join(out, "blocker")
            with open(blocker, "w") as f:
                f.write("x")
            notdir = os.path.join(blocker, "model.onnx")
            check(tap, sk, "output parent is a file", [good, "-o", notdir],
                  FAILED, notdir, r"not a directory|cannot|can't|unable",
                  out, before=["blocker"])
            os.unlink(blocker)

            if os.geteuid() != 0:
                ro = os.path.join(out, "readonly")
                os.makedirs(ro)
                os.chmod(ro, 0o555)
                rodst = os.path.join(ro, "model.onnx")
                check(tap, sk, "output directory not writable",
                      [good, "-o", rodst], FAILED, rodst,
                      r"permission|denied|writ", ro)
                os.chmod(ro, 0o755)
                os.rmdir(ro)
            else:
                tap.skip("output directory not writable",
                         "root writes anywhere; covered by the file-parent case")

            with open(dst, "w") as f:
                f.write("keep me")
            check(tap, sk, "output exists without --force",
                  [good, "-o", dst], USAGE, dst, r"exist", out,
                  before=["model.onnx"])
            with open(dst) as f:
                tap.ok(f.read() == "keep me",
                       "output exists without --force: file untouched")

            rc, err = run(sk, [good, "-o", dst, "--force"])
            tap.ok(rc == 0, "--force overwrites: exit 0",
                   "exit %d\n%s" % (rc, err))
            with open(dst, "rb") as f:
                tap.ok(f.read() != b"keep me", "--force overwrites: replaced")
            tap.ok(listing(out) == ["model.onnx"],
                   "--force overwrites: no temporary file left",
                   str(listing(out)))

            # predict -I: reader options checked against the reader's table.
            skm = os.path.join(src, "model.skm")
            rows = os.path.join(src, "rows.csv")
            with open(rows, "w") as f:
                f.write("1,2,3,4\n")
            rc, err = run(sk, [good, "-o", skm])
            tap.ok(rc == 0, "predict -I: the .skm converts", err)
            check(tap, sk, "predict with an unknown -I option",
                  ["predict", skm, "-I", "nope=1", "-i", rows], USAGE, "nope",
                  r"no read option", out, before=["model.onnx"])
            rc, err = run(sk, ["predict", skm, "-I", "verify_data=false", "-i", rows])
            tap.ok(rc == 0, "predict -I verify_data=false: exit 0", err)
        else:
            for n in ("output directory missing", "output parent is a file",
                      "output directory not writable",
                      "output exists without --force", "--force overwrites",
                      "predict -I"):
                tap.skip(n, "no fixtures")

    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
