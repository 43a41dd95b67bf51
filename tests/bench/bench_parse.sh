#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_parse.sh: parse throughput and peak memory of the pickle reader on a large joblib RandomForest (run on demand, not a timed test).
#
#   tests/bench/bench_parse.sh [BUILD_DIR] [WORK_DIR]
#
# Makes rf500.joblib (~330 MB, RandomForestClassifier(n_estimators=500)) with
# /usr/bin/python3 once, plus a protocol-4 pickle and a zlib joblib of the
# same model, then runs `skconv scan` (a full parse of every byte of the
# pickle stream) a few times on each and prints MB/s and peak RSS / size.
set -eu
BUILD=${1:-build}
WORK=${2:-${TMPDIR:-/tmp}/skconv-bench}
SKCONV="$BUILD/cli/skconv"
export SKCONV_PLUGIN_PATH="$BUILD/plugins/pickle"
mkdir -p "$WORK"
if [ ! -f "$WORK/rf500.joblib" ] || [ ! -f "$WORK/rf500_p4.pkl" ] || [ ! -f "$WORK/rf500.joblib.z" ]; then
    /usr/bin/python3 - "$WORK" <<'PY'
import os, sys, pickle, numpy as np, joblib
from sklearn.ensemble import RandomForestClassifier
w = sys.argv[1]
if os.path.exists(w + '/rf500.joblib'):
    m = joblib.load(w + '/rf500.joblib')     # our own file from an earlier run
else:
    rs = np.random.RandomState(0)
    X = rs.rand(24000, 10); y = rs.randint(0, 2, 24000)
    m = RandomForestClassifier(n_estimators=500, n_jobs=-1, random_state=0).fit(X, y)
    joblib.dump(m, w + '/rf500.joblib')
joblib.dump(m, w + '/rf500.joblib.z', compress=3)
with open(w + '/rf500_p4.pkl', 'wb') as f:
    pickle.dump(m, f, protocol=4)
PY
fi
for f in rf500.joblib rf500_p4.pkl rf500.joblib.z; do
    path="$WORK/$f"
    size=$(stat -c %s "$path")
    "$SKCONV" scan "$path" >/dev/null     # warm the page cache
    best=""
    rss=0
    for i in 1 2 3 4 5; do
        out=$( { /usr/bin/time -f "%e %M" "$SKCONV" scan "$path" >/dev/null; } 2>&1 | tail -1)
        t=${out% *}; m=${out#* }
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    awk -v f="$f" -v s="$size" -v t="$best" -v r="$rss" 'BEGIN {
        if (t < 0.001) t = 0.001;
        printf "%-16s %8.1f MB  best %6.3f s  %9.0f MB/s  peak RSS %7.1f MB (%.2fx file)\n",
               f, s/1e6, t, s/1e6/t, r/1024, r*1024/s }'
done
