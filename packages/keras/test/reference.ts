/**
 * Expected values for model tests: the recurrent layers by the float64 Keras equations of
 * @rnnkit/conformance/naive (independent of the code under test), one sample at a time, and a
 * plain float64 Dense.
 */
import { naiveSequence, type NaiveFamily } from '@rnnkit/conformance/naive';

export type Mat = number[][];

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Row-major flat weights → matrix `[rows, cols]`. */
export function mat(data: ArrayLike<number>, rows: number, cols: number): Mat {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => data[r * cols + c]),
  );
}

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

/** A tanh / sigmoid recurrent layer of `family` with Keras weights, on one sample `xs [T][D]`. */
type Layer = (
  xs: number[][],
  W: Mat,
  U: Mat,
  b: number[],
  units: number,
  o?: RunOptions,
) => RunResult;

function layer(family: NaiveFamily): Layer {
  return (xs, W, U, b, units, o = {}) => {
    const r = naiveSequence({
      family,
      batch: 1,
      steps: xs.length,
      inputDim: W.length,
      units,
      x: xs.flat(),
      kernel: W.flat(),
      recurrentKernel: U.flat(),
      bias: b,
      initialH: o.initial?.[0],
      initialC: o.initial?.[1],
      mask: o.mask ?? undefined,
      resetAfter: family === 'gru' ? false : undefined,
      goBackwards: o.goBackwards,
      returnSequences: o.returnSequences,
      zeroOutputForMask: o.zeroOutputForMask,
    });
    const output = Array.from(r.output);
    return {
      output: o.returnSequences
        ? xs.map((_, t) => output.slice(t * units, (t + 1) * units))
        : output,
      states: r.c == null ? [Array.from(r.h)] : [Array.from(r.h), Array.from(r.c)],
    };
  };
}

/** Keras LSTM (gates i, f, c, o). */
export const lstm = layer('lstm');
/** Keras GRU with reset_after=False (gates z, r, h). */
export const gruResetBefore = layer('gru');
/** Keras SimpleRNN with tanh. */
export const simpleRnn = layer('simple');

/** Keras Dense on one vector. */
export function dense(
  x: number[],
  W: Mat,
  b: number[],
  activation: (v: number) => number = (v) => v,
): number[] {
  return b.map((bj, j) => activation(x.reduce((sum, xi, i) => sum + xi * W[i][j], bj)));
}
