/** ConvLSTM test helpers: a backward call's inputs with seeded output gradients. */
import type * as tf from '@tensorflow/tfjs-core';
import { convLSTMKernelCall, seededTensor, type ConvLSTMCallSpec } from '@rnnkit/conformance';

/** The inputs of a ConvLSTM call that gradients flow to. */
export const CONV_LSTM_KEYS = [
  'x',
  'kernel',
  'recurrentKernel',
  'bias',
  'initialH',
  'initialC',
] as const;

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
