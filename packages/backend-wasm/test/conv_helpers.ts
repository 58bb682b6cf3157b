/** Test helpers for the ConvLSTM kernel: seeded calls and their float64 oracle problems. */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMSequence, convOutputSize, mulberry32, type KernelActivation } from '@rnnkit/core';
import { type NaiveConvLSTMProblem } from '@rnnkit/conformance/naive';

/** One call's geometry and flags; the data are drawn from `seed`. */
export interface ConvProblem {
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

/** Uniform float32 values in [lo, hi). */
function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The oracle's problem, and the kernel call (named inputs and attributes) of the same data. */
export function makeCall(
  p: ConvProblem,
  seed: number,
): {
  problem: NaiveConvLSTMProblem;
  inputs: Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
} {
  const rand = mulberry32(seed);
  const out = p.spatial.map((n, i) =>
    convOutputSize(n, p.kernelSize[i], p.strides[i], p.dilationRate[i], p.padding),
  );
  const state = [p.batch, ...out, p.filters];
  const g = 4 * p.filters;
  const shapes = {
    x: [p.batch, p.steps, ...p.spatial, p.channels],
    kernel: [...p.kernelSize, p.channels, g],
    recurrentKernel: [...p.kernelSize, p.filters, g],
    bias: [g],
    initialH: state,
    initialC: state,
  };
  const data = {
    x: uniform(rand, size(shapes.x), -1, 1),
    kernel: uniform(rand, size(shapes.kernel), -0.4, 0.4),
    recurrentKernel: uniform(rand, size(shapes.recurrentKernel), -0.4, 0.4),
    bias: uniform(rand, g, -0.3, 0.3),
    initialH: uniform(rand, size(state), -0.5, 0.5),
    initialC: uniform(rand, size(state), -0.5, 0.5),
  };
  const inputs: Record<string, tf.Tensor> = {};
  for (const key of Object.keys(shapes) as (keyof typeof shapes)[]) {
    inputs[key] = tf.tensor(data[key], shapes[key]);
  }
  let mask: boolean[] | undefined;
  if (p.mask) {
    // Row 0 masks about a third of its steps; a second row is masked throughout.
    mask = Array.from({ length: p.batch * p.steps }, (_, i) =>
      i >= p.steps && i < 2 * p.steps ? false : rand() >= 0.3,
    );
    inputs.mask = tf.tensor2d(mask, [p.batch, p.steps], 'bool');
  }
  let recurrentMask: Float32Array | undefined;
  if (p.recurrentMask) {
    recurrentMask = Float32Array.from({ length: size(state) }, () =>
      rand() < 0.25 ? 0 : Math.fround(1 / 0.75),
    );
    inputs.recurrentMask = tf.tensor(recurrentMask, state);
  }
  const attrs = {
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
  return { problem: { ...p, ...data, ...attrs, mask, recurrentMask }, inputs, attrs };
}

export function runFused(
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): tf.Tensor[] {
  return tf.engine().runKernel(ConvLSTMSequence, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
}

/** Geometries over 1, 2 and 3 spatial axes: strides, dilation, both paddings, uneven kernels. */
export const GEOMETRIES: Omit<ConvProblem, 'batch' | 'steps' | 'channels' | 'filters'>[] = [
  { spatial: [7], kernelSize: [3], strides: [1], dilationRate: [1], padding: 'same' },
  { spatial: [9], kernelSize: [4], strides: [2], dilationRate: [1], padding: 'same' },
  { spatial: [8], kernelSize: [3], strides: [1], dilationRate: [2], padding: 'valid' },
  { spatial: [5, 6], kernelSize: [3, 3], strides: [1, 1], dilationRate: [1, 1], padding: 'same' },
  // TF's uneven `same` padding: the larger half after.
  { spatial: [6, 7], kernelSize: [2, 4], strides: [2, 3], dilationRate: [1, 1], padding: 'same' },
  { spatial: [7, 6], kernelSize: [3, 2], strides: [2, 1], dilationRate: [1, 1], padding: 'valid' },
  { spatial: [7, 7], kernelSize: [3, 3], strides: [1, 1], dilationRate: [2, 3], padding: 'same' },
  { spatial: [4, 5], kernelSize: [1, 1], strides: [1, 1], dilationRate: [1, 1], padding: 'valid' },
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
