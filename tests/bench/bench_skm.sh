#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (run on demand, not a timed test): open a forest .skm up to the
# first prediction (wall time and RSS, with and without the CRC of the
# tensor data), and the evaluator's single-thread rows per second against
# ONNX Runtime's on the same forest.
#
#   tests/bench/bench_skm.sh [BUILD_DIR] [WORK_DIR] [TREES...]
#
# BUILD_DIR defaults to ./build, WORK_DIR to /tmp/skm-bench; TREES to
# "50 125 250 500": the RandomForestClassifiers tests/bench/bench_forest.sh
# makes (rfN.joblib in SKM_BENCH_SRC, default /tmp/skconv-bench; 10
# features), converted here to .skm and .onnx once. "synth" adds a
# synthetic 300 MB regressor forest (skm_bench write: 370 complete trees of
# depth 14, 32 features), opened only. The page cache is warm: each file
# is opened once before it is timed. Throughput: ROWS (default 20000)
# rows of normal noise, the same float32 rows for both evaluators, one
# batch; ONNX Runtime through node and node_modules/onnxruntime-node with
# intraOpNumThreads=1 (skipped without them).
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/skm-bench}
[ $# -ge 2 ] && shift 2 || shift $#
sizes=${*:-50 125 250 500}
src=${SKM_BENCH_SRC:-/tmp/skconv-bench}
rows=${ROWS:-20000}
skconv=$build/cli/skconv
bench=$build/tests/native/skm_bench
SKCONV_PLUGIN_PATH=$build/plugins/pickle:$build/plugins/onnx:$build/plugins/native
export SKCONV_PLUGIN_PATH
mkdir -p "$work"

if [ ! -x "$bench" ]; then
    echo "bench_skm: $bench is not built" >&2
    exit 77
fi
ort=
if command -v node >/dev/null 2>&1 && [ -d "$here/node_modules/onnxruntime-node" ]; then
    ort=1
fi

# Best of three runs of one open (warm cache); prints skm_bench's line.
open_best() {
    best=
    best_ms=
    for _ in 1 2 3; do
        line=$("$bench" open "$1" "$2" true 0)
        ms=$(echo "$line" | sed -n 's/.*first prediction at \([0-9.]*\) ms.*/\1/p')
        if [ -z "$best" ] || awk "BEGIN{exit !($ms < $best_ms)}"; then
            best=$line
            best_ms=$ms
        fi
    done
    echo "  $best"
}

for n in $sizes; do
    if [ "$n" = synth ]; then
        skm=$work/synth.skm
        [ -f "$skm" ] || "$bench" write "$skm" 370 14 >/dev/null
        echo "synthetic forest: skm=$(($(stat -c %s "$skm") / 1048576))MB"
        "$bench" open "$skm" false true 0 >/dev/null
        open_best "$skm" auto
        open_best "$skm" true
        continue
    fi
    model=$src/rf$n.joblib
    if [ ! -f "$model" ]; then
        echo "bench_skm: $model is missing (tests/bench/bench_forest.sh makes it)" >&2
        exit 77
    fi
    skm=$work/rf$n.skm
    onnx=$work/rf$n.onnx
    [ -f "$skm" ] || "$skconv" -q "$model" -o "$skm"
    [ -f "$onnx" ] || "$skconv" -q "$model" -o "$onnx"
    x=$work/rows-$rows.f32
    [ -f "$x" ] || /usr/bin/python3 -c "
import sys, numpy as np
np.random.default_rng(1).normal(size=(int(sys.argv[2]), 10)).astype('<f4').tofile(sys.argv[1])
" "$x" "$rows"
    echo "trees=$n skm=$(($(stat -c %s "$skm") / 1048576))MB onnx=$(($(stat -c %s "$onnx") / 1048576))MB"
    "$bench" open "$skm" false true 0 >/dev/null
    open_best "$skm" auto
    open_best "$skm" true
    # One thread (SKCONV_THREADS=1) to compare with ONNX Runtime's one;
    # by default a large batch is split between two.
    echo "  skconv $(SKCONV_THREADS=1 "$bench" open "$skm" auto true "$rows" "$x" | sed -n 's/^evaluator: //p')"
    echo "  skconv $("$bench" open "$skm" auto true "$rows" "$x" | sed -n 's/^evaluator: //p')"
    if [ -n "$ort" ]; then
        echo "  $(node "$here/tests/bench/ort_rows.js" "$onnx" "$x" "$rows" 10)"
    fi
done
