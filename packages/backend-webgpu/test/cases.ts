/**
 * Case generation, running a case through the registered kernel, and comparison, with the
 * float64 oracle of @rnnkit/conformance/naive on nested arrays. Browser-safe (no Node APIs): the
 * headless-Chromium check bundles it too.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FAMILIES,
  gateCount,
  GRUSequence,
  LSTMSequence,
  mulberry32,
  SimpleRNNSequence,
} from '@rnnkit/core';
import { naiveSequence, type NaiveFamily, type NaiveSettings } from '@rnnkit/conformance/naive';

export type { NaiveFamily };

/** Deterministic uniform numbers in [lo, hi). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  const next = mulberry32(seed);
  return (lo = -1, hi = 1) => lo + (hi - lo) * next();
}

const GATES: Record<NaiveFamily, number> = {
  lstm: gateCount(FAMILIES.LSTM),
  gru: gateCount(FAMILIES.GRU),
  simple: gateCount(FAMILIES.SimpleRNN),
};

/** A kernel call as nested arrays, the shapes `tf.Tensor.array()` returns. */
export interface NaiveCase extends NaiveSettings {
  family: NaiveFamily;
  units: number;
  /** `[B][T][D]` */
  x: number[][][];
  /** `[D][G·U]` */
  kernel: number[][];
  /** `[U][G·U]` */
  recurrentKernel: number[][];
  /** `[G·U]`, or `[2][3·U]` for GRU with resetAfter. */
  bias: number[] | number[][];
  initialH: number[][];
  initialC?: number[][];
  /** `[B][T]`, true = keep. */
  mask?: boolean[][];
  recurrentMask?: number[][];
}

/** A kernel's results as nested arrays. */
export interface NaiveResult {
  /** `[B][T][U]` or `[B][U]` */
  output: number[][][] | number[][];
  h: number[][];
  c?: number[][];
}

/** `flat` cut into rows of `n`. */
function rows(flat: ArrayLike<number>, n: number): number[][] {
  return Array.from({ length: flat.length / n }, (_, r) =>
    Array.from({ length: n }, (_, i) => flat[r * n + i]),
  );
}

/** The float64 Keras equations (@rnnkit/conformance/naive) on a case, as nested arrays. */
export function naiveExpected(cs: NaiveCase): NaiveResult {
  const B = cs.x.length;
  const T = B > 0 ? cs.x[0].length : 0;
  const U = cs.units;
  const r = naiveSequence({
    ...cs,
    batch: B,
    steps: T,
    inputDim: cs.kernel.length,
    x: cs.x.flat(2),
    kernel: cs.kernel.flat(),
    recurrentKernel: cs.recurrentKernel.flat(),
    bias: cs.bias.flat(),
    initialH: cs.initialH.flat(),
    initialC: cs.initialC?.flat(),
    mask: cs.mask?.flat(),
    recurrentMask: cs.recurrentMask?.flat(),
  });
  const perRow = (b: number): number[][] => rows(r.output.subarray(b * T * U, (b + 1) * T * U), U);
  return {
    output: cs.returnSequences ? Array.from({ length: B }, (_, b) => perRow(b)) : rows(r.output, U),
    h: rows(r.h, U),
    c: r.c == null ? undefined : rows(r.c, U),
  };
}

export interface CaseSpec extends Partial<NaiveSettings> {
  family: NaiveFamily;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  seed?: number;
  /** Mask pattern: `random` keeps ~70% of steps, and row 0 is fully masked when batch > 1. */
  mask?: 'random' | ((b: number, t: number) => boolean);
  recurrentMask?: boolean;
  initialStates?: boolean;
  /** Scale of the input values. */
  inputScale?: number;
}

/** A random case; weights scaled so pre-activations stay O(1) whatever the unit count. */
export function makeCase(spec: CaseSpec): NaiveCase {
  const r = rng(spec.seed ?? 1);
  const { batch: B, steps: T, inputDim: D, units: U, family } = spec;
  const G = GATES[family];
  const resetAfter = family === 'gru' && (spec.resetAfter ?? true);
  const mat = (rows: number, cols: number, scale: number) =>
    Array.from({ length: rows }, () => Array.from({ length: cols }, () => r() * scale));
  const xs = spec.inputScale ?? 1;
  let mask: boolean[][] | undefined;
  if (spec.mask === 'random') {
    mask = Array.from({ length: B }, (_, b) =>
      Array.from({ length: T }, () => (B > 1 && b === 0 ? false : r(0, 1) < 0.7)),
    );
  } else if (typeof spec.mask === 'function') {
    const f = spec.mask;
    mask = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => f(b, t)));
  }
  return {
    family,
    units: U,
    x: Array.from({ length: B }, () => mat(T, D, xs)),
    kernel: mat(D, G * U, 1 / Math.sqrt(D)),
    recurrentKernel: mat(U, G * U, 1 / Math.sqrt(U)),
    bias: resetAfter ? mat(2, G * U, 0.3) : mat(1, G * U, 0.3)[0],
    initialH: spec.initialStates ? mat(B, U, 0.8) : mat(B, U, 0),
    initialC: family === 'lstm' ? (spec.initialStates ? mat(B, U, 0.8) : mat(B, U, 0)) : undefined,
    mask,
    recurrentMask: spec.recurrentMask
      ? Array.from({ length: B }, () => Array.from({ length: U }, () => (r(0, 1) < 0.3 ? 0 : 1.25)))
      : undefined,
    activation: spec.activation ?? 'tanh',
    recurrentActivation: spec.recurrentActivation ?? 'sigmoid',
    resetAfter,
    goBackwards: spec.goBackwards ?? false,
    returnSequences: spec.returnSequences ?? true,
    alignToInput: spec.alignToInput ?? false,
    zeroOutputForMask: spec.zeroOutputForMask ?? false,
  };
}

export const KERNEL_NAME: Record<NaiveFamily, string> = {
  lstm: LSTMSequence,
  gru: GRUSequence,
  simple: SimpleRNNSequence,
};

/** The case's tensors, in the kernel contract's input names. */
export function caseInputs(
  cs: NaiveCase,
  maskDtype: 'bool' | 'int32' | 'float32' = 'bool',
): Record<string, tf.Tensor> {
  const B = cs.x.length;
  const T = B > 0 ? cs.x[0].length : 0;
  const D = cs.kernel.length;
  const U = cs.units;
  const inputs: Record<string, tf.Tensor> = {
    x: tf.tensor3d(cs.x.flat(2), [B, T, D]),
    kernel: tf.tensor2d(cs.kernel),
    recurrentKernel: tf.tensor2d(cs.recurrentKernel),
    bias: tf.tensor(cs.bias),
    initialH: tf.tensor2d(cs.initialH.flat(), [B, U]),
  };
  if (cs.initialC != null) inputs.initialC = tf.tensor2d(cs.initialC.flat(), [B, U]);
  if (cs.mask != null) {
    const flat = cs.mask.flat();
    inputs.mask =
      maskDtype === 'bool'
        ? tf.tensor2d(flat, [B, T], 'bool')
        : tf.tensor2d(flat.map(Number), [B, T], maskDtype);
  }
  if (cs.recurrentMask != null) inputs.recurrentMask = tf.tensor2d(cs.recurrentMask.flat(), [B, U]);
  return inputs;
}

/** The case's attributes, in the kernel contract's names. */
export function caseAttrs(cs: NaiveCase): Record<string, unknown> {
  return {
    units: cs.units,
    activation: cs.activation,
    recurrentActivation: cs.recurrentActivation,
    resetAfter: cs.resetAfter,
    goBackwards: cs.goBackwards,
    returnSequences: cs.returnSequences,
    alignToInput: cs.alignToInput,
    zeroOutputForMask: cs.zeroOutputForMask,
  };
}

/** Runs the case through the registered kernel on the active backend and reads the results. */
export async function runKernel(
  cs: NaiveCase,
  maskDtype: 'bool' | 'int32' | 'float32' = 'bool',
): Promise<{ result: NaiveResult; shapes: number[][] }> {
  const inputs = caseInputs(cs, maskDtype);
  const outs = tf
    .engine()
    .runKernel(
      KERNEL_NAME[cs.family],
      inputs as tf.NamedTensorMap,
      caseAttrs(cs) as tf.NamedAttrMap,
    ) as tf.Tensor[];
  const arrays = (await Promise.all(outs.map((o) => o.array()))) as number[][][];
  const shapes = outs.map((o) => o.shape);
  tf.dispose([...outs, ...Object.values(inputs)]);
  return {
    result: { output: arrays[0], h: arrays[1], c: cs.family === 'lstm' ? arrays[2] : undefined },
    shapes,
  };
}

/**
 * Largest violation of `|a − b| ≤ atol + rtol·|b|` over nested arrays (≤ 0 means all close);
 * throws if the nesting differs.
 */
export function closeness(a: unknown, b: unknown, atol = 1e-5, rtol = 1e-5, path = ''): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length)
      throw new Error(`length differs at ${path}: ${a.length} vs ${b.length}`);
    return a.reduce(
      (m: number, v, i) => Math.max(m, closeness(v, b[i], atol, rtol, `${path}[${i}]`)),
      -Infinity,
    );
  }
  if (typeof a !== 'number' || typeof b !== 'number') throw new Error(`not numbers at ${path}`);
  if (a === b) return -1;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? -1 : Infinity;
  return Math.abs(a - b) - (atol + rtol * Math.abs(b));
}
