/**
 * The products of the backward kernels against float64 triple loops: `matmul`, the transposed
 * products of the weight gradients (several sources side by side, blocks of rows and of depth
 * that do not divide the shapes), `Uᵀ` packed for the per-step product, and the arrays the
 * backward kernels recycle.
 */
import { mulberry32 } from '@rnnkit/core';
import { describe, expect, it } from 'vitest';
import {
  matmul,
  packTransposedBlock,
  recurrentBackProduct,
  transposedProduct,
} from '../src/kernels/shared/backward.js';
import { PANEL } from '../src/kernels/shared/gemm.js';
import type { SequenceProblem } from '../src/kernels/shared/inputs.js';
import { recycle, recycledArray, recycledZeros } from '../src/kernels/shared/recycled.js';

function filler(seed: number): (n: number) => Float32Array {
  const rand = mulberry32(seed);
  return (n) => Float32Array.from({ length: n }, () => 2 * rand() - 1);
}

/** `a [rows, depth]·b [depth, cols]` in float64, `a` read through `at(r, k)`. */
function reference(
  rows: number,
  depth: number,
  cols: number,
  at: (r: number, k: number) => number,
  b: Float32Array,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < depth; k++) {
      const v = at(r, k);
      for (let n = 0; n < cols; n++) out[r * cols + n] += v * b[k * cols + n];
    }
  }
  return out;
}

function expectClose(got: Float32Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / (1 + Math.abs(w)))));
  // float32 results of float64 sums over up to 300 terms of magnitude ≤ 1
  expect(worst).toBeLessThan(1e-5);
}

describe('backward products', () => {
  const fill = filler(11);

  it('matmul: a·b over depth blocks and padded columns', () => {
    const [rows, depth, cols] = [37, 300, 11];
    const a = fill(rows * depth);
    const b = fill(depth * cols);
    const want = reference(rows, depth, cols, (r, k) => a[r * depth + k], b);
    expectClose(matmul(a, rows, depth, b, cols), want);
  });

  it('transposedProduct: sᵢᵀ·b for sources of odd widths, row blocks split at each source', () => {
    const depth = 300;
    const cols = 14;
    const widths = [3, 37, 70];
    const sources = widths.map((w) => ({ values: fill(depth * w), cols: w }));
    const b = fill(depth * cols);
    const got = transposedProduct(sources, depth, b, cols);
    expect(got.length).toBe(widths.length);
    sources.forEach((s, i) => {
      const want = reference(s.cols, depth, cols, (r, k) => s.values[k * s.cols + r], b);
      expectClose(got[i], want);
    });
  });

  it('packTransposedBlock: a gate block of Uᵀ for the per-step product', () => {
    const [units, gu, col0, n, batch, steps, t] = [7, 28, 14, 7, 3, 4, 2];
    const u = fill(units * gu);
    const dGates = fill(batch * steps * gu);
    const ut = packTransposedBlock(u, units, gu, col0, n);
    const ld = PANEL * ut.panels;
    const out = new Float32Array(batch * ld);
    const p = { batch, steps } as SequenceProblem;
    recurrentBackProduct(ut, dGates, col0, gu, p, t, new Float32Array(ld), out);
    // out[b, j] = Σ_k dGates[b·T + t, col0 + k] · U[j, col0 + k]
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < units; j++) {
        let want = 0;
        for (let k = 0; k < n; k++) {
          want += dGates[(b * steps + t) * gu + col0 + k] * u[j * gu + col0 + k];
        }
        expect(out[b * ld + j]).toBeCloseTo(want, 5);
      }
    }
  });
});

describe('recycled arrays', () => {
  it('hands back an array of the same length once, and zeros on request', () => {
    const a = new Float32Array(1234).fill(5);
    recycle(a, a);
    expect(recycledArray(1234)).toBe(a);
    expect(recycledArray(1234)).not.toBe(a); // taken once, though handed back twice
    recycle(a);
    const z = recycledZeros(1234);
    expect(z).toBe(a);
    expect(z.every((v) => v === 0)).toBe(true);
  });

  it('leaves views into larger buffers alone', () => {
    const whole = new Float32Array(2 * 777);
    recycle(whole.subarray(0, 777));
    expect(recycledArray(777).buffer).not.toBe(whole.buffer);
  });
});
