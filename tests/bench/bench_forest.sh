#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (run on demand, not a timed test): convert a large joblib
# RandomForestClassifier to ONNX and report wall time and peak RSS, next to
# what Python needs just to joblib.load the same file.
#
#   tests/bench/bench_forest.sh [BUILD_DIR] [WORK_DIR] [TREES...]
#
# BUILD_DIR defaults to ./build, WORK_DIR to /tmp/skconv-bench; TREES (the
# forest sizes to measure) to "500", which makes a file of about 300 MB
# (fully grown trees on 22000 rows of random labels, 10 features, 2 classes; 64-byte
# node records plus 16 bytes of class counts per node). Models are made
# once with /usr/bin/python3 (Debian's python3-sklearn) and reused.
# Extra skconv options can be passed in SKCONV_OPTS (e.g. "-O dtype=float64"
# or "--no-verify"); RUNS (default 3) how often each side runs.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/skconv-bench}
[ $# -ge 2 ] && shift 2 || shift $#
sizes=${*:-500}
py=/usr/bin/python3
skconv=$build/cli/skconv
SKCONV_PLUGIN_PATH=$build/plugins/pickle:$build/plugins/onnx:$build/plugins/native
export SKCONV_PLUGIN_PATH
mkdir -p "$work"

if [ ! -x /usr/bin/time ]; then
    echo "bench_forest: /usr/bin/time (GNU time) is needed" >&2
    exit 77
fi

for n in $sizes; do
    model=$work/rf$n.joblib
    if [ ! -f "$model" ]; then
        "$py" - "$model" "$n" <<'EOF'
import sys, joblib, numpy as np
from sklearn.ensemble import RandomForestClassifier
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.normal(size=(22000, 10)).astype(np.float32)
y = rng.integers(0, 2, size=22000)  # noise: fully grown trees of ~8000 nodes
rf = RandomForestClassifier(n_estimators=n, n_jobs=-1, random_state=0).fit(x, y)
joblib.dump(rf, path)
EOF
    fi
    size=$(stat -L -c %s "$model")
    # Each side RUNS times (default 3; the machine may be busy), taking
    # turns so that both see the same machine: the best and the median
    # wall time, the largest peak RSS. Each joblib.load runs in a Python of
    # its own, as a user loads a model (timing the call only, not the
    # start-up and imports): loads repeated in one process would reuse the
    # memory the previous one freed, which no single load gets.
    runs=${RUNS:-3}
    log=$work/rf$n.time
    walls=""
    loads=""
    maxrss=0
    i=0
    while [ "$i" -lt "$runs" ]; do
        i=$((i + 1))
        loads="$loads $("$py" -c "
import sys, time, joblib, sklearn.ensemble
t = time.perf_counter(); joblib.load(sys.argv[1]); print('%.3f' % (time.perf_counter() - t))
" "$model")"
        # A new output, as in a first conversion (replacing an existing
        # file with --force adds the kernel's cost of deleting the old one).
        rm -f "$work/rf$n.onnx"
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %M' -o "$log" "$skconv" -v "$model" -o "$work/rf$n.onnx" \
            ${SKCONV_OPTS:-} 2>"$log.err" >/dev/null || { cat "$log.err" >&2; exit 1; }
        walls="$walls $(cut -d' ' -f1 "$log")"
        rss=$(cut -d' ' -f2 "$log")
        [ "$rss" -gt "$maxrss" ] && maxrss=$rss
        phases=$(sed -n 's/^skconv: time: //p' "$log.err")
    done
    loads=$(echo $loads | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { printf "best=%.2fs median=%.2fs", v[1], v[int((NR + 1) / 2)] }')
    wall=$(echo $walls | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { printf "best=%.2fs median=%.2fs", v[1], v[int((NR + 1) / 2)] }')
    out=$(stat -c %s "$work/rf$n.onnx")
    echo "trees=$n file=$((size / 1048576))MB onnx=$((out / 1048576))MB" \
         "skconv: $wall peak_rss=$((maxrss / 1024))MB rss/file=$(awk "BEGIN{printf \"%.2f\", $maxrss * 1024 / $size}")" \
         "(last run: $phases)" \
         "python joblib.load: ${loads}"
done
