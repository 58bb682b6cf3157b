/**
 * Packed single-precision GEMM: `C[M, NS] = init + A[M, K] · Bp`, where `Bp` is a `[K, NS]`
 * matrix stored as 16-column panels (`panel q` holds rows `0..K` of columns `16q..16q+15`,
 * contiguous), so the micro-kernels stream weights linearly.
 *
 * Gate interleaving: a family with G gates and U units uses the packed column order
 * `n' = p·4G + g·4 + j` for unit `u = 4p + j` of gate `g`. Four units of every gate then sit in
 * consecutive four-lane vectors, which lets the state update read whole vectors per gate.
 * `NS` is `4G·⌈U/4⌉` rounded up to 16; padding columns are zero.
 */
import { madd } from './vmath';

/** Packed row length NS for G gates of U units. */
export function packedCols(G: i32, U: i32): i32 {
  const interleaved = ((U + 3) >> 2) * 4 * G;
  return (interleaved + 15) & ~15;
}

/** Source column (within the gate block at `colOff`) of packed column n, or −1 for padding. */
export function sourceColumn(n: i32, G: i32, U: i32): i32 {
  const width = 4 * G;
  const p = n / width;
  const r = n - p * width;
  const u = 4 * p + (r & 3);
  if (u >= U) return -1;
  return (r >> 2) * U + u;
}

/**
 * Packs gates `0..G` of U units (columns `colOff + g·U + u` of the row-major `[K, ld]` matrix
 * at `src`) into panels at `dst` (`K · packedCols(G, U)` floats).
 */
export function packMatrix(
  src: usize,
  K: i32,
  ld: i32,
  colOff: i32,
  G: i32,
  U: i32,
  dst: usize,
): void {
  if (G == 1) {
    packPlain(src, K, ld, colOff, U, dst);
    return;
  }
  const NS = packedCols(G, U);
  const interleaved = ((U + 3) >> 2) * 4 * G;
  let out = dst;
  for (let q = 0; q < NS; q += 16) {
    for (let k = 0; k < K; k++) {
      const row = src + ((<usize>(k * ld + colOff)) << 2);
      for (let j = 0; j < 16; j++) {
        const n = q + j;
        const c = n < interleaved ? sourceColumn(n, G, U) : -1;
        store<f32>(out, c < 0 ? 0 : load<f32>(row + ((<usize>c) << 2)));
        out += 4;
      }
    }
  }
}

/** {@link packMatrix} of one gate: plain columns, whole panels copied four lanes at a time. */
function packPlain(src: usize, K: i32, ld: i32, colOff: i32, N: i32, dst: usize): void {
  let out = dst;
  for (let q = 0; q < N; q += 16) {
    const cols = min(16, N - q);
    let row = src + ((<usize>(colOff + q)) << 2);
    const rowBytes = (<usize>ld) << 2;
    for (let k = 0; k < K; k++) {
      if (cols == 16) {
        v128.store(out, v128.load(row));
        v128.store(out, v128.load(row, 16), 16);
        v128.store(out, v128.load(row, 32), 32);
        v128.store(out, v128.load(row, 48), 48);
      } else {
        for (let j = 0; j < 16; j++) {
          store<f32>(out + ((<usize>j) << 2), j < cols ? load<f32>(row + ((<usize>j) << 2)) : 0);
        }
      }
      row += rowBytes;
      out += 64;
    }
  }
}

/** Packs a gate vector (e.g. a bias) into the interleaved order: `packedCols(G, U)` floats. */
export function packVector(src: usize, colOff: i32, G: i32, U: i32, dst: usize): void {
  const NS = packedCols(G, U);
  const interleaved = ((U + 3) >> 2) * 4 * G;
  for (let n = 0; n < NS; n++) {
    const c = n < interleaved ? sourceColumn(n, G, U) : -1;
    store<f32>(dst + ((<usize>n) << 2), c < 0 ? 0 : load<f32>(src + ((<usize>(colOff + c)) << 2)));
  }
}

/** Two rows × one 16-column panel. */
function kernel2x16(
  a0: usize,
  a1: usize,
  K: i32,
  b: usize,
  init: usize,
  c0: usize,
  c1: usize,
): void {
  let x00 = f32x4.splat(0);
  let x01 = x00;
  let x02 = x00;
  let x03 = x00;
  if (init != 0) {
    x00 = v128.load(init);
    x01 = v128.load(init, 16);
    x02 = v128.load(init, 32);
    x03 = v128.load(init, 48);
  }
  let x10 = x00;
  let x11 = x01;
  let x12 = x02;
  let x13 = x03;
  for (let k = 0; k < K; k++) {
    const v0 = v128.load32_splat(a0);
    const v1 = v128.load32_splat(a1);
    let w = v128.load(b);
    x00 = madd(v0, w, x00);
    x10 = madd(v1, w, x10);
    w = v128.load(b, 16);
    x01 = madd(v0, w, x01);
    x11 = madd(v1, w, x11);
    w = v128.load(b, 32);
    x02 = madd(v0, w, x02);
    x12 = madd(v1, w, x12);
    w = v128.load(b, 48);
    x03 = madd(v0, w, x03);
    x13 = madd(v1, w, x13);
    a0 += 4;
    a1 += 4;
    b += 64;
  }
  v128.store(c0, x00);
  v128.store(c0, x01, 16);
  v128.store(c0, x02, 32);
  v128.store(c0, x03, 48);
  v128.store(c1, x10);
  v128.store(c1, x11, 16);
  v128.store(c1, x12, 32);
  v128.store(c1, x13, 48);
}

/**
 * One row × one 16-column panel, two k per iteration summed as a small tree before the
 * accumulator: short dependency chains (which FMA latency would otherwise bound) with few live
 * registers (V8 hoists a loop's loads, and spills past ~15 live vectors).
 */
function kernel1x16(a0: usize, K: i32, b: usize, init: usize, c0: usize): void {
  let x0 = f32x4.splat(0);
  let x1 = x0;
  let x2 = x0;
  let x3 = x0;
  if (init != 0) {
    x0 = v128.load(init);
    x1 = v128.load(init, 16);
    x2 = v128.load(init, 32);
    x3 = v128.load(init, 48);
  }
  const end = b + ((<usize>(K & ~1)) << 6);
  while (b < end) {
    const v = v128.load32_splat(a0);
    const u = v128.load32_splat(a0, 4);
    x0 = f32x4.add(x0, madd(v, v128.load(b), f32x4.mul(u, v128.load(b, 64))));
    x1 = f32x4.add(x1, madd(v, v128.load(b, 16), f32x4.mul(u, v128.load(b, 80))));
    x2 = f32x4.add(x2, madd(v, v128.load(b, 32), f32x4.mul(u, v128.load(b, 96))));
    x3 = f32x4.add(x3, madd(v, v128.load(b, 48), f32x4.mul(u, v128.load(b, 112))));
    a0 += 8;
    b += 128;
  }
  if ((K & 1) != 0) {
    const v = v128.load32_splat(a0);
    x0 = madd(v, v128.load(b), x0);
    x1 = madd(v, v128.load(b, 16), x1);
    x2 = madd(v, v128.load(b, 32), x2);
    x3 = madd(v, v128.load(b, 48), x3);
  }
  v128.store(c0, x0);
  v128.store(c0, x1, 16);
  v128.store(c0, x2, 32);
  v128.store(c0, x3, 48);
}

/** Rows per block: a block of A stays in cache while every panel of B passes over it. */
const ROW_BLOCK = 64;

/**
 * `C = init + A · Bp`. A is `[M, K]` with row stride `lda` floats; C has row stride `ldc`
 * floats and NS columns; `init` (NS floats, broadcast over rows) or 0 for zeros.
 */
export function gemm(
  A: usize,
  lda: i32,
  M: i32,
  K: i32,
  Bp: usize,
  NS: i32,
  init: usize,
  C: usize,
  ldc: i32,
): void {
  const panelBytes = (<usize>K) << 6;
  const aStride = (<usize>lda) << 2;
  const cStride = (<usize>ldc) << 2;
  for (let m0 = 0; m0 < M; m0 += ROW_BLOCK) {
    const m1 = min(M, m0 + ROW_BLOCK);
    for (let q = 0; q < NS; q += 16) {
      const b = Bp + <usize>(q >> 4) * panelBytes;
      const off = (<usize>q) << 2;
      const bias = init != 0 ? init + off : 0;
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const a = A + <usize>m * aStride;
        const c = C + <usize>m * cStride + off;
        kernel2x16(a, a + aStride, K, b, bias, c, c + cStride);
      }
      if (m < m1) kernel1x16(A + <usize>m * aStride, K, b, bias, C + <usize>m * cStride + off);
    }
  }
}
