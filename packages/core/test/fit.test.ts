/**
 * `fit` from `@rnnkit/core/training`: one full-batch SGD epoch matches tfjs-layers' `fit` on
 * the same LSTM with the same weights (an independent implementation of the same Keras layer
 * and update), training lowers the loss with validation and callbacks, and bad input is
 * rejected with a message naming the argument, leaving the weights untouched.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRU, LSTM } from '../src/index.js';
import {
  checkFitOptions,
  fit,
  runFit,
  type DifferentiableModel,
  type FitOptions,
} from '../src/training/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function data(samples: number, steps: number, features: number, outputs: number) {
  const x = tf.randomUniform([samples, steps, features], -1, 1, 'float32', 3);
  const y = tf.randomUniform([samples, outputs], -0.5, 0.5, 'float32', 4);
  return { x, y };
}

describe('fit', () => {
  it('builds layers that have not run yet, then trains their weights', async () => {
    const { x, y } = data(6, 5, 3, 4);
    const layer = new LSTM({ units: 4 });
    expect(layer.getWeights()).toHaveLength(0);
    const history = await fit([layer], x, y, { optimizer: 'sgd', learningRate: 0.5 });
    const weights = layer.getWeights();
    expect(weights.map((w) => w.shape)).toEqual([[3, 16], [4, 16], [16]]);
    expect(Number.isFinite(history.loss[0])).toBe(true);
    tf.dispose([x, y, ...weights]);
    layer.dispose();
  });

  it('one full-batch SGD epoch gives the weights tfjs-layers fit gives', async () => {
    const { x, y } = data(6, 5, 3, 4);
    const layer = new LSTM({ units: 4 });
    layer.apply(x);
    const start = layer.getWeights().map((w) => w.clone());
    await fit([layer], x, y, { optimizer: 'sgd', learningRate: 0.5, batchSize: 6, shuffle: false });
    const ours = layer.getWeights().map((w) => w.dataSync());

    const model = tfl.sequential({
      layers: [
        tfl.layers.lstm({
          units: 4,
          inputShape: [5, 3],
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          // Overwritten by setWeights; zeros skip tfjs-layers' orthogonal initializer.
          kernelInitializer: 'zeros',
          recurrentInitializer: 'zeros',
        }),
      ],
    });
    model.setWeights(start);
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    await model.fit(x, y, { batchSize: 6, epochs: 1, shuffle: false, verbose: 0 });
    const theirs = model.getWeights().map((w) => w.dataSync());
    ours.forEach((w, i) => {
      const moved = start[i].dataSync().some((v, k) => Math.abs(v - w[k]) > 1e-4);
      expect(moved, `weight ${i} moved`).toBe(true);
      w.forEach((v, k) => expect(Math.abs(v - theirs[i][k])).toBeLessThan(1e-5));
    });
    model.dispose();
    tf.dispose([x, y, ...start]);
    layer.dispose();
  });

  it('lowers the loss of a stack, with validation and a callback each epoch', async () => {
    const { x, y } = data(16, 6, 3, 2);
    const stack = [new GRU({ units: 5, returnSequences: true }), new LSTM({ units: 2 })];
    tf.dispose(stack[1].apply(stack[0].apply(x))); // builds the layers
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const history = await fit(stack, x, y, {
      epochs: 20,
      batchSize: 4,
      validationSplit: 0.25,
      learningRate: 0.02,
      onEpochEnd: (epoch, logs) => {
        expect(logs.valLoss).toBeTypeOf('number');
        seen.push(epoch);
      },
    });
    expect(seen).toEqual([...Array(20).keys()]);
    expect(history.loss).toHaveLength(20);
    expect(history.valLoss).toHaveLength(20);
    expect(history.loss[19]).toBeLessThan(history.loss[0] * 0.8);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    stack.forEach((l) => l.dispose());
  });

  const rejected: [string, (d: { x: tf.Tensor; y: tf.Tensor }) => unknown[], RegExp][] = [
    [
      'batch mismatch',
      ({ x }) => [x, tf.zeros([3, 4]), {}],
      /^fit: y: expected 4 samples \(x's first dimension\), got shape \(3, 4\)$/,
    ],
    [
      'y shape',
      ({ x }) => [x, tf.zeros([4, 5]), {}],
      /^fit: y: expected shape \(4, 4\) \(the model's output\), got shape \(4, 5\)$/,
    ],
    [
      'unknown loss',
      ({ x, y }) => [x, y, { loss: 'hinge' }],
      /^fit: loss: expected one of 'mean_squared_error', 'mse', 'mean_absolute_error', 'mae', got "hinge"$/,
    ],
    [
      'zero learning rate',
      ({ x, y }) => [x, y, { learningRate: 0 }],
      /^fit: learningRate: expected a positive number, got 0$/,
    ],
    [
      'negative learning rate',
      ({ x, y }) => [x, y, { learningRate: -0.1 }],
      /^fit: learningRate: expected a positive number, got -0.1$/,
    ],
    [
      'NaN learning rate',
      ({ x, y }) => [x, y, { learningRate: NaN }],
      /^fit: learningRate: expected a positive number, got NaN$/,
    ],
    [
      'zero epochs',
      ({ x, y }) => [x, y, { epochs: 0 }],
      /^fit: epochs: expected a positive integer, got 0$/,
    ],
    [
      'fractional batch size',
      ({ x, y }) => [x, y, { batchSize: 2.5 }],
      /^fit: batchSize: expected a positive integer, got 2.5$/,
    ],
    [
      'validation split of 1',
      ({ x, y }) => [x, y, { validationSplit: 1 }],
      /^fit: validationSplit: expected a number in \[0, 1\), got 1$/,
    ],
    [
      'unknown optimizer',
      ({ x, y }) => [x, y, { optimizer: 'rmsprop' }],
      /^fit: optimizer: expected one of 'sgd', 'adam', got "rmsprop"$/,
    ],
    [
      'x without a batch axis',
      ({ y }) => [tf.zeros([4]), y, {}],
      /^fit: x: expected a tensor of shape \(samples, \.\.\.\), got shape \(4,\)$/,
    ],
  ];
  for (const [what, args, message] of rejected) {
    it(`rejects ${what}, weights unchanged`, async () => {
      const d = data(4, 3, 2, 4);
      const layer = new LSTM({ units: 4 });
      layer.apply(d.x);
      const before = layer.getWeights().map((w) => Array.from(w.dataSync()));
      const [x, y, options] = args(d) as [tf.Tensor, tf.Tensor, FitOptions];
      await expect(fit([layer], x, y, options)).rejects.toThrow(message);
      expect(layer.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
      tf.dispose([d.x, d.y, x, y]);
      layer.dispose();
    });
  }
});

describe('fit verbose', () => {
  async function lines(interactive: boolean): Promise<string> {
    const { x, y } = data(10, 3, 2, 4);
    const layer = new LSTM({ units: 4 });
    layer.apply(x);
    const model: DifferentiableModel = {
      variables: layer.getWeights().map((w) => tf.variable(w)),
      forward: ([input]) => {
        layer.setWeights(model.variables);
        return layer.apply(input) as tf.Tensor;
      },
    };
    let text = '';
    const settings = checkFitOptions([x], y, { epochs: 2, batchSize: 4, validationSplit: 0.2 });
    await runFit(model, [x], y, settings, undefined, {
      write: (t) => (text += t),
      interactive,
    });
    tf.dispose([x, y, ...model.variables]);
    layer.dispose();
    return text;
  }

  it('prints one finished line per epoch where the output is not a terminal', async () => {
    const text = await lines(false);
    expect(text).toMatch(
      /^Epoch 1\/2\n2\/2 \[={30}\] - \d+s - loss: \d\.\d{4} - val_loss: \d\.\d{4}\nEpoch 2\/2\n2\/2 \[={30}\] - \d+s - loss: \d\.\d{4} - val_loss: \d\.\d{4}\n$/,
    );
  });

  it('redraws the bar after each batch on a terminal', async () => {
    const text = await lines(true);
    expect(text).toMatch(
      /^Epoch 1\/2\n\r1\/2 \[={14}>\.{15}\] - \d+s - loss: \d\.\d{4}\r2\/2 \[={30}\]/,
    );
  });

  it('rejects an unknown verbose level', async () => {
    const { x, y } = data(4, 3, 2, 4);
    expect(() => checkFitOptions([x], y, { verbose: 3 as 1 })).toThrow(
      /^fit: verbose: expected one of 0, 1, 2, got 3$/,
    );
    tf.dispose([x, y]);
  });
});
