/**
 * Activations applied in place over a slice of a Float32Array. One tight loop per activation,
 * chosen once per slice, keeps every loop body monomorphic; the common gates have inline fast
 * paths, the rare ones go through the scalar functions of @rnnkit/core.
 */
import { scalarActivation, type KernelActivation } from '@rnnkit/core';

/**
 * Inputs are clamped here: the rational below stays within 1e-8 of tanh up to 9, and
 * `1 − tanh(9)` is 3e-8, so clamping keeps the error below 3e-8 for every input. (Eigen clamps
 * at 7.9, which suits float32 evaluation but leaves a 2.6e-7 error in float64.)
 */
export const TANH_CLAMP = 9;

/** Squared inputs up to this bound need no clamping before {@link tanhOfSquared}. */
export const TANH_CLAMP_SQUARED = TANH_CLAMP * TANH_CLAMP;

/**
 * tanh as a [13/6] rational approximation (the coefficients of Eigen's float kernel). Evaluated
 * in float64 its absolute error is below 3e-8 everywhere; about 3× faster than `Math.tanh` in V8.
 * NaN propagates; ±Infinity clamps to ±1.
 */
export function fastTanh(x: number): number {
  const c = clampTanhInput(x);
  return tanhOfSquared(c, c * c);
}

/** `x` clamped to ±{@link TANH_CLAMP}, the range of the rational below (NaN stays NaN). */
export function clampTanhInput(x: number): number {
  return x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
}

/**
 * The rational of {@link fastTanh} at `x`, given `x2 = x·x`, without the clamp: exact to the
 * bit of `fastTanh(x)` while `x2 ≤ TANH_CLAMP_SQUARED`, and meaningless beyond. Callers that
 * know their inputs are in range skip the clamp's compares, which sit on the latency chain.
 */
export function tanhOfSquared(x: number, x2: number): number {
  return tanhNumerator(x, x2) / tanhDenominator(x2);
}

/**
 * The numerator `p(x)` of the rational, given `x2 = x·x`. Callers that combine several
 * activations into one fraction (see the LSTM kernel) divide once for all of them.
 *
 * The polynomials are evaluated by Estrin's scheme rather than Horner's: the same operations in
 * a shallower dependency tree, which halves the latency the gate loops wait on.
 */
export function tanhNumerator(x: number, x2: number): number {
  const x4 = x2 * x2;
  const x8 = x4 * x4;
  const p01 = 4.89352455891786e-3 + 6.37261928875436e-4 * x2;
  const p23 = 1.48572235717979e-5 + 5.12229709037114e-8 * x2;
  const p45 = -8.60467152213735e-11 + 2.00018790482477e-13 * x2;
  const p6 = -2.76076847742355e-16;
  return (p01 + p23 * x4 + (p45 + p6 * x4) * x8) * x;
}

/** The denominator `q(x)` of the rational, given `x2 = x·x`: positive (≥ 4.8e-3) everywhere. */
export function tanhDenominator(x2: number): number {
  const q01 = 4.89352518554385e-3 + 2.268434632439e-3 * x2;
  const q23 = 1.18534705686654e-4 + 1.19825839466702e-6 * x2;
  return q01 + q23 * (x2 * x2);
}

/** Logistic sigmoid through {@link fastTanh}: `σ(x) = ½ + ½·tanh(x/2)`, absolute error < 2e-8. */
export function fastSigmoid(x: number): number {
  return 0.5 + 0.5 * fastTanh(0.5 * x);
}

/** Applies `name` to `buf[off .. off + len)` in place. */
export function activateInPlace(
  name: KernelActivation,
  buf: Float32Array,
  off: number,
  len: number,
): void {
  const end = off + len;
  switch (name) {
    case 'linear':
      return;
    case 'tanh':
      for (let i = off; i < end; i++) buf[i] = fastTanh(buf[i]);
      return;
    case 'sigmoid':
      for (let i = off; i < end; i++) buf[i] = fastSigmoid(buf[i]);
      return;
    case 'hard_sigmoid':
      for (let i = off; i < end; i++) {
        const v = buf[i] / 6 + 0.5;
        buf[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      return;
    case 'hard_sigmoid_keras2':
      for (let i = off; i < end; i++) {
        const v = 0.2 * buf[i] + 0.5;
        buf[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      return;
    case 'relu':
      for (let i = off; i < end; i++) {
        const v = buf[i];
        buf[i] = v > 0 ? v : 0;
      }
      return;
    default: {
      const fn = scalarActivation(name);
      for (let i = off; i < end; i++) buf[i] = fn(buf[i]);
    }
  }
}
