// SPDX-License-Identifier: MIT
// ort_rows.js: single-thread rows per second of ONNX Runtime (onnxruntime-node)
// on MODEL.onnx over N rows of C float32 features read from ROWS.f32, the
// rows tests/bench/bench_skm.sh also gives skm_bench; also the time to the
// first prediction (session creation plus one row).
//   node tests/bench/ort_rows.js MODEL.onnx ROWS.f32 N C
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '../../node_modules/onnxruntime-node'));

async function main() {
  const [model, rowsPath, nText, cText] = process.argv.slice(2);
  const n = Number(nText), c = Number(cText);
  const buf = fs.readFileSync(rowsPath);
  const x = new Float32Array(buf.buffer, buf.byteOffset, n * c);
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };
  let t0 = process.hrtime.bigint();
  const s = await ort.InferenceSession.create(model, opts);
  const name = s.inputNames[0];
  await s.run({ [name]: new ort.Tensor('float32', x.slice(0, c), [1, c]) });
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  const feed = { [name]: new ort.Tensor('float32', x, [n, c]) };
  await s.run(feed);                       // warm up, as skm_bench does
  t0 = process.hrtime.bigint();
  await s.run(feed);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`onnxruntime: first prediction at ${first.toFixed(1)} ms, ` +
              `${Math.round(n / sec)} rows/s (one thread, ${n} rows), ` +
              `max RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
}
main().catch((e) => { console.error(e); process.exit(1); });
