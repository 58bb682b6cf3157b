// One training step of the bench's ConvLSTM2D shape (batch 1, 10 frames of 32×32×8, 16 filters,
// 3×3, same, last output only, loss mean(output²)) on the cpu backend: the gradients of the
// three weights with the fused backward kernel (RnnkitConvLSTMSequenceGrad) and with core's
// reference backward (the kernel unregistered), and the forward pass alone. Times are the fastest
// round of this process's CPU time, so that other processes on a busy machine stretch them less.
//
//   node scripts/conv-lstm-grad-time.mjs [B,T,H,W,C,F]        (after `pnpm build`)
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTM2D, ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { init } from '../dist/index.js';

const [B, T, H, W, C, F] = (process.argv[2] ?? '1,10,32,32,8,16').split(',').map(Number);
await init();

const layer = new ConvLSTM2D({ filters: F, kernelSize: 3, padding: 'same' });
const x = tf.randomUniform([B, T, H, W, C], -1, 1, 'float32', 1);
layer.apply(x).dispose();
const weights = layer
  .getWeights()
  .map((w, i) => tf.randomUniform(w.shape, -0.2, 0.2, 'float32', i));
layer.setWeights(weights);

const forward = () => tf.tidy(() => layer.apply(x)).dataSync();
const step = () => {
  const grads = tf.grads((...w) => {
    layer.setWeights(w);
    return tf.mean(tf.square(layer.apply(x)));
  })(weights);
  grads.forEach((g) => g.dataSync());
  tf.dispose(grads);
};

/** Fastest ms of CPU time of `f` over `rounds` calls, after one warm-up call. */
function time(f, rounds) {
  f();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    f();
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / 1000);
  }
  return best;
}

const fwd = time(forward, 7);
const fused = time(step, 5);
const gradName = sequenceGradKernelName(ConvLSTMSequence);
const gradConfig = tf.getKernel(gradName, 'cpu');
tf.unregisterKernel(gradName, 'cpu');
const reference = time(step, 2);
tf.registerKernel(gradConfig);

console.log(`ConvLSTM2D ${B}·${T}·${H}×${W}×${C}→${F}, 3×3 same, last output, cpu backend`);
console.log(`forward alone                ${fwd.toFixed(1)} ms`);
console.log(
  `training step, fused        ${fused.toFixed(1)} ms  (${(fused / fwd).toFixed(2)}× the forward)`,
);
console.log(
  `training step, reference    ${reference.toFixed(1)} ms  (${(reference / fwd).toFixed(2)}× the forward, ${(reference / fused).toFixed(1)}× the fused step)`,
);
tf.dispose([x, ...weights]);
layer.dispose();
