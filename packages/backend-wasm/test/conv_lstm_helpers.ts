/** ConvLSTM test helpers: a backward call's inputs with seeded output gradients. */
import type * as tf from '@tensorflow/tfjs-core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  seededTensor,
  type ConvLSTMCallSpec,
} from '@rnnkit/conformance';

/** A case of the threaded tests. */
export interface ThreadCase {
  label: string;
  problem: ConvLSTMCallSpec;
  seed: number;
}

/**
 * Batches of 2 to 5 items over every geometry, with masks, states and flags, seeded from `seed`:
 * every call has several batch items, so it runs threaded.
 */
export function threadCases(seed: number): ThreadCase[] {
  return CONV_LSTM_GEOMETRIES.map((geometry, i) => {
    const problem: ConvLSTMCallSpec = {
      ...geometry,
      batch: 2 + (i % 4),
      steps: 3,
      channels: 1 + (i % 3),
      filters: 2 + (i % 5),
      goBackwards: i % 2 === 1,
      returnSequences: i % 3 !== 0,
      alignToInput: i % 4 === 1,
      zeroOutputForMask: i % 2 === 0,
      mask: i % 3 !== 2,
      recurrentMask: i % 3 === 1,
    };
    return { label: `${JSON.stringify(geometry)} batch ${problem.batch}`, problem, seed: seed + i };
  });
}

/** The geometry of 2-D frames of shape `spatial` under a 3×3 kernel, stride and dilation 1. */
export function conv3x3(
  spatial: [number, number],
  padding: 'same' | 'valid',
): Pick<ConvLSTMCallSpec, 'spatial' | 'kernelSize' | 'strides' | 'dilationRate' | 'padding'> {
  return { spatial, kernelSize: [3, 3], strides: [1, 1], dilationRate: [1, 1], padding };
}

/** A small call: batch 2, 4 steps of 5×5 frames of 3 channels, 5 filters, a 3×3 kernel. */
export const FRAMES_5X5: ConvLSTMCallSpec = {
  ...conv3x3([5, 5], 'same'),
  batch: 2,
  steps: 4,
  channels: 3,
  filters: 5,
};

/**
 * The output gradients of call `p` whose outputs have spatial shape `outSpatial`:
 * `[dOutput, dH, dC]`, seeded `seed`, `seed + 1`, `seed + 2`.
 */
export function outputGradients(
  p: ConvLSTMCallSpec,
  outSpatial: number[],
  seed: number,
): tf.Tensor[] {
  const state = [p.batch, ...outSpatial, p.filters];
  return [
    seededTensor(
      p.returnSequences === true ? [p.batch, p.steps, ...outSpatial, p.filters] : state,
      seed,
    ),
    seededTensor(state, seed + 1),
    seededTensor(state, seed + 2),
  ];
}

/** The non-null entries of `inputs` as a tfjs tensor map. */
export function namedTensors(inputs: object): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) if (v != null) named[k] = v as tf.Tensor;
  return named;
}

/** A backward call of `p`: its kernel inputs and output gradients, and all of them by name. */
export interface ConvGradCase extends Omit<ReturnType<typeof convLSTMKernelCall>, 'problem'> {
  /** `[dOutput, dH, dC]`. */
  dys: tf.Tensor[];
  /** The inputs and `dOutput`, `dH`, `dC`: the backward kernel's inputs. */
  named: tf.NamedTensorMap;
}

/**
 * The kernel inputs of `p` (seeded `seed`) with output gradients seeded from `gradSeed` (the
 * caller disposes them: `named` holds every tensor).
 */
export function convGradCase(p: ConvLSTMCallSpec, seed: number, gradSeed: number): ConvGradCase {
  const { inputs, attrs } = convLSTMKernelCall(p, seed);
  const dys = outputGradients(p, inputs.initialH.shape.slice(1, -1), gradSeed);
  const named = namedTensors(inputs);
  [named.dOutput, named.dH, named.dC] = dys;
  return { inputs, attrs, dys, named };
}
