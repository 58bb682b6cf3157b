/**
 * Whole-sequence recurrences. One call runs the input projection for all B·T rows (one packed
 * GEMM), then per step the recurrent product (one packed GEMM over the batch) and the fused
 * gate/state update, with Keras masking by selection.
 *
 * Layout: every per-row buffer (h, c, last output) holds `Up = 4⌈U/4⌉` floats per row; packed
 * gate rows follow the interleaved order of `gemm.ts`.
 */
import { GATES_GRU, GATES_LSTM, GATES_SIMPLE_RNN } from './families.generated';
import { gemm, packedCols, packVector } from './gemm';
import { align64 } from './rows';
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

/** Gates in the input projection (the family table's gate counts, generated at build). */
export function inputGates(family: i32): i32 {
  return family == FAMILY_LSTM
    ? GATES_LSTM
    : family == FAMILY_SIMPLE_RNN
      ? GATES_SIMPLE_RNN
      : GATES_GRU;
}

/** Gates in the first recurrent product (GRU reset-before splits off its candidate). */
export function recurrentGates(family: i32): i32 {
  return family == FAMILY_GRU_RESET_BEFORE ? 2 : inputGates(family);
}

/** Bytes of one 4-unit panel of packed gate rows: 4 floats per gate. */
const PANEL_BYTES_LSTM: usize = <usize>(16 * GATES_LSTM);
const PANEL_BYTES_GRU: usize = <usize>(16 * GATES_GRU);

function paddedUnits(U: i32): i32 {
  return ((U + 3) >> 2) << 2;
}

/**
 * Bytes of scratch a `sequence` call needs (64-byte aligned pointer expected); a threaded call
 * ({@link sequence} run by several threads) passes its thread count.
 */
export function scratchBytes(family: i32, B: i32, T: i32, U: i32, threads: i32): usize {
  const rowBuf = align64(<usize>B * <usize>paddedUnits(U) * 4);
  const nsx = packedCols(inputGates(family), U);
  const nsr = packedCols(recurrentGates(family), U);
  const nsr2 = family == FAMILY_GRU_RESET_BEFORE ? packedCols(1, U) : 0;
  return (
    (6 + <usize>threads) * rowBuf +
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
  const rec = bias + ((<usize>(GATES_GRU * U)) << 2);
  const P = (U + 3) >> 2;
  // z and r of the recurrent row, added into vectors 0 and 1 of each 3-vector panel.
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < 4; j++) {
      const u = 4 * p + j;
      if (u >= U) break;
      const zr = dstX + ((<usize>(p * 4 * GATES_GRU + j)) << 2);
      store<f32>(zr, load<f32>(zr) + load<f32>(rec + ((<usize>u) << 2)));
      store<f32>(zr, load<f32>(zr, 16) + load<f32>(rec + ((<usize>(U + u)) << 2)), 16);
    }
  }
  packVector(rec, 2 * U, 1, U, dstRh);
}

/**
 * LSTM gates and state update of one row of P unit quads: gate rows `x + r` (packed,
 * interleaved), `c` updated in place, the new `h` written to `h`.
 */
export function lstmRow(x: usize, r: usize, c: usize, h: usize, P: i32, act: i32, ract: i32): void {
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

function gruGatesRow(
  x: usize,
  r: usize,
  hk: usize,
  z: usize,
  rh: usize,
  P: i32,
  act: i32,
  ract: i32,
): void {
  const fast = act == ACT_TANH && ract == ACT_SIGMOID;
  for (let p = 0; p < P; p++) {
    const sz = f32x4.add(v128.load(x), v128.load(r));
    const sr = f32x4.add(v128.load(x, 16), v128.load(r, 16));
    v128.store(z, fast ? vgate(sz) : activate(ract, sz));
    const rv = fast ? vgate(sr) : activate(ract, sr);
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
  ract: i32,
): void {
  const fast = act == ACT_TANH && ract == ACT_SIGMOID;
  for (let p = 0; p < P; p++) {
    const s = f32x4.add(v128.load(x, 32), v128.load(r2));
    const hh = fast ? vtanh(s) : activate(act, s);
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

/** Units per slice of a threaded call: a whole number of 16-column panels for every family. */
export const SLICE_UNITS = 16;

// The sync block of a threaded call (byte offsets, each i32 on a cache line of its own).
const SYNC_COUNT = 0;
const SYNC_GENERATION = 64;
const SYNC_SLEEPERS = 128;
/** Bytes of the sync block a threaded call needs. */
const SYNC_BYTES: i32 = 192;

/** Bytes of the zeroed sync block {@link sequence} takes when run by several threads. */
export function syncBytes(): i32 {
  return SYNC_BYTES;
}
/** Spins on the generation before a thread that may block sleeps. */
const SPIN_LIMIT = 1 << 16;

/**
 * Waits until all `threads` threads of a call arrive. Spins first (steps are microseconds
 * long); a thread that may block (`canWait`) then sleeps on the generation. A no-op for one
 * thread, and compiled only into the shared-memory builds.
 */
function barrier(sync: usize, threads: i32, canWait: bool): void {
  if (ASC_FEATURE_THREADS) {
    if (threads <= 1) return;
    const generation = atomic.load<i32>(sync, SYNC_GENERATION);
    if (atomic.add<i32>(sync, 1, SYNC_COUNT) == threads - 1) {
      atomic.store<i32>(sync, 0, SYNC_COUNT);
      atomic.store<i32>(sync, generation + 1, SYNC_GENERATION);
      if (atomic.load<i32>(sync, SYNC_SLEEPERS) > 0) {
        atomic.notify(sync + SYNC_GENERATION, threads);
      }
      return;
    }
    let spins = 0;
    while (atomic.load<i32>(sync, SYNC_GENERATION) == generation) {
      if (canWait && ++spins > SPIN_LIMIT) {
        atomic.add<i32>(sync, 1, SYNC_SLEEPERS);
        atomic.wait<i32>(sync + SYNC_GENERATION, generation, -1);
        atomic.sub<i32>(sync, 1, SYNC_SLEEPERS);
      }
    }
  }
}

/**
 * How many of `threads` threads a call of U units keeps busy: slices of {@link SLICE_UNITS}
 * units are dealt out evenly, so some counts leave a thread without one.
 */
export function usefulThreads(U: i32, threads: i32): i32 {
  const slices = (U + SLICE_UNITS - 1) / SLICE_UNITS;
  const n = max(1, min(threads, slices));
  const perThread = (slices + n - 1) / n;
  return (slices + perThread - 1) / perThread;
}

/**
 * Runs a whole sequence, or thread `thread`'s part of it when `threads` threads run it together.
 * Pointers are byte offsets into the shared memory.
 *
 * - `x` `[B, T, D]`; `wk` packed `[D, packedCols(inputGates)]`; `bx` packed input bias.
 * - `wr` packed `[U, packedCols(recurrentGates)]`; `wr2` (GRU reset-before) packed candidate
 *   recurrent kernel `[U, packedCols(1)]`; `brh` (GRU reset-after) packed candidate recurrent bias.
 * - `h0`, `c0` `[B, U]`; `mask` u8 `[B, T]` or 0; `rmask` `[B, U]` or 0.
 * - `out` `[B, T, U]` or `[B, U]`; `hOut`, `cOut` `[B, U]`; `scratch` of
 *   `scratchBytes(…, threads)` bytes.
 * - One thread: `sync` 0, `threads` 1, `thread` 0. Several: each owns a slice of
 *   {@link SLICE_UNITS}-unit groups (every gate of those units), projects the inputs onto its
 *   columns, and per step computes its columns of the recurrent product and its units' state
 *   update; a barrier on `sync` ({@link syncBytes}, zeroed) then publishes the new `h` to all.
 *   `threads` must not exceed {@link usefulThreads}; `canWait` lets a thread sleep at barriers.
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
  sync: usize,
  threads: i32,
  thread: i32,
  canWait: bool,
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
  const zBuf = last + rowBuf;
  const rhBuf = zBuf + rowBuf;
  // One buffer per thread for h ⊙ recurrent mask: each thread masks all of h for its product.
  const hm = rhBuf + rowBuf + <usize>thread * rowBuf;
  const xp = rhBuf + rowBuf + <usize>threads * rowBuf;
  const R = xp + align64(<usize>B * <usize>T * <usize>nsx * 4);
  const R2 = R + align64(<usize>B * <usize>nsr * 4);
  const xpRow = (<usize>nsx) << 2;
  const rRow = (<usize>nsr) << 2;
  const r2Row = (<usize>nsr2) << 2;

  // This thread's unit quads [q0, q1): whole slices, the last one reaching the padding.
  const quadsPerSlice = SLICE_UNITS >> 2;
  const slices = (P + quadsPerSlice - 1) / quadsPerSlice;
  const perThread = (slices + threads - 1) / threads;
  const q0 = min(P, thread * perThread * quadsPerSlice);
  const q1 = min(P, (thread + 1) * perThread * quadsPerSlice);
  const nq = q1 - q0;
  const qBytes = (<usize>q0) << 4; // offset of quad q0 in a row of h, c, …
  const sliceBytes = (<usize>nq) << 4;
  const u0 = 4 * q0;
  const u1 = min(U, 4 * q1);
  const unitBytes = u1 > u0 ? (<usize>(u1 - u0)) << 2 : 0;
  // Only the thread holding the last units computes the padding columns.
  const lastSlice = q1 == P && q0 < q1;
  const G = inputGates(family);
  const Gr = recurrentGates(family);
  // Packed columns of the slice (a multiple of 16 apart; the last slice takes the padding).
  const xCol0 = q0 * 4 * G;
  const xCols = (lastSlice ? nsx : q1 * 4 * G) - xCol0;
  const rCol0 = q0 * 4 * Gr;
  const rCols = (lastSlice ? nsr : q1 * 4 * Gr) - rCol0;
  const r2Col0 = q0 * 4;
  const r2Cols = (lastSlice ? nsr2 : q1 * 4) - r2Col0;

  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  const aligned = backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  const zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;

  // Input projection of this slice's columns for every (b, t) row; the bias is the
  // accumulator's init.
  if (xCols > 0) {
    gemm(
      x,
      D,
      B * T,
      D,
      wk + <usize>(xCol0 >> 4) * ((<usize>D) << 6),
      xCols,
      bx + ((<usize>xCol0) << 2),
      xp + ((<usize>xCol0) << 2),
      nsx,
    );
  }

  for (let b = 0; b < B; b++) {
    const o = <usize>b * rowBytes + qBytes;
    for (let buf = hA; buf <= rhBuf; buf += rowBuf) memory.fill(buf + o, 0, sliceBytes);
    memory.copy(hA + o, h0 + <usize>b * uBytes + qBytes, unitBytes);
    if (family == FAMILY_LSTM) memory.copy(cBuf + o, c0 + <usize>b * uBytes + qBytes, unitBytes);
  }
  memory.fill(hm, 0, rowBuf);
  barrier(sync, threads, canWait);

  const rBlock = <usize>(rCol0 >> 4) * ((<usize>U) << 6);
  const r2Block = <usize>(r2Col0 >> 4) * ((<usize>U) << 6);
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
    if (rCols > 0) gemm(hk, Up, B, U, wr + rBlock, rCols, 0, R + ((<usize>rCol0) << 2), nsr);
    if (family == FAMILY_GRU_RESET_BEFORE) {
      for (let b = 0; b < B; b++) {
        const o = <usize>b * rowBytes + qBytes;
        gruGatesRow(
          xp + <usize>(b * T + t) * xpRow + <usize>q0 * PANEL_BYTES_GRU,
          R + <usize>b * rRow + <usize>q0 * 32,
          hk + o,
          zBuf + o,
          rhBuf + o,
          nq,
          act,
          ract,
        );
      }
      // The candidate's product reads every unit of r ⊙ h.
      barrier(sync, threads, canWait);
      if (r2Cols > 0) {
        gemm(rhBuf, Up, B, U, wr2 + r2Block, r2Cols, 0, R2 + ((<usize>r2Col0) << 2), nsr2);
      }
    }
    for (let b = 0; b < B; b++) {
      const o = <usize>b * rowBytes + qBytes;
      const keep = mask == 0 || load<u8>(mask + <usize>(b * T + t)) != 0;
      const outRow = out + <usize>(b * T + pos) * uBytes + qBytes;
      if (keep) {
        const xr = xp + <usize>(b * T + t) * xpRow;
        const rr = R + <usize>b * rRow;
        if (family == FAMILY_LSTM) {
          lstmRow(
            xr + <usize>q0 * PANEL_BYTES_LSTM,
            rr + <usize>q0 * PANEL_BYTES_LSTM,
            cBuf + o,
            hn + o,
            nq,
            act,
            ract,
          );
        } else if (family == FAMILY_GRU) {
          gruRow(
            xr + <usize>q0 * PANEL_BYTES_GRU,
            rr + <usize>q0 * PANEL_BYTES_GRU,
            brh + qBytes,
            hk + o,
            hn + o,
            nq,
            act,
            ract,
          );
        } else if (family == FAMILY_GRU_RESET_BEFORE) {
          gruCandidateRow(
            xr + <usize>q0 * PANEL_BYTES_GRU,
            R2 + <usize>b * r2Row + qBytes,
            zBuf + o,
            hk + o,
            hn + o,
            nq,
            act,
            ract,
          );
        } else {
          simpleRow(xr + qBytes, rr + qBytes, hn + o, nq, act);
        }
        if (mask != 0) memory.copy(last + o, hn + o, sliceBytes);
        if (sequences) memory.copy(outRow, hn + o, unitBytes);
      } else {
        // Masked: states carry over; the output repeats the previous one (or is zero).
        memory.copy(hn + o, hp + o, sliceBytes);
        if (zeroMasked) memory.fill(last + o, 0, sliceBytes);
        if (sequences) memory.copy(outRow, last + o, unitBytes);
      }
    }
    // The next step's product reads every unit of the new h.
    barrier(sync, threads, canWait);
  }

  const hf = (T & 1) == 0 ? hA : hB;
  copyRows(hOut + qBytes, uBytes, hf + qBytes, rowBytes, B, unitBytes);
  if (family == FAMILY_LSTM) copyRows(cOut + qBytes, uBytes, cBuf + qBytes, rowBytes, B, unitBytes);
  if (!sequences) {
    copyRows(out + qBytes, uBytes, (mask != 0 ? last : hf) + qBytes, rowBytes, B, unitBytes);
  }
}
