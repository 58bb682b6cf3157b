/**
 * A deliberately plain float64 implementation of the Keras recurrent equations, written
 * independently of the kernels: one row, one step, one unit at a time, with Keras's own
 * masking rule (keep the states, output the previous output or zeros).
 */

export type Family = 'simple' | 'lstm' | 'gru';

export interface NaiveProblem {
  family: Family;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  x: Float32Array; // [B, T, D]
  kernel: Float32Array; // [D, G·U]
  recurrentKernel: Float32Array; // [U, G·U]
  bias: Float32Array; // [G·U], or [2, 3U] for GRU resetAfter
  initialH: Float32Array; // [B, U]
  initialC?: Float32Array; // [B, U]
  mask?: Uint8Array; // [B, T]
  recurrentMask?: Float32Array; // [B, U]
  activation: string;
  recurrentActivation: string;
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

export interface NaiveResult {
  output: number[]; // flattened [B, T, U] or [B, U]
  h: number[];
  c: number[];
}

/** erf to ~1e-14: Taylor series near 0, a continued fraction for erfc in the tails. */
function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax <= 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
    let f = ax;
    for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

const softplus = (x: number): number => Math.log(1 + Math.exp(x));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Keras activation definitions (Keras 3; `hard_sigmoid_keras2` is the Keras 2 one). */
export const NAIVE_ACTIVATIONS: Record<string, (x: number) => number> = {
  linear: (x) => x,
  tanh: (x) => Math.tanh(x),
  sigmoid,
  hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  hard_sigmoid_keras2: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: (x) => Math.exp(x),
  swish: (x) => x * sigmoid(x),
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  mish: (x) => x * Math.tanh(softplus(x)),
  log_sigmoid: (x) => -softplus(-x),
};

/** Runs the problem; returns Keras's `[output, h, c]` as flat float64 arrays. */
export function naiveSequence(p: NaiveProblem): NaiveResult {
  const { batch: B, steps: T, inputDim: D, units: U } = p;
  const G = p.family === 'lstm' ? 4 : p.family === 'gru' ? 3 : 1;
  const act = NAIVE_ACTIVATIONS[p.activation];
  const rec = NAIVE_ACTIVATIONS[p.recurrentActivation];
  const W = (d: number, j: number): number => p.kernel[d * G * U + j];
  const R = (k: number, j: number): number => p.recurrentKernel[k * G * U + j];
  const seqOut: number[] = new Array(B * T * U).fill(0);
  const lastOut: number[] = new Array(B * U).fill(0);
  const hOut: number[] = [];
  const cOut: number[] = [];

  for (let b = 0; b < B; b++) {
    let h = Array.from(p.initialH.subarray(b * U, (b + 1) * U));
    let c = p.initialC ? Array.from(p.initialC.subarray(b * U, (b + 1) * U)) : [];
    let prevOut: number[] = new Array(U).fill(0);
    const rm = p.recurrentMask ? Array.from(p.recurrentMask.subarray(b * U, (b + 1) * U)) : null;
    for (let s = 0; s < T; s++) {
      const t = p.goBackwards ? T - 1 - s : s;
      const xt = Array.from(p.x.subarray((b * T + t) * D, (b * T + t + 1) * D));
      const hIn = rm ? h.map((v, k) => v * rm[k]) : h.slice();
      // x·W (without bias) and hIn·R for every gate column.
      const xw = (j: number): number => {
        let sum = 0;
        for (let d = 0; d < D; d++) sum += xt[d] * W(d, j);
        return sum;
      };
      const hr = (vec: number[], j: number): number => {
        let sum = 0;
        for (let k = 0; k < U; k++) sum += vec[k] * R(k, j);
        return sum;
      };
      let hNew: number[];
      let cNew: number[] = c;
      if (p.family === 'simple') {
        hNew = [];
        for (let j = 0; j < U; j++) hNew.push(act(xw(j) + p.bias[j] + hr(hIn, j)));
      } else if (p.family === 'lstm') {
        hNew = [];
        cNew = [];
        for (let j = 0; j < U; j++) {
          const pre = (g: number): number => xw(g * U + j) + p.bias[g * U + j] + hr(hIn, g * U + j);
          const i = rec(pre(0));
          const f = rec(pre(1));
          const cc = f * c[j] + i * act(pre(2));
          cNew.push(cc);
          hNew.push(rec(pre(3)) * act(cc));
        }
      } else if (p.resetAfter) {
        hNew = [];
        for (let j = 0; j < U; j++) {
          const bi = (g: number): number => p.bias[g * U + j];
          const br = (g: number): number => p.bias[3 * U + g * U + j];
          const z = rec(xw(j) + bi(0) + hr(hIn, j) + br(0));
          const r = rec(xw(U + j) + bi(1) + hr(hIn, U + j) + br(1));
          const cand = act(xw(2 * U + j) + bi(2) + r * (hr(hIn, 2 * U + j) + br(2)));
          hNew.push(z * hIn[j] + (1 - z) * cand);
        }
      } else {
        const z: number[] = [];
        const rh: number[] = [];
        for (let j = 0; j < U; j++) {
          z.push(rec(xw(j) + p.bias[j] + hr(hIn, j)));
          const r = rec(xw(U + j) + p.bias[U + j] + hr(hIn, U + j));
          rh.push(r * hIn[j]);
        }
        hNew = [];
        for (let j = 0; j < U; j++) {
          const cand = act(xw(2 * U + j) + p.bias[2 * U + j] + hr(rh, 2 * U + j));
          hNew.push(z[j] * hIn[j] + (1 - z[j]) * cand);
        }
      }
      let out: number[];
      if (p.mask && p.mask[b * T + t] === 0) {
        out = p.zeroOutputForMask ? new Array(U).fill(0) : prevOut;
      } else {
        h = hNew;
        c = cNew;
        out = hNew;
      }
      prevOut = out;
      const pos = p.goBackwards && p.alignToInput ? t : s;
      for (let j = 0; j < U; j++) seqOut[(b * T + pos) * U + j] = out[j];
    }
    for (let j = 0; j < U; j++) lastOut[b * U + j] = prevOut[j];
    hOut.push(...h);
    cOut.push(...c);
  }
  return { output: p.returnSequences ? seqOut : lastOut, h: hOut, c: cOut };
}
