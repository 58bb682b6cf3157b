/** The packed GEMM, its packing routines and the per-tensor cache of packed weights. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { mulberry32 } from '@rnnkit/core';
import { maxRelError, naiveSequence } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import {
  gemmPacked,
  newDoubleArray,
  packPanels,
  packRows,
  PANEL,
  panelsFor,
} from '../src/kernels/shared/gemm.js';
import {
  beginKernelCall,
  cachedWeightCount,
  multiply,
  packedWeights,
  packLeft,
  packWeights,
} from '../src/kernels/shared/weights.js';
import { KERNEL_OF, kernelArgs, makeProblem } from './helpers.js';

beforeAll(async () => {
  await init();
});

function filler(seed: number): (n: number) => Float32Array {
  const rand = mulberry32(seed);
  return (n) => Float32Array.from({ length: n }, () => 2 * rand() - 1);
}

describe('gemmPacked', () => {
  it('matches a float64 triple loop with offsets, strides, padding and both init modes', () => {
    const fill = filler(3);
    for (const rows of [1, 2, 3, 5, 8]) {
      for (const cols of [1, 2, 3, 4, 7, 13]) {
        for (const depth of [1, 5, 11]) {
          for (const broadcast of [true, false]) {
            const panels = panelsFor(cols);
            // A: rows of `depth` values at stride lda, from offset 3.
            const lda = depth + 2;
            const a = fill(3 + rows * lda);
            // B: columns 2 .. 2 + cols of a [depth, cols + 4] row-major matrix, from offset 1.
            const srcCols = cols + 4;
            const b = fill(1 + depth * srcCols);
            const bOff = 5;
            const aOff = bOff + panels * PANEL * depth + 7;
            const buf = newDoubleArray(aOff + rows * depth + 3);
            packPanels(b, 1, srcCols, 2, cols, depth, buf, bOff);
            packRows(a, 3, lda, rows, depth, null, buf, aOff);
            const ldi = broadcast ? 0 : PANEL * panels + 1;
            const init = fill(2 + (broadcast ? 1 : rows) * (PANEL * panels + 1));
            const ldc = PANEL * panels + 2;
            const c = new Float32Array(4 + rows * ldc);
            gemmPacked(rows, panels, depth, buf, aOff, bOff, init, 2, ldi, c, 4, ldc);
            for (let m = 0; m < rows; m++) {
              for (let n = 0; n < cols; n++) {
                let want = init[2 + m * ldi + n];
                for (let k = 0; k < depth; k++) {
                  want += a[3 + m * lda + k] * b[1 + k * srcCols + 2 + n];
                }
                expect(Math.abs(c[4 + m * ldc + n] - want)).toBeLessThan(1e-6);
              }
            }
            expect(c.subarray(0, 4).every((v) => v === 0)).toBe(true);
          }
        }
      }
    }
  });

  it('multiplies rows by a scale as they are packed, rounded to float32', () => {
    const fill = filler(4);
    const rows = 5;
    const depth = 3;
    const lda = 4;
    const src = fill(rows * lda);
    const scale = fill(rows * depth);
    const dst = newDoubleArray(1 + rows * depth);
    packRows(src, 0, lda, rows, depth, scale, dst, 1);
    for (let m = 0; m < rows; m++) {
      for (let k = 0; k < depth; k++) {
        // Row pairs interleave by k; the odd last row is contiguous.
        const at = m < 4 ? 1 + (m >> 1) * 2 * depth + 2 * k + (m & 1) : 1 + 4 * depth + k;
        expect(dst[at]).toBe(Math.fround(src[m * lda + k] * scale[m * depth + k]));
      }
    }
  });

  it('starts every column segment on a panel boundary, in one chunk or several', () => {
    const fill = filler(5);
    const u = 4;
    const depth = 6;
    const cols = 3 * u;
    const values = fill(depth * cols);
    const rows = 3;
    const a = fill(rows * depth);
    const scale = fill(rows * depth);
    // One chunk, then chunks of one and of two panels (the product spans chunk boundaries).
    for (const chunkValues of [1 << 22, PANEL * depth, 2 * PANEL * depth]) {
      const w = packWeights(values, depth, [2 * u, u], chunkValues);
      expect(w.segmentPanel).toEqual([0, panelsFor(2 * u)]);
      expect(w.panels).toBe(panelsFor(2 * u) + panelsFor(u));
      expect(w.chunks.length).toBe(Math.ceil((w.panels * PANEL * depth) / chunkValues));
      packLeft(w, a, 0, depth, rows, scale);
      for (const [segment, col0, width] of [
        [0, 0, 2 * u],
        [1, 2 * u, u],
      ]) {
        const panel0 = w.segmentPanel[segment];
        const panels = segment === 0 ? w.segmentPanel[1] : w.panels - w.segmentPanel[1];
        const ldc = PANEL * panels;
        const c = new Float32Array(rows * ldc);
        const bias = fill(ldc);
        multiply(rows, w, panel0, panels, bias, 0, 0, c, 0, ldc);
        for (let m = 0; m < rows; m++) {
          for (let n = 0; n < width; n++) {
            let want = bias[n];
            for (let k = 0; k < depth; k++) {
              const left = Math.fround(a[m * depth + k] * scale[m * depth + k]);
              want += left * values[k * cols + col0 + n];
            }
            expect(Math.abs(c[m * ldc + n] - want)).toBeLessThan(1e-6);
          }
        }
      }
    }
  });
});

describe('packed weight cache', () => {
  it('packs a tensor once per layout and drops it once the tensor is disposed', () => {
    const backend = tf.backend() as MathBackendCPU;
    beginKernelCall();
    const before = cachedWeightCount();
    const t = tf.tensor2d(filler(6)(4 * 6), [4, 6]);
    const values = backend.data.get(t.dataId).values as Float32Array;
    const w = packedWeights(backend, t, values, 4, [6]);
    expect(packedWeights(backend, t, values, 4, [6])).toBe(w);
    const other = packedWeights(backend, t, values, 4, [3, 3]);
    expect(other).not.toBe(w);
    expect(cachedWeightCount()).toBe(before + 2);
    beginKernelCall();
    expect(cachedWeightCount()).toBe(before + 2);
    t.dispose();
    beginKernelCall();
    expect(cachedWeightCount()).toBe(before);
  });

  it('gives the float64 Keras result on every call that reuses the same weight tensors', () => {
    for (const [family, resetAfter] of [
      ['lstm', false],
      ['gru', true],
      ['gru', false],
      ['simple', false],
    ] as const) {
      const o = { family, resetAfter, batch: 3, steps: 4, inputDim: 5, units: 7 };
      const first = kernelArgs(makeProblem(o, 11));
      const weights = [first.inputs.kernel, first.inputs.recurrentKernel, first.inputs.bias];
      for (const seed of [11, 12, 13]) {
        // Same weights (seed 11's), a new input and initial state per call.
        const p = { ...makeProblem(o, 11), x: makeProblem(o, seed).x };
        const { inputs, attrs } = kernelArgs(p);
        tf.dispose([inputs.kernel, inputs.recurrentKernel, inputs.bias]);
        [inputs.kernel, inputs.recurrentKernel, inputs.bias] = weights;
        const out = tf.engine().runKernel(KERNEL_OF[family], inputs, attrs) as tf.Tensor[];
        const want = naiveSequence(p);
        expect(maxRelError(out[0].dataSync() as Float32Array, want.output)).toBeLessThan(1e-5);
        tf.dispose(out);
        tf.dispose([inputs.x, inputs.initialH, inputs.initialC ?? []]);
      }
      tf.dispose(Object.values(first.inputs));
    }
  });
});
