/**
 * Test helpers: seeded data, tensors for the kernel contract, tolerant comparison, the module
 * variants and memory modes to run under, taped gradients, and flat memory over many calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@rnnkit/core';
import {
  naiveSequence,
  type NaiveFamily,
  type NaiveProblem,
  type NaiveSettings,
} from '@rnnkit/conformance/naive';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  DEFAULT_MIN_STEP_WORK_PER_THREAD,
  getKernelCalls,
  getWasmMemoryStats,
  init,
  relaxedSimdSupported,
  resetKernelCalls,
  savedActivationCount,
  setMemoryMode,
  setMinStepWorkPerThread,
  setThreads,
  setWasmVariant,
  type WasmMemoryStats,
  type WasmVariant,
} from '../src/index.js';
import { takenForwardCount } from '../src/kernels/shared/saved.js';

/** A problem for the float64 oracle, as float64 arrays of float32 values. */
export interface Problem extends NaiveProblem {
  x: Float64Array;
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias: Float64Array;
  initialH: Float64Array;
  initialC?: Float64Array;
  mask?: boolean[];
  recurrentMask?: Float64Array;
  activation: string;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

/** Uniform values in [−scale, scale), rounded to float32 so both sides see the same inputs. */
export function uniform(rand: () => number, n: number, scale: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround((rand() * 2 - 1) * scale);
  return out;
}

export interface ProblemOptions extends Partial<NaiveSettings> {
  family: NaiveFamily;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  mask?: 'none' | 'random';
  recurrentMask?: boolean;
  initialStates?: boolean;
  seed?: number;
  weightScale?: number;
}

/** A random problem: x, weights, states, and (optionally) a mask with a fully masked row. */
export function makeProblem(o: ProblemOptions): Problem {
  const rand = mulberry32(o.seed ?? 1234);
  const G = o.family === 'lstm' ? 4 : o.family === 'gru' ? 3 : 1;
  const { batch: B, steps: T, inputDim: D, units: U } = o;
  const ws = o.weightScale ?? 0.5;
  const biasLength = o.family === 'gru' && o.resetAfter ? 2 * G * U : G * U;
  let mask: boolean[] | undefined;
  if (o.mask === 'random') {
    mask = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        // Row 1 is fully masked; other rows mask about a third of their steps.
        mask.push(b === 1 ? false : rand() > 0.35);
      }
    }
  }
  let recurrentMask: Float64Array | undefined;
  if (o.recurrentMask) {
    recurrentMask = new Float64Array(B * U);
    // Dropout-style: 0 or 1/(1 − rate) with rate 0.25.
    for (let i = 0; i < B * U; i++) recurrentMask[i] = rand() < 0.25 ? 0 : Math.fround(1 / 0.75);
  }
  return {
    family: o.family,
    resetAfter: o.resetAfter,
    batch: B,
    steps: T,
    inputDim: D,
    units: U,
    x: uniform(rand, B * T * D, 1),
    kernel: uniform(rand, D * G * U, ws),
    recurrentKernel: uniform(rand, U * G * U, ws),
    bias: uniform(rand, biasLength, 0.3),
    initialH: o.initialStates ? uniform(rand, B * U, 0.8) : new Float64Array(B * U),
    initialC:
      o.family === 'lstm'
        ? o.initialStates
          ? uniform(rand, B * U, 0.8)
          : new Float64Array(B * U)
        : undefined,
    mask,
    recurrentMask,
    activation: o.activation ?? 'tanh',
    recurrentActivation: o.family === 'simple' ? undefined : (o.recurrentActivation ?? 'sigmoid'),
    goBackwards: o.goBackwards ?? false,
    returnSequences: o.returnSequences ?? false,
    alignToInput: o.alignToInput ?? false,
    zeroOutputForMask: o.zeroOutputForMask ?? false,
  };
}

export const KERNEL_NAMES: Record<NaiveFamily, string> = {
  simple: 'RnnkitSimpleRNNSequence',
  lstm: 'RnnkitLSTMSequence',
  gru: 'RnnkitGRUSequence',
};

/** The contract's named inputs for a problem, as tensors on the active backend. */
export function kernelInputs(p: Problem): Record<string, tf.Tensor> {
  const G = p.family === 'lstm' ? 4 : p.family === 'gru' ? 3 : 1;
  const { batch: B, steps: T, inputDim: D, units: U } = p;
  const inputs: Record<string, tf.Tensor> = {
    x: tf.tensor3d(Float32Array.from(p.x), [B, T, D]),
    kernel: tf.tensor2d(Float32Array.from(p.kernel), [D, G * U]),
    recurrentKernel: tf.tensor2d(Float32Array.from(p.recurrentKernel), [U, G * U]),
    bias:
      p.family === 'gru' && p.resetAfter
        ? tf.tensor2d(Float32Array.from(p.bias), [2, G * U])
        : tf.tensor1d(Float32Array.from(p.bias)),
    initialH: tf.tensor2d(Float32Array.from(p.initialH), [B, U]),
  };
  if (p.initialC != null) inputs.initialC = tf.tensor2d(Float32Array.from(p.initialC), [B, U]);
  if (p.mask != null) inputs.mask = tf.tensor2d(p.mask, [B, T], 'bool');
  if (p.recurrentMask != null)
    inputs.recurrentMask = tf.tensor2d(Float32Array.from(p.recurrentMask), [B, U]);
  return inputs;
}

/** The contract's attributes for a problem. */
export function kernelAttrs(p: Problem): Record<string, string | number | boolean> {
  const attrs: Record<string, string | number | boolean> = {
    units: p.units,
    activation: p.activation,
    goBackwards: p.goBackwards,
    returnSequences: p.returnSequences,
    alignToInput: p.alignToInput,
    zeroOutputForMask: p.zeroOutputForMask,
  };
  if (p.recurrentActivation != null) attrs.recurrentActivation = p.recurrentActivation;
  if (p.family === 'gru') attrs.resetAfter = p.resetAfter ?? true;
  return attrs;
}

/** Runs the registered kernel for `p` and returns its outputs' values; disposes everything. */
export function runKernel(p: Problem): Float32Array[] {
  return tf.tidy(() => {
    const inputs = kernelInputs(p);
    const out = tf
      .engine()
      .runKernel(KERNEL_NAMES[p.family], inputs, kernelAttrs(p)) as tf.Tensor[];
    return out.map((t) => t.dataSync() as Float32Array);
  });
}

/** The oracle's outputs in the kernel's order: `[output, h]`, plus `c` for LSTM. */
export function naiveOutputs(p: Problem): Float64Array[] {
  const r = naiveSequence(p);
  return r.c == null ? [r.output, r.h] : [r.output, r.h, r.c];
}

/** allclose: |actual − expected| ≤ atol + rtol·|expected| elementwise, with a located message. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  atol = 1e-5,
  rtol = 1e-5,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(err <= 0) && (worst < 0 || !(err <= worstErr))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    expect.fail(`${label}: element ${worst}: got ${actual[worst]}, expected ${expected[worst]}`);
  }
}

/** A module variant and memory mode to run tests under. */
export interface WasmConfig {
  variant: WasmVariant;
  mode: 'shared' | 'copy';
}

/**
 * Both module variants when the engine has relaxed SIMD (vitest.config.ts enables it on Node 20),
 * in place on tfjs's memory, and the plain variant in copy mode (own memory, copies in and out).
 */
export const CONFIGS: WasmConfig[] = [
  { variant: 'simd', mode: 'shared' },
  ...(relaxedSimdSupported() ? [{ variant: 'relaxed' as const, mode: 'shared' as const }] : []),
  { variant: 'simd', mode: 'copy' },
];

/** Runs the tests of the enclosing `describe` in memory mode `mode`. */
export function useMemoryMode(mode: WasmConfig['mode']): void {
  beforeAll(() => setMemoryMode(mode === 'copy' ? 'copy' : null));
  afterAll(() => setMemoryMode(null));
}

/** Runs the tests of the enclosing `describe` on `config`'s module variant and memory mode. */
export function useConfig({ variant, mode }: WasmConfig): void {
  beforeAll(() => {
    setMemoryMode(mode === 'copy' ? 'copy' : null);
    setWasmVariant(variant);
  });
  afterAll(() => {
    setMemoryMode(null);
    setWasmVariant(null);
  });
}

/**
 * Runs the file's tests after starting the module on one thread and calling `first` (before any
 * worker starts); leaves it on one thread, with the default least work per thread, after them.
 */
export function useOneThreadFirst(first: () => void): void {
  beforeAll(async () => {
    await init();
    await setThreads(1);
    first();
  });
  afterAll(async () => {
    setMinStepWorkPerThread(DEFAULT_MIN_STEP_WORK_PER_THREAD);
    await setThreads(1);
  });
}

/**
 * The gradients of `Σ_j sum(outputs_j ⊙ dys_j)` of a call of `kernel` on `inputs` with respect to
 * the inputs named `keys`, by `tf.grads`: through the kernel's taped forward and its backward.
 * `seen` sees the call's outputs while the tape records.
 */
export function tapedGradients(
  kernel: string,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap,
  keys: readonly string[],
  dys: tf.Tensor[],
  seen?: (outputs: tf.Tensor[]) => void,
): tf.Tensor[] {
  return tf.grads((...values: tf.Tensor[]) => {
    const replaced: tf.NamedTensorMap = { ...inputs };
    keys.forEach((k, j) => (replaced[k] = values[j]));
    const outs = tf.engine().runKernel(kernel, replaced, attrs) as tf.Tensor[];
    seen?.(outs);
    return tf.addN(outs.map((o, j) => tf.sum(tf.mul(o, dys[j])))) as tf.Scalar;
  })(keys.map((k) => inputs[k]));
}

/**
 * {@link tapedGradients}, checking that the taped forward call kept its activations (one block
 * held while the tape records) and that the one backward call, of kernel `gradName`, took them.
 * Returns the gradients and the values of the forward call's outputs.
 */
export function tapedGradientsOverSaved(
  kernel: string,
  gradName: string,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap,
  keys: readonly string[],
  dys: tf.Tensor[],
): { grads: tf.Tensor[]; outputs: Float32Array[] } {
  let outputs: Float32Array[] = [];
  let savedDuring = -1;
  const takenBefore = takenForwardCount();
  resetKernelCalls();
  const grads = tapedGradients(kernel, inputs, attrs, keys, dys, (outs) => {
    outputs = outs.map((o) => o.dataSync() as Float32Array);
    savedDuring = savedActivationCount();
  });
  expect(getKernelCalls()[gradName]).toBe(1);
  expect(savedDuring).toBe(1);
  expect(takenForwardCount() - takenBefore).toBe(1);
  expect(savedActivationCount()).toBe(0);
  return { grads, outputs };
}

/**
 * Runs `call` `times` times and checks that neither the live tensor count nor this package's wasm
 * memory use changes. Returns the stats after the run.
 */
export function expectFlatOver(times: number, call: () => void): WasmMemoryStats {
  const tensors = tf.memory().numTensors;
  const before = getWasmMemoryStats();
  for (let i = 0; i < times; i++) call();
  expect(tf.memory().numTensors).toBe(tensors);
  const after = getWasmMemoryStats();
  expect(after.liveBytes).toBe(before.liveBytes);
  expect(after.liveBlocks).toBe(before.liveBlocks);
  expect(after.memoryBytes).toBe(before.memoryBytes);
  return after;
}

/**
 * Runs `p`'s kernel `forwards` times after one warm-up call and checks that neither the live
 * tensor count nor this package's wasm memory use changes. Returns the stats after the run.
 */
export function expectFlatMemory(p: Problem, forwards: number): WasmMemoryStats {
  const inputs = kernelInputs(p);
  const attrs = kernelAttrs(p);
  const forward = (): void => {
    tf.dispose(tf.engine().runKernel(KERNEL_NAMES[p.family], inputs, attrs) as tf.Tensor[]);
  };
  forward();
  const after = expectFlatOver(forwards, forward);
  tf.dispose(Object.values(inputs));
  return after;
}
