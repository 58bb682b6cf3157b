/**
 * The kernel-level ConvLSTM fixtures (fixtures/conv_lstm_kernel_cases.py: float64 expectations of
 * the Keras equations) as kernel calls. Browser-safe (no Node APIs): the headless-Chromium check
 * bundles it too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMSequence, type KernelActivation } from '@rnnkit/core';
import fixtures from './fixtures/conv_lstm_kernel_cases.json' with { type: 'json' };

type Nested = number | Nested[];

/** One fixture: a kernel call and its float64 results. */
export interface ConvKernelCase {
  name: string;
  batch: number;
  steps: number;
  filters: number;
  spatial: number[];
  strides: number[];
  dilationRate: number[];
  padding: 'valid' | 'same';
  activation: KernelActivation;
  recurrentActivation: KernelActivation;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
  /** `[B][T]`, nonzero = keep; stored on the GPU as `maskDtype`. */
  mask: number[][] | null;
  maskDtype: 'bool' | 'int32' | 'float32';
  inputs: Record<string, Nested>;
  expected: { output: Nested; h: Nested; c: Nested };
}

/** Every fixture, in file order. */
export const CONV_CASES = (fixtures as unknown as { cases: ConvKernelCase[] }).cases;

/** The case's attributes, in the kernel contract's names. */
export function convAttrs(cs: ConvKernelCase): tf.NamedAttrMap {
  return {
    units: cs.filters,
    activation: cs.activation,
    recurrentActivation: cs.recurrentActivation,
    goBackwards: cs.goBackwards,
    returnSequences: cs.returnSequences,
    alignToInput: cs.alignToInput,
    zeroOutputForMask: cs.zeroOutputForMask,
    strides: cs.strides,
    padding: cs.padding,
    dilationRate: cs.dilationRate,
  };
}

/** The case's tensors, in the kernel contract's input names. */
export function convInputs(cs: ConvKernelCase): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = {};
  for (const [name, values] of Object.entries(cs.inputs)) inputs[name] = tf.tensor(values as never);
  if (cs.mask != null) {
    inputs.mask =
      cs.maskDtype === 'bool'
        ? tf.tensor(
            cs.mask.map((row) => row.map((v) => v !== 0)),
            undefined,
            'bool',
          )
        : tf.tensor(cs.mask, undefined, cs.maskDtype);
  }
  return inputs;
}

/** Runs the ConvLSTM kernel on the active backend: `[output, h, c]`. */
export function runConv(inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor[] {
  return tf.engine().runKernel(ConvLSTMSequence, inputs, attrs) as tf.Tensor[];
}
