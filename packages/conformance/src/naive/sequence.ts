/**
 * The Keras recurrent equations in plain float64, one batch row, one step and one unit at a time:
 * an oracle for the fused kernels, written from the Keras sources
 * (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py and the masking loop of the backends' `rnn()`),
 * independent of any rnnkit kernel.
 *
 * Masking as in Keras: a masked step keeps every state; its output is the previous step's output
 * (zeros before the first), or zeros with `zeroOutputForMask`. Without `returnSequences` the
 * result is the last processed step's output, so masked as well.
 */
import { FAMILIES, gateCount, type RecurrentFamily } from '@rnnkit/core/families';
import { naiveActivation } from './activations.js';

/** A recurrent family: SimpleRNN, LSTM (gates `i, f, c, o`) or GRU (gates `z, r, h`). */
export type NaiveFamily = 'simple' | 'lstm' | 'gru';

/**
 * One sequence problem in the kernel contract's layout, row-major and flat. B = batch, T = time,
 * D = input features, U = units, G = gates (1, 4, 3).
 */
export interface NaiveProblem {
  family: NaiveFamily;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  /** `[B, T, D]` in input time order. */
  x: ArrayLike<number>;
  /** `[D, G·U]`. */
  kernel: ArrayLike<number>;
  /** `[U, G·U]`. */
  recurrentKernel: ArrayLike<number>;
  /** `[G·U]`, or `[2, 3·U]` (input bias, then recurrent bias) for GRU with `resetAfter`. */
  bias: ArrayLike<number>;
  /** `[B, U]`; zeros when absent. */
  initialH?: ArrayLike<number>;
  /** `[B, U]`, LSTM; zeros when absent. */
  initialC?: ArrayLike<number>;
  /** `[B, T]` in input time order; a falsy entry (false, 0) masks the step. */
  mask?: ArrayLike<number | boolean>;
  /** `[B, U]`: multiplies `h` wherever the cell reads it (Keras 3's recurrent dropout). */
  recurrentMask?: ArrayLike<number>;
  /** Default `tanh`. */
  activation?: string;
  /** The gates' activation (LSTM, GRU); default `sigmoid`. */
  recurrentActivation?: string;
  /** GRU only, and required there: reset gate after (Keras 2.x+ default) or before the product. */
  resetAfter?: boolean;
  /** Read steps T−1 … 0. */
  goBackwards?: boolean;
  /** Return every step's output `[B, T, U]`, else the last one `[B, U]`. */
  returnSequences?: boolean;
  /** With `goBackwards`, write the output of the step that read input t at position t. */
  alignToInput?: boolean;
  /** A masked step outputs zeros instead of the previous output. */
  zeroOutputForMask?: boolean;
}

/** A problem's settings, all given (as a kernel call's attributes are). */
export type NaiveSettings = Required<
  Pick<
    NaiveProblem,
    | 'activation'
    | 'recurrentActivation'
    | 'resetAfter'
    | 'goBackwards'
    | 'returnSequences'
    | 'alignToInput'
    | 'zeroOutputForMask'
  >
>;

/** Keras's return values, flat: `output` `[B, T, U]` or `[B, U]`, the final `h` and (LSTM) `c`. */
export interface NaiveResult {
  output: Float64Array;
  h: Float64Array;
  /** LSTM only. */
  c?: Float64Array;
}

/** Each family's row of the family table: gate count and bias layout (the equations are below). */
const FAMILY: Record<NaiveFamily, RecurrentFamily> = {
  simple: FAMILIES.SimpleRNN,
  lstm: FAMILIES.LSTM,
  gru: FAMILIES.GRU,
};

function checkLength(name: string, a: ArrayLike<unknown> | undefined, n: number): void {
  if (a != null && a.length !== n) {
    throw new Error(`naiveSequence: ${name}: expected length ${n}, got ${a.length}`);
  }
}

function row(a: ArrayLike<number> | undefined, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (a != null) for (let i = 0; i < n; i++) out[i] = a[b * n + i];
  return out;
}

/** Runs the problem; returns Keras's `[output, h(, c)]` in float64. */
export function naiveSequence(p: NaiveProblem): NaiveResult {
  const { family, batch: B, steps: T, inputDim: D, units: U } = p;
  const GU = gateCount(FAMILY[family]) * U;
  const splitBias = FAMILY[family].bias === 'resetAfter';
  if (splitBias && typeof p.resetAfter !== 'boolean') {
    throw new Error(`naiveSequence: resetAfter: expected a boolean for GRU, got ${p.resetAfter}`);
  }
  const resetAfter = splitBias && p.resetAfter === true;
  checkLength('x', p.x, B * T * D);
  checkLength('kernel', p.kernel, D * GU);
  checkLength('recurrentKernel', p.recurrentKernel, U * GU);
  checkLength('bias', p.bias, resetAfter ? 2 * GU : GU);
  checkLength('initialH', p.initialH, B * U);
  checkLength('initialC', p.initialC, B * U);
  checkLength('mask', p.mask, B * T);
  checkLength('recurrentMask', p.recurrentMask, B * U);
  const act = naiveActivation(p.activation ?? 'tanh');
  const rec = naiveActivation(p.recurrentActivation ?? 'sigmoid');
  const bias = (j: number): number => p.bias[j];
  /** Recurrent bias (GRU with resetAfter), else 0. */
  const recBias = (j: number): number => (resetAfter ? p.bias[GU + j] : 0);
  /** `v · recurrentKernel[:, j]`. */
  const hr = (v: Float64Array, j: number): number => {
    let sum = 0;
    for (let k = 0; k < U; k++) sum += v[k] * p.recurrentKernel[k * GU + j];
    return sum;
  };

  const output = new Float64Array(p.returnSequences ? B * T * U : B * U);
  const hOut = new Float64Array(B * U);
  const cOut = new Float64Array(B * U);
  for (let b = 0; b < B; b++) {
    let h: Float64Array = row(p.initialH, b, U);
    let c: Float64Array = row(p.initialC, b, U);
    let prev: Float64Array = new Float64Array(U);
    const rm = p.recurrentMask == null ? null : row(p.recurrentMask, b, U);
    for (let s = 0; s < T; s++) {
      const t = p.goBackwards ? T - 1 - s : s;
      let out: Float64Array;
      if (p.mask == null || p.mask[b * T + t]) {
        // `x_t · kernel[:, j]`, bias excluded.
        const xw = (j: number): number => {
          let sum = 0;
          for (let d = 0; d < D; d++) sum += p.x[(b * T + t) * D + d] * p.kernel[d * GU + j];
          return sum;
        };
        const hIn = rm == null ? h : h.map((v, k) => v * rm[k]);
        const hNew = new Float64Array(U);
        const cNew = new Float64Array(U);
        if (family === 'simple') {
          for (let j = 0; j < U; j++) hNew[j] = act(xw(j) + bias(j) + hr(hIn, j));
        } else if (family === 'lstm') {
          const z = (g: number, j: number): number =>
            xw(g * U + j) + bias(g * U + j) + hr(hIn, g * U + j);
          for (let j = 0; j < U; j++) {
            cNew[j] = rec(z(1, j)) * c[j] + rec(z(0, j)) * act(z(2, j));
            hNew[j] = rec(z(3, j)) * act(cNew[j]);
          }
        } else {
          const zr = (g: number, j: number): number =>
            rec(xw(g * U + j) + bias(g * U + j) + hr(hIn, g * U + j) + recBias(g * U + j));
          const z = Float64Array.from({ length: U }, (_, j) => zr(0, j));
          const r = Float64Array.from({ length: U }, (_, j) => zr(1, j));
          // resetAfter: r scales the candidate's recurrent product (its bias included);
          // otherwise r scales h before the product.
          const rh = resetAfter ? null : hIn.map((v, k) => r[k] * v);
          for (let j = 0; j < U; j++) {
            const jh = 2 * U + j;
            const recurrent = rh == null ? r[j] * (hr(hIn, jh) + recBias(jh)) : hr(rh, jh);
            const candidate = act(xw(jh) + bias(jh) + recurrent);
            hNew[j] = z[j] * hIn[j] + (1 - z[j]) * candidate;
          }
        }
        h = hNew;
        if (family === 'lstm') c = cNew;
        out = hNew;
      } else {
        out = p.zeroOutputForMask ? new Float64Array(U) : prev;
      }
      prev = out;
      if (p.returnSequences) {
        const pos = p.goBackwards && p.alignToInput ? t : s;
        output.set(out, (b * T + pos) * U);
      }
    }
    if (!p.returnSequences) output.set(prev, b * U);
    hOut.set(h, b * U);
    cOut.set(c, b * U);
  }
  return family === 'lstm' ? { output, h: hOut, c: cOut } : { output, h: hOut };
}
