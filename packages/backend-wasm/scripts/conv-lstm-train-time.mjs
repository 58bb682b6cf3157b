// One training step of the bench's ConvLSTM2D workload (batch 1, 10 frames of 32×32×8, 16
// filters, 3×3 same, last output only; loss = mean of the squared output), `tf.grads` w.r.t. the
// layer's three weights read back, on the tfjs wasm backend: with the fused backward kernel
// (`RnnkitConvLSTMSequenceGrad`), with core's reference backward (the kernel unregistered), and
// the forward alone. Timed in least CPU time, the runners alternating, as
// `conv-lstm-cpu-time.mjs`. Also prints the largest difference between the two backwards'
// gradients, relative to each gradient's largest magnitude.
//
//   node scripts/conv-lstm-train-time.mjs            (after `pnpm build`; one thread)
//   node --experimental-wasm-relaxed-simd scripts/conv-lstm-train-time.mjs   # Node 20: FMA build
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTM2D, ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { init, kernelConfigs, selectedVariant } from '../dist/index.js';

await init();

function cpuTimes(runners, rounds) {
  for (const run of runners) for (let i = 0; i < 2; i++) run();
  const least = runners.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    runners.forEach((run, i) => {
      const t0 = process.cpuUsage();
      run();
      const d = process.cpuUsage(t0);
      least[i] = Math.min(least[i], (d.user + d.system) / 1000);
    });
  }
  return least;
}

const [B, T, H, W, C, F, k] = [1, 10, 32, 32, 8, 16, 3];
const x = tf.randomUniform([B, T, H, W, C], -1, 1, 'float32', 1);
const layer = new ConvLSTM2D({ filters: F, kernelSize: k, padding: 'same' });
layer.build([null, T, H, W, C]);
const weights = layer.getWeights();
const loss = (...w) => {
  layer.setWeights(w);
  return tf.mean(tf.square(layer.apply(x)));
};
const gradients = () => {
  const grads = tf.grads(loss)(weights);
  const values = grads.map((g) => g.dataSync().slice());
  tf.dispose(grads);
  return values;
};
const forward = () => {
  const y = layer.apply(x);
  y.dataSync();
  y.dispose();
};

const gradName = sequenceGradKernelName(ConvLSTMSequence);
const gradConfig = kernelConfigs.find((c) => c.kernelName === gradName);
const fusedGrad = () => {
  if (tf.getKernel(gradName, 'wasm') == null) tf.registerKernel(gradConfig);
  gradients();
};
const referenceGrad = () => {
  if (tf.getKernel(gradName, 'wasm') != null) tf.unregisterKernel(gradName, 'wasm');
  gradients();
};

fusedGrad();
const fused = gradients();
referenceGrad();
const reference = gradients();
const diffs = fused.map((g, i) => {
  let scale = 0;
  let diff = 0;
  for (let j = 0; j < g.length; j++) {
    scale = Math.max(scale, Math.abs(reference[i][j]));
    diff = Math.max(diff, Math.abs(g[j] - reference[i][j]));
  }
  return (diff / scale).toExponential(1);
});

const [fusedMs, referenceMs, forwardMs] = cpuTimes([fusedGrad, referenceGrad, forward], 8);
console.log(
  `convlstm2d-b1 training step (${selectedVariant()} module), least CPU ms: ` +
    `fused backward ${fusedMs.toFixed(1)}, reference backward ${referenceMs.toFixed(1)} ` +
    `(${(referenceMs / fusedMs).toFixed(1)}× the fused), forward alone ${forwardMs.toFixed(2)} ` +
    `(the fused step is ${(fusedMs / forwardMs).toFixed(1)}× it); ` +
    `max |Δ| / max |g| of the kernel, recurrent kernel, bias gradients: ${diffs.join(', ')}`,
);
tf.dispose([x, ...weights]);
layer.dispose();
