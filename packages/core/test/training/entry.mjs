// Run by training_entry.test.ts as a plain Node ES module (no bundler, no vitest transform):
// `@rnnkit/core/training` makes gradients work on tfjs-core alone. With the argument
// `with-layers`, tfjs-layers (which registers its own copy of tfjs-core's gradients) loads
// first and tfjs's DEBUG flag is on, so any gradient registered twice would warn.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const withLayers = process.argv[2] === 'with-layers';
const warnings = [];
const warn = console.warn;
if (withLayers) {
  await import('@tensorflow/tfjs-layers');
  tf.env().set('DEBUG', true);
}
console.warn = (...args) => warnings.push(args.join(' '));
const before = tf.getGradient('Tanh') != null;
await import('@rnnkit/core/training');
const { LSTM } = await import('@rnnkit/core');
console.warn = warn;
tf.env().set('DEBUG', false);
await tf.setBackend('cpu');

const layer = new LSTM({ units: 3, returnSequences: true });
const x = tf.tensor3d([
  [
    [0.1, -0.2],
    [0.3, 0.4],
    [-0.5, 0.6],
  ],
]);
const [dx] = tf.grads((input) => tf.sum(tf.square(layer.apply(input))))([x]);
console.log(
  JSON.stringify({
    gradientsBefore: before,
    dxShape: dx.shape,
    dxFinite: dx.dataSync().every(Number.isFinite),
    dxNonZero: dx.dataSync().some((v) => v !== 0),
    overrideWarnings: warnings.filter((w) => /Overriding|already/.test(w)),
  }),
);
