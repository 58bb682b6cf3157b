/**
 * Whole-sequence recurrences. One call runs the input projection for all B·T rows (one packed
 * GEMM), then per step the recurrent product (one packed GEMM over the batch) and the fused
 * gate/state update, with Keras masking by selection.
 *
 * Layout: every per-row buffer (h, c, last output) holds `Up = 4⌈U/4⌉` floats per row; packed
 * gate rows follow the interleaved order of `gemm.ts`.
 */
import { gemm, packedCols, packVector } from './gemm';
import { activate, madd, sp, ACT_SIGMOID, ACT_TANH, vgate, vtanh } from './vmath';

export const FAMILY_SIMPLE_RNN = 0;
export const FAMILY_LSTM = 1;
/** GRU with `reset_after=True` (Keras default). */
export const FAMILY_GRU = 2;
/** GRU with `reset_after=False`. */
export const FAMILY_GRU_RESET_BEFORE = 3;

export const FLAG_GO_BACKWARDS = 1;
export const FLAG_RETURN_SEQUENCES = 2;
export const FLAG_ALIGN_TO_INPUT = 4;
export const FLAG_ZERO_OUTPUT_FOR_MASK = 8;

/** Gates in the input projection. */
export function inputGates(family: i32): i32 {
  return family == FAMILY_LSTM ? 4 : family == FAMILY_SIMPLE_RNN ? 1 : 3;
}

/** Gates in the first recurrent product (GRU reset-before splits off its candidate). */
export function recurrentGates(family: i32): i32 {
  return family == FAMILY_GRU_RESET_BEFORE ? 2 : inputGates(family);
}

function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

function paddedUnits(U: i32): i32 {
  return ((U + 3) >> 2) << 2;
}

/** Bytes of scratch a `sequence` call needs (64-byte aligned pointer expected). */
export function scratchBytes(family: i32, B: i32, T: i32, U: i32): usize {
  const rowBuf = align64(<usize>B * <usize>paddedUnits(U) * 4);
  const nsx = packedCols(inputGates(family), U);
  const nsr = packedCols(recurrentGates(family), U);
  const nsr2 = family == FAMILY_GRU_RESET_BEFORE ? packedCols(1, U) : 0;
  return (
    7 * rowBuf +
    align64(<usize>B * <usize>T * <usize>nsx * 4) +
    align64(<usize>B * <usize>nsr * 4) +
    align64(<usize>B * <usize>nsr2 * 4)
  );
}

/**
 * Packs the bias into the input-projection init vector `dstX` (packedCols(G, U) floats) and,
 * for GRU reset-after, the candidate's recurrent bias into `dstRh` (packedCols(1, U) floats).
 * GRU reset-after folds the recurrent z and r biases into `dstX`: they are plain sums.
 */
export function packBias(family: i32, bias: usize, U: i32, dstX: usize, dstRh: usize): void {
  const G = inputGates(family);
  packVector(bias, 0, G, U, dstX);
  if (family != FAMILY_GRU) return;
  const rec = bias + ((<usize>(3 * U)) << 2);
  const P = (U + 3) >> 2;
  // z and r of the recurrent row, added into vectors 0 and 1 of each 3-vector panel.
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < 4; j++) {
      const u = 4 * p + j;
      if (u >= U) break;
      const zr = dstX + ((<usize>(p * 12 + j)) << 2);
      store<f32>(zr, load<f32>(zr) + load<f32>(rec + ((<usize>u) << 2)));
      store<f32>(zr, load<f32>(zr, 16) + load<f32>(rec + ((<usize>(U + u)) << 2)), 16);
    }
  }
  packVector(rec, 2 * U, 1, U, dstRh);
}

function lstmRow(x: usize, r: usize, c: usize, h: usize, P: i32, act: i32, ract: i32): void {
  const fast = act == ACT_TANH && ract == ACT_SIGMOID;
  for (let p = 0; p < P; p++) {
    const zi = f32x4.add(v128.load(x), v128.load(r));
    const zf = f32x4.add(v128.load(x, 16), v128.load(r, 16));
    const zc = f32x4.add(v128.load(x, 32), v128.load(r, 32));
    const zo = f32x4.add(v128.load(x, 48), v128.load(r, 48));
    let ci: v128;
    let hv: v128;
    if (fast) {
      ci = madd(vgate(zf), v128.load(c), f32x4.mul(vgate(zi), vtanh(zc)));
      hv = f32x4.mul(vgate(zo), vtanh(ci));
    } else {
      const g = f32x4.mul(activate(ract, zi), activate(act, zc));
      ci = madd(activate(ract, zf), v128.load(c), g);
      hv = f32x4.mul(activate(ract, zo), activate(act, ci));
    }
    v128.store(c, ci);
    v128.store(h, hv);
    x += 64;
    r += 64;
    c += 16;
    h += 16;
  }
}

function gruRow(
  x: usize,
  r: usize,
  brh: usize,
  hk: usize,
  h: usize,
  P: i32,
  act: i32,
  ract: i32,
): void {
  const fast = act == ACT_TANH && ract == ACT_SIGMOID;
  for (let p = 0; p < P; p++) {
    const sz = f32x4.add(v128.load(x), v128.load(r));
    const sr = f32x4.add(v128.load(x, 16), v128.load(r, 16));
    const rh = f32x4.add(v128.load(r, 32), v128.load(brh));
    let z: v128;
    let hh: v128;
    if (fast) {
      z = vgate(sz);
      hh = vtanh(madd(vgate(sr), rh, v128.load(x, 32)));
    } else {
      z = activate(ract, sz);
      hh = activate(act, madd(activate(ract, sr), rh, v128.load(x, 32)));
    }
    // z·h + (1 − z)·hh
    v128.store(h, madd(z, v128.load(hk), f32x4.mul(f32x4.sub(sp(1.0), z), hh)));
    x += 48;
    r += 48;
    brh += 16;
    hk += 16;
    h += 16;
  }
}

function gruGatesRow(x: usize, r: usize, hk: usize, z: usize, rh: usize, P: i32, ract: i32): void {
  for (let p = 0; p < P; p++) {
    v128.store(z, activate(ract, f32x4.add(v128.load(x), v128.load(r))));
    const rv = activate(ract, f32x4.add(v128.load(x, 16), v128.load(r, 16)));
    v128.store(rh, f32x4.mul(rv, v128.load(hk)));
    x += 48;
    r += 32;
    hk += 16;
    z += 16;
    rh += 16;
  }
}

function gruCandidateRow(
  x: usize,
  r2: usize,
  z: usize,
  hk: usize,
  h: usize,
  P: i32,
  act: i32,
): void {
  for (let p = 0; p < P; p++) {
    const hh = activate(act, f32x4.add(v128.load(x, 32), v128.load(r2)));
    const zv = v128.load(z);
    v128.store(h, madd(zv, v128.load(hk), f32x4.mul(f32x4.sub(sp(1.0), zv), hh)));
    x += 48;
    r2 += 16;
    z += 16;
    hk += 16;
    h += 16;
  }
}

function simpleRow(x: usize, r: usize, h: usize, P: i32, act: i32): void {
  for (let p = 0; p < P; p++) {
    v128.store(h, activate(act, f32x4.add(v128.load(x), v128.load(r))));
    x += 16;
    r += 16;
    h += 16;
  }
}

function copyRows(
  dst: usize,
  dstStride: usize,
  src: usize,
  srcStride: usize,
  rows: i32,
  bytes: usize,
): void {
  for (let b = 0; b < rows; b++) {
    memory.copy(dst + <usize>b * dstStride, src + <usize>b * srcStride, bytes);
  }
}

/**
 * Runs a whole sequence. Pointers are byte offsets into the shared memory.
 *
 * - `x` `[B, T, D]`; `wk` packed `[D, packedCols(inputGates)]`; `bx` packed input bias.
 * - `wr` packed `[U, packedCols(recurrentGates)]`; `wr2` (GRU reset-before) packed candidate
 *   recurrent kernel `[U, packedCols(1)]`; `brh` (GRU reset-after) packed candidate recurrent bias.
 * - `h0`, `c0` `[B, U]`; `mask` u8 `[B, T]` or 0; `rmask` `[B, U]` or 0.
 * - `out` `[B, T, U]` or `[B, U]`; `hOut`, `cOut` `[B, U]`; `scratch` of `scratchBytes` bytes.
 */
export function sequence(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
  wk: usize,
  bx: usize,
  wr: usize,
  wr2: usize,
  brh: usize,
  h0: usize,
  c0: usize,
  mask: usize,
  rmask: usize,
  out: usize,
  hOut: usize,
  cOut: usize,
  scratch: usize,
  flags: i32,
  act: i32,
  ract: i32,
): void {
  const Up = paddedUnits(U);
  const P = Up >> 2;
  const rowBytes = (<usize>Up) << 2;
  const uBytes = (<usize>U) << 2;
  const rowBuf = align64(<usize>B * rowBytes);
  const nsx = packedCols(inputGates(family), U);
  const nsr = packedCols(recurrentGates(family), U);
  const nsr2 = family == FAMILY_GRU_RESET_BEFORE ? packedCols(1, U) : 0;
  const hA = scratch;
  const hB = hA + rowBuf;
  const cBuf = hB + rowBuf;
  const last = cBuf + rowBuf;
  const hm = last + rowBuf;
  const zBuf = hm + rowBuf;
  const rhBuf = zBuf + rowBuf;
  const xp = rhBuf + rowBuf;
  const R = xp + align64(<usize>B * <usize>T * <usize>nsx * 4);
  const R2 = R + align64(<usize>B * <usize>nsr * 4);
  const xpRow = (<usize>nsx) << 2;
  const rRow = (<usize>nsr) << 2;
  const r2Row = (<usize>nsr2) << 2;

  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  const aligned = backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  const zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;

  // Input projection for every (b, t) row at once; bias rides in as the accumulator init.
  gemm(x, D, B * T, D, wk, nsx, bx, xp, nsx);

  memory.fill(scratch, 0, 7 * rowBuf);
  copyRows(hA, rowBytes, h0, uBytes, B, uBytes);
  if (family == FAMILY_LSTM) copyRows(cBuf, rowBytes, c0, uBytes, B, uBytes);

  for (let s = 0; s < T; s++) {
    const t = backwards ? T - 1 - s : s;
    const pos = aligned ? t : s;
    const hp = (s & 1) == 0 ? hA : hB;
    const hn = (s & 1) == 0 ? hB : hA;
    // h as it enters the recurrent product (and, for GRU, the update-gate blend).
    let hk = hp;
    if (rmask != 0) {
      for (let b = 0; b < B; b++) {
        const src = hp + <usize>b * rowBytes;
        const dst = hm + <usize>b * rowBytes;
        const m = rmask + <usize>b * uBytes;
        for (let i = 0; i < U; i++) {
          const o = (<usize>i) << 2;
          store<f32>(dst + o, load<f32>(src + o) * load<f32>(m + o));
        }
      }
      hk = hm;
    }
    gemm(hk, Up, B, U, wr, nsr, 0, R, nsr);
    if (family == FAMILY_GRU_RESET_BEFORE) {
      for (let b = 0; b < B; b++) {
        const o = <usize>b * rowBytes;
        gruGatesRow(
          xp + <usize>(b * T + t) * xpRow,
          R + <usize>b * rRow,
          hk + o,
          zBuf + o,
          rhBuf + o,
          P,
          ract,
        );
      }
      gemm(rhBuf, Up, B, U, wr2, nsr2, 0, R2, nsr2);
    }
    for (let b = 0; b < B; b++) {
      const o = <usize>b * rowBytes;
      const keep = mask == 0 || load<u8>(mask + <usize>(b * T + t)) != 0;
      const outRow = out + <usize>(b * T + pos) * uBytes;
      if (keep) {
        const xr = xp + <usize>(b * T + t) * xpRow;
        const rr = R + <usize>b * rRow;
        if (family == FAMILY_LSTM) {
          lstmRow(xr, rr, cBuf + o, hn + o, P, act, ract);
        } else if (family == FAMILY_GRU) {
          gruRow(xr, rr, brh, hk + o, hn + o, P, act, ract);
        } else if (family == FAMILY_GRU_RESET_BEFORE) {
          gruCandidateRow(xr, R2 + <usize>b * r2Row, zBuf + o, hk + o, hn + o, P, act);
        } else {
          simpleRow(xr, rr, hn + o, P, act);
        }
        if (mask != 0) memory.copy(last + o, hn + o, rowBytes);
        if (sequences) memory.copy(outRow, hn + o, uBytes);
      } else {
        // Masked: states carry over; the output repeats the previous one (or is zero).
        memory.copy(hn + o, hp + o, rowBytes);
        if (zeroMasked) memory.fill(last + o, 0, rowBytes);
        if (sequences) memory.copy(outRow, last + o, uBytes);
      }
    }
  }

  const hf = (T & 1) == 0 ? hA : hB;
  copyRows(hOut, uBytes, hf, rowBytes, B, uBytes);
  if (family == FAMILY_LSTM) copyRows(cOut, uBytes, cBuf, rowBytes, B, uBytes);
  if (!sequences) copyRows(out, uBytes, mask != 0 ? last : hf, rowBytes, B, uBytes);
}
