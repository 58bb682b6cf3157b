/**
 * Seeded calls of the ConvLSTM kernel for backend tests: the kernel's inputs and attributes,
 * and the same data as a problem for the float64 oracle (`naiveConvLSTM` of
 * `@rnnkit/conformance/naive`), over the geometries every backend is tested on.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTMSequence,
  convOutputSize,
  mulberry32,
  type ConvLSTMSequenceAttrs,
  type KernelActivation,
  type SequenceKernelInputs,
} from '@rnnkit/core';
import type { NaiveConvLSTMProblem } from './naive/conv_lstm.js';

/** One ConvLSTM kernel call's geometry and flags; the data are drawn from a seed. */
export interface ConvLSTMCallSpec {
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
  /** Row 0 masks about a third of its steps; row 1 (when there is one) is masked throughout. */
  mask?: boolean;
  /** A recurrent-dropout mask: a quarter zeros, the rest `1 / 0.75`. */
  recurrentMask?: boolean;
  goBackwards?: boolean;
  returnSequences?: boolean;
  alignToInput?: boolean;
  zeroOutputForMask?: boolean;
}

/** A seeded ConvLSTM call: the oracle's problem and the kernel's inputs and attributes. */
export interface ConvLSTMKernelCall {
  problem: NaiveConvLSTMProblem;
  inputs: SequenceKernelInputs;
  attrs: ConvLSTMSequenceAttrs;
}

/** Geometries over 1, 2 and 3 spatial axes: strides, dilation, both paddings, uneven kernels. */
export const CONV_LSTM_GEOMETRIES: readonly Omit<
  ConvLSTMCallSpec,
  'batch' | 'steps' | 'channels' | 'filters'
>[] = [
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

/** Uniform float32 values in [lo, hi). */
function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The call `p` with data drawn from `mulberry32(seed)`; the caller disposes the inputs. */
export function convLSTMKernelCall(p: ConvLSTMCallSpec, seed: number): ConvLSTMKernelCall {
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
  const inputs: SequenceKernelInputs = {
    x: tf.tensor(data.x, shapes.x),
    kernel: tf.tensor(data.kernel, shapes.kernel),
    recurrentKernel: tf.tensor(data.recurrentKernel, shapes.recurrentKernel),
    bias: tf.tensor(data.bias, shapes.bias),
    initialH: tf.tensor(data.initialH, state),
    initialC: tf.tensor(data.initialC, state),
  };
  let mask: boolean[] | undefined;
  if (p.mask) {
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
  return { problem: { ...p, ...data, ...attrs, mask, recurrentMask }, inputs, attrs };
}

/** Runs the ConvLSTM kernel of the active backend; returns `[output, h, c]`. */
export function runConvLSTMKernel(
  inputs: SequenceKernelInputs,
  attrs: ConvLSTMSequenceAttrs,
): tf.Tensor[] {
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) if (v != null) named[k] = v as tf.Tensor;
  return tf
    .engine()
    .runKernel(ConvLSTMSequence, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
