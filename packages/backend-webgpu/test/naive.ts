/**
 * The Keras recurrent equations in plain float64 JavaScript, written straight from the Keras
 * sources (keras/src/layers/rnn/{lstm,gru,simple_rnn}.py and the masking loop of
 * keras/src/backend/tensorflow/rnn.py), as the independent oracle for the GPU kernels.
 */

export type NaiveFamily = 'lstm' | 'gru' | 'simple';

/** Keras activations in float64. */
export const NAIVE_ACTIVATIONS: Record<string, (x: number) => number> = {
  linear: (x) => x,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  hard_sigmoid_keras2: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1)),
  softplus: (x) => Math.log(1 + Math.exp(x)),
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  swish: (x) => x / (1 + Math.exp(-x)),
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  gelu: (x) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  mish: (x) => x * Math.tanh(Math.log(1 + Math.exp(x))),
  log_sigmoid: (x) => -Math.log(1 + Math.exp(-x)),
};

/** erf by its Maclaurin series (exact to float64 rounding for |x| < 3; ±1 beyond 6). */
function erfSeries(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export interface NaiveCase {
  family: NaiveFamily;
  units: number;
  /** `[B][T][D]` */
  x: number[][][];
  /** `[D][G·U]` */
  kernel: number[][];
  /** `[U][G·U]` */
  recurrentKernel: number[][];
  /** `[G·U]`, or `[2][3·U]` for GRU with resetAfter. */
  bias: number[] | number[][];
  initialH: number[][];
  initialC?: number[][];
  /** `[B][T]`, true = keep. */
  mask?: boolean[][];
  recurrentMask?: number[][];
  activation: string;
  recurrentActivation: string;
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

export interface NaiveResult {
  /** `[B][T][U]` or `[B][U]` */
  output: number[][][] | number[][];
  h: number[][];
  c?: number[][];
}

function dot(v: number[], m: number[][], col: number): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * m[k][col];
  return s;
}

/** One batch row, one step: returns `[h, c]` (c unused outside LSTM). */
function cell(
  cs: NaiveCase,
  xt: number[],
  hPrev: number[],
  cPrev: number[],
  rm: number[] | undefined,
): [number[], number[]] {
  const U = cs.units;
  const act = NAIVE_ACTIVATIONS[cs.activation];
  const ract = NAIVE_ACTIVATIONS[cs.recurrentActivation];
  // Keras 3: h_tm1 = h_tm1 * rec_dp_mask before everything the cell does with it.
  const hm = rm == null ? hPrev : hPrev.map((v, i) => v * rm[i]);
  const h: number[] = new Array(U);
  const c: number[] = new Array(U);
  if (cs.family === 'simple') {
    const b = cs.bias as number[];
    for (let j = 0; j < U; j++)
      h[j] = act(dot(xt, cs.kernel, j) + b[j] + dot(hm, cs.recurrentKernel, j));
    return [h, c];
  }
  if (cs.family === 'lstm') {
    const b = cs.bias as number[];
    for (let j = 0; j < U; j++) {
      const z = [0, 1, 2, 3].map(
        (g) =>
          dot(xt, cs.kernel, g * U + j) + b[g * U + j] + dot(hm, cs.recurrentKernel, g * U + j),
      );
      c[j] = ract(z[1]) * cPrev[j] + ract(z[0]) * act(z[2]);
      h[j] = ract(z[3]) * act(c[j]);
    }
    return [h, c];
  }
  if (cs.resetAfter) {
    const [bi, br] = cs.bias as number[][];
    for (let j = 0; j < U; j++) {
      const xz = dot(xt, cs.kernel, j) + bi[j];
      const xr = dot(xt, cs.kernel, U + j) + bi[U + j];
      const xh = dot(xt, cs.kernel, 2 * U + j) + bi[2 * U + j];
      const rz = dot(hm, cs.recurrentKernel, j) + br[j];
      const rr = dot(hm, cs.recurrentKernel, U + j) + br[U + j];
      const rh = dot(hm, cs.recurrentKernel, 2 * U + j) + br[2 * U + j];
      const z = ract(xz + rz);
      const r = ract(xr + rr);
      const hh = act(xh + r * rh);
      h[j] = z * hm[j] + (1 - z) * hh;
    }
    return [h, c];
  }
  const b = cs.bias as number[];
  const z: number[] = [];
  const rh: number[] = [];
  for (let j = 0; j < U; j++) {
    z[j] = ract(dot(xt, cs.kernel, j) + b[j] + dot(hm, cs.recurrentKernel, j));
    const r = ract(dot(xt, cs.kernel, U + j) + b[U + j] + dot(hm, cs.recurrentKernel, U + j));
    rh[j] = r * hm[j];
  }
  for (let j = 0; j < U; j++) {
    const hh = act(
      dot(xt, cs.kernel, 2 * U + j) + b[2 * U + j] + dot(rh, cs.recurrentKernel, 2 * U + j),
    );
    h[j] = z[j] * hm[j] + (1 - z[j]) * hh;
  }
  return [h, c];
}

/** Runs the case over every batch row with Keras's masking rules. */
export function naiveSequence(cs: NaiveCase): NaiveResult {
  const B = cs.x.length;
  const T = B > 0 ? cs.x[0].length : 0;
  const U = cs.units;
  const outputs: number[][][] = [];
  const hs: number[][] = [];
  const cs2: number[][] = [];
  const lasts: number[][] = [];
  for (let b = 0; b < B; b++) {
    let h = cs.initialH[b].slice();
    let c = cs.initialC?.[b].slice() ?? new Array<number>(U).fill(0);
    let prev = new Array<number>(U).fill(0);
    const seq: number[][] = [];
    for (let s = 0; s < T; s++) {
      const t = cs.goBackwards ? T - 1 - s : s;
      const keep = cs.mask == null || cs.mask[b][t];
      let out: number[];
      if (keep) {
        const [hn, cn] = cell(cs, cs.x[b][t], h, c, cs.recurrentMask?.[b]);
        h = hn;
        c = cn;
        out = hn;
      } else {
        out = cs.zeroOutputForMask ? new Array<number>(U).fill(0) : prev;
      }
      prev = out;
      seq.push(out);
    }
    if (cs.goBackwards && cs.alignToInput) seq.reverse();
    outputs.push(seq);
    lasts.push(prev);
    hs.push(h);
    cs2.push(c);
  }
  return {
    output: cs.returnSequences ? outputs : lasts,
    h: hs,
    c: cs.family === 'lstm' ? cs2 : undefined,
  };
}
