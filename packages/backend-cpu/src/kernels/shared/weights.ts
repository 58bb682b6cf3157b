/**
 * Weight matrices packed for {@link gemmPacked}, the products over them, and a cache of packed
 * weights per weight tensor, so that a forward pass does not repack (for batch 1, packing costs
 * as much as a few steps of the sequence).
 *
 * Cache entries are keyed by the tensor's `dataId` (a fresh object for every tensor, and for
 * every `Variable.assign`) and by the layout. An entry is dropped when its tensor's data leaves
 * the cpu backend (disposed or moved) or the backend holds other values for it; the check runs
 * at the start of every kernel call. Beyond {@link CACHE_LIMIT} packed values, the least
 * recently used entries go first.
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  ensureLength,
  gemmPacked,
  newDoubleArray,
  packColumns,
  packPanels,
  packRows,
  PANEL,
  panelsFor,
} from './gemm.js';
import type { SequenceProblem } from './inputs.js';
import { activeProductPool } from '../../engine/active.js';
import { CACHE_LIMIT, CHUNK_VALUES, type PackedChunk } from './packed_chunk.js';

/**
 * A `[depth, Σ segments]` weight matrix in panels: each column segment (e.g. a GRU's `z, r`
 * gates, then its candidate) starts on a panel boundary, so a product can cover one segment.
 * Column `n` of segment `i` is column `3·segmentPanel[i] + n` of the packed matrix.
 */
export interface PackedWeights {
  depth: number;
  /** Panels of all segments. */
  panels: number;
  /** First panel of each segment. */
  segmentPanel: readonly number[];
  chunks: PackedChunk[];
}

/** Packs `values` (row-major `[depth, Σ segments]`) without caching. */
export function packWeights(
  values: Float32Array,
  depth: number,
  segments: readonly number[],
  chunkValues = CHUNK_VALUES,
): PackedWeights {
  const cols = segments.reduce((a, b) => a + b, 0);
  const segmentPanel: number[] = [];
  let panels = 0;
  for (const s of segments) {
    segmentPanel.push(panels);
    panels += panelsFor(s);
  }
  const perChunk = Math.max(1, Math.floor(chunkValues / (PANEL * depth)));
  const chunks: PackedChunk[] = [];
  for (let p0 = 0; p0 < panels; p0 += perChunk) {
    const n = Math.min(perChunk, panels - p0);
    const size = n * PANEL * depth;
    chunks.push({ buf: newDoubleArray(size), panel0: p0, panels: n, scratch: size });
  }
  // Pack segment by segment, panel by panel, into the chunk that holds each panel.
  let col0 = 0;
  segments.forEach((s, i) => {
    for (let p = 0; p < panelsFor(s); p++) {
      const panel = segmentPanel[i] + p;
      const chunk = chunks[Math.floor(panel / perChunk)];
      const width = Math.min(PANEL, s - PANEL * p);
      const at = (panel - chunk.panel0) * PANEL * depth;
      packPanels(values, 0, cols, col0 + PANEL * p, width, depth, chunk.buf, at);
    }
    col0 += s;
  });
  return { depth, panels, segmentPanel, chunks };
}

/**
 * Packs `rows` rows of `src` (row `m` at `srcOff + m·lda`) as the left operand of the next
 * {@link multiply} with `w`, scaled elementwise by `scale [rows, depth]` when given.
 */
export function packLeft(
  w: PackedWeights,
  src: Float32Array,
  srcOff: number,
  lda: number,
  rows: number,
  scale: Float32Array | null,
): void {
  const n = rows * w.depth;
  const first = w.chunks[0];
  ensureLength(first.buf, first.scratch + n);
  packRows(src, srcOff, lda, rows, w.depth, scale, first.buf, first.scratch);
  for (let i = 1; i < w.chunks.length; i++) {
    const chunk = w.chunks[i];
    ensureLength(chunk.buf, chunk.scratch + n);
    copyValues(first.buf, first.scratch, chunk.buf, chunk.scratch, n);
  }
}

/**
 * Packs columns `col0 .. col0 + rows` of `src [·, srcCols]`, over its rows `k0 .. k0 + w.depth`,
 * as the `rows` rows of the left operand of the next {@link multiply} with `w` (a product by
 * `srcᵀ`).
 */
export function packLeftColumns(
  w: PackedWeights,
  src: Float32Array,
  srcCols: number,
  col0: number,
  k0: number,
  rows: number,
): void {
  const n = rows * w.depth;
  const first = w.chunks[0];
  ensureLength(first.buf, first.scratch + n);
  packColumns(src, srcCols, col0, k0, rows, w.depth, first.buf, first.scratch);
  for (let i = 1; i < w.chunks.length; i++) {
    const chunk = w.chunks[i];
    ensureLength(chunk.buf, chunk.scratch + n);
    copyValues(first.buf, first.scratch, chunk.buf, chunk.scratch, n);
  }
}

function copyValues(src: number[], from: number, dst: number[], to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/**
 * `c[m, n] = init[m, n] + Σ_k left[m, k] · W[k, 3·panel0 + n]` for `m < rows` and the columns
 * of panels `panel0 .. panel0 + panels`, where `left` was packed by {@link packLeft}. Large
 * enough products are split by columns between the threads of the active product pool.
 * Addressing as in {@link gemmPacked}: `init[iOff + m·ldi + n]`, `c[cOff + m·ldc + n]`.
 */
export function multiply(
  rows: number,
  w: PackedWeights,
  panel0: number,
  panels: number,
  init: Float32Array,
  iOff: number,
  ldi: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const end = panel0 + panels;
  const pool = activeProductPool();
  for (const chunk of w.chunks) {
    const lo = Math.max(panel0, chunk.panel0);
    const hi = Math.min(end, chunk.panel0 + chunk.panels);
    if (lo >= hi) continue;
    const col = PANEL * (lo - panel0);
    const first = lo - chunk.panel0;
    if (
      pool != null &&
      pool.worthSplitting(rows, hi - lo, w.depth) &&
      pool.product(chunk, w.depth, rows, first, hi - lo, init, iOff + col, ldi, c, cOff + col, ldc)
    ) {
      continue;
    }
    const bOff = first * PANEL * w.depth;
    const { buf, scratch } = chunk;
    gemmPacked(
      rows,
      hi - lo,
      w.depth,
      buf,
      scratch,
      bOff,
      init,
      iOff + col,
      ldi,
      c,
      cOff + col,
      ldc,
    );
  }
}

/**
 * `src [Σ segments]` (from `srcOff`) laid out in the padded columns of `w`; padding columns are
 * zero.
 */
export function padColumns(
  src: Float32Array,
  srcOff: number,
  w: PackedWeights,
  segments: readonly number[],
): Float32Array {
  const out = new Float32Array(w.panels * PANEL);
  let from = srcOff;
  segments.forEach((s, i) => {
    out.set(src.subarray(from, from + s), w.segmentPanel[i] * PANEL);
    from += s;
  });
  return out;
}

interface TensorEntry {
  backend: MathBackendCPU;
  values: Float32Array;
  layouts: Map<string, PackedWeights>;
  lastUse: number;
}

const cache = new Map<object, TensorEntry>();
let calls = 0;

function entrySize(e: TensorEntry): number {
  let n = 0;
  for (const w of e.layouts.values()) for (const c of w.chunks) n += c.buf.length;
  return n;
}

/** Drops the entries whose tensors are gone, then the oldest ones beyond the size limit. */
export function beginKernelCall(): void {
  calls++;
  let total = 0;
  for (const [dataId, e] of cache) {
    // `get` of an unknown dataId would ask the engine to move the data here: check `has` first.
    const data = e.backend.data.has(dataId) ? e.backend.data.get(dataId) : undefined;
    if (data == null || data.values !== e.values) cache.delete(dataId);
    else total += entrySize(e);
  }
  if (total <= CACHE_LIMIT) return;
  const byAge = [...cache].sort((a, b) => a[1].lastUse - b[1].lastUse);
  for (const [dataId, e] of byAge) {
    if (total <= CACHE_LIMIT) break;
    total -= entrySize(e);
    cache.delete(dataId);
  }
}

/** Packed layouts currently held (for tests). */
export function cachedWeightCount(): number {
  let n = 0;
  for (const e of cache.values()) n += e.layouts.size;
  return n;
}

/**
 * `values` (the `[depth, Σ segments]` data of `info` on `backend`) in panels, from the cache
 * or packed now.
 */
export function packedWeights(
  backend: MathBackendCPU,
  info: TensorInfo,
  values: Float32Array,
  depth: number,
  segments: readonly number[],
): PackedWeights {
  const key = `${depth}:${segments.join(',')}`;
  return cachedPacking(backend, info, values, key, () => packWeights(values, depth, segments));
}

/**
 * The packing named `layout` of `values` (the data of `info` on `backend`), from the cache or
 * made now by `pack`: for layouts other than plain panels, e.g. a transformed kernel.
 */
export function cachedPacking(
  backend: MathBackendCPU,
  info: TensorInfo,
  values: Float32Array,
  layout: string,
  pack: () => PackedWeights,
): PackedWeights {
  let e = cache.get(info.dataId);
  if (e == null || e.values !== values || e.backend !== backend) {
    e = { backend, values, layouts: new Map(), lastUse: calls };
    cache.set(info.dataId, e);
  }
  e.lastUse = calls;
  let w = e.layouts.get(layout);
  if (w == null) {
    w = pack();
    e.layouts.set(layout, w);
  }
  return w;
}

/**
 * Starts a kernel call (see {@link beginKernelCall}) and returns the packed `kernel` and
 * `recurrentKernel` of a sequence problem, both with the column `segments` given.
 */
export function sequenceWeights(
  backend: MathBackendCPU,
  inputs: NamedTensorInfoMap,
  p: SequenceProblem,
  segments: readonly number[],
): { kernel: PackedWeights; recurrent: PackedWeights } {
  beginKernelCall();
  const kernelInfo = inputs.kernel as TensorInfo;
  const recurrentInfo = inputs.recurrentKernel as TensorInfo;
  return {
    kernel: packedWeights(backend, kernelInfo, p.kernel, p.inputDim, segments),
    recurrent: packedWeights(backend, recurrentInfo, p.recurrentKernel, p.units, segments),
  };
}
