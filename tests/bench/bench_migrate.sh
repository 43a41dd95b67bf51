#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark (run on demand, not a test): `skconv migrate` on a tree of
# 1,000 small models and on a tree of 20 large forests, with -j 1 and -j 2:
# models per second, MB per second and peak RSS, against the time Python
# needs only to joblib.load the same files.
#
#   tests/bench/bench_migrate.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR is a meson build directory of skconv; WORK_DIR (default a new
# temporary directory) keeps the generated trees between runs.
set -euo pipefail
BUILD=$(cd "${1:?usage: bench_migrate.sh BUILD_DIR [WORK_DIR]}" && pwd)
WORK=${2:-$(mktemp -d "${TMPDIR:-/tmp}/skconv-bench-migrate.XXXXXX")}
SKCONV=$BUILD/cli/skconv
export SKCONV_PLUGIN_PATH=$BUILD/plugins/pickle:$BUILD/plugins/onnx:$BUILD/plugins/native
mkdir -p "$WORK"

/usr/bin/python3 - "$WORK" <<'PY'
import os, pickle, sys
import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
work = sys.argv[1]
small = os.path.join(work, "small")
large = os.path.join(work, "large")
rng = np.random.default_rng(0)
if not os.path.isdir(small):
    x = rng.normal(size=(200, 8)); y = (x[:, 0] > 0).astype(int)
    for i in range(1000):
        d = os.path.join(small, "team%02d" % (i % 20))
        os.makedirs(d, exist_ok=True)
        if i % 3 == 0:
            m = LinearRegression().fit(x, x[:, 1] * (i + 1))
        else:
            m = Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]).fit(x, y)
        if i % 2:
            joblib.dump(m, os.path.join(d, "m%04d.joblib" % i))
        else:
            with open(os.path.join(d, "m%04d.pkl" % i), "wb") as f:
                pickle.dump(m, f, protocol=2 + i % 4)
if not os.path.isdir(large):
    os.makedirs(large)
    x = rng.normal(size=(4000, 20)); y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    for i in range(20):
        m = RandomForestClassifier(n_estimators=60, random_state=i, n_jobs=2).fit(x, y)
        joblib.dump(m, os.path.join(large, "forest%02d.joblib" % i))
PY

measure() {   # label, command...: prints seconds and peak RSS (MB)
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || true
  t1=$(date +%s.%N)
  echo "$label $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}') $(( $(cat "$WORK/rss") / 1024 ))"
}

for tree in small large; do
  n=$(find "$WORK/$tree" -type f | wc -l)
  mb=$(du -sm "$WORK/$tree" | cut -f1)
  echo "== $tree: $n files, $mb MB"
  py=$(/usr/bin/python3 - "$WORK/$tree" <<'PY'
import os, sys, time, joblib
files = [os.path.join(d, f) for d, _, fs in os.walk(sys.argv[1]) for f in fs]
t = time.time()
for f in files:
    joblib.load(f)
print("%.2f" % (time.time() - t))
PY
)
  echo "python joblib.load only: ${py} s ($(awk -v n="$n" -v t="$py" 'BEGIN{printf "%.1f", n / t}') models/s)"
  for j in 1 2; do
    rm -rf "$WORK/out-$tree-$j"
    read -r _ secs rss < <(measure "j$j" "$SKCONV" migrate "$WORK/$tree" -o "$WORK/out-$tree-$j" -j "$j" -q)
    echo "skconv migrate -j $j: $secs s, $(awk -v n="$n" -v t="$secs" 'BEGIN{printf "%.1f", n / t}') models/s, $(awk -v n="$mb" -v t="$secs" 'BEGIN{printf "%.1f", n / t}') MB/s, peak RSS $rss MB (largest single process)"
    /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('  statuses:', r['totals_by_status'])" "$WORK/out-$tree-$j/report.json"
  done
done
