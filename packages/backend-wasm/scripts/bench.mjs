// Times the fused wasm kernels on the reference workloads (single thread) and, where they can be
// resolved from the workspace, onnxruntime-web (wasm, 1 thread) and tfjs-layers on the wasm
// backend. Prints milliseconds per forward and GFLOP/s, counting 2·T·B·G·U·(D+U) flops per
// direction. Each time is the best of N runs of process CPU time (user + system), which a busy,
// shared machine distorts far less than wall time; the best wall time is printed alongside.
//
//   node scripts/bench.mjs [--reps N] [--only lstm-w1,gru-w1] [--no-compare] [--variant simd|relaxed]
//   node --experimental-wasm-relaxed-simd scripts/bench.mjs   # Node 20: enable the FMA variant
//
// Needs `pnpm build` first (imports ../dist).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { TextEncoder } from 'node:util';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const reps = Number(arg('--reps', '5'));
const only = arg('--only', null)?.split(',');
const compare = !args.includes('--no-compare');
const variant = arg('--variant', null);

const WORKLOADS = [
  { id: 'lstm-w1', family: 'lstm', B: 1, T: 100, D: 32, U: 128 },
  { id: 'lstm-w2', family: 'lstm', B: 32, T: 50, D: 64, U: 256 },
  { id: 'lstm-w3', family: 'lstm', B: 8, T: 200, D: 128, U: 512 },
  { id: 'gru-w1', family: 'gru', B: 1, T: 100, D: 32, U: 128 },
  { id: 'gru-w2', family: 'gru', B: 32, T: 50, D: 64, U: 256 },
  { id: 'bilstm-w2', family: 'lstm', bidirectional: true, B: 32, T: 50, D: 64, U: 256 },
].filter((w) => only == null || only.includes(w.id));

const GATES = { lstm: 4, gru: 3 };

function flops(w) {
  const dirs = w.bidirectional ? 2 : 1;
  return dirs * 2 * w.T * w.B * GATES[w.family] * w.U * (w.D + w.U);
}

function randn(n, scale, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/**
 * Best CPU and wall milliseconds per engine over `reps` rounds; each round runs every engine
 * once, so a noisy neighbour hits them alike. Each engine first warms up (weights packed, code
 * tiered up to the optimizing compiler): at least 3 runs and 300 ms.
 */
async function timeInterleaved(engines) {
  for (const e of engines) {
    const warmStart = performance.now();
    for (let i = 0; i < 3 || performance.now() - warmStart < 300; i++) await e.run();
  }
  const best = engines.map(() => ({ cpu: Infinity, wall: Infinity }));
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < engines.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await engines[i].run();
      best[i].wall = Math.min(best[i].wall, performance.now() - t0);
      const c = process.cpuUsage(c0);
      best[i].cpu = Math.min(best[i].cpu, (c.user + c.system) / 1000);
    }
  }
  return best;
}

const tf = await import('@tensorflow/tfjs-core');
const rnnkit = await import(join(here, '..', 'dist', 'index.js'));
if (variant != null) rnnkit.setWasmVariant(variant);
await rnnkit.init();

function weights(w, dir) {
  const G = GATES[w.family];
  const { D, U } = w;
  const seed = 17 + dir * 101;
  return {
    kernel: tf.tensor2d(randn(D * G * U, 1 / Math.sqrt(D), seed), [D, G * U]),
    recurrentKernel: tf.tensor2d(randn(U * G * U, 1 / Math.sqrt(U), seed + 1), [U, G * U]),
    bias:
      w.family === 'gru'
        ? tf.tensor2d(randn(2 * G * U, 0.1, seed + 2), [2, G * U])
        : tf.tensor1d(randn(G * U, 0.1, seed + 2)),
  };
}

function ours(w) {
  const { B, T, D, U } = w;
  const x = tf.tensor3d(randn(B * T * D, 1, 3), [B, T, D]);
  const h0 = tf.zeros([B, U]);
  const name = w.family === 'lstm' ? 'RnnkitLSTMSequence' : 'RnnkitGRUSequence';
  const dirs = w.bidirectional ? [weights(w, 0), weights(w, 1)] : [weights(w, 0)];
  const run = () => {
    const outs = dirs.map((ws, d) => {
      const inputs = { x, ...ws, initialH: h0 };
      if (w.family === 'lstm') inputs.initialC = h0;
      const attrs = {
        units: U,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        goBackwards: d === 1,
        returnSequences: w.bidirectional === true,
        alignToInput: d === 1,
        zeroOutputForMask: false,
        resetAfter: true,
      };
      return tf.engine().runKernel(name, inputs, attrs);
    });
    const merged = w.bidirectional ? tf.concat([outs[0][0], outs[1][0]], 2) : null;
    (merged ?? outs[0][0]).dataSync();
    tf.dispose([outs, merged]);
  };
  return { run, dispose: () => tf.dispose([x, h0, dirs]) };
}

// --- optional comparisons, resolved from the workspace (apps/bench, packages/core) ---
function resolveFrom(pkgJson, name) {
  if (!existsSync(pkgJson)) return null;
  try {
    return createRequire(pkgJson).resolve(name);
  } catch {
    return null;
  }
}

// Minimal protobuf writer for an ONNX model with one LSTM/GRU node.
const enc = new TextEncoder();
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const field = (no, wire) => varint((no << 3) | wire);
const vint = (no, n) => [...field(no, 0), ...varint(n)];
const bytes = (no, data) => {
  const d = typeof data === 'string' ? [...enc.encode(data)] : [...data];
  return [...field(no, 2), ...varint(d.length), ...d];
};
function tensorProto(name, dims, values) {
  return [
    ...dims.flatMap((d) => vint(1, d)),
    ...vint(2, 1),
    ...bytes(8, name),
    ...bytes(9, new Uint8Array(values.buffer)),
  ];
}
function valueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytes(1, vint(1, d)));
  const tensorType = [...vint(1, 1), ...bytes(2, shape)];
  return [...bytes(1, name), ...bytes(2, bytes(1, tensorType))];
}
function onnxModel(w) {
  const G = GATES[w.family];
  const { B, T, D, U } = w;
  const nd = w.bidirectional ? 2 : 1;
  const inits = [
    tensorProto('W', [nd, G * U, D], randn(nd * G * U * D, 1 / Math.sqrt(D), 5)),
    tensorProto('R', [nd, G * U, U], randn(nd * G * U * U, 1 / Math.sqrt(U), 6)),
    tensorProto('B', [nd, 2 * G * U], randn(nd * 2 * G * U, 0.1, 7)),
  ];
  const attrs = [
    [...bytes(1, 'hidden_size'), ...vint(3, U), ...vint(20, 2)],
    [
      ...bytes(1, 'direction'),
      ...bytes(4, w.bidirectional ? 'bidirectional' : 'forward'),
      ...vint(20, 3),
    ],
  ];
  if (w.family === 'gru')
    attrs.push([...bytes(1, 'linear_before_reset'), ...vint(3, 1), ...vint(20, 2)]);
  const node = [
    ...bytes(1, 'X'),
    ...bytes(1, 'W'),
    ...bytes(1, 'R'),
    ...bytes(1, 'B'),
    ...bytes(2, 'Y'),
    ...bytes(2, 'Y_h'),
    ...bytes(4, w.family === 'lstm' ? 'LSTM' : 'GRU'),
    ...attrs.flatMap((a) => bytes(5, a)),
  ];
  const graph = [
    ...bytes(1, node),
    ...bytes(2, 'rnn'),
    ...inits.flatMap((t) => bytes(5, t)),
    ...bytes(11, valueInfo('X', [T, B, D])),
    ...bytes(12, valueInfo('Y', [T, nd, B, U])),
    ...bytes(12, valueInfo('Y_h', [nd, B, U])),
  ];
  const model = [...vint(1, 8), ...bytes(8, [...bytes(1, ''), ...vint(2, 17)]), ...bytes(7, graph)];
  return new Uint8Array(model);
}

let ort = null;
let tfl = null;
if (compare) {
  const root = join(here, '..', '..', '..');
  const ortPath = resolveFrom(join(root, 'apps', 'bench', 'package.json'), 'onnxruntime-web');
  if (ortPath != null) {
    ort = await import(pathToFileURL(ortPath.replace(/\.js$/, '.mjs')).href);
    ort.env.wasm.numThreads = 1;
  }
  const tflPath =
    resolveFrom(join(root, 'apps', 'bench', 'package.json'), '@tensorflow/tfjs-layers') ??
    resolveFrom(join(root, 'packages', 'core', 'package.json'), '@tensorflow/tfjs-layers');
  if (tflPath != null) tfl = await import(pathToFileURL(tflPath).href);
}

async function ortTime(w) {
  const session = await ort.InferenceSession.create(onnxModel(w), { executionProviders: ['wasm'] });
  const { B, T, D } = w;
  const feeds = { X: new ort.Tensor('float32', randn(T * B * D, 1, 3), [T, B, D]) };
  return { run: () => session.run(feeds), dispose: () => session.release() };
}

function layersTime(w) {
  const { B, T, D, U } = w;
  const make = (rs) =>
    w.family === 'lstm'
      ? tfl.layers.lstm({
          units: U,
          returnSequences: rs,
          recurrentActivation: 'sigmoid',
          recurrentInitializer: 'glorotUniform',
        })
      : // tfjs-layers has no reset_after GRU; its reset-before GRU does the same work.
        tfl.layers.gru({
          units: U,
          returnSequences: rs,
          recurrentActivation: 'sigmoid',
          recurrentInitializer: 'glorotUniform',
        });
  const layer = w.bidirectional
    ? tfl.layers.bidirectional({ layer: make(true), mergeMode: 'concat' })
    : make(false);
  const x = tf.tensor3d(randn(B * T * D, 1, 3), [B, T, D]);
  const run = () => {
    const y = layer.apply(x);
    y.dataSync();
    y.dispose();
  };
  return {
    run,
    dispose: () => {
      x.dispose();
      layer.dispose?.();
    },
  };
}

const stats = rnnkit.getWasmMemoryStats();
console.log(`rnnkit wasm variant: ${stats.variant}; reps ${reps}; node ${process.version}`);
const rows = [];
for (const w of WORKLOADS) {
  const gflop = flops(w) / 1e9;
  const engines = [{ name: 'rnnkit', ...ours(w) }];
  if (ort != null) engines.push({ name: 'ort', ...(await ortTime(w)) });
  if (tfl != null && (w.B * w.T <= 400 || args.includes('--layers-all'))) {
    engines.push({ name: 'layers', ...layersTime(w) });
  }
  const best = await timeInterleaved(engines);
  for (const e of engines) await e.dispose();
  const ms = Object.fromEntries(engines.map((e, i) => [e.name, best[i]]));
  const row = { workload: `${w.id} ${w.B}·${w.T}·${w.D}·${w.U}` };
  row['rnnkit ms'] = ms.rnnkit.cpu.toFixed(2);
  row['(wall)'] = ms.rnnkit.wall.toFixed(2);
  row['GFLOP/s'] = (gflop / (ms.rnnkit.cpu / 1000)).toFixed(1);
  if (ms.ort != null) {
    row['ort-web ms'] = ms.ort.cpu.toFixed(2);
    row['(wall) '] = ms.ort.wall.toFixed(2);
    row['vs ort'] = `${(ms.ort.cpu / ms.rnnkit.cpu).toFixed(2)}×`;
  }
  if (ms.layers != null) {
    row['tfjs-layers ms'] = ms.layers.cpu.toFixed(2);
    row['vs layers'] = `${(ms.layers.cpu / ms.rnnkit.cpu).toFixed(1)}×`;
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.table(rows);
