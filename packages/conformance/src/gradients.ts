/**
 * Gradient conformance: `cases/gradients/*.json` (written by `reference/generate_gradients.py`,
 * float64 central differences of the Keras equations) run on the active backend. The loss is
 * `Σᵢ sum(returnedᵢ ⊙ cotangentᵢ)`; its gradients w.r.t. the input, every weight and every
 * initial state must match the expected ones within the case's tolerance.
 *
 * Cases cover plain layers, Bidirectional (every merge mode; both halves and the states enter the
 * loss) and ConvLSTM. A case with `call.training` runs the layer in training: its dropout masks
 * come from the layer's `seed`, and the expected gradients were computed with those masks (listed
 * in `dropout_masks`), so forward and backward pass must both use the masks the layer drew.
 *
 * Kernel paths: a kernel in `expectFused` must run fused, every other kernel through core's
 * reference. A backward kernel (`<kernel>Grad`) that a backend does not declare (a backend may
 * fuse a forward kernel without its backward) therefore runs core's reference backward after
 * the fused forward; one it declares, ConvLSTM's included, must run fused.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromKerasConfig,
  getDispatchStats,
  resetDispatchStats,
  type DispatchStats,
} from '@rnnkit/core';
import { CASES_DIR } from './load.js';
import type { CaseArray, ConformanceCase } from './schema.js';
import type { TestApi } from './suite.js';

/** One gradient case (see `reference/generate_gradients.py`). */
export interface GradientCase {
  name: string;
  description: string;
  source: string;
  layer: ConformanceCase['layer'];
  weights: CaseArray[];
  call: {
    input: CaseArray;
    mask?: CaseArray;
    initial_state?: CaseArray[];
    /** Run the layer in training (dropout on). */
    training?: boolean;
  };
  /**
   * For reading only: the dropout masks the reference applied, per direction (forward first),
   * drawn from the layer's `seed` as the layer draws them.
   */
  dropout_masks?: { input?: CaseArray; recurrent?: CaseArray }[];
  cotangents: CaseArray[];
  expected: { input: CaseArray; weights: CaseArray[]; initial_state?: CaseArray[] };
  tolerance: { atol: number; rtol: number };
}

/** The folder holding the gradient cases. */
export const GRADIENT_CASES_DIR = join(CASES_DIR, 'gradients');

/** All gradient cases, sorted by name. */
export function loadGradientCases(dir = GRADIENT_CASES_DIR): GradientCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as GradientCase);
}

/** The outcome of one gradient case. */
export interface GradientCaseResult {
  /** The first gradient entry outside the tolerance, or null when all match. */
  mismatch: string | null;
  /** Largest `|actual − expected| / (atol + rtol·|expected|)` over every gradient. */
  worstToleranceFraction: number;
  /** Kernel runs by name and path during the gradient computation. */
  kernelRuns: DispatchStats;
  /** Tensors left behind by the case. */
  leakedTensors: number;
}

const tensor = (a: CaseArray, dtype: 'float32' | 'bool' = 'float32') =>
  tf.tensor(dtype === 'bool' ? a.data.map((v) => (v ? 1 : 0)) : a.data, a.shape, dtype);

/** Runs `c` on the active backend. */
export async function runGradientCase(c: GradientCase): Promise<GradientCaseResult> {
  const before = tf.memory().numTensors;
  const layer = fromKerasConfig(c.layer);
  const x = tensor(c.call.input);
  const weights = c.weights.map((w) => tensor(w));
  const states = (c.call.initial_state ?? []).map((s) => tensor(s));
  const mask = c.call.mask == null ? undefined : tensor(c.call.mask, 'bool');
  const cotangents = c.cotangents.map((t) => tensor(t));
  layer.setWeights(weights);
  resetDispatchStats();
  const loss = (...args: tf.Tensor[]): tf.Scalar => {
    const [input, ...rest] = args;
    layer.setWeights(rest.slice(0, weights.length));
    const initialState = states.length > 0 ? rest.slice(weights.length) : undefined;
    const out = layer.apply(input, { mask, initialState, training: c.call.training === true });
    const outputs = Array.isArray(out) ? out : [out];
    return tf.addN(outputs.map((o, i) => tf.sum(tf.mul(o, cotangents[i])))) as tf.Scalar;
  };
  const grads = tf.grads(loss)([x, ...weights, ...states]);
  const kernelRuns = getDispatchStats();
  const expected = [c.expected.input, ...c.expected.weights, ...(c.expected.initial_state ?? [])];
  const labels = [
    'input',
    ...c.weights.map((_, i) => `weight ${i}`),
    ...states.map((_, i) => `initial_state ${i}`),
  ];
  let mismatch: string | null = null;
  let worst = 0;
  for (const [k, g] of grads.entries()) {
    const values = await g.data();
    const want = expected[k];
    if (g.shape.join() !== want.shape.join()) {
      mismatch ??= `${labels[k]}: shape [${g.shape}], expected [${want.shape}]`;
      continue;
    }
    for (let i = 0; i < values.length; i++) {
      const allowed = c.tolerance.atol + c.tolerance.rtol * Math.abs(want.data[i]);
      const fraction = Math.abs(values[i] - want.data[i]) / allowed;
      if (!(fraction <= 1))
        mismatch ??= `${labels[k]}[${i}]: got ${values[i]}, expected ${want.data[i]}`;
      if (!(fraction <= worst)) worst = fraction;
    }
  }
  tf.dispose([x, ...weights, ...states, ...cotangents, ...grads, ...(mask ? [mask] : [])]);
  layer.dispose();
  return {
    mismatch,
    worstToleranceFraction: worst,
    kernelRuns,
    leakedTensors: tf.memory().numTensors - before,
  };
}

/** Options of {@link defineGradientSuite}. */
export interface GradientSuiteOptions {
  /** tfjs backend name the suite runs on. */
  backend: string;
  /** Activates the backend. */
  init?: () => Promise<void>;
  /** Kernels (forward and backward names) that must run fused; every other must not. */
  expectFused: readonly string[];
}

/** Registers one test per gradient case. */
export function defineGradientSuite(api: TestApi, options: GradientSuiteOptions): void {
  api.describe(`gradient conformance on ${options.backend}`, () => {
    api.beforeAll(async () => {
      if (options.init != null) await options.init();
      if (tf.getBackend() !== options.backend) await tf.setBackend(options.backend);
    }, 120_000);
    for (const c of loadGradientCases()) {
      api.it(c.name, async () => {
        const r = await runGradientCase(c);
        if (r.mismatch != null) throw new Error(`${c.name}: ${r.mismatch}`);
        if (r.leakedTensors !== 0) throw new Error(`${c.name}: ${r.leakedTensors} tensors leaked`);
        for (const [name, runs] of Object.entries(r.kernelRuns)) {
          const fused = options.expectFused.includes(name);
          if ((fused && runs.reference > 0) || (!fused && runs.fused > 0))
            throw new Error(
              `${c.name}: ${name} ran ${JSON.stringify(runs)}, expected ${fused ? 'fused' : 'reference'} only`,
            );
        }
      });
    }
  });
}
