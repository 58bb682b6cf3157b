/** The rational tanh/sigmoid (the packed GEMM and its weight cache: gemm.test.ts). */
import { describe, expect, it } from 'vitest';
import { fastSigmoid, fastTanh } from '../src/kernels/shared/activations.js';

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
