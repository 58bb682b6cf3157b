/** Runs one conformance case on the active tfjs backend and compares with its expected values. */
import * as tf from '@tensorflow/tfjs-core';
import {
  fromKerasConfig,
  getDispatchStats,
  resetDispatchStats,
  SEQUENCE_KERNEL_NAMES,
  type DispatchStats,
  type KerasLayer,
} from '@rnnkit/core';
import type { CaseArray, ConformanceCase } from './schema.js';

/** The outcome of one case. */
export interface CaseResult {
  name: string;
  passed: boolean;
  /** Largest `|actual − expected|` over all outputs of all calls. */
  maxAbsError: number;
  /** Why it failed, when it did. */
  message?: string;
  /** Sequence-kernel runs by path during the case. */
  fusedRuns: number;
  referenceRuns: number;
  /** The same runs by kernel name. */
  kernelRuns: DispatchStats;
  /** Tensors left behind by the case (should be 0). */
  leakedTensors: number;
  /**
   * The values of every output of every call that completed, in call and output order: for
   * comparing backends with one another.
   */
  outputs: Float32Array[][];
}

/**
 * The sequence kernels registered on `backend` (the active one by default): once a backend
 * package's `init()` ran, the kernels it declares, which is what `expectFused` takes.
 */
export function registeredSequenceKernels(backend: string = tf.getBackend()): string[] {
  return SEQUENCE_KERNEL_NAMES.filter((name) => tf.getKernel(name, backend) != null);
}

function toTensor(a: CaseArray, dtype: 'float32' | 'bool' = 'float32'): tf.Tensor {
  return dtype === 'bool'
    ? tf.tensor(
        a.data.map((v) => (v ? 1 : 0)),
        a.shape,
        'bool',
      )
    : tf.tensor(a.data, a.shape, 'float32');
}

function compare(
  label: string,
  shape: readonly number[],
  values: ArrayLike<number>,
  expected: CaseArray,
  tol: ConformanceCase['tolerance'],
): { maxAbs: number; message?: string } {
  const shapeOk =
    shape.length === expected.shape.length && shape.every((d, i) => d === expected.shape[i]);
  if (!shapeOk) {
    return {
      maxAbs: Infinity,
      message: `${label}: shape [${shape}] ≠ expected [${expected.shape}]`,
    };
  }
  let maxAbs = 0;
  let worst = -1;
  for (let i = 0; i < values.length; i++) {
    const err = Math.abs(values[i] - expected.data[i]);
    if (!(err <= tol.atol + tol.rtol * Math.abs(expected.data[i])) && worst < 0) worst = i;
    if (!(err <= maxAbs)) maxAbs = err;
  }
  if (worst >= 0) {
    return {
      maxAbs,
      message: `${label}[${worst}]: got ${values[worst]}, expected ${expected.data[worst]} (max |err| ${maxAbs.toExponential(2)})`,
    };
  }
  return { maxAbs };
}

/**
 * Runs `c` on the active backend. Never throws: failures are reported in the result. Reads
 * results asynchronously, as backends without synchronous readback (WebGPU in Node) require.
 */
export async function runCase(c: ConformanceCase): Promise<CaseResult> {
  const before = tf.memory().numTensors;
  resetDispatchStats();
  let layer: KerasLayer | null = null;
  let maxAbsError = 0;
  let message: string | undefined;
  const outputsByCall: Float32Array[][] = [];
  try {
    layer = fromKerasConfig(c.layer, { kerasVersion: c.keras_version });
    if (c.weights != null) {
      const weights = c.weights.map((w) => toTensor(w));
      layer.setWeights(weights);
      weights.forEach((w) => w.dispose());
    }
    for (const [k, call] of c.calls.entries()) {
      const inputs = [toTensor(call.input)];
      const mask = call.mask == null ? undefined : toTensor(call.mask, 'bool');
      const initialState = call.initial_state?.map((s) => toTensor(s));
      const out = layer.apply(inputs[0], { mask, initialState });
      const outputs = Array.isArray(out) ? out : [out];
      const values = await Promise.all(outputs.map((o) => o.data()));
      outputsByCall.push(values.map((v) => Float32Array.from(v as Float32Array)));
      const shapes = outputs.map((o) => o.shape);
      tf.dispose([...inputs, ...(mask == null ? [] : [mask]), ...(initialState ?? []), ...outputs]);
      if (outputs.length !== call.expected.length) {
        message = `call ${k}: ${outputs.length} outputs, expected ${call.expected.length}`;
        break;
      }
      for (const [i, expected] of call.expected.entries()) {
        const r = compare(
          `call ${k} output ${i}`,
          shapes[i],
          values[i] as Float32Array,
          expected,
          c.tolerance,
        );
        maxAbsError = Math.max(maxAbsError, r.maxAbs);
        message ??= r.message;
      }
      if (message != null) break;
    }
  } catch (error) {
    message = `threw: ${(error as Error).message}`;
  } finally {
    layer?.dispose();
  }
  const kernelRuns = getDispatchStats();
  const stats = Object.values(kernelRuns);
  return {
    name: c.name,
    passed: message == null,
    maxAbsError,
    message,
    fusedRuns: stats.reduce((n, s) => n + s.fused, 0),
    referenceRuns: stats.reduce((n, s) => n + s.reference, 0),
    kernelRuns,
    leakedTensors: tf.memory().numTensors - before,
    outputs: outputsByCall,
  };
}
