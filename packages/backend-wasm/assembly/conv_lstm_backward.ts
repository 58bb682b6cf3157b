/**
 * Whole-sequence ConvLSTM backward pass (`RnnkitConvLSTMSequenceGrad`), 1 to 3 spatial axes as
 * tables of source positions per tap (see `conv_lstm.ts`). The forward pass keeps every step's
 * pre-activations, activations, cell states and recurrent input: run by the taped forward kernel
 * ({@link convLSTMGradForward}, into a block of the caller's) or recomputed by the backward call
 * in its scratch. The backward call then runs the reverse time loop: per step the gate gradients
 * `dz` of each position (`lstmBackwardRow`) and the recurrent transposed convolution
 * `dh_{t−1} = col2im(dz_t · Uᵀ) ⊙ rm`, one packed product per step, in blocks of positions whose
 * result is scattered while in cache.
 *
 * The rest is hoisted out of the loop, over all `B·T·positions` rows of steps a mask did not
 * skip: `dx = col2im(dz · Wᵀ)` (strides, dilation and padding through the input table),
 * `dW = patches(x)ᵀ · dz`, `dU = patches(h_in)ᵀ · dz` and `db = Σ dz`. The weight products run
 * in chunks of {@link CHUNK_ROWS} rows (a chunk of packed `dz` stays in cache while every row of
 * the transposed patches passes over it), accumulated in float32; `db` sums in float64.
 *
 * Gate columns are in Keras order (`g·F + f`, no interleaving) as in `backward.ts`; rows are
 * `(b·T + t)·positions + p`, as `x`'s frames. Rows of masked steps are never written nor read.
 */
import { lstmBackwardRow, lstmForwardRow } from './backward_rows';
import { gatherPatches } from './conv_lstm';
import { gemm, packedCols, packMatrix, packVector } from './gemm';
import { addColumnSums, addRows, align64, copyBlock, mulRows, storeSums, transpose } from './rows';
import {
  FLAG_ALIGN_TO_INPUT,
  FLAG_GO_BACKWARDS,
  FLAG_RETURN_SEQUENCES,
  FLAG_ZERO_OUTPUT_FOR_MASK,
} from './sequence';
import { addOutputGradient, firstSteps, stepOutput, taken } from './steps';
import { ACT_SIGMOID, ACT_TANH } from './vmath';

/** Positions per block of the per-step products. */
const BLOCK_ROWS = 64;
/** Rows per chunk of the hoisted weight products. */
const CHUNK_ROWS = 256;

function maxOf(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

/** Next free byte of the scratch being laid out. */
let cursor: usize = 0;

function take(floats: usize): usize {
  const at = cursor;
  cursor += align64(floats << 2);
  return at;
}

// The scratch regions of a call (byte offsets once laid out).
let wp: usize = 0; // packed W [inDepth, NSg]
let bxp: usize = 0; // packed bias [NSg]
let up: usize = 0; // packed U [recDepth, NSg]
let utp: usize = 0; // packed Uᵀ [4F, NSr]
let wtp: usize = 0; // packed Wᵀ [4F, NSk]
let tr: usize = 0; // a weight's transpose
let hs: usize = 0; // state h [B, positions, F]
let cs: usize = 0; // state c
let dh: usize = 0; // gradient of h
let dc: usize = 0; // gradient of c
let hIn: usize = 0; // every step's recurrent input h ⊙ rm [rows, F]
let zs: usize = 0; // pre-activations [rows, 4F]
let as_: usize = 0; // activations [rows, 4F]
let cPrev: usize = 0; // c_{t−1} [rows, F]
let cNew: usize = 0; // c_t
let cAct: usize = 0; // act(c_t)
let dZ: usize = 0; // gate gradients [rows, 4F]
let patches: usize = 0; // patches of a block or chunk [CHUNK_ROWS, maxDepth]
let patches2: usize = 0; // the chunk's recurrent patches [CHUNK_ROWS, recDepth]
let xb: usize = 0; // input product of a block [BLOCK_ROWS, NSg]
let rb: usize = 0; // recurrent product of a block [BLOCK_ROWS, NSg]
let yb: usize = 0; // back product of a block [BLOCK_ROWS, max(NSr, NSk)]
let dzRows: usize = 0; // the chunk's gate gradients [CHUNK_ROWS, 4F]
let dzPacked: usize = 0; // packed [CHUNK_ROWS, NSg]
let patchesT: usize = 0; // transposed patches of a chunk [maxDepth, CHUNK_ROWS]
let prod: usize = 0; // a chunk's weight product [maxDepth, NSg]
let accW: usize = 0; // dW accumulated [inDepth, NSg]
let accU: usize = 0; // dU accumulated [recDepth, NSg]
let sums: usize = 0; // float64 column sums of dz [4F]
let first: usize = 0; // i32 [B]: first processing step a row takes
let scratchEnd: usize = 0;
let savedEnd: usize = 0; // end of the activations (`hIn` to `cAct`)
let threadStride: usize = 0; // bytes between two threads' own regions
// This thread's batch items [firstItem, endItem).
let firstItem: i32 = 0;
let endItem: i32 = 0;

/**
 * The call being run (set by {@link begin}): sizes, geometry tables, inputs and options as the
 * entry points take them, and what follows from them.
 */
class Call {
  static B: i32 = 0;
  static T: i32 = 0;
  static C: i32 = 0;
  static F: i32 = 0;
  static frameSize: i32 = 0;
  static positions: i32 = 0;
  static inTaps: i32 = 0;
  static recTaps: i32 = 0;
  static x: usize = 0;
  static inSource: usize = 0;
  static recSource: usize = 0;
  static mask: usize = 0;
  static rmask: usize = 0;
  static act: i32 = 0;
  static ract: i32 = 0;
  /** The forward kernels' activations (tanh, sigmoid; see `backward_rows.ts`). */
  static fast: bool = false;
  static backwards: bool = false;
  static sequences: bool = false;
  static aligned: bool = false;
  static zeroMasked: bool = false;
  /** Patch depths: taps · channels. */
  static inDepth: i32 = 0;
  static recDepth: i32 = 0;
  /** Bytes of a state image `[positions, F]`. */
  static imageBytes: usize = 0;
}

/**
 * Lays out the scratch of thread `thread` of a call run by `threads` threads at `base` (0 to size
 * it): the state images, activations and gate gradients of all batch items (each thread writes
 * its items' only), then each thread's own buffers; the activations at `saved` instead when it is
 * not 0. Sets the thread's batch items.
 */
function layout(
  B: i32,
  T: i32,
  F: i32,
  positions: i32,
  inDepth: i32,
  recDepth: i32,
  base: usize,
  saved: usize,
  threads: i32,
  thread: i32,
): void {
  const g4 = <usize>(4 * F);
  const image = <usize>B * <usize>positions * <usize>F;
  const rows = <usize>B * <usize>T * <usize>positions;
  const f = <usize>F;
  cursor = 0;
  layoutThread(F, inDepth, recDepth);
  threadStride = cursor;
  cursor = base;
  hs = take(image);
  cs = take(image);
  dh = take(image);
  dc = take(image);
  const rest = cursor;
  if (saved != 0) cursor = saved;
  hIn = take(rows * f);
  zs = take(rows * g4);
  as_ = take(rows * g4);
  cPrev = take(rows * f);
  cNew = take(rows * f);
  cAct = take(rows * f);
  savedEnd = cursor;
  if (saved != 0) cursor = rest;
  dZ = take(rows * g4);
  first = take(<usize>B);
  const own = cursor;
  scratchEnd = own + <usize>threads * threadStride;
  cursor = own + <usize>thread * threadStride;
  layoutThread(F, inDepth, recDepth);
  const perThread = (B + threads - 1) / threads;
  firstItem = min(B, thread * perThread);
  endItem = min(B, firstItem + perThread);
}

/** Lays out one thread's own buffers at the cursor. */
function layoutThread(F: i32, inDepth: i32, recDepth: i32): void {
  const g4 = <usize>(4 * F);
  const NSg = <usize>packedCols(1, 4 * F);
  const NSr = <usize>packedCols(1, recDepth);
  const NSk = <usize>packedCols(1, inDepth);
  const depth = <usize>maxOf(inDepth, recDepth);
  wp = take(<usize>inDepth * NSg);
  bxp = take(NSg);
  up = take(<usize>recDepth * NSg);
  utp = take(g4 * NSr);
  wtp = take(g4 * NSk);
  tr = take(g4 * depth);
  patches = take(<usize>CHUNK_ROWS * depth);
  patches2 = take(<usize>CHUNK_ROWS * <usize>recDepth);
  xb = take(<usize>BLOCK_ROWS * NSg);
  rb = take(<usize>BLOCK_ROWS * NSg);
  yb = take(<usize>BLOCK_ROWS * (NSr > NSk ? NSr : NSk));
  dzRows = take(<usize>CHUNK_ROWS * g4);
  dzPacked = take(<usize>CHUNK_ROWS * NSg);
  patchesT = take(depth * <usize>CHUNK_ROWS);
  prod = take(depth * NSg);
  accW = take(<usize>inDepth * NSg);
  accU = take(<usize>recDepth * NSg);
  sums = take(2 * g4);
  // Vector loads of a row's last lanes may read up to 12 bytes past its end.
  take(16);
}

/**
 * Bytes of scratch a {@link convLSTMGrad} or {@link convLSTMGradForward} call run by `threads`
 * threads needs (64-byte aligned pointer expected); patch depths are taps · channels.
 */
export function convGradScratchBytes(
  B: i32,
  T: i32,
  F: i32,
  positions: i32,
  inDepth: i32,
  recDepth: i32,
  threads: i32,
): usize {
  layout(B, T, F, positions, inDepth, recDepth, 0, 0, threads, 0);
  return scratchEnd;
}

/**
 * Bytes of the activations a backward pass reads (every step's recurrent input,
 * pre-activations, activations and cell states), which {@link convLSTMGradForward} leaves in a
 * block of the caller's for a later {@link convLSTMGrad} call.
 */
export function convGradSavedBytes(
  B: i32,
  T: i32,
  F: i32,
  positions: i32,
  inDepth: i32,
  recDepth: i32,
): usize {
  layout(B, T, F, positions, inDepth, recDepth, 0, 64, 1, 0);
  return savedEnd - 64;
}

/** Sets {@link Call} from an entry point's arguments and lays out this thread's scratch. */
function begin(
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
  mask: usize,
  rmask: usize,
  flags: i32,
  act: i32,
  ract: i32,
  scratch: usize,
  saved: usize,
  threads: i32,
  thread: i32,
): void {
  Call.B = B;
  Call.T = T;
  Call.C = C;
  Call.F = F;
  Call.frameSize = frameSize;
  Call.positions = positions;
  Call.inTaps = inTaps;
  Call.recTaps = recTaps;
  Call.x = x;
  Call.inSource = inSource;
  Call.recSource = recSource;
  Call.mask = mask;
  Call.rmask = rmask;
  Call.act = act;
  Call.ract = ract;
  Call.fast = act == ACT_TANH && ract == ACT_SIGMOID;
  Call.backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  Call.sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  Call.aligned = Call.backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  Call.zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;
  Call.inDepth = inTaps * C;
  Call.recDepth = recTaps * F;
  Call.imageBytes = (<usize>(positions * F)) << 2;
  layout(B, T, F, positions, Call.inDepth, Call.recDepth, scratch, saved, threads, thread);
}

/** Copies the state images of this thread's batch items from `src` to `dst`. */
function copyItems(dst: usize, src: usize): void {
  const at = <usize>firstItem * Call.imageBytes;
  memory.copy(dst + at, src + at, <usize>(endItem - firstItem) * Call.imageBytes);
}

/**
 * The forward pass of a ConvLSTM call whose gradients will be asked for: writes the outputs as
 * `convLSTM` does (`out`, `hOut`, `cOut`) and leaves the activations the backward pass reads in
 * `saved` ({@link convGradSavedBytes} bytes, 64-byte aligned). Other arguments as for
 * {@link convLSTMGrad}; `scratch` of {@link convGradScratchBytes} bytes. Several threads split
 * the batch items as for {@link convLSTMGrad}.
 */
export function convLSTMGradForward(
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
  kernel: usize,
  recurrent: usize,
  bias: usize,
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
  saved: usize,
  _sync: usize,
  threads: i32,
  thread: i32,
  _canWait: bool,
): void {
  // prettier-ignore
  begin(B, T, C, F, frameSize, positions, inTaps, recTaps, x, inSource, recSource, mask, rmask, flags, act, ract, scratch, saved, threads, thread);
  forwardPass(kernel, recurrent, bias, h0, c0, out);
  copyItems(hOut, hs);
  copyItems(cOut, cs);
  // The last output: the state, or under a mask the output of the last step (kept in dh).
  if (!Call.sequences) copyItems(out, mask != 0 ? dh : hs);
}

/**
 * Gradients of one ConvLSTM call with respect to its input, weights and initial states.
 * Pointers are byte offsets into the shared memory.
 *
 * - Forward inputs as for `convLSTM`, the weights unpacked: `kernel` `[inTaps·C, 4F]`,
 *   `recurrent` `[recTaps·F, 4F]`, `bias` `[4F]`.
 * - Output gradients: `dOut` (the forward output's shape), `dH`, `dC` `[B, positions, F]`.
 * - Results: `dx` (`x`'s shape), `dW`, `dU`, `db` (the weights' shapes), `dh0`, `dc0`.
 * - `scratch` of {@link convGradScratchBytes} bytes; `flags` and activation codes as `convLSTM`'s.
 * - `saved`: the block where {@link convLSTMGradForward} left the activations of this call's
 *   forward pass (which is then not recomputed), or 0.
 * - One thread: `threads` 1, `thread` 0. Several (at most `convUsefulThreads`): each runs the
 *   batch items of its slice, in its own buffers, and never waits for another (`_sync` and
 *   `_canWait` are unused); `dW`, `dU`, `db` are then written by {@link convLSTMGradReduce}.
 */
export function convLSTMGrad(
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
  kernel: usize,
  recurrent: usize,
  bias: usize,
  h0: usize,
  c0: usize,
  mask: usize,
  rmask: usize,
  dOut: usize,
  dH: usize,
  dC: usize,
  dx: usize,
  dW: usize,
  dU: usize,
  db: usize,
  dh0: usize,
  dc0: usize,
  scratch: usize,
  flags: i32,
  act: i32,
  ract: i32,
  saved: usize,
  _sync: usize,
  threads: i32,
  thread: i32,
  _canWait: bool,
): void {
  // prettier-ignore
  begin(B, T, C, F, frameSize, positions, inTaps, recTaps, x, inSource, recSource, mask, rmask, flags, act, ract, scratch, saved, threads, thread);
  const inDepth = Call.inDepth;
  const recDepth = Call.recDepth;
  const G4 = 4 * F;

  transpose(recurrent, recDepth, G4, G4, tr, recDepth);
  packMatrix(tr, G4, recDepth, 0, 1, recDepth, utp);
  transpose(kernel, inDepth, G4, G4, tr, inDepth);
  packMatrix(tr, G4, inDepth, 0, 1, inDepth, wtp);

  // The first processing step each row takes.
  firstSteps(mask, T, firstItem, endItem, Call.backwards, first);

  if (saved == 0) forwardPass(kernel, recurrent, bias, h0, c0, 0);

  copyItems(dh, dH);
  copyItems(dc, dC);
  backwardPass(dOut);
  copyItems(dh0, dh);
  copyItems(dc0, dc);

  inputGradient(dx);
  weightGradients();
  if (threads == 1) writeWeightGradients(F, inDepth, recDepth, dW, dU, db);
}

/** Writes the accumulated `dW`, `dU` and `db` of the thread laid out. */
function writeWeightGradients(
  F: i32,
  inDepth: i32,
  recDepth: i32,
  dW: usize,
  dU: usize,
  db: usize,
): void {
  const G4 = 4 * F;
  const NSg = packedCols(1, G4);
  copyBlock(accW, NSg, inDepth, G4, dW, G4);
  copyBlock(accU, NSg, recDepth, G4, dU, G4);
  storeSums(sums, G4, db);
}

/**
 * After a {@link convLSTMGrad} call run by `threads` (> 1) threads: sums the threads' `dW`, `dU`
 * and `db` (in thread order) and writes them. Sizes and pointers as that call's.
 */
export function convLSTMGradReduce(
  B: i32,
  T: i32,
  F: i32,
  positions: i32,
  inDepth: i32,
  recDepth: i32,
  scratch: usize,
  saved: usize,
  threads: i32,
  dW: usize,
  dU: usize,
  db: usize,
): void {
  layout(B, T, F, positions, inDepth, recDepth, scratch, saved, threads, 0);
  const NSg = packedCols(1, 4 * F);
  for (let t = 1; t < threads; t++) {
    const off = <usize>t * threadStride;
    addRows(accW, accW, accW + off, inDepth * NSg);
    addRows(accU, accU, accU + off, recDepth * NSg);
    for (let j = 0; j < 4 * F; j++) {
      const acc = sums + ((<usize>j) << 3);
      store<f64>(acc, load<f64>(acc) + load<f64>(acc + off));
    }
  }
  writeWeightGradients(F, inDepth, recDepth, dW, dU, db);
}

/**
 * The forward pass from `h0`, `c0` with the weights packed here, keeping every step's
 * activations in the scratch laid out; with `out` (not 0), writes the outputs of every step as
 * `convLSTM` does, the last output of each image kept in `dh` (free until the backward pass).
 */
function forwardPass(
  kernel: usize,
  recurrent: usize,
  bias: usize,
  h0: usize,
  c0: usize,
  out: usize,
): void {
  const T = Call.T;
  const G4 = 4 * Call.F;
  const imageBytes = Call.imageBytes;
  packMatrix(kernel, Call.inDepth, G4, 0, 1, G4, wp);
  packVector(bias, 0, 1, G4, bxp);
  packMatrix(recurrent, Call.recDepth, G4, 0, 1, G4, up);
  copyItems(hs, h0);
  copyItems(cs, c0);
  const at = <usize>firstItem * imageBytes;
  if (out != 0) memory.fill(dh + at, 0, <usize>(endItem - firstItem) * imageBytes);
  for (let s = 0; s < T; s++) {
    const t = Call.backwards ? T - 1 - s : s;
    for (let b = firstItem; b < endItem; b++) {
      const keep = taken(Call.mask, T, b, t);
      if (keep) stepImage(b, t);
      if (out == 0) continue;
      // Masked: states carry over; the output repeats the previous one (or is zero).
      const o = <usize>b * imageBytes;
      const pos = Call.aligned ? t : s;
      const to = Call.sequences ? out + <usize>(b * T + pos) * imageBytes : 0;
      stepOutput(dh + o, hs + o, keep, Call.zeroMasked, to, imageBytes);
    }
  }
}

/** One step of one image: both convolutions in blocks of positions, then its gates. */
function stepImage(b: i32, t: i32): void {
  const F = Call.F;
  const positions = Call.positions;
  const inDepth = Call.inDepth;
  const recDepth = Call.recDepth;
  const NSg = packedCols(1, 4 * F);
  const fBytes = (<usize>F) << 2;
  const gBytes = fBytes << 2;
  const nsBytes = (<usize>NSg) << 2;
  const imageBytes = Call.imageBytes;
  const fast = Call.fast;
  const act = Call.act;
  const ract = Call.ract;
  const C = Call.C;
  const frame = Call.x + <usize>(b * Call.T + t) * ((<usize>Call.frameSize) << 2);
  const row0 = <usize>(b * Call.T + t) * <usize>positions;
  const h = hs + <usize>b * imageBytes;
  const c = cs + <usize>b * imageBytes;
  const hk = hIn + row0 * fBytes;
  if (Call.rmask != 0) mulRows(hk, h, Call.rmask + <usize>b * imageBytes, positions * F);
  else memory.copy(hk, h, imageBytes);
  for (let p0 = 0; p0 < positions; p0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, positions - p0);
    gatherPatches(frame, C, C, Call.inSource, Call.inTaps, p0, rows, patches);
    gemm(patches, inDepth, rows, inDepth, wp, NSg, bxp, xb, NSg);
    gatherPatches(hk, F, F, Call.recSource, Call.recTaps, p0, rows, patches);
    gemm(patches, recDepth, rows, recDepth, up, NSg, 0, rb, NSg);
    for (let r = 0; r < rows; r++) {
      const p = <usize>(p0 + r);
      const row = row0 + p;
      lstmForwardRow(
        xb + <usize>r * nsBytes,
        rb + <usize>r * nsBytes,
        zs + row * gBytes,
        as_ + row * gBytes,
        c + p * fBytes,
        cPrev + row * fBytes,
        cNew + row * fBytes,
        cAct + row * fBytes,
        h + p * fBytes,
        F,
        fast,
        act,
        ract,
      );
    }
  }
}

/**
 * `dst = col2im(dZ rows · Bᵀ)` for the positions of step row `row0` (a row of `dZ` per
 * position), in blocks: `Bt` the packed transposed weights `[4F, NS]`, of `taps` taps of
 * `channels` channels read through `source` (see {@link scatterPatches}); adds to `dst`.
 */
function backProduct(
  row0: usize,
  Bt: usize,
  NS: i32,
  channels: i32,
  source: usize,
  taps: i32,
  dst: usize,
): void {
  const G4 = 4 * Call.F;
  const gBytes = (<usize>G4) << 2;
  const positions = Call.positions;
  for (let p0 = 0; p0 < positions; p0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, positions - p0);
    gemm(dZ + (row0 + <usize>p0) * gBytes, G4, rows, G4, Bt, NS, 0, yb, NS);
    scatterPatches(yb, NS, channels, source, taps, p0, rows, dst);
  }
}

/**
 * The reverse time loop: output gradients in, gate gradients `dZ` of every step out, `dh` and
 * `dc` left as the gradients of the initial states.
 */
function backwardPass(dOut: usize): void {
  const T = Call.T;
  const F = Call.F;
  const positions = Call.positions;
  const mask = Call.mask;
  const NSr = packedCols(1, Call.recDepth);
  const fBytes = (<usize>F) << 2;
  const gBytes = fBytes << 2;
  const imageFloats = positions * F;
  const imageBytes = Call.imageBytes;
  const zeroMasked = Call.zeroMasked;
  const fast = Call.fast;
  const act = Call.act;
  const ract = Call.ract;

  // An output is h where its step was taken; else the previous output (h of the last step
  // taken, zeros before the first) or, with zeroOutputForMask, zeros.
  if (!Call.sequences) {
    const tLast = Call.backwards ? 0 : T - 1;
    // prettier-ignore
    addOutputGradient(dh, dOut, 1, 0, mask, first, T, T - 1, tLast, zeroMasked, firstItem, endItem, imageFloats);
  }
  for (let s = T - 1; s >= 0; s--) {
    const t = Call.backwards ? T - 1 - s : s;
    if (Call.sequences) {
      const pos = Call.aligned ? t : s;
      // prettier-ignore
      addOutputGradient(dh, dOut, T, pos, mask, first, T, s, t, zeroMasked, firstItem, endItem, imageFloats);
    }
    for (let b = firstItem; b < endItem; b++) {
      // A masked step keeps both states: their gradients pass through unchanged.
      if (!taken(mask, T, b, t)) continue;
      const row0 = <usize>(b * T + t) * <usize>positions;
      const g = dh + <usize>b * imageBytes;
      const gc = dc + <usize>b * imageBytes;
      for (let p = 0; p < positions; p++) {
        const row = row0 + <usize>p;
        const at = <usize>p * fBytes;
        lstmBackwardRow(
          g + at,
          gc + at,
          zs + row * gBytes,
          as_ + row * gBytes,
          cPrev + row * fBytes,
          cNew + row * fBytes,
          cAct + row * fBytes,
          dZ + row * gBytes,
          F,
          fast,
          act,
          ract,
        );
      }
      // dh_{t−1} = col2im(dz_t · Uᵀ) ⊙ rm.
      memory.fill(g, 0, imageBytes);
      backProduct(row0, utp, NSr, F, Call.recSource, Call.recTaps, g);
      if (Call.rmask != 0) mulRows(g, g, Call.rmask + <usize>b * imageBytes, imageFloats);
    }
  }
}

/** `dx = col2im(dz · Wᵀ)`, frame by frame; frames of masked steps stay zero. */
function inputGradient(dx: usize): void {
  const T = Call.T;
  const NSk = packedCols(1, Call.inDepth);
  const frameBytes = (<usize>Call.frameSize) << 2;
  const at = <usize>(firstItem * T) * frameBytes;
  memory.fill(dx + at, 0, <usize>((endItem - firstItem) * T) * frameBytes);
  for (let b = firstItem; b < endItem; b++) {
    for (let t = 0; t < T; t++) {
      if (!taken(Call.mask, T, b, t)) continue;
      const row0 = <usize>(b * T + t) * <usize>Call.positions;
      const frame = dx + <usize>(b * T + t) * frameBytes;
      backProduct(row0, wtp, NSk, Call.C, Call.inSource, Call.inTaps, frame);
    }
  }
}

/**
 * `dW = patches(x)ᵀ · dz`, `dU = patches(h_in)ᵀ · dz` into `accW`, `accU`, and the float64
 * column sums of `dz` into `sums`, over the rows of every step taken, in chunks.
 */
function weightGradients(): void {
  const T = Call.T;
  const C = Call.C;
  const F = Call.F;
  const positions = Call.positions;
  const inDepth = Call.inDepth;
  const recDepth = Call.recDepth;
  const NSg = packedCols(1, 4 * F);
  const fBytes = (<usize>F) << 2;
  const gBytes = fBytes << 2;
  const frameBytes = (<usize>Call.frameSize) << 2;
  memory.fill(accW, 0, (<usize>(inDepth * NSg)) << 2);
  memory.fill(accU, 0, (<usize>(recDepth * NSg)) << 2);
  memory.fill(sums, 0, gBytes << 1);
  let n = 0; // rows in the chunk
  for (let b = firstItem; b < endItem; b++) {
    for (let t = 0; t < T; t++) {
      if (!taken(Call.mask, T, b, t)) continue;
      const row0 = <usize>(b * T + t) * <usize>positions;
      const frame = Call.x + <usize>(b * T + t) * frameBytes;
      const hk = hIn + row0 * fBytes;
      let p0 = 0;
      while (p0 < positions) {
        const rows = min(CHUNK_ROWS - n, positions - p0);
        const xDst = patches + ((<usize>(n * inDepth)) << 2);
        gatherPatches(frame, C, C, Call.inSource, Call.inTaps, p0, rows, xDst);
        const hDst = patches2 + ((<usize>(n * recDepth)) << 2);
        gatherPatches(hk, F, F, Call.recSource, Call.recTaps, p0, rows, hDst);
        const dzSrc = dZ + (row0 + <usize>p0) * gBytes;
        memory.copy(dzRows + <usize>n * gBytes, dzSrc, <usize>rows * gBytes);
        n += rows;
        p0 += rows;
        if (n == CHUNK_ROWS) {
          flushChunk(n);
          n = 0;
        }
      }
    }
  }
  if (n > 0) flushChunk(n);
}

/** `acc += patchesᵀ · dz` for one chunk of `n` rows of `depth`-float patches (`dz` packed). */
function addWeightProduct(src: usize, n: i32, depth: i32, acc: usize): void {
  const NSg = packedCols(1, 4 * Call.F);
  transpose(src, n, depth, depth, patchesT, n);
  gemm(patchesT, n, depth, n, dzPacked, NSg, 0, prod, NSg);
  addRows(acc, acc, prod, depth * NSg);
}

/** Adds one chunk of `n` rows to `accW`, `accU` and `sums`. */
function flushChunk(n: i32): void {
  const G4 = 4 * Call.F;
  packMatrix(dzRows, n, G4, 0, 1, G4, dzPacked);
  addWeightProduct(patches, n, Call.inDepth, accW);
  addWeightProduct(patches2, n, Call.recDepth, accU);
  addColumnSums(dzRows, n, G4, sums);
}

/**
 * The transpose of {@link gatherPatches} (col2im): adds row `r`'s tap `k` (`channels` floats at
 * `src + (r·srcStride + k·channels)·4`) to the input position tap `k` of position `first + r`
 * reads (`channels` floats of `dst`, positions `channels` floats apart); padding taps drop.
 */
function scatterPatches(
  src: usize,
  srcStride: i32,
  channels: i32,
  source: usize,
  taps: i32,
  first: i32,
  rows: i32,
  dst: usize,
): void {
  const bytes = (<usize>channels) << 2;
  const vectorBytes = bytes & ~(<usize>15);
  const rowBytes = (<usize>srcStride) << 2;
  let s = source + ((<usize>(first * taps)) << 2);
  for (let r = 0; r < rows; r++) {
    let from = src + <usize>r * rowBytes;
    for (let k = 0; k < taps; k++) {
      const to = load<i32>(s);
      if (to >= 0) {
        const at = dst + <usize>to * bytes;
        let i: usize = 0;
        for (; i < vectorBytes; i += 16) {
          v128.store(at + i, f32x4.add(v128.load(at + i), v128.load(from + i)));
        }
        for (; i < bytes; i += 4) store<f32>(at + i, load<f32>(at + i) + load<f32>(from + i));
      }
      from += bytes;
      s += 4;
    }
  }
}
