/**
 * A naive float64 implementation of the Keras recurrent equations, written for the tests and
 * independent of the package's code: plain loops over plain arrays, no packing, no SIMD.
 *
 * Masking follows Keras's backend `rnn()`: a masked step keeps every state; its output is the
 * previous step's output, or zeros with `zeroOutputForMask`; the previous output starts at
 * zeros. `returnSequences: false` returns the last step's (masked) output.
 */

export type Family = 'simple' | 'lstm' | 'gru';

export interface F64Problem {
  family: Family;
  resetAfter?: boolean;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  x: Float64Array; // [B, T, D]
  kernel: Float64Array; // [D, G·U]
  recurrentKernel: Float64Array; // [U, G·U]
  bias: Float64Array; // [G·U], or [2, 3U] for GRU resetAfter
  h0: Float64Array; // [B, U]
  c0?: Float64Array; // [B, U]
  mask?: boolean[]; // [B, T]
  recurrentMask?: Float64Array; // [B, U]
  activation: string;
  recurrentActivation?: string;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

/** erf by its Taylor series (|x| < 6), exact to double rounding for the sizes used here. */
function erf(x: number): number {
  if (Math.abs(x) >= 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Keras activations in float64 (Keras 3 definitions; `hard_sigmoid_keras2` is Keras 2's). */
export const ACTIVATIONS: Record<string, (x: number) => number> = {
  linear: (x) => x,
  tanh: Math.tanh,
  sigmoid,
  hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  hard_sigmoid_keras2: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  swish: (x) => x * sigmoid(x),
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  mish: (x) => x * Math.tanh(softplus(x)),
  log_sigmoid: (x) => -softplus(-x),
};

/** Runs the problem; returns `[output, h]` or `[output, h, c]` as flat float64 arrays. */
export function runF64(p: F64Problem): Float64Array[] {
  const { batch: B, steps: T, inputDim: D, units: U } = p;
  const G = p.family === 'lstm' ? 4 : p.family === 'gru' ? 3 : 1;
  const act = ACTIVATIONS[p.activation];
  const ract = ACTIVATIONS[p.recurrentActivation ?? 'sigmoid'];
  const h = Float64Array.from(p.h0);
  const c = p.c0 == null ? new Float64Array(B * U) : Float64Array.from(p.c0);
  const prevOut = new Float64Array(B * U);
  const out = new Float64Array(B * T * U);
  const K = (d: number, j: number): number => p.kernel[d * G * U + j];
  const R = (i: number, j: number): number => p.recurrentKernel[i * G * U + j];
  for (let s = 0; s < T; s++) {
    const t = p.goBackwards ? T - 1 - s : s;
    const pos = p.goBackwards && p.alignToInput ? t : s;
    for (let b = 0; b < B; b++) {
      const keep = p.mask == null || p.mask[b * T + t];
      const hin = new Float64Array(U); // h as it enters the recurrent product
      for (let i = 0; i < U; i++) {
        hin[i] = h[b * U + i] * (p.recurrentMask == null ? 1 : p.recurrentMask[b * U + i]);
      }
      const xw = new Float64Array(G * U);
      for (let j = 0; j < G * U; j++) {
        let sum = p.bias[j];
        for (let d = 0; d < D; d++) sum += p.x[(b * T + t) * D + d] * K(d, j);
        xw[j] = sum;
      }
      const hw = (j: number, v: Float64Array): number => {
        let sum = 0;
        for (let i = 0; i < U; i++) sum += v[i] * R(i, j);
        return sum;
      };
      const hNew = new Float64Array(U);
      const cNew = new Float64Array(U);
      if (p.family === 'simple') {
        for (let u = 0; u < U; u++) hNew[u] = act(xw[u] + hw(u, hin));
      } else if (p.family === 'lstm') {
        for (let u = 0; u < U; u++) {
          const i = ract(xw[u] + hw(u, hin));
          const f = ract(xw[U + u] + hw(U + u, hin));
          const g = act(xw[2 * U + u] + hw(2 * U + u, hin));
          const o = ract(xw[3 * U + u] + hw(3 * U + u, hin));
          cNew[u] = f * c[b * U + u] + i * g;
          hNew[u] = o * act(cNew[u]);
        }
      } else if (p.resetAfter) {
        for (let u = 0; u < U; u++) {
          const rb = (j: number): number => p.bias[3 * U + j];
          // bias row 0 is already in xw (p.bias[j] for j < 3U)
          const z = ract(xw[u] + hw(u, hin) + rb(u));
          const r = ract(xw[U + u] + hw(U + u, hin) + rb(U + u));
          const hh = act(xw[2 * U + u] + r * (hw(2 * U + u, hin) + rb(2 * U + u)));
          hNew[u] = z * hin[u] + (1 - z) * hh;
        }
      } else {
        const z = new Float64Array(U);
        const rh = new Float64Array(U);
        for (let u = 0; u < U; u++) {
          z[u] = ract(xw[u] + hw(u, hin));
          rh[u] = ract(xw[U + u] + hw(U + u, hin)) * hin[u];
        }
        for (let u = 0; u < U; u++) {
          const hh = act(xw[2 * U + u] + hw(2 * U + u, rh));
          hNew[u] = z[u] * hin[u] + (1 - z[u]) * hh;
        }
      }
      for (let u = 0; u < U; u++) {
        let o: number;
        if (keep) {
          h[b * U + u] = hNew[u];
          if (p.family === 'lstm') c[b * U + u] = cNew[u];
          o = hNew[u];
        } else {
          o = p.zeroOutputForMask ? 0 : prevOut[b * U + u];
        }
        prevOut[b * U + u] = o;
        out[(b * T + pos) * U + u] = o;
      }
    }
  }
  const output = p.returnSequences ? out : prevOut;
  return p.family === 'lstm' ? [output, h, c] : [output, h];
}
