import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { mulberry32 } from '@rnnkit/core';
import { naiveSequence } from '@rnnkit/conformance/naive';
import {
  kerasWeights,
  lastStateToBatchMajor,
  toTimeMajor,
  uniform,
  type Cell,
} from '../src/data.js';
import { buildOnnxRnnModel } from '../src/onnx/model.js';
import type { KerasRnnWeights } from '../src/data.js';
import { kerasToOnnx } from '../src/onnx/keras_to_onnx.js';
import { maxAbsDiff } from '../src/stats.js';

const B = 3;
const T = 7;
const D = 5;
const U = 4;

async function runOnnx(model: Uint8Array, x: Float32Array, dirs: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({
      X: new ort.Tensor('float32', toTimeMajor(x, B, T, D), [T, B, D]),
    });
    expect(result.Y_h.dims).toEqual([dirs, B, U]);
    return result.Y_h.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * Last hidden state `[B, U]` of a Keras layer by the float64 Keras equations (an oracle
 * independent of rnnkit, tfjs and onnxruntime); `reverse` reads T−1 … 0.
 */
function kerasLastState(cell: Cell, x: Float32Array, w: KerasRnnWeights, reverse = false) {
  return naiveSequence({
    family: cell === 'lstm' ? 'lstm' : 'gru',
    resetAfter: cell === 'lstm' ? undefined : cell === 'gru',
    batch: B,
    steps: T,
    inputDim: D,
    units: U,
    x,
    kernel: w.kernel,
    recurrentKernel: w.recurrentKernel,
    bias: w.bias,
    goBackwards: reverse,
  }).h;
}

describe('single-op ONNX models from Keras weights (onnxruntime-node vs float64 Keras equations)', () => {
  for (const [cell, seed] of [
    ['lstm', 11],
    ['gru', 12],
    ['gru-reset-before', 14],
  ] as const) {
    it(`${cell} forward matches within 1e-5`, async () => {
      const rand = mulberry32(seed);
      const x = uniform(B * T * D, 1, rand);
      const w = kerasWeights(cell, D, U, rand);
      const got = await runOnnx(buildOnnxRnnModel(kerasToOnnx(cell, D, U, [w])), x, 1);
      const want = kerasLastState(cell, x, w);
      // Outputs are O(0.1–1): a diff this small rules out a swapped gate or a transposed matrix.
      expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(0.05);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    });
  }

  it('bidirectional lstm (concat) matches within 1e-5', async () => {
    const rand = mulberry32(13);
    const x = uniform(B * T * D, 1, rand);
    const fw = kerasWeights('lstm', D, U, rand);
    const bw = kerasWeights('lstm', D, U, rand);
    const yh = await runOnnx(buildOnnxRnnModel(kerasToOnnx('lstm', D, U, [fw, bw])), x, 2);
    const got = lastStateToBatchMajor(yh, 2, B, U);
    const f = kerasLastState('lstm', x, fw);
    const r = kerasLastState('lstm', x, bw, true);
    const want = new Float64Array(B * 2 * U);
    for (let b = 0; b < B; b++) {
      want.set(f.subarray(b * U, (b + 1) * U), b * 2 * U);
      want.set(r.subarray(b * U, (b + 1) * U), b * 2 * U + U);
    }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });
});
