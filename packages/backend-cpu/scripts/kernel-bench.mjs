// Times one fused kernel call directly (no layer around it).
// Build first, then: node packages/backend-cpu/scripts/kernel-bench.mjs lstm 8,200,128,512
// Families: lstm, gru (resetAfter false), gru-ra (resetAfter true), simple.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { GRUSequence, LSTMSequence, SimpleRNNSequence } from '@rnnkit/core';
import { init } from '../dist/index.js';

const family = process.argv[2] ?? 'lstm';
const [B, T, D, U] = (process.argv[3] ?? '1,100,32,128').split(',').map(Number);
const G = family === 'lstm' ? 4 : family === 'simple' ? 1 : 3;
const resetAfter = family === 'gru-ra';
const name =
  family === 'lstm' ? LSTMSequence : family === 'simple' ? SimpleRNNSequence : GRUSequence;

await init();
const inputs = {
  x: tf.randomUniform([B, T, D], -1, 1),
  kernel: tf.randomUniform([D, G * U], -0.1, 0.1),
  recurrentKernel: tf.randomUniform([U, G * U], -0.1, 0.1),
  bias: tf.randomUniform(resetAfter ? [2, G * U] : [G * U], -0.1, 0.1),
  initialH: tf.zeros([B, U]),
};
if (family === 'lstm') inputs.initialC = tf.zeros([B, U]);
const attrs = {
  units: U,
  activation: 'tanh',
  recurrentActivation: 'sigmoid',
  resetAfter,
  goBackwards: false,
  returnSequences: true,
  alignToInput: false,
  zeroOutputForMask: false,
};
const run = () => tf.dispose(tf.engine().runKernel(name, inputs, attrs));
for (let i = 0; i < 2; i++) run();
const flops = 2 * T * B * G * U * (D + U);
let best = Infinity;
const start = performance.now();
for (let i = 0; i < 3 || performance.now() - start < 1000; i++) {
  const t0 = performance.now();
  run();
  best = Math.min(best, performance.now() - t0);
}
console.log(
  `${family} ${B}·${T}·${D}·${U}: ${best.toFixed(2)} ms, ${(flops / best / 1e6).toFixed(2)} GFLOP/s`,
);
