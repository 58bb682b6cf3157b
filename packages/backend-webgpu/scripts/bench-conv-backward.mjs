/**
 * Times one training step of the convlstm2d workload (batch 1, 10 frames of 32×32×8, ConvLSTM2D
 * with 16 filters, 3×3, `same`, last output only, loss `mean(y²)`) on the webgpu backend, with
 * the fused backward (`RnnkitConvLSTMSequenceGrad`) and with core's reference backward (the fused
 * kernel unregistered for those steps), and the forward pass alone; the three interleaved in
 * one process, each rep waiting for its results.
 *
 *   pnpm turbo run build --filter=@rnnkit/backend-webgpu...
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     node packages/backend-webgpu/scripts/bench-conv-backward.mjs [reps]
 *
 * On SwiftShader (a CPU Vulkan driver) the times are CPU times, not GPU ones.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTM2D, ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { performance } from 'node:perf_hooks';
import { init, kernelConfigs } from '../dist/node.js';

const reps = Number(process.argv[2] ?? 5);
await init();
const gradName = sequenceGradKernelName(ConvLSTMSequence);
const gradConfig = kernelConfigs.find((k) => k.kernelName === gradName);

const layer = new ConvLSTM2D({ filters: 16, kernelSize: 3, padding: 'same' });
const x = tf.randomUniform([1, 10, 32, 32, 8], -1, 1, 'float32', 1);
layer.apply(x).dispose();
const weights = layer.getWeights().map((w) => tf.variable(w));
const lossOf = (...w) => {
  layer.setWeights(w);
  return tf.mean(tf.square(layer.apply(x)));
};

async function trainingStep() {
  const { value, grads } = tf.valueAndGrads(lossOf)(weights);
  await Promise.all([value, ...grads].map((t) => t.data()));
  tf.dispose([value, ...grads]);
}

async function forward() {
  const y = tf.tidy(() => lossOf(...weights));
  await y.data();
  y.dispose();
}

const runners = {
  'fused backward': trainingStep,
  'reference backward': async () => {
    tf.unregisterKernel(gradName, 'webgpu');
    try {
      await trainingStep();
    } finally {
      tf.registerKernel(gradConfig);
    }
  },
  forward,
};
const times = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
for (let rep = -1; rep < reps; rep++) {
  for (const [name, run] of Object.entries(runners)) {
    const start = performance.now();
    await run();
    if (rep >= 0) times[name].push(performance.now() - start); // rep −1 warms up
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
for (const [name, t] of Object.entries(m)) console.log(`${name}: median ${t.toFixed(1)} ms`);
console.log(
  `reference / fused step: ${(m['reference backward'] / m['fused backward']).toFixed(2)}×; ` +
    `fused step / forward: ${(m['fused backward'] / m.forward).toFixed(2)}×`,
);
tf.dispose([x, ...weights]);
layer.dispose();
