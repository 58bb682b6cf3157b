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
import {
  checkSequenceGradients,
  type CheckedSequenceAttrs,
  type SequenceKernelAttrs,
} from '@rnnkit/core';
import type { SequenceKernelName } from '@rnnkit/core';
import { ensureLength, newDoubleArray, packPanels, PANEL, panelsFor } from './gemm.js';
import { readSequenceInputs, type SequenceProblem } from './inputs.js';
import { CHUNK_VALUES } from './packed_chunk.js';
import { multiply, packLeft, packLeftColumns, packWeights, type PackedWeights } from './weights.js';

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
  p: Pick<SequenceProblem, 'batch' | 'steps' | 'units' | 'mask'>,
  attrs: SequenceKernelAttrs,
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
  const padded = blockedProduct(rowBlocks(0, rows), rows, depth, b, cols, (w, r0, n, k0) =>
    packLeft(w, a, r0 * depth + k0, depth, n, null),
  );
  return unpadded(padded, 0, rows, cols);
}

/** A source of {@link transposedProduct}: a row-major `[depth, cols]` matrix. */
export interface TransposedSource {
  values: Float32Array;
  cols: number;
}

/**
 * `sᵢᵀ · b` for every source `sᵢ [depth, colsᵢ]`, with `b [depth, cols]`: `[colsᵢ, cols]` each.
 * One product over the sources side by side, so `b` (the gate gradients of all steps) is packed
 * once for all of them; the left operand is packed straight from the sources' columns, without
 * transposed copies.
 */
export function transposedProduct(
  sources: readonly TransposedSource[],
  depth: number,
  b: Float32Array,
  cols: number,
): Float32Array[] {
  const firstRow: number[] = [];
  const blocks: RowBlock[] = [];
  let rows = 0;
  for (const s of sources) {
    firstRow.push(rows);
    blocks.push(...rowBlocks(rows, s.cols));
    rows += s.cols;
  }
  const padded = blockedProduct(blocks, rows, depth, b, cols, (w, r0, n, k0) => {
    let i = sources.length - 1;
    while (firstRow[i] > r0) i--;
    const s = sources[i];
    packLeftColumns(w, s.values, s.cols, r0 - firstRow[i], k0, n);
  });
  return sources.map((s, i) => unpadded(padded, firstRow[i], s.cols, cols));
}

/** Rows `r0 .. r0 + n` of a product's left operand, packed and multiplied together. */
interface RowBlock {
  r0: number;
  n: number;
}

/** Rows `r0 .. r0 + rows` in blocks of {@link BLOCK_ROWS}. */
function rowBlocks(r0: number, rows: number): RowBlock[] {
  const blocks: RowBlock[] = [];
  for (let r = 0; r < rows; r += BLOCK_ROWS) {
    blocks.push({ r0: r0 + r, n: Math.min(BLOCK_ROWS, rows - r) });
  }
  return blocks;
}

/**
 * `left [rows, depth] · b [depth, cols]` in the padded column layout (`[rows, 3·panels]`), block
 * by block of `blocks` (which cover the rows), where `packBlock(w, r0, n, k0)` packs rows
 * `r0 .. r0 + n` of `left` over depth `k0 .. k0 + w.depth` as the left operand of `w`.
 */
function blockedProduct(
  blocks: readonly RowBlock[],
  rows: number,
  depth: number,
  b: Float32Array,
  cols: number,
  packBlock: (w: PackedWeights, r0: number, n: number, k0: number) => void,
): Float32Array {
  const ld = PANEL * panelsFor(cols);
  const zeros = new Float32Array(ld);
  const padded = new Float32Array(rows * ld);
  for (let k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
    const kb = Math.min(DEPTH_BLOCK, depth - k0);
    const w = packReused(b.subarray(k0 * cols, (k0 + kb) * cols), kb, cols);
    for (const { r0, n } of blocks) {
      packBlock(w, r0, n, k0);
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
  return padded;
}

/** Rows `r0 .. r0 + rows` of `padded [·, 3·panelsFor(cols)]` without the padding columns. */
function unpadded(padded: Float32Array, r0: number, rows: number, cols: number): Float32Array {
  const ld = PANEL * panelsFor(cols);
  if (ld === cols && r0 === 0 && rows * ld === padded.length) return padded;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const from = (r0 + r) * ld;
    out.set(padded.subarray(from, from + cols), r * cols);
  }
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
 * {@link recurrentBackProduct}: `[n, units]`, packed straight from `U` (panel `p` holds units
 * `3p .. 3p + 2`, element `(k, j)` = `U[3p + j, col0 + k]`).
 */
export function packTransposedBlock(
  u: Float32Array,
  units: number,
  gu: number,
  col0: number,
  n: number,
): PackedWeights {
  const panels = panelsFor(units);
  if (PANEL * panels * n > CHUNK_VALUES) {
    // Beyond one chunk, packWeights splits the panels between chunks.
    return packWeights(transpose(columns(u, units, gu, col0, n), units, n), n, [units]);
  }
  const buf = newDoubleArray(PANEL * panels * n);
  let o = 0;
  for (let p = 0; p < panels; p++) {
    const unit = PANEL * p;
    const width = Math.min(PANEL, units - unit);
    const r0 = unit * gu + col0;
    for (let k = 0; k < n; k++) {
      buf[o] = u[r0 + k];
      buf[o + 1] = width > 1 ? u[r0 + gu + k] : 0;
      buf[o + 2] = width > 2 ? u[r0 + 2 * gu + k] : 0;
      o += PANEL;
    }
  }
  return { depth: n, panels, segmentPanel: [0], chunks: [{ buf, panel0: 0, panels, scratch: o }] };
}

/**
 * The gradient of the input projection's input: `dx = dGates·Wᵀ` over all `B·T` rows, from the
 * gate gradients `dGates [B·T, G·U]`.
 */
export function inputGradient(p: SequenceProblem, dGates: Float32Array, gu: number): Float32Array {
  const d = p.inputDim;
  return matmul(dGates, p.batch * p.steps, gu, transpose(p.kernel, d, gu), d);
}

/**
 * The weight gradients over all `B·T` rows whose right operand is `dGates [B·T, G·U]`:
 * `dW = xᵀ·dGates` and `dU = h_inᵀ·dGates`, as one product.
 */
export function weightGradients(
  p: SequenceProblem,
  hIn: Float32Array,
  dGates: Float32Array,
  gu: number,
): { dKernel: Float32Array; dRecurrent: Float32Array } {
  const [dKernel, dRecurrent] = transposedProduct(
    [
      { values: p.x, cols: p.inputDim },
      { values: hIn, cols: p.units },
    ],
    p.batch * p.steps,
    dGates,
    gu,
  );
  return { dKernel, dRecurrent };
}
