/**
 * Whole-sequence ConvLSTM (1, 2 or 3 spatial axes, channels last). Both convolutions are packed
 * GEMMs over patches (im2col). Per step and image, in blocks of {@link PATCH_ROWS} positions:
 * the block's input convolution (the bias as the accumulator's init) and its recurrent
 * convolution of `h` (`same`, stride 1), then its gates and state update, all while the block's
 * gate rows are in cache. The input convolution does not depend on the states and could run for
 * all steps up front, but that buys no arithmetic and would hold `B·T·positions·4·F` gate values
 * (gigabytes for long videos) in a memory that never shrinks; per block it costs nothing, and
 * masked steps skip it.
 *
 * A 3×3 recurrent kernel over 2D images (the caller decides: `width` not 0) runs as Winograd's
 * F(2×2, 3×3) instead (`winograd.ts`): the whole image's recurrent gate rows first, per step and
 * image, then the blocks' input convolutions and gates read them.
 *
 * Geometry comes as tables: for output position `p` and kernel tap `k`, `source[p·taps + k]` is
 * the input position the tap reads (an index into the flattened input positions), or −1 in the
 * padding. Weights are packed as LSTM's (`gemm.ts`: 4 gates interleaved, `NS = 4·Fp`), so a
 * gate row of one position is exactly what `lstmRow` reads.
 *
 * States live in the scratch as `[B, positions, Fp]` with `Fp = 4⌈F/4⌉`.
 *
 * Batch items are independent, so several threads split a call by batch items without meeting:
 * each runs its items' whole sequence, in its own block buffers.
 */
import { GATES_CONV_LSTM2D } from './families.generated';
import { gemm, packedCols } from './gemm';
import { align64 } from './rows';
import {
  FLAG_ALIGN_TO_INPUT,
  FLAG_GO_BACKWARDS,
  FLAG_RETURN_SEQUENCES,
  FLAG_ZERO_OUTPUT_FOR_MASK,
  lstmRow,
} from './sequence';
import { winogradBytes, winogradImage, winogradRows } from './winograd';

/** Positions per block: a block's patches (≤ 64 · taps · channels floats) stay in L1/L2. */
const PATCH_ROWS = 64;

function paddedUnits(F: i32): i32 {
  return ((F + 3) >> 2) << 2;
}

/**
 * Bytes of one thread's block buffers: a block of patches, and one of gate rows from each
 * convolution.
 */
function blockBytes(NS: i32, inDepth: i32, recDepth: i32): usize {
  return (
    align64(<usize>PATCH_ROWS * <usize>max(inDepth, recDepth) * 4) +
    2 * align64(<usize>PATCH_ROWS * <usize>NS * 4)
  );
}

/** Bytes of one thread's buffers: {@link blockBytes}, and Winograd's where `width` is not 0. */
function threadBytes(
  NS: i32,
  inDepth: i32,
  recDepth: i32,
  positions: i32,
  F: i32,
  width: i32,
): usize {
  const block = blockBytes(NS, inDepth, recDepth);
  return width == 0 ? block : block + winogradBytes(positions, F);
}

/**
 * Bytes of scratch a {@link convLSTM} call run by `threads` threads needs (64-byte aligned
 * pointer expected): five state images per batch item and each thread's buffers (`width` as
 * {@link convLSTM}'s).
 */
export function convScratchBytes(
  B: i32,
  positions: i32,
  F: i32,
  inDepth: i32,
  recDepth: i32,
  width: i32,
  threads: i32,
): usize {
  const NS = packedCols(GATES_CONV_LSTM2D, F);
  const state = align64(<usize>B * <usize>positions * <usize>paddedUnits(F) * 4);
  return 5 * state + <usize>threads * threadBytes(NS, inDepth, recDepth, positions, F, width);
}

/** How many of `threads` threads a call of `B` batch items keeps busy (whole items each). */
export function convUsefulThreads(B: i32, threads: i32): i32 {
  const n = max(1, min(threads, B));
  const perThread = (B + n - 1) / n;
  return (B + perThread - 1) / perThread;
}

/**
 * Gathers the patches of `rows` positions from `first` into `dst` (`taps · channels` floats a
 * row): `channels` floats of each source position, positions `stride` floats apart in `src`.
 * Runs of a few floats each: plain vector or scalar moves, not `memory.copy` (a call per run).
 */
export function gatherPatches(
  src: usize,
  stride: i32,
  channels: i32,
  source: usize,
  taps: i32,
  first: i32,
  rows: i32,
  dst: usize,
): void {
  const bytes = (<usize>channels) << 2;
  const strideBytes = (<usize>stride) << 2;
  const vectorBytes = bytes & ~(<usize>15);
  let o = dst;
  let s = source + ((<usize>(first * taps)) << 2);
  const end = s + ((<usize>(rows * taps)) << 2);
  const zero = f32x4.splat(0);
  while (s < end) {
    const from = load<i32>(s);
    if (from < 0) {
      let i: usize = 0;
      for (; i < vectorBytes; i += 16) v128.store(o + i, zero);
      for (; i < bytes; i += 4) store<f32>(o + i, 0);
    } else {
      const at = src + <usize>from * strideBytes;
      let i: usize = 0;
      for (; i < vectorBytes; i += 16) v128.store(o + i, v128.load(at + i));
      for (; i < bytes; i += 4) store<f32>(o + i, load<f32>(at + i));
    }
    o += bytes;
    s += 4;
  }
}

/**
 * Copies `rows` rows of `bytes` bytes between buffers of possibly different row strides (one
 * copy when both are packed: F a multiple of 4).
 */
function copyRows(
  dst: usize,
  dstStride: usize,
  src: usize,
  srcStride: usize,
  rows: i32,
  bytes: usize,
): void {
  if (dstStride == bytes && srcStride == bytes) {
    memory.copy(dst, src, <usize>rows * bytes);
    return;
  }
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + <usize>r * dstStride, src + <usize>r * srcStride, bytes);
  }
}

/**
 * Runs a whole ConvLSTM sequence. Pointers are byte offsets into the module's memory.
 *
 * - `x` `[B, T, ...S, C]` (`frameSize = |S|·C` floats a frame); `inSource` i32
 *   `[positions, inTaps]`, `recSource` i32 `[positions, recTaps]` (see the file comment).
 * - `wk` packed `[inTaps·C, NS]`, `bx` packed bias (NS floats), `wr` packed `[recTaps·F, NS]`.
 * - `width`: 0, or the width of the `positions / width`-high images whose 3×3 recurrent
 *   convolution runs as Winograd's F(2×2, 3×3) (`winograd.ts`) with `wu` (`packWinograd` of the
 *   recurrent kernel) instead of `recSource` and `wr` (then unused).
 * - `h0`, `c0` `[B, positions, F]`; `mask` u8 `[B, T]` or 0; `rmask` `[B, positions, F]` or 0.
 * - `out` `[B, T, positions, F]` or `[B, positions, F]`; `hOut`, `cOut` `[B, positions, F]`.
 * - `scratch`: {@link convScratchBytes} bytes; `flags` as `sequence`'s; `act`, `ract` codes.
 * - One thread: `threads` 1, `thread` 0. Several (at most {@link convUsefulThreads}): each runs
 *   the batch items of its slice; `_sync` and `_canWait` are unused (no thread waits for another).
 */
export function convLSTM(
  B: i32,
  T: i32,
  C: i32,
  F: i32,
  frameSize: i32,
  positions: i32,
  inTaps: i32,
  recTaps: i32,
  x: usize,
  inSource: usize,
  recSource: usize,
  wk: usize,
  bx: usize,
  wr: usize,
  wu: usize,
  width: i32,
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
  _sync: usize,
  threads: i32,
  thread: i32,
  _canWait: bool,
): void {
  const Fp = paddedUnits(F);
  const P = Fp >> 2;
  const NS = packedCols(GATES_CONV_LSTM2D, F);
  const nsBytes = (<usize>NS) << 2;
  const pixelBytes = (<usize>Fp) << 2; // one position of a state image
  const fBytes = (<usize>F) << 2;
  const imageBytes = <usize>positions * pixelBytes;
  const outImageBytes = <usize>positions * fBytes;
  const stateBytes = align64(<usize>B * imageBytes);
  const inDepth = inTaps * C;
  const recDepth = recTaps * F;

  const hA = scratch;
  const hB = hA + stateBytes;
  const cBuf = hB + stateBytes;
  const last = cBuf + stateBytes;
  const hm = last + stateBytes;
  const patches =
    hm + stateBytes + <usize>thread * threadBytes(NS, inDepth, recDepth, positions, F, width);
  const XB = patches + align64(<usize>PATCH_ROWS * <usize>max(inDepth, recDepth) * 4);
  const R = XB + align64(<usize>PATCH_ROWS * nsBytes);
  const wino = R + align64(<usize>PATCH_ROWS * nsBytes); // when width is not 0
  const winoRows = winogradRows(wino, positions, F);
  // This thread's batch items [b0, b1).
  const perThread = (B + threads - 1) / threads;
  const b0 = min(B, thread * perThread);
  const b1 = min(B, b0 + perThread);
  const mine = b1 - b0;

  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  const aligned = backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  const zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;

  const frameBytes = (<usize>frameSize) << 2;

  // States, padded to Fp per position (padding lanes stay 0).
  const first = <usize>b0 * imageBytes;
  const sliceBytes = <usize>mine * imageBytes;
  for (let buf = hA; buf <= hm; buf += stateBytes) memory.fill(buf + first, 0, sliceBytes);
  const sliceRows = mine * positions; // the positions of all this thread's items
  const firstOut = <usize>b0 * outImageBytes;
  copyRows(hA + first, pixelBytes, h0 + firstOut, fBytes, sliceRows, fBytes);
  copyRows(cBuf + first, pixelBytes, c0 + firstOut, fBytes, sliceRows, fBytes);

  for (let s = 0; s < T; s++) {
    const t = backwards ? T - 1 - s : s;
    const pos = aligned ? t : s;
    const hp = (s & 1) == 0 ? hA : hB;
    const hn = (s & 1) == 0 ? hB : hA;
    for (let b = b0; b < b1; b++) {
      const o = <usize>b * imageBytes;
      const keep = mask == 0 || load<u8>(mask + <usize>(b * T + t)) != 0;
      const outImage = out + <usize>(b * T + pos) * outImageBytes;
      if (keep) {
        // h as it enters the recurrent convolution.
        let hk = hp + o;
        if (rmask != 0) {
          const m = rmask + <usize>b * outImageBytes;
          for (let p = 0; p < positions; p++) {
            const dst = hm + o + <usize>p * pixelBytes;
            const src = hp + o + <usize>p * pixelBytes;
            const mp = m + <usize>p * fBytes;
            for (let j = 0; j < F; j++) {
              const k = (<usize>j) << 2;
              store<f32>(dst + k, load<f32>(src + k) * load<f32>(mp + k));
            }
          }
          hk = hm + o;
        }
        const frame = x + <usize>(b * T + t) * frameBytes;
        // Winograd: the whole image's recurrent gate rows first.
        if (width != 0) winogradImage(hk, F, positions / width, width, wu, wino);
        for (let p0 = 0; p0 < positions; p0 += PATCH_ROWS) {
          const rows = min(PATCH_ROWS, positions - p0);
          gatherPatches(frame, C, C, inSource, inTaps, p0, rows, patches);
          gemm(patches, inDepth, rows, inDepth, wk, NS, bx, XB, NS);
          let rec = R;
          if (width != 0) {
            rec = winoRows + <usize>p0 * nsBytes;
          } else {
            gatherPatches(hk, Fp, F, recSource, recTaps, p0, rows, patches);
            gemm(patches, recDepth, rows, recDepth, wr, NS, 0, R, NS);
          }
          for (let r = 0; r < rows; r++) {
            const p = <usize>(p0 + r);
            lstmRow(
              XB + <usize>r * nsBytes,
              rec + <usize>r * nsBytes,
              cBuf + o + p * pixelBytes,
              hn + o + p * pixelBytes,
              P,
              act,
              ract,
            );
          }
        }
        if (mask != 0) memory.copy(last + o, hn + o, imageBytes);
        if (sequences) copyRows(outImage, fBytes, hn + o, pixelBytes, positions, fBytes);
      } else {
        // Masked: both states carry over; the output repeats the previous one (or is zero).
        memory.copy(hn + o, hp + o, imageBytes);
        if (zeroMasked) memory.fill(last + o, 0, imageBytes);
        if (sequences) copyRows(outImage, fBytes, last + o, pixelBytes, positions, fBytes);
      }
    }
  }

  const hf = (T & 1) == 0 ? hA : hB;
  copyRows(hOut + firstOut, fBytes, hf + first, pixelBytes, sliceRows, fBytes);
  copyRows(cOut + firstOut, fBytes, cBuf + first, pixelBytes, sliceRows, fBytes);
  if (!sequences) {
    const final = mask != 0 ? last : hf;
    copyRows(out + firstOut, fBytes, final + first, pixelBytes, sliceRows, fBytes);
  }
}
