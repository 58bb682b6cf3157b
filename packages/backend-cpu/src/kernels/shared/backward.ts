/**
 * What the backward kernels (`<kernel>Grad`) share: reading the output gradients, the reverse
 * time loop (Keras masking and output positions, mirrored from `./sequence.ts`), and the products
 * hoisted out of it, each one GEMM over all `B·T` rows:
 *
 *   dW = xᵀ·dGates,  dx = dGates·Wᵀ,  dU = h_inᵀ·dGates,  db = Σ dGates
 *
 * Per-step buffers are indexed by input time, row `b·T + t`, as `x` is; rows of steps a mask
 * skipped stay zero, so the hoisted products need no mask.
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { checkSequenceGradients, type CheckedSequenceAttrs } from '@rnnkit/core';
import type { SequenceKernelName } from '@rnnkit/core';
import { ensureLength, newDoubleArray, packPanels, PANEL, panelsFor } from './gemm.js';
import { readSequenceInputs, type SequenceProblem } from './inputs.js';
import { CHUNK_VALUES } from './packed_chunk.js';
import { multiply, packLeft, packWeights, type PackedWeights } from './weights.js';

/** A backward call: the forward problem (states copied) and the output gradients. */
export interface GradProblem {
  p: SequenceProblem;
  dOutput: Float32Array;
  /** A fresh copy of `dH`, carried back in place to become the gradient of `initialH`. */
  dh: Float32Array;
  /** A fresh copy of `dC` (LSTM), carried back likewise; else `null`. */
  dc: Float32Array | null;
}

/** Checks and reads a backward call's inputs. */
export function readGradInputs(
  kernel: SequenceKernelName,
  inputs: NamedTensorInfoMap,
  backend: MathBackendCPU,
  attrs: CheckedSequenceAttrs,
): GradProblem {
  const p = readSequenceInputs(kernel, inputs, backend, attrs);
  const g = checkSequenceGradients(kernel, inputs, attrs, p);
  const f32 = (info: TensorInfo): Float32Array =>
    backend.data.get(info.dataId).values as Float32Array;
  return {
    p,
    dOutput: f32(g.dOutput),
    dh: f32(g.dH).slice(),
    dc: g.dC == null ? null : f32(g.dC).slice(),
  };
}

/**
 * One step of backpropagation at input time `t`: for every row `b` with `active[b] === 1`, turn
 * the gradient of the states after the step (`dh`, and `dc` for LSTM, in place) into the
 * gradient of the states before it, writing the step's gate gradients.
 */
export type BackwardStep = (t: number, active: Uint8Array) => void;

/**
 * Runs `step` in reverse processing order, first adding each step's output gradient to `dh`
 * where that output was the row's `h` (not zeros: before the row's first taken step, or at a
 * masked step under `zeroOutputForMask`). Rows a mask skips keep their state gradients, as the
 * forward pass keeps their states.
 */
export function runBackwardLoop(
  p: SequenceProblem,
  attrs: CheckedSequenceAttrs,
  dOutput: Float32Array,
  dh: Float32Array,
  step: BackwardStep,
): void {
  const { batch, steps, units, mask } = p;
  const { goBackwards, returnSequences, alignToInput, zeroOutputForMask } = attrs;
  const taken = (b: number, t: number) => mask == null || mask[b * steps + t] !== 0;
  const timeAt = (s: number) => (goBackwards ? steps - 1 - s : s);
  // Whether the output after processing step s is h, per step and row (forward sweep).
  const isH = new Uint8Array(steps * batch);
  const outputIsH = new Uint8Array(batch);
  for (let s = 0; s < steps; s++) {
    const t = timeAt(s);
    for (let b = 0; b < batch; b++) {
      if (taken(b, t)) outputIsH[b] = 1;
      else if (zeroOutputForMask) outputIsH[b] = 0;
      isH[s * batch + b] = outputIsH[b];
    }
  }
  if (!returnSequences) {
    for (let b = 0; b < batch; b++) {
      if (outputIsH[b] === 1) addRow(dOutput, b * units, dh, b * units, units);
    }
  }
  const active = new Uint8Array(batch);
  for (let s = steps - 1; s >= 0; s--) {
    const t = timeAt(s);
    if (returnSequences) {
      const pos = goBackwards && alignToInput ? t : s;
      for (let b = 0; b < batch; b++) {
        if (isH[s * batch + b] === 1)
          addRow(dOutput, (b * steps + pos) * units, dh, b * units, units);
      }
    }
    let any = false;
    for (let b = 0; b < batch; b++) {
      active[b] = taken(b, t) ? 1 : 0;
      if (active[b] === 1) any = true;
    }
    if (any) step(t, active);
  }
}

function addRow(src: Float32Array, from: number, dst: Float32Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] += src[from + i];
}

/** `m [rows, cols]` transposed, `[cols, rows]`. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = m[o + c];
  }
  return out;
}

/** Columns `col0 .. col0 + n` of `m [rows, cols]`, `[rows, n]`. */
export function columns(
  m: Float32Array,
  rows: number,
  cols: number,
  col0: number,
  n: number,
): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols + col0, r * cols + col0 + n), r * n);
  return out;
}

/**
 * The packed right operand of {@link matmul}, reused across calls: the operands are per-call
 * gradients as large as all steps' gates, and a fresh double array of that size costs more than
 * packing it.
 */
let reused: PackedWeights | null = null;

/** `b [depth, cols]` packed into the reused buffer (fresh beyond one chunk). */
function packReused(b: Float32Array, depth: number, cols: number): PackedWeights {
  const panels = panelsFor(cols);
  const size = panels * PANEL * depth;
  if (size > CHUNK_VALUES) return packWeights(b, depth, [cols]);
  const buf = reused?.chunks[0].buf ?? newDoubleArray(0);
  ensureLength(buf, size);
  packPanels(b, 0, cols, 0, cols, depth, buf, 0);
  // A fresh chunk object: worker threads key their copies of a chunk by its identity.
  reused = {
    depth,
    panels,
    segmentPanel: [0],
    chunks: [{ buf, panel0: 0, panels, scratch: size }],
  };
  return reused;
}

/**
 * Blocks of {@link matmul}: the depth is split so that a block of left rows (32 rows of 128
 * values) stays in L1 while the weight panels of that depth block stream past; the products over
 * all steps have a depth of `B·T`, whose whole rows would stream from L2 for every panel.
 */
const BLOCK_ROWS = 32;
const DEPTH_BLOCK = 128;

/** `a [rows, depth] · b [depth, cols]` (both row-major), `[rows, cols]`. */
export function matmul(
  a: Float32Array,
  rows: number,
  depth: number,
  b: Float32Array,
  cols: number,
): Float32Array {
  const ld = PANEL * panelsFor(cols);
  const zeros = new Float32Array(ld);
  const padded = new Float32Array(rows * ld);
  for (let k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
    const kb = Math.min(DEPTH_BLOCK, depth - k0);
    const w = packReused(b.subarray(k0 * cols, (k0 + kb) * cols), kb, cols);
    for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - r0);
      packLeft(w, a, r0 * depth + k0, depth, n, null);
      // The first depth block starts from zeros, the others accumulate onto the partial sums.
      const first = k0 === 0;
      multiply(
        n,
        w,
        0,
        w.panels,
        first ? zeros : padded,
        first ? 0 : r0 * ld,
        first ? 0 : ld,
        padded,
        r0 * ld,
        ld,
      );
    }
  }
  if (ld === cols) return padded;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(padded.subarray(r * ld, r * ld + cols), r * cols);
  return out;
}

/** Column sums of `m [rows, cols]` from column `col0`, `n` of them, in float64. */
export function columnSums(
  m: Float32Array,
  rows: number,
  cols: number,
  col0: number,
  n: number,
): Float32Array {
  const sums = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const o = r * cols + col0;
    for (let j = 0; j < n; j++) sums[j] += m[o + j];
  }
  return Float32Array.from(sums);
}

/**
 * The recurrent product of the backward step: `out [B, 3·panels] = Σ_k dGates_t[b, k] · Uᵀ[k, n]`
 * for input time `t`, reading the gate gradients of every row at `t` from `dGates [B·T, G·U]`
 * (zeros where a row skipped `t`). `ut` is `Uᵀ` (or a column block of it) packed.
 */
export function recurrentBackProduct(
  ut: PackedWeights,
  dGates: Float32Array,
  gateOff: number,
  gateCols: number,
  p: SequenceProblem,
  t: number,
  zeros: Float32Array,
  out: Float32Array,
): void {
  const { batch, steps } = p;
  packLeft(ut, dGates, t * gateCols + gateOff, steps * gateCols, batch, null);
  multiply(batch, ut, 0, ut.panels, zeros, 0, 0, out, 0, PANEL * ut.panels);
}

/**
 * The gate block `col0 .. col0 + n` of `U [units, gu]`, transposed and packed as the weights of
 * {@link recurrentBackProduct}: `[n, units]`.
 */
export function packTransposedBlock(
  u: Float32Array,
  units: number,
  gu: number,
  col0: number,
  n: number,
): PackedWeights {
  // Uᵀ restricted to the gate block: [n, units], depth n.
  const block = transpose(columns(u, units, gu, col0, n), units, n);
  return packWeights(block, n, [units]);
}

/** The hoisted weight and input gradients of one family: what every grad kernel returns. */
export interface HoistedGradients {
  dx: Float32Array;
  dKernel: Float32Array;
}

/**
 * `dx = dGates·Wᵀ` and `dW = xᵀ·dGates` over all `B·T` rows, from the gate gradients of the
 * input projection `dGates [B·T, G·U]`.
 */
export function inputGradients(
  p: SequenceProblem,
  dGates: Float32Array,
  gu: number,
): HoistedGradients {
  const rows = p.batch * p.steps;
  const d = p.inputDim;
  const wt = transpose(p.kernel, d, gu);
  return {
    dx: matmul(dGates, rows, gu, wt, d),
    dKernel: matmul(transpose(p.x, rows, d), d, rows, dGates, gu),
  };
}
