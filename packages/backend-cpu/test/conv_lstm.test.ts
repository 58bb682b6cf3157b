/**
 * The fused ConvLSTM kernel: it runs behind ConvLSTM1D/2D/3D, agrees with @rnnkit/core's
 * reference kernel (tfjs-core convolutions) over every geometry and flag, with tfjs-layers'
 * ConvLSTM2D where its semantics equal Keras, rejects malformed calls and leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  ConvLSTMSequence,
  getDispatchStats,
  mulberry32,
  referenceKernels,
  resetDispatchStats,
  type KernelActivation,
} from '@rnnkit/core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  runConvLSTMKernel,
  seededTensor,
  type ConvLSTMCallSpec,
} from '@rnnkit/conformance';
import { maxRelError } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';

const TOL = 1e-5;

beforeAll(async () => {
  await init();
});

function compareWithReference(p: ConvLSTMCallSpec, seed: number): void {
  const { inputs, attrs } = convLSTMKernelCall(p, seed);
  const got = runConvLSTMKernel(inputs, attrs);
  const want = referenceKernels[ConvLSTMSequence](inputs, attrs);
  expect(got).toHaveLength(3);
  want.forEach((w, i) => {
    expect(got[i].shape).toEqual(w.shape);
    expect(maxRelError(got[i].dataSync(), w.dataSync())).toBeLessThan(TOL);
  });
  tf.dispose([...got, ...want, ...Object.values(inputs)]);
}

describe('ConvLSTM kernel against referenceKernels', () => {
  it('agrees for 1, 2 and 3 spatial axes, strides, dilation and both paddings, with every flag', () => {
    const rand = mulberry32(11);
    const pick = (n: number) => 1 + Math.floor(rand() * n);
    let seed = 100;
    let compared = 0;
    for (const geometry of CONV_LSTM_GEOMETRIES) {
      for (let bits = 0; bits < 16; bits++) {
        compareWithReference(
          {
            ...geometry,
            batch: pick(3),
            steps: pick(4),
            channels: pick(3),
            filters: pick(5),
            goBackwards: (bits & 1) !== 0,
            returnSequences: (bits & 2) !== 0,
            alignToInput: (bits & 4) !== 0,
            zeroOutputForMask: (bits & 8) !== 0,
            mask: (bits & 3) !== 0,
            recurrentMask: (bits & 12) === 4,
          },
          seed++,
        );
        compared++;
      }
    }
    expect(compared).toBe(CONV_LSTM_GEOMETRIES.length * 16);
  });

  it.each<[KernelActivation, KernelActivation]>([
    ['tanh', 'hard_sigmoid_keras2'],
    ['tanh', 'hard_sigmoid'],
    ['relu', 'sigmoid'],
    ['elu', 'tanh'],
    ['linear', 'sigmoid'],
  ])('agrees with activation %s and recurrent activation %s', (activation, recurrentActivation) => {
    compareWithReference(
      {
        spatial: [5, 5],
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: 'same',
        batch: 2,
        steps: 4,
        channels: 3,
        filters: 4,
        activation,
        recurrentActivation,
        mask: true,
        returnSequences: true,
      },
      7,
    );
  });

  it('agrees on the bench shape (32×32×8, 16 filters, 3×3) with a batch of 2', () => {
    compareWithReference(
      {
        spatial: [32, 32],
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: 'same',
        batch: 2,
        steps: 3,
        channels: 8,
        filters: 16,
      },
      3,
    );
  });
});

describe('ConvLSTM layers on cpu', () => {
  it('run the fused kernel for ConvLSTM1D, ConvLSTM2D and ConvLSTM3D', () => {
    const cases = [
      { layer: new ConvLSTM1D({ filters: 2, kernelSize: 3 }), shape: [2, 3, 6, 2] },
      { layer: new ConvLSTM2D({ filters: 2, kernelSize: 3 }), shape: [2, 3, 5, 5, 2] },
      { layer: new ConvLSTM3D({ filters: 2, kernelSize: 2 }), shape: [2, 3, 3, 4, 3, 2] },
    ];
    for (const { layer, shape } of cases) {
      const x = seededTensor(shape, 4);
      resetDispatchStats();
      tf.dispose(layer.apply(x));
      expect(getDispatchStats()[ConvLSTMSequence]).toEqual({ fused: 1, reference: 0 });
      layer.dispose();
      x.dispose();
    }
  });

  it('match tfjs-layers ConvLSTM2D (Keras semantics set explicitly) on strides, padding and dilation', () => {
    const configs = [
      { padding: 'same', strides: 1, dilationRate: 1, returnSequences: true },
      { padding: 'same', strides: 2, dilationRate: 1, returnSequences: false },
      { padding: 'valid', strides: 1, dilationRate: 2, returnSequences: true },
    ] as const;
    configs.forEach((config, k) => {
      const x = seededTensor([2, 4, 7, 6, 3], 20 + k);
      const args = {
        filters: 4,
        kernelSize: 3,
        ...config,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        useBias: true,
        unitForgetBias: true,
        dataFormat: 'channelsLast',
        kernelInitializer: 'glorotUniform',
        recurrentInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
      } as const;
      const theirs = tfl.layers.convLstm2d(args);
      const want = theirs.apply(x) as tf.Tensor;
      const ours = new ConvLSTM2D({
        filters: 4,
        kernelSize: 3,
        padding: config.padding,
        strides: config.strides,
        dilationRate: config.dilationRate,
        returnSequences: config.returnSequences,
      });
      ours.build(x.shape);
      const weights = theirs.getWeights().map((w) => w.clone());
      ours.setWeights(weights);
      resetDispatchStats();
      const got = ours.apply(x) as tf.Tensor;
      expect(getDispatchStats()[ConvLSTMSequence]).toEqual({ fused: 1, reference: 0 });
      expect(got.shape).toEqual(want.shape);
      expect(maxRelError(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      tf.dispose([x, want, got, ...weights]);
      theirs.dispose();
      ours.dispose();
    });
  });

  it('leak no tensors over 500 forwards (mask, states, return sequences)', () => {
    const x = seededTensor([2, 4, 5, 5, 3], 5);
    const mask = tf.tensor2d([1, 0, 1, 1, 1, 1, 1, 0], [2, 4], 'bool');
    const layer = new ConvLSTM2D({
      filters: 3,
      kernelSize: 3,
      padding: 'same',
      returnSequences: true,
      returnState: true,
    });
    const run = () => tf.dispose(layer.apply(x, { mask }));
    run(); // builds the weights
    const before = tf.memory();
    for (let i = 0; i < 500; i++) run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
    layer.dispose();
    tf.dispose([x, mask]);
  });
});

describe('ConvLSTM kernel errors', () => {
  const base: ConvLSTMCallSpec = {
    spatial: [5, 5],
    kernelSize: [3, 3],
    strides: [1, 1],
    dilationRate: [1, 1],
    padding: 'valid',
    batch: 2,
    steps: 3,
    channels: 2,
    filters: 3,
  };

  function expectError(
    change: (call: ReturnType<typeof convLSTMKernelCall>) => void,
    message: string,
  ): void {
    const call = convLSTMKernelCall(base, 1);
    const owned = Object.values(call.inputs) as tf.Tensor[];
    change(call);
    expect(() => runConvLSTMKernel(call.inputs, call.attrs)).toThrow(message);
    tf.dispose([...owned, ...(Object.values(call.inputs) as tf.Tensor[])]);
  }

  it('names the argument, what was expected and what was given', () => {
    expectError(
      (c) => (c.inputs.initialH = tf.zeros([2, 5, 5, 3])),
      'RnnkitConvLSTMSequence: initialH: expected shape [2, 3, 3, 3], got shape [2, 5, 5, 3]',
    );
    expectError(
      (c) => (c.inputs.kernel = tf.zeros([3, 3, 4, 12])),
      'RnnkitConvLSTMSequence: kernel: expected shape [3, 3, 2, 12], got shape [3, 3, 4, 12]',
    );
    expectError(
      (c) => (c.inputs.x = tf.zeros([2, 3, 2, 5, 2])),
      'RnnkitConvLSTMSequence: x: expected spatial sizes that fit the kernel [3, 3] with valid padding',
    );
    expectError(
      (c) => (c.attrs.strides = [1]),
      'RnnkitConvLSTMSequence: strides: expected 2 positive integers, got [1]',
    );
    expectError(
      (c) => (c.attrs.padding = 'causal' as 'valid'),
      `RnnkitConvLSTMSequence: padding: expected 'valid' or 'same', got "causal"`,
    );
    expectError(
      (c) => (c.inputs.mask = tf.ones([2, 4], 'bool')),
      'RnnkitConvLSTMSequence: mask: expected shape [2, 3], got shape [2, 4]',
    );
  });
});
