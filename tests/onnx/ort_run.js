// SPDX-License-Identifier: MIT
// Run one ONNX model in ONNX Runtime (onnxruntime-node) on inputs from JSON.
//
//   node ort_run.js MODEL.onnx INPUT.json OUTPUT.json
//
// INPUT.json maps each model input name to {"dtype", "shape", "data"}:
//   {"X": {"dtype": "float32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}}
// dtype is float32, float64, int32, int64, uint8, bool or string; data is
// row-major and flat. Floats may also be given as "NaN", "Infinity",
// "-Infinity" (or null for NaN), since JSON has no numbers for them.
// OUTPUT.json gets every model output by name, in the same form: strings
// as JSON strings, int64 as numbers (as decimal strings beyond 2^53),
// bools as true/false, and non-finite floats as "NaN", "Infinity",
// "-Infinity".
//
// onnxruntime-node is found in $ORT_NODE_MODULES (a node_modules directory)
// when that is set, else through the usual require() search and NODE_PATH.
// Exit status: 0 ran, 1 the model failed to load or run (message on
// stderr), 2 usage or bad input file, 77 onnxruntime-node not found.
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dir = process.env.ORT_NODE_MODULES;
  try {
    if (dir) {
      return require(require.resolve('onnxruntime-node',
                                     { paths: [path.resolve(dir)] }));
    }
    return require('onnxruntime-node');
  } catch (e) {
    process.stderr.write('ort_run: onnxruntime-node not found (ORT_NODE_MODULES=' +
                         (dir || '') + ', NODE_PATH=' + (process.env.NODE_PATH || '') +
                         '): ' + e.message + '\n');
    process.exit(77);
  }
}

const TYPED = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

function toNumber(v) {
  if (v === null || v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v !== 'number') throw new Error('not a number: ' + JSON.stringify(v));
  return v;
}

function fromNumber(v) {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : (v > 0 ? 'Infinity' : '-Infinity');
}

function toTensor(name, spec) {
  if (!spec || !Array.isArray(spec.shape) || !Array.isArray(spec.data)) {
    throw new Error('input ' + name + ': needs "dtype", "shape" and "data"');
  }
  const numel = spec.shape.reduce((a, b) => a * b, 1);
  if (numel !== spec.data.length) {
    throw new Error('input ' + name + ': shape ' + JSON.stringify(spec.shape) +
                    ' holds ' + numel + ' values, data has ' + spec.data.length);
  }
  switch (spec.dtype) {
    case 'string':
      return new ort.Tensor('string', spec.data.map(String), spec.shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(spec.data, (v) => (v ? 1 : 0)),
                            spec.shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(spec.data, (v) => BigInt(v)),
                            spec.shape);
    case 'float32': case 'float64':
      return new ort.Tensor(spec.dtype, TYPED[spec.dtype].from(spec.data, toNumber),
                            spec.shape);
    default: {
      const T = TYPED[spec.dtype];
      if (!T) throw new Error('input ' + name + ': unsupported dtype ' + spec.dtype);
      return new ort.Tensor(spec.dtype, T.from(spec.data), spec.shape);
    }
  }
}

function fromTensor(t) {
  let data;
  if (t.type === 'int64' || t.type === 'uint64') {
    const lo = BigInt(Number.MIN_SAFE_INTEGER), hi = BigInt(Number.MAX_SAFE_INTEGER);
    data = Array.from(t.data, (v) => (v >= lo && v <= hi ? Number(v) : v.toString()));
  } else if (t.type === 'bool') {
    data = Array.from(t.data, (v) => v !== 0);
  } else if (t.type === 'string') {
    data = Array.from(t.data);
  } else {
    data = Array.from(t.data, fromNumber);
  }
  return { dtype: t.type, shape: Array.from(t.dims, Number), data };
}

const ort = (process.argv.length === 5) ? loadOrt() : null;

async function main() {
  if (!ort) {
    process.stderr.write('usage: node ort_run.js MODEL.onnx INPUT.json OUTPUT.json\n');
    process.exit(2);
  }
  const [model, inputPath, outputPath] = process.argv.slice(2);
  let feeds;
  try {
    const inputs = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
    feeds = {};
    for (const name of Object.keys(inputs)) feeds[name] = toTensor(name, inputs[name]);
  } catch (e) {
    process.stderr.write('ort_run: ' + inputPath + ': ' + e.message + '\n');
    process.exit(2);
  }
  let out;
  try {
    const session = await ort.InferenceSession.create(model);
    const results = await session.run(feeds);
    out = {};
    for (const name of session.outputNames) out[name] = fromTensor(results[name]);
    if (typeof session.release === 'function') await session.release();
  } catch (e) {
    process.stderr.write('ort_run: ' + model + ': ' +
                         String(e && e.message ? e.message : e) + '\n');
    process.exit(1);
  }
  fs.writeFileSync(outputPath, JSON.stringify(out) + '\n');
}

main();
