/**
 * Dense products for the sequence kernels, in plain JS over packed operands.
 *
 * Both operands live in one plain `number[]` holding float64 values (V8's
 * `PACKED_DOUBLE_ELEMENTS`): the weights as column panels and, after them, a scratch region for
 * the left operand packed in row pairs. Why this layout, as measured in V8 (x64):
 *
 * - Loading an element of a double array takes an index add, a bounds check and a load; a
 *   typed array also rebuilds its data pointer and sign-extends the index on every access, and
 *   a Float32Array adds a float32 → float64 conversion. With both operands in one array, an
 *   iteration checks one map.
 * - TurboFan schedules every product of an iteration before the additions, so a block of `r`
 *   accumulators needs about `2r` of the 15 usable vector registers; beyond that accumulators
 *   spill and every iteration waits on a store-to-load round trip (~11 cycles). A 2×3 block (6
 *   accumulators, 5 loads per 6 multiply-adds) is the largest that stays in registers: ~9–10
 *   GFLOP/s (x64, Zen 5) against ~7 for the best packed Float32Array kernel (4×3, spilling)
 *   and ~6 for an unpacked one (4×3 over transposed weights).
 *
 * The product kernels below refer to nothing outside themselves but each other (they write the
 * panel width as a literal 3), so that worker threads can run them from their source text
 * ({@link PRODUCT_KERNELS}) even after a bundler has renamed this module's bindings.
 *
 * Layouts (`PANEL = 3` columns per panel, zero-padded):
 * - weights `[depth, cols]` → panel `p` at `bOff + p·3·depth`, element `(k, j)` at `3k + j`:
 *   the three weights one k step needs are adjacent.
 * - left operand `[rows, depth]` → row pair `q` at `aOff + q·2·depth`, element `(k, i)` at
 *   `2k + i`; an odd last row follows as a plain row of `depth` values.
 */

/** Columns per weight panel. */
export const PANEL = 3;

/** Panels that hold `cols` columns. */
export function panelsFor(cols: number): number {
  return Math.ceil(cols / PANEL);
}

/**
 * A new `number[]` of `length` zeros whose elements kind is `PACKED_DOUBLE_ELEMENTS` (an array
 * made with `new Array(n)` is holey, and one filled with small integers would hold Smis; either
 * would make the kernels below polymorphic).
 */
export function newDoubleArray(length: number): number[] {
  const a = [0.5];
  a.pop(); // the kind stays double once it is double
  for (let i = 0; i < length; i++) a.push(0);
  return a;
}

/** Grows `a` with zeros to at least `length` elements. */
export function ensureLength(a: number[], length: number): void {
  for (let i = a.length; i < length; i++) a.push(0);
}

/**
 * Packs columns `col0 .. col0 + cols` of the row-major `src [depth, srcCols]` (from `srcOff`)
 * into `panelsFor(cols)` panels at `dst[dstOff ..]`, padding the last panel with zeros.
 */
export function packPanels(
  src: Float32Array,
  srcOff: number,
  srcCols: number,
  col0: number,
  cols: number,
  depth: number,
  dst: number[],
  dstOff: number,
): void {
  const panels = panelsFor(cols);
  let o = dstOff;
  for (let p = 0; p < panels; p++) {
    const n = PANEL * p;
    const width = Math.min(PANEL, cols - n);
    let s = srcOff + col0 + n;
    for (let k = 0; k < depth; k++, s += srcCols) {
      dst[o] = src[s];
      dst[o + 1] = width > 1 ? src[s + 1] : 0;
      dst[o + 2] = width > 2 ? src[s + 2] : 0;
      o += PANEL;
    }
  }
}

/**
 * Packs `rows` rows of `src` (row `m` at `srcOff + m·lda`, `depth` values) into row pairs at
 * `dst[dstOff ..]`, multiplied elementwise by `scale [rows, depth]` (row stride `depth`) when
 * given. Products are rounded to float32, as a float32 tensor op would store them.
 */
export function packRows(
  src: Float32Array,
  srcOff: number,
  lda: number,
  rows: number,
  depth: number,
  scale: Float32Array | null,
  dst: number[],
  dstOff: number,
): void {
  if (scale != null) {
    packRowsScaled(src, srcOff, lda, rows, depth, scale, dst, dstOff);
    return;
  }
  let o = dstOff;
  let m = 0;
  for (; m + 2 <= rows; m += 2) {
    const s0 = srcOff + m * lda;
    const s1 = s0 + lda;
    for (let k = 0; k < depth; k++) {
      dst[o] = src[s0 + k];
      dst[o + 1] = src[s1 + k];
      o += 2;
    }
  }
  if (m < rows) {
    const s0 = srcOff + m * lda;
    for (let k = 0; k < depth; k++) dst[o + k] = src[s0 + k];
  }
}

/**
 * Packs columns `col0 .. col0 + n` of the row-major `src [·, srcCols]`, over its rows
 * `k0 .. k0 + depth`, as the `n` rows of a left operand (row pairs at `dst[dstOff ..]`, as
 * {@link packRows} lays them out): the left operand of a product by `srcᵀ`, without a transposed
 * copy of `src`.
 */
export function packColumns(
  src: Float32Array,
  srcCols: number,
  col0: number,
  k0: number,
  n: number,
  depth: number,
  dst: number[],
  dstOff: number,
): void {
  let o = dstOff;
  let m = 0;
  for (; m + 2 <= n; m += 2) {
    let s = k0 * srcCols + col0 + m;
    for (let k = 0; k < depth; k++, s += srcCols) {
      dst[o] = src[s];
      dst[o + 1] = src[s + 1];
      o += 2;
    }
  }
  if (m < n) {
    let s = k0 * srcCols + col0 + m;
    for (let k = 0; k < depth; k++, s += srcCols) dst[o + k] = src[s];
  }
}

function packRowsScaled(
  src: Float32Array,
  srcOff: number,
  lda: number,
  rows: number,
  depth: number,
  scale: Float32Array,
  dst: number[],
  dstOff: number,
): void {
  let o = dstOff;
  let m = 0;
  for (; m + 2 <= rows; m += 2) {
    const s0 = srcOff + m * lda;
    const s1 = s0 + lda;
    const r0 = m * depth;
    const r1 = r0 + depth;
    for (let k = 0; k < depth; k++) {
      dst[o] = Math.fround(src[s0 + k] * scale[r0 + k]);
      dst[o + 1] = Math.fround(src[s1 + k] * scale[r1 + k]);
      o += 2;
    }
  }
  if (m < rows) {
    const s0 = srcOff + m * lda;
    const r0 = m * depth;
    for (let k = 0; k < depth; k++) dst[o + k] = Math.fround(src[s0 + k] * scale[r0 + k]);
  }
}

/**
 * `c[m, n] = init[m, n] + Σ_k a[m, k] · b[k, n]` for `m < rows`, `n < 3·panels`, with `a`
 * packed in row pairs at `buf[aOff ..]` and `b` in panels at `buf[bOff ..]` (see the module
 * comment). Element addressing: `init[iOff + m·ldi + n]` (`ldi = 0` broadcasts one row, e.g. a
 * bias), `c[cOff + m·ldc + n]`; both must cover the padded `3·panels` columns. `c` may alias
 * `init` when both address the same elements.
 */
export function gemmPacked(
  rows: number,
  panels: number,
  depth: number,
  buf: number[],
  aOff: number,
  bOff: number,
  init: Float32Array,
  iOff: number,
  ldi: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const pairs = rows >> 1;
  if (pairs > 0) gemmPairs(pairs, panels, depth, buf, aOff, bOff, init, iOff, ldi, c, cOff, ldc);
  if ((rows & 1) === 1) {
    const m = rows - 1;
    gemmRow(panels, depth, buf, aOff + m * depth, bOff, init, iOff + m * ldi, c, cOff + m * ldc);
  }
}

/**
 * Row pairs: 2×3 blocks. Panels are the outer loop so that one panel (3·depth values) stays in
 * L1 while every row pair streams past it.
 */
function gemmPairs(
  pairs: number,
  panels: number,
  depth: number,
  buf: number[],
  aOff: number,
  bOff: number,
  init: Float32Array,
  iOff: number,
  ldi: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const aStride = 2 * depth;
  const bStride = 3 * depth;
  for (let p = 0; p < panels; p++) {
    const n = 3 * p;
    const b0 = bOff + p * bStride;
    for (let q = 0; q < pairs; q++) {
      const i0 = iOff + 2 * q * ldi + n;
      const i1 = i0 + ldi;
      let c00 = init[i0];
      let c01 = init[i0 + 1];
      let c02 = init[i0 + 2];
      let c10 = init[i1];
      let c11 = init[i1 + 1];
      let c12 = init[i1 + 2];
      let pa = aOff + q * aStride;
      const end = pa + aStride;
      // `| 0` keeps the index arithmetic in int32 without overflow checks.
      for (let pb = b0; pa < end; pa = (pa + 2) | 0, pb = (pb + 3) | 0) {
        const x0 = buf[pa];
        const x1 = buf[(pa + 1) | 0];
        const w0 = buf[pb];
        const w1 = buf[(pb + 1) | 0];
        const w2 = buf[(pb + 2) | 0];
        c00 += x0 * w0;
        c01 += x0 * w1;
        c02 += x0 * w2;
        c10 += x1 * w0;
        c11 += x1 * w1;
        c12 += x1 * w2;
      }
      const o0 = cOff + 2 * q * ldc + n;
      const o1 = o0 + ldc;
      c[o0] = c00;
      c[o0 + 1] = c01;
      c[o0 + 2] = c02;
      c[o1] = c10;
      c[o1 + 1] = c11;
      c[o1 + 2] = c12;
    }
  }
}

/**
 * One row (the matrix-vector case): 1×6 blocks over pairs of adjacent panels, then 1×3 for an
 * odd last panel. Each loop nest is a function of its own: code compiled on stack replacement
 * inside the first loop would otherwise lack type feedback for the second and deoptimize on
 * every call.
 */
function gemmRow(
  panels: number,
  depth: number,
  buf: number[],
  aOff: number,
  bOff: number,
  init: Float32Array,
  iOff: number,
  c: Float32Array,
  cOff: number,
): void {
  const pairs = panels >> 1;
  if (pairs > 0) gemmRowPanelPairs(pairs, depth, buf, aOff, bOff, init, iOff, c, cOff);
  if ((panels & 1) === 1) {
    const n = 3 * (panels - 1);
    gemmRowPanel(depth, buf, aOff, bOff + n * depth, init, iOff + n, c, cOff + n);
  }
}

function gemmRowPanelPairs(
  pairs: number,
  depth: number,
  buf: number[],
  aOff: number,
  bOff: number,
  init: Float32Array,
  iOff: number,
  c: Float32Array,
  cOff: number,
): void {
  const bStride = 3 * depth; // also the offset of the second panel of a pair
  const end = aOff + depth;
  for (let q = 0; q < pairs; q++) {
    // 6·q. Spelled `6 * q` (or counted up by 6), TurboFan assigns the registers of the inner
    // loop differently and an LSTM with 128 units at batch 1 runs 7% slower (V8 11, Zen 5).
    const n = (q << 2) + (q << 1);
    let c0 = init[iOff + n];
    let c1 = init[iOff + n + 1];
    let c2 = init[iOff + n + 2];
    let c3 = init[iOff + n + 3];
    let c4 = init[iOff + n + 4];
    let c5 = init[iOff + n + 5];
    for (
      let pa = aOff, pb = bOff + 2 * q * bStride;
      pa < end;
      pa = (pa + 1) | 0, pb = (pb + 3) | 0
    ) {
      const x = buf[pa];
      const pb2 = (pb + bStride) | 0;
      c0 += x * buf[pb];
      c1 += x * buf[(pb + 1) | 0];
      c2 += x * buf[(pb + 2) | 0];
      c3 += x * buf[pb2];
      c4 += x * buf[(pb2 + 1) | 0];
      c5 += x * buf[(pb2 + 2) | 0];
    }
    const o = cOff + n;
    c[o] = c0;
    c[o + 1] = c1;
    c[o + 2] = c2;
    c[o + 3] = c3;
    c[o + 4] = c4;
    c[o + 5] = c5;
  }
}

function gemmRowPanel(
  depth: number,
  buf: number[],
  aOff: number,
  bOff: number,
  init: Float32Array,
  iOff: number,
  c: Float32Array,
  cOff: number,
): void {
  let c0 = init[iOff];
  let c1 = init[iOff + 1];
  let c2 = init[iOff + 2];
  const end = aOff + depth;
  for (let pa = aOff, pb = bOff; pa < end; pa = (pa + 1) | 0, pb = (pb + 3) | 0) {
    const x = buf[pa];
    c0 += x * buf[pb];
    c1 += x * buf[(pb + 1) | 0];
    c2 += x * buf[(pb + 2) | 0];
  }
  c[cOff] = c0;
  c[cOff + 1] = c1;
  c[cOff + 2] = c2;
}

/**
 * The functions a worker thread needs to run {@link gemmPacked} on its own copy of a packed
 * matrix, in an order in which their source texts can be concatenated into a script.
 */
export const PRODUCT_KERNELS: readonly ((...args: never[]) => unknown)[] = [
  newDoubleArray,
  ensureLength,
  gemmPairs,
  gemmRowPanel,
  gemmRowPanelPairs,
  gemmRow,
  gemmPacked,
];
