/** The shared numeric pieces: the rational tanh/sigmoid and the register-blocked GEMM. */
import { describe, expect, it } from 'vitest';
import { fastSigmoid, fastTanh } from '../src/kernels/shared/activations.js';
import { gemmNT, transpose } from '../src/kernels/shared/gemm.js';
import { rng } from './helpers.js';

describe('fastTanh / fastSigmoid', () => {
  it('stay within 3e-8 of Math.tanh and the exact logistic on [-30, 30]', () => {
    let tanhErr = 0;
    let sigErr = 0;
    for (let i = -300_000; i <= 300_000; i++) {
      const x = i / 10_000;
      tanhErr = Math.max(tanhErr, Math.abs(fastTanh(x) - Math.tanh(x)));
      sigErr = Math.max(sigErr, Math.abs(fastSigmoid(x) - 1 / (1 + Math.exp(-x))));
    }
    expect(tanhErr).toBeLessThan(3e-8);
    expect(sigErr).toBeLessThan(3e-8);
  });

  it('saturate at ±Infinity and propagate NaN', () => {
    expect(fastTanh(Infinity)).toBeCloseTo(1, 7);
    expect(fastTanh(-Infinity)).toBeCloseTo(-1, 7);
    expect(fastSigmoid(-Infinity)).toBeCloseTo(0, 7);
    expect(fastTanh(NaN)).toBeNaN();
    expect(fastSigmoid(NaN)).toBeNaN();
    expect(fastTanh(0)).toBe(0);
  });
});

describe('gemmNT', () => {
  it('matches a float64 triple loop with offsets, strides and a broadcast init row', () => {
    const rand = rng(3);
    const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * rand() - 1);
    for (const [rows, cols, depth] of [
      [1, 1, 1],
      [1, 13, 5],
      [4, 4, 8],
      [7, 9, 3],
      [9, 17, 11],
    ]) {
      const lda = depth + 2;
      const ldc = cols + 3;
      const a = fill(3 + rows * lda);
      const b = fill(cols * depth); // [depth, cols] row-major, as a Keras kernel
      const bt = new Float32Array(1 + cols * depth);
      bt.set(transpose(b, 0, depth, cols), 1);
      const bias = fill(2 + cols);
      const c = new Float32Array(5 + rows * ldc);
      gemmNT(rows, cols, depth, a, 3, lda, bt, 1, bias, 2, 0, c, 5, ldc);
      for (let m = 0; m < rows; m++) {
        for (let n = 0; n < cols; n++) {
          let want = bias[2 + n];
          for (let k = 0; k < depth; k++) want += a[3 + m * lda + k] * b[k * cols + n];
          expect(Math.abs(c[5 + m * ldc + n] - want)).toBeLessThan(1e-6);
        }
      }
    }
  });
});
