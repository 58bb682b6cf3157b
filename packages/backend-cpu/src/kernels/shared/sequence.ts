/**
 * The time loop shared by the sequence kernels: step order, Keras masking and output writes.
 * A kernel supplies only the cell step, which updates the states in place for the rows whose
 * step is taken; masked rows keep their states untouched (select, never multiply, so a NaN at
 * a masked step cannot leak).
 */
import type { KernelActivation, SequenceKernelAttrs } from '@rnnkit/core';
import { PANEL } from './gemm.js';
import type { SequenceProblem } from './inputs.js';
import { multiply, packLeft, type PackedWeights } from './weights.js';

/**
 * One cell step at input time `t`: read the states in `problem.h` (and `problem.c`) and update
 * them in place for every row `b` with `active[b] === 1`.
 */
export type CellStep = (t: number, active: Uint8Array) => void;

/**
 * What a family's cell step works on: the projected inputs `xw` (`[B·T, ld]`, bias included, in
 * the padded column layout of `recurrent`), the packed recurrent kernel, and the states `h`
 * (and `c`) it updates in place.
 */
export interface CellContext {
  batch: number;
  steps: number;
  units: number;
  recurrent: PackedWeights;
  xw: Float32Array;
  h: Float32Array;
  c: Float32Array | null;
  recurrentMask: Float32Array | null;
  activation: KernelActivation;
  recurrentActivation: KernelActivation | null;
}

/** Rows of `x` packed at a time for the input projection: 64 rows of `D` values stay in L2. */
const PROJECTION_ROWS = 64;

/**
 * Projections up to this many values (4 MiB) reuse one buffer across calls: a fresh
 * allocation of that size costs page faults and garbage collection on every call (about 1% of
 * an LSTM with 128 units over 100 steps at batch 1).
 */
const SCRATCH_REUSE_LIMIT = 1 << 20;
let scratch = new Float32Array(0);

/**
 * A buffer of `length` values with unspecified contents, valid until the next call: the one
 * kept for reuse when it is small enough, else a new one.
 */
function projectionScratch(length: number): Float32Array {
  if (length > SCRATCH_REUSE_LIMIT) return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch.length === length ? scratch : scratch.subarray(0, length);
}

/**
 * The input projection for every step at once: `x·kernel + bias` as `[B·T, 3·kernel.panels]`
 * (the padded column layout of `kernel`), where `bias` is one row in that layout. The result
 * is scratch: it is valid until the next kernel call.
 */
export function projectInputs(
  p: SequenceProblem,
  kernel: PackedWeights,
  bias: Float32Array,
): Float32Array {
  const rows = p.batch * p.steps;
  const d = p.inputDim;
  const ld = PANEL * kernel.panels;
  const xw = projectionScratch(rows * ld);
  for (let r0 = 0; r0 < rows; r0 += PROJECTION_ROWS) {
    const n = Math.min(PROJECTION_ROWS, rows - r0);
    packLeft(kernel, p.x, r0 * d, d, n, null);
    multiply(n, kernel, 0, kernel.panels, bias, 0, 0, xw, r0 * ld, ld);
  }
  return xw;
}

/**
 * `h` as it enters the recurrent product: `problem.h` itself, or `h ⊙ recurrentMask` written
 * into `scratch` when a recurrent mask is given.
 */
export function recurrentInput(
  p: Pick<SequenceProblem, 'h' | 'recurrentMask'>,
  scratch: Float32Array | null,
): Float32Array {
  const rm = p.recurrentMask;
  if (rm == null || scratch == null) return p.h;
  const h = p.h;
  for (let i = 0; i < h.length; i++) scratch[i] = h[i] * rm[i];
  return scratch;
}

/**
 * Runs `step` over time in processing order and returns the output values: `[B, T, U]` when
 * `returnSequences`, else `[B, U]` (the last processed step's output).
 *
 * Every cell's output equals its new `h`, so the output of a row is either `h` or zeros: zeros
 * before its first taken step, and at masked steps under `zeroOutputForMask`.
 */
export function runTimeLoop(
  p: SequenceProblem,
  attrs: SequenceKernelAttrs,
  step: CellStep,
): Float32Array {
  const { batch, steps, units, mask, h } = p;
  const { goBackwards, returnSequences, alignToInput, zeroOutputForMask } = attrs;
  const output = new Float32Array(returnSequences ? batch * steps * units : batch * units);
  const active = new Uint8Array(batch).fill(1);
  // 1 while a row's current output is zeros rather than its `h`.
  const outputIsZero = new Uint8Array(batch).fill(1);
  for (let s = 0; s < steps; s++) {
    const t = goBackwards ? steps - 1 - s : s;
    let anyActive = mask == null;
    if (mask != null) {
      for (let b = 0; b < batch; b++) {
        const on = mask[b * steps + t] !== 0 ? 1 : 0;
        active[b] = on;
        if (on === 1) anyActive = true;
      }
    }
    if (anyActive) step(t, active);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 1) outputIsZero[b] = 0;
      else if (zeroOutputForMask) outputIsZero[b] = 1;
    }
    if (returnSequences) {
      const pos = goBackwards && alignToInput ? t : s;
      for (let b = 0; b < batch; b++) {
        if (outputIsZero[b] === 1) continue; // the buffer starts zeroed
        copyRow(h, b * units, output, (b * steps + pos) * units, units);
      }
    }
  }
  if (!returnSequences) {
    for (let b = 0; b < batch; b++) {
      if (outputIsZero[b] === 0) copyRow(h, b * units, output, b * units, units);
    }
  }
  return output;
}

function copyRow(src: Float32Array, from: number, dst: Float32Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}
