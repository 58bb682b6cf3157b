/**
 * A naive float64 implementation of the Keras equations (one sample at a time, plain loops),
 * written independently of the code under test, for expected values.
 */

export type Mat = number[][];

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Row-major flat weights → matrix `[rows, cols]`. */
export function mat(data: ArrayLike<number>, rows: number, cols: number): Mat {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => data[r * cols + c]),
  );
}

/** `x · W` for a vector `x`. */
export function vecMat(x: number[], w: Mat): number[] {
  const out = new Array<number>(w[0].length).fill(0);
  x.forEach((xi, i) => w[i].forEach((wij, j) => (out[j] += xi * wij)));
  return out;
}

const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);
const slice = (v: number[], k: number, u: number) => v.slice(k * u, (k + 1) * u);

/** How a recurrent layer runs over one sample. */
export interface RunOptions {
  returnSequences?: boolean;
  /** Per step: false skips the step (states carried, previous output repeated). */
  mask?: boolean[] | null;
  /** Initial states (Keras order); zeros when absent. */
  initial?: number[][];
  /** Masked steps output zeros (Bidirectional with return_sequences forces this). */
  zeroOutputForMask?: boolean;
  /** Read the steps last to first; outputs stay in processing order. */
  goBackwards?: boolean;
}

/** The result: the output (last or every step) and the final states. */
export interface RunResult {
  output: number[] | number[][];
  states: number[][];
}

function run(
  xs: number[][],
  units: number,
  stateCount: number,
  step: (x: number[], states: number[][]) => number[][],
  o: RunOptions,
): RunResult {
  let states =
    o.initial?.map((s) => [...s]) ??
    Array.from({ length: stateCount }, () => new Array<number>(units).fill(0));
  const zeros = new Array<number>(units).fill(0);
  let output = zeros;
  const outputs: number[][] = [];
  const order = xs.map((_, t) => t);
  if (o.goBackwards) order.reverse();
  for (const t of order) {
    if (o.mask == null || o.mask[t]) {
      states = step(xs[t], states);
      output = states[0];
      outputs.push(output);
    } else outputs.push(o.zeroOutputForMask ? zeros : output);
  }
  return { output: o.returnSequences ? outputs : output, states };
}

/** Keras LSTM (gates i, f, c, o). */
export function lstm(
  xs: number[][],
  W: Mat,
  U: Mat,
  b: number[],
  units: number,
  o: RunOptions = {},
  recAct = sigmoid,
): RunResult {
  return run(
    xs,
    units,
    2,
    (x, [h, c]) => {
      const z = add(add(vecMat(x, W), vecMat(h, U)), b);
      const i = slice(z, 0, units).map(recAct);
      const f = slice(z, 1, units).map(recAct);
      const g = slice(z, 2, units).map(Math.tanh);
      const og = slice(z, 3, units).map(recAct);
      const c2 = c.map((cv, k) => f[k] * cv + i[k] * g[k]);
      return [c2.map((cv, k) => og[k] * Math.tanh(cv)), c2];
    },
    o,
  );
}

/** Keras GRU with reset_after=False (gates z, r, h). */
export function gruResetBefore(
  xs: number[][],
  W: Mat,
  U: Mat,
  b: number[],
  units: number,
  o: RunOptions = {},
): RunResult {
  const Uzr = U.map((row) => row.slice(0, 2 * units));
  const Uh = U.map((row) => row.slice(2 * units));
  return run(
    xs,
    units,
    1,
    (x, [h]) => {
      const xw = add(vecMat(x, W), b);
      const hu = vecMat(h, Uzr);
      const z = slice(xw, 0, units).map((v, k) => sigmoid(v + hu[k]));
      const r = slice(xw, 1, units).map((v, k) => sigmoid(v + hu[units + k]));
      const rh = h.map((v, k) => r[k] * v);
      const cand = add(slice(xw, 2, units), vecMat(rh, Uh)).map(Math.tanh);
      return [h.map((v, k) => z[k] * v + (1 - z[k]) * cand[k])];
    },
    o,
  );
}

/** Keras SimpleRNN with tanh. */
export function simpleRnn(
  xs: number[][],
  W: Mat,
  U: Mat,
  b: number[],
  units: number,
  o: RunOptions = {},
): RunResult {
  return run(xs, units, 1, (x, [h]) => [add(add(vecMat(x, W), vecMat(h, U)), b).map(Math.tanh)], o);
}

/** Keras Dense on one vector. */
export function dense(
  x: number[],
  W: Mat,
  b: number[],
  activation: (v: number) => number = (v) => v,
): number[] {
  return add(vecMat(x, W), b).map(activation);
}
