// The bench's ConvLSTM2D workloads (10 frames of 32×32×8, 16 filters, 3×3 same, batch 1 and 4)
// on the tfjs wasm backend, rnnkit's ConvLSTM2D (the fused kernel) beside tfjs-layers'
// convLstm2d with Keras's arguments and the same weights, timed in CPU time: on a shared
// machine the least CPU time of a forward is far steadier than its wall time, which is what
// `pnpm bench` reports. Prints the least CPU ms per forward of each and their ratio.
//
//   node scripts/conv-lstm-cpu-time.mjs            (after `pnpm build`; one thread)
//   node --experimental-wasm-relaxed-simd scripts/conv-lstm-cpu-time.mjs   # Node 20: FMA build
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConvLSTM2D } from '@rnnkit/core';
import { init, selectedVariant } from '../dist/index.js';

await init();

/**
 * Least CPU ms (user + system) of one forward of each of `forwards` over `rounds`, after warm-up
 * forwards; the forwards alternate, so both see the same conditions.
 */
function cpuTimes(forwards, rounds) {
  for (const forward of forwards) for (let i = 0; i < 3; i++) forward();
  const least = forwards.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    forwards.forEach((forward, i) => {
      const t0 = process.cpuUsage();
      forward();
      const d = process.cpuUsage(t0);
      least[i] = Math.min(least[i], (d.user + d.system) / 1000);
    });
  }
  return least;
}

const [T, H, W, C, F, k] = [10, 32, 32, 8, 16, 3];
for (const B of [1, 4]) {
  const x = tf.randomUniform([B, T, H, W, C], -1, 1, 'float32', 1);
  const theirs = tfl.layers.convLstm2d({
    filters: F,
    kernelSize: k,
    padding: 'same',
    dataFormat: 'channelsLast',
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    unitForgetBias: true,
    returnSequences: false,
    // Keras's orthogonal recurrent initializer fails in tfjs-layers at this size.
    recurrentInitializer: 'glorotUniform',
  });
  theirs.apply(tf.zeros([1, T, H, W, C]));
  const ours = new ConvLSTM2D({ filters: F, kernelSize: k, padding: 'same' });
  ours.build([null, T, H, W, C]);
  const weights = theirs.getWeights().map((w) => w.clone());
  ours.setWeights(weights);
  // A forward as the bench times it: the layer's output read back.
  const run = (layer) => () => {
    const y = layer.apply(x);
    y.dataSync();
    y.dispose();
  };
  const [oursMs, theirsMs] = cpuTimes([run(ours), run(theirs)], B === 1 ? 60 : 20);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours.apply(x), theirs.apply(x)))).dataSync()[0]);
  console.log(
    `convlstm2d-b${B} (${selectedVariant()} module): rnnkit ${oursMs.toFixed(2)} ms, ` +
      `tfjs-layers ${theirsMs.toFixed(2)} ms CPU per forward: ${(theirsMs / oursMs).toFixed(2)}× ` +
      `(max |Δ| ${diff.toExponential(1)})`,
  );
  tf.dispose([x, ...weights]);
  theirs.dispose();
  ours.dispose();
}
