/**
 * Memory over a long training run on the fused kernels: 1,000 gradient steps (SGD updates of
 * the weights) of each family (200 of a ConvLSTM2D) leave the tensor count and the backend's
 * bytes where they were after the first step, and no saved activations behind.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTM2D, GRU, LSTM, SimpleRNN, type RecurrentLayer } from '@rnnkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, savedActivationCount } from '../src/index.js';

const STEPS = 1000;

function trainingRun(
  make: () => RecurrentLayer,
  inputShape: number[] = [2, 5, 3],
  steps = STEPS,
): void {
  const layer = make();
  const x = tf.randomUniform(inputShape, -1, 1, 'float32', 1);
  const mask = tf.tensor2d(
    [
      [1, 1, 0, 1, 1],
      [0, 1, 1, 1, 1],
    ],
    [2, 5],
    'bool',
  );
  layer.apply(x);
  const weights = layer.getWeights().map((w) => tf.variable(w));
  const lossOf = (...w: tf.Tensor[]): tf.Scalar => {
    layer.setWeights(w);
    return tf.mean(tf.square(layer.apply(x, { mask }) as tf.Tensor));
  };
  const step = (): number => {
    const { value, grads } = tf.valueAndGrads(lossOf)(weights);
    tf.tidy(() => weights.forEach((w, i) => w.assign(tf.sub(w, tf.mul(0.05, grads[i])))));
    const loss = value.dataSync()[0];
    tf.dispose([value, ...grads]);
    return loss;
  };
  const first = step();
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  let last = first;
  for (let i = 1; i < steps; i++) last = step();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.memory().numBytes).toBe(bytes);
  expect(savedActivationCount()).toBe(0);
  expect(last).toBeLessThan(first); // the steps did train
  tf.dispose([x, mask, ...weights]);
  layer.dispose();
}

describe(`training steps on cpu`, () => {
  beforeAll(init);
  it('LSTM', () => trainingRun(() => new LSTM({ units: 4, returnSequences: true })));
  it('GRU (reset_after=False)', () =>
    trainingRun(() => new GRU({ units: 4, returnSequences: true, resetAfter: false })));
  it('SimpleRNN', () => trainingRun(() => new SimpleRNN({ units: 4, returnSequences: true })));
  it('ConvLSTM2D (200 steps)', () =>
    trainingRun(
      () => new ConvLSTM2D({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true }),
      [2, 5, 6, 6, 2],
      200,
    ));
});
