/** Shared test helpers: a seeded random problem generator and a kernel runner. */
import * as tf from '@tensorflow/tfjs-core';
import { GRUSequence, LSTMSequence, mulberry32, SimpleRNNSequence } from '@rnnkit/core';
import type { NaiveFamily, NaiveProblem, NaiveSettings } from '@rnnkit/conformance/naive';

export const KERNEL_OF: Record<NaiveFamily, string> = {
  simple: SimpleRNNSequence,
  lstm: LSTMSequence,
  gru: GRUSequence,
};

/** A problem for the float64 oracle with every setting given, as the tensors' typed arrays. */
export type Problem = NaiveProblem &
  NaiveSettings & {
    x: Float32Array;
    kernel: Float32Array;
    recurrentKernel: Float32Array;
    bias: Float32Array;
    initialH: Float32Array;
    initialC?: Float32Array;
    mask?: Uint8Array;
    recurrentMask?: Float32Array;
  };

function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

export type MaskKind = 'none' | 'random' | 'edges';

/** The sequence flags the kernels take, each to be tried both ways. */
export const FLAGS = [
  'goBackwards',
  'returnSequences',
  'alignToInput',
  'zeroOutputForMask',
] as const;
/** Every mask pattern {@link makeProblem} draws. */
export const MASKS: MaskKind[] = ['none', 'random', 'edges'];
/** The families, GRU in both reset modes. */
export const VARIANTS: { family: NaiveFamily; resetAfter?: boolean }[] = [
  { family: 'simple' },
  { family: 'lstm' },
  { family: 'gru', resetAfter: true },
  { family: 'gru', resetAfter: false },
];

export interface ProblemOptions extends Partial<NaiveSettings> {
  family: NaiveFamily;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  mask?: MaskKind;
  recurrentMask?: boolean;
  /** Puts NaN into `x` at every masked step. */
  nanAtMasked?: boolean;
  /** Scales the weight ranges (default 1); smaller keeps unbounded activations well-conditioned. */
  weightScale?: number;
}

/** A random problem; `edges` masks leading and trailing steps and one whole row. */
export function makeProblem(o: ProblemOptions, seed: number): Problem {
  const rand = mulberry32(seed);
  const { batch: B, steps: T, inputDim: D, units: U } = o;
  const G = o.family === 'lstm' ? 4 : o.family === 'gru' ? 3 : 1;
  const resetAfter = o.family === 'gru' && (o.resetAfter ?? true);
  const w = o.weightScale ?? 1;
  const x = uniform(rand, B * T * D, -1, 1);
  let mask: Uint8Array | undefined;
  if (o.mask === 'random') {
    mask = Uint8Array.from({ length: B * T }, () => (rand() < 0.3 ? 0 : 1));
  } else if (o.mask === 'edges') {
    mask = new Uint8Array(B * T).fill(1);
    for (let b = 0; b < B; b++) {
      mask[b * T] = 0;
      mask[b * T + T - 1] = b % 2;
    }
    mask.fill(0, 0, T); // row 0 fully masked
  }
  if (mask && o.nanAtMasked) {
    for (let i = 0; i < B * T; i++) if (mask[i] === 0) x.fill(NaN, i * D, (i + 1) * D);
  }
  return {
    family: o.family,
    batch: B,
    steps: T,
    inputDim: D,
    units: U,
    x,
    kernel: uniform(rand, D * G * U, -0.6 * w, 0.6 * w),
    recurrentKernel: uniform(rand, U * G * U, -0.6 * w, 0.6 * w),
    bias: uniform(rand, (resetAfter ? 2 : 1) * G * U, -0.3, 0.3),
    initialH: uniform(rand, B * U, -0.5, 0.5),
    initialC: o.family === 'lstm' ? uniform(rand, B * U, -0.5, 0.5) : undefined,
    mask,
    recurrentMask: o.recurrentMask ? uniform(rand, B * U, 0, 2) : undefined,
    activation: o.activation ?? 'tanh',
    recurrentActivation: o.recurrentActivation ?? 'sigmoid',
    resetAfter,
    goBackwards: o.goBackwards ?? false,
    returnSequences: o.returnSequences ?? false,
    alignToInput: o.alignToInput ?? false,
    zeroOutputForMask: o.zeroOutputForMask ?? false,
  };
}

/** The problem as kernel inputs (tensors) and attrs. */
export function kernelArgs(p: Problem): {
  inputs: Record<string, tf.Tensor>;
  attrs: tf.NamedAttrMap;
} {
  const G = p.family === 'lstm' ? 4 : p.family === 'gru' ? 3 : 1;
  const gu = G * p.units;
  const inputs: Record<string, tf.Tensor> = {
    x: tf.tensor3d(p.x, [p.batch, p.steps, p.inputDim]),
    kernel: tf.tensor2d(p.kernel, [p.inputDim, gu]),
    recurrentKernel: tf.tensor2d(p.recurrentKernel, [p.units, gu]),
    bias: p.family === 'gru' && p.resetAfter ? tf.tensor2d(p.bias, [2, gu]) : tf.tensor1d(p.bias),
    initialH: tf.tensor2d(p.initialH, [p.batch, p.units]),
  };
  if (p.initialC) inputs.initialC = tf.tensor2d(p.initialC, [p.batch, p.units]);
  if (p.mask) inputs.mask = tf.tensor2d(p.mask, [p.batch, p.steps], 'bool');
  if (p.recurrentMask) inputs.recurrentMask = tf.tensor2d(p.recurrentMask, [p.batch, p.units]);
  const attrs: tf.NamedAttrMap = {
    units: p.units,
    activation: p.activation,
    goBackwards: p.goBackwards,
    returnSequences: p.returnSequences,
    alignToInput: p.alignToInput,
    zeroOutputForMask: p.zeroOutputForMask,
  };
  if (p.family !== 'simple') attrs.recurrentActivation = p.recurrentActivation;
  if (p.family === 'gru') attrs.resetAfter = p.resetAfter;
  return { inputs, attrs };
}

/** Runs the registered kernel for the problem on the active backend; returns the values. */
export function runKernel(p: Problem): { shapes: number[][]; values: Float32Array[] } {
  const { inputs, attrs } = kernelArgs(p);
  const out = tf.engine().runKernel(KERNEL_OF[p.family], inputs as tf.NamedTensorMap, attrs);
  const list = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
  const result = {
    shapes: list.map((t) => t.shape),
    values: list.map((t) => t.dataSync() as Float32Array),
  };
  tf.dispose(list);
  tf.dispose(Object.values(inputs));
  return result;
}

/** Every combination of the given boolean flags. */
export function flagCombos<K extends string>(keys: readonly K[]): Record<K, boolean>[] {
  const out: Record<K, boolean>[] = [];
  for (let bits = 0; bits < 1 << keys.length; bits++) {
    const combo = {} as Record<K, boolean>;
    keys.forEach((k, i) => (combo[k] = ((bits >> i) & 1) === 1));
    out.push(combo);
  }
  return out;
}
