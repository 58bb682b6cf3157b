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
  convOutputSize,
  getDispatchStats,
  mulberry32,
  referenceKernels,
  resetDispatchStats,
  type ConvLSTMSequenceAttrs,
  type KernelActivation,
  type SequenceKernelInputs,
} from '@rnnkit/core';
import { seededTensor } from '@rnnkit/conformance';
import { maxRelError } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';

const TOL = 1e-5;

beforeAll(async () => {
  await init();
});

/** One kernel call's geometry and flags. */
interface ConvProblem {
  spatial: number[];
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  padding: 'valid' | 'same';
  batch: number;
  steps: number;
  channels: number;
  filters: number;
  activation?: KernelActivation;
  recurrentActivation?: KernelActivation;
  mask?: boolean;
  recurrentMask?: boolean;
  goBackwards?: boolean;
  returnSequences?: boolean;
  alignToInput?: boolean;
  zeroOutputForMask?: boolean;
}

function uniform(rand: () => number, shape: number[], lo: number, hi: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()),
    shape,
  );
}

function kernelCall(
  p: ConvProblem,
  seed: number,
): { inputs: SequenceKernelInputs; attrs: ConvLSTMSequenceAttrs } {
  const rand = mulberry32(seed);
  const out = p.spatial.map((n, i) =>
    convOutputSize(n, p.kernelSize[i], p.strides[i], p.dilationRate[i], p.padding),
  );
  const state = [p.batch, ...out, p.filters];
  const g = 4 * p.filters;
  const inputs: SequenceKernelInputs = {
    x: uniform(rand, [p.batch, p.steps, ...p.spatial, p.channels], -1, 1),
    kernel: uniform(rand, [...p.kernelSize, p.channels, g], -0.4, 0.4),
    recurrentKernel: uniform(rand, [...p.kernelSize, p.filters, g], -0.4, 0.4),
    bias: uniform(rand, [g], -0.3, 0.3),
    initialH: uniform(rand, state, -0.5, 0.5),
    initialC: uniform(rand, state, -0.5, 0.5),
  };
  if (p.mask) {
    const m = Array.from({ length: p.batch * p.steps }, () => (rand() < 0.3 ? 0 : 1));
    inputs.mask = tf.tensor2d(m, [p.batch, p.steps], 'bool');
  }
  if (p.recurrentMask) inputs.recurrentMask = uniform(rand, state, 0, 2);
  const attrs: ConvLSTMSequenceAttrs = {
    units: p.filters,
    activation: p.activation ?? 'tanh',
    recurrentActivation: p.recurrentActivation ?? 'sigmoid',
    goBackwards: p.goBackwards ?? false,
    returnSequences: p.returnSequences ?? false,
    alignToInput: p.alignToInput ?? false,
    zeroOutputForMask: p.zeroOutputForMask ?? false,
    strides: p.strides,
    padding: p.padding,
    dilationRate: p.dilationRate,
  };
  return { inputs, attrs };
}

function runFused(inputs: SequenceKernelInputs, attrs: ConvLSTMSequenceAttrs): tf.Tensor[] {
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) if (v != null) named[k] = v as tf.Tensor;
  const out = tf.engine().runKernel(ConvLSTMSequence, named, attrs as unknown as tf.NamedAttrMap);
  return out as tf.Tensor[];
}

function compareWithReference(p: ConvProblem, seed: number): void {
  const { inputs, attrs } = kernelCall(p, seed);
  const got = runFused(inputs, attrs);
  const want = referenceKernels[ConvLSTMSequence](inputs, attrs);
  expect(got).toHaveLength(3);
  want.forEach((w, i) => {
    expect(got[i].shape).toEqual(w.shape);
    expect(maxRelError(got[i].dataSync(), w.dataSync())).toBeLessThan(TOL);
  });
  tf.dispose([...got, ...want, ...Object.values(inputs)]);
}

describe('ConvLSTM kernel against referenceKernels', () => {
  const geometries: Omit<ConvProblem, 'batch' | 'steps' | 'channels' | 'filters'>[] = [
    { spatial: [7], kernelSize: [3], strides: [1], dilationRate: [1], padding: 'same' },
    { spatial: [9], kernelSize: [4], strides: [2], dilationRate: [1], padding: 'same' },
    { spatial: [8], kernelSize: [3], strides: [1], dilationRate: [2], padding: 'valid' },
    { spatial: [5, 6], kernelSize: [3, 3], strides: [1, 1], dilationRate: [1, 1], padding: 'same' },
    // TF's uneven `same` padding: the larger half after.
    { spatial: [6, 7], kernelSize: [2, 4], strides: [2, 3], dilationRate: [1, 1], padding: 'same' },
    {
      spatial: [7, 6],
      kernelSize: [3, 2],
      strides: [2, 1],
      dilationRate: [1, 1],
      padding: 'valid',
    },
    { spatial: [7, 7], kernelSize: [3, 3], strides: [1, 1], dilationRate: [2, 3], padding: 'same' },
    {
      spatial: [4, 5],
      kernelSize: [1, 1],
      strides: [1, 1],
      dilationRate: [1, 1],
      padding: 'valid',
    },
    {
      spatial: [4, 5, 3],
      kernelSize: [3, 2, 3],
      strides: [1, 1, 1],
      dilationRate: [1, 1, 1],
      padding: 'same',
    },
    {
      spatial: [5, 4, 6],
      kernelSize: [2, 3, 2],
      strides: [2, 1, 3],
      dilationRate: [1, 1, 1],
      padding: 'valid',
    },
  ];

  it('agrees for 1, 2 and 3 spatial axes, strides, dilation and both paddings, with every flag', () => {
    const rand = mulberry32(11);
    const pick = (n: number) => 1 + Math.floor(rand() * n);
    let seed = 100;
    let compared = 0;
    for (const geometry of geometries) {
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
    expect(compared).toBe(geometries.length * 16);
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
  const base: ConvProblem = {
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
    change: (call: ReturnType<typeof kernelCall>) => void,
    message: string,
  ): void {
    const call = kernelCall(base, 1);
    const owned = Object.values(call.inputs) as tf.Tensor[];
    change(call);
    expect(() => runFused(call.inputs, call.attrs)).toThrow(message);
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
