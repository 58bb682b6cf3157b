// Quick side-by-side timing of the fused cpu kernels (through @rnnkit/core layers) against
// tfjs-layers on the tfjs cpu backend. Build first (`pnpm --filter @rnnkit/backend-cpu build`),
// then: node packages/backend-cpu/scripts/quick-bench.mjs [--reps N] [--tfl-reps N] [--only NAME]
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Bidirectional, GRU, LSTM, getDispatchStats, resetDispatchStats } from '@rnnkit/core';
import { init } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const reps = Number(opt('--reps', 3));
const tflReps = Number(opt('--tfl-reps', 1));
const only = opt('--only', null);

// [name, family, directions, batch, time, input, units]
const WORKLOADS = [
  ['LSTM 1·100·32·128', 'lstm', 1, 1, 100, 32, 128],
  ['LSTM 32·50·64·256', 'lstm', 1, 32, 50, 64, 256],
  ['LSTM 8·200·128·512', 'lstm', 1, 8, 200, 128, 512],
  ['GRU 1·100·32·128', 'gru', 1, 1, 100, 32, 128],
  ['GRU 32·50·64·256', 'gru', 1, 32, 50, 64, 256],
  ['BiLSTM concat 32·50·64·256', 'lstm', 2, 32, 50, 64, 256],
];

const tflInit = { recurrentInitializer: 'glorotUniform', kernelInitializer: 'glorotUniform' };

function makeTfl(family, dirs, units) {
  const base = { ...tflInit, units, returnSequences: true, recurrentActivation: 'sigmoid' };
  const layer = family === 'lstm' ? tfl.layers.lstm(base) : tfl.layers.gru(base);
  return dirs === 2 ? tfl.layers.bidirectional({ layer, mergeMode: 'concat' }) : layer;
}

function makeOurs(family, dirs, units) {
  // GRU resetAfter false, the form tfjs-layers implements, so both do the same work.
  const layer =
    family === 'lstm'
      ? new LSTM({ units, returnSequences: true })
      : new GRU({ units, returnSequences: true, resetAfter: false });
  return dirs === 2 ? new Bidirectional(layer, { mergeMode: 'concat' }) : layer;
}

/** Wall time of one call of `fn` (ms), outputs read back and disposed. */
function once(fn) {
  const t0 = performance.now();
  const out = fn();
  (Array.isArray(out) ? out[0] : out).dataSync();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return ms;
}

/**
 * Best-of timings of `ours` and `theirs`, run alternately so both see the same machine load:
 * one warm-up each, then at least `n` rounds of ours and `m` of theirs (more while under 2 s).
 */
function timePair(ours, theirs, n, m) {
  tf.dispose(ours());
  tf.dispose(theirs());
  let a = Infinity;
  let b = Infinity;
  const start = performance.now();
  for (let i = 0; i < Math.max(n, m) || performance.now() - start < 2000; i++) {
    if (i < n || performance.now() - start < 2000) a = Math.min(a, once(ours));
    if (i < m || performance.now() - start < 2000) b = Math.min(b, once(theirs));
  }
  return [a, b];
}

await init();
console.log(
  `backend ${tf.getBackend()}, node ${process.version}, reps ${reps} (tfjs-layers ${tflReps})`,
);
console.log(
  'workload                       | rnnkit ms | GFLOP/s | tfjs-layers ms | GFLOP/s | speedup',
);
for (const [name, family, dirs, B, T, D, U] of WORKLOADS) {
  if (only && !name.toLowerCase().includes(only.toLowerCase())) continue;
  const G = family === 'lstm' ? 4 : 3;
  const flops = dirs * 2 * T * B * G * U * (D + U);
  const x = tf.randomUniform([B, T, D], -1, 1);
  const ours = makeOurs(family, dirs, U);
  ours.build([null, T, D]);
  const theirs = makeTfl(family, dirs, U);
  tf.dispose(theirs.apply(x));
  // Same weights in both, so both compute the same thing.
  ours.setWeights(theirs.getWeights());
  resetDispatchStats();
  const [oursMs, tflMs] = timePair(
    () => ours.apply(x),
    () => theirs.apply(x),
    reps,
    tflReps,
  );
  const stats = Object.values(getDispatchStats());
  if (stats.some((s) => s.reference > 0) || !stats.some((s) => s.fused > 0)) {
    throw new Error(`${name}: expected only fused kernel runs, got ${JSON.stringify(stats)}`);
  }
  const gf = (ms) => (flops / ms / 1e6).toFixed(2);
  console.log(
    `${name.padEnd(30)} | ${oursMs.toFixed(1).padStart(9)} | ${gf(oursMs).padStart(7)} | ` +
      `${tflMs.toFixed(1).padStart(14)} | ${gf(tflMs).padStart(7)} | ${(tflMs / oursMs).toFixed(1)}×`,
  );
  ours.dispose();
  theirs.dispose();
  x.dispose();
}
