/**
 * Whole-sequence backward passes (`<kernel>Grad`). One call recomputes the forward pass,
 * keeping every step's pre-activations, activations and recurrent input in scratch, then runs
 * the reverse time loop: per step the gate gradients (activation derivatives) and one
 * `dGates·Uᵀ` product over the batch. The weight and input gradients are hoisted out of the loop
 * as GEMMs over all `B·T` rows:
 *
 *   dW = xᵀ·dGates,  dx = dGates·Wᵀ,  dU = h_inᵀ·dGates,  db = Σ dGates
 *
 * Unlike the forward kernels, gate columns stay in Keras order (`g·U + u`, no interleaving):
 * per-step buffers are rows `b·T + t` of `[B·T, G·U]`, as `x` is, and rows of steps a mask
 * skipped stay zero, so the hoisted products need no mask.
 */
import { activateGates, activateRow, scaleByDerivative } from './derivatives';
import {
  gruBackwardRow,
  gruCandidateForwardRow,
  gruGatesForwardRow,
  gruResetBackwardRow,
  lstmBackwardRow,
  lstmForwardRow,
} from './backward_rows';
import { gemm, packedCols, packMatrix, packVector } from './gemm';
import {
  FAMILY_GRU,
  FAMILY_GRU_RESET_BEFORE,
  FAMILY_LSTM,
  FAMILY_SIMPLE_RNN,
  FLAG_ALIGN_TO_INPUT,
  FLAG_GO_BACKWARDS,
  FLAG_RETURN_SEQUENCES,
  FLAG_ZERO_OUTPUT_FOR_MASK,
  inputGates,
} from './sequence';
import { addColumnSums, addRows, align64, copyBlock, mulRows, storeSums, transpose } from './rows';
import { addOutputGradient, firstSteps, stepOutput, taken } from './steps';
import { ACT_SIGMOID, ACT_TANH, madd } from './vmath';

/** Next free byte of the scratch being laid out (see {@link layout}). */
let cursor: usize = 0;

/** Takes `floats` floats (64-byte aligned) from the scratch being laid out. */
function take(floats: usize): usize {
  const at = cursor;
  cursor += align64(floats << 2);
  return at;
}

// The scratch regions of a call (byte offsets once laid out at the scratch pointer).
let wp: usize = 0; // packed W, plain columns [D, NSx]
let bxp: usize = 0; // packed input bias
let up: usize = 0; // packed U (z, r only for GRU reset-before) [U, NSr]
let brp: usize = 0; // packed recurrent bias (GRU reset-after)
let u2p: usize = 0; // packed candidate U (GRU reset-before) [U, NSu]
let utp: usize = 0; // packed Uᵀ of the back product [GrU, NSu]
let u2tp: usize = 0; // packed candidate Uᵀ (GRU reset-before) [U, NSu]
let tr: usize = 0; // transposes
let sums: usize = 0; // float64 column sums [GU]
let xp: usize = 0; // input projections [B·T, NSx]
let rp: usize = 0; // recurrent product of a step [B, NSr]
let r2p: usize = 0; // candidate recurrent product (GRU reset-before) [B, NSu]
let hk: usize = 0; // h ⊙ recurrent mask [B, U]
let rhk: usize = 0; // r ⊙ h_in (GRU reset-before) [B, U]
let hs: usize = 0; // state h [B, U]
let cs: usize = 0; // state c [B, U]
let hIn: usize = 0; // every step's recurrent input [B·T, U]
let zs: usize = 0; // pre-activations [B·T, GU]
let as_: usize = 0; // activations [B·T, GU]
let aux: usize = 0; // LSTM c_{t−1}; GRU reset-after h·U_h + b_h; reset-before r ⊙ h_in
let aux2: usize = 0; // LSTM c_t
let aux3: usize = 0; // LSTM act(c_t)
let dX: usize = 0; // gradients of the input projections [B·T, GU]
let dR: usize = 0; // gradients of the recurrent products (GRU reset-after) [B·T, GU]
let dh: usize = 0; // [B, U]
let dc: usize = 0; // [B, U]
let back: usize = 0; // back product [B, NSu]
let back2: usize = 0; // candidate back product (GRU reset-before) [B, NSu]
let first: usize = 0; // i32 [B]: first processing step a row took
let tmpB: usize = 0; // packed right operand of a hoisted product
let tmpC: usize = 0; // output of a hoisted product
let scratchEnd: usize = 0;
let savedEnd: usize = 0; // end of the activations (`hIn` to `aux3`)

function maxOf(a: usize, b: usize): usize {
  return a > b ? a : b;
}

/**
 * Lays out the scratch of a call at `base` (0 to size it); the activations the backward pass
 * reads (`hIn` to `aux3`) at `saved` instead when it is not 0.
 */
function layout(family: i32, B: i32, T: i32, D: i32, U: i32, base: usize, saved: usize): void {
  const G = inputGates(family);
  const GU = <usize>(G * U);
  const GrU = <usize>((family == FAMILY_GRU_RESET_BEFORE ? 2 : G) * U);
  const rows = <usize>B * <usize>T;
  const u = <usize>U;
  const d = <usize>D;
  const b = <usize>B;
  const NSx = <usize>packedCols(1, G * U);
  const NSr = <usize>packedCols(1, <i32>GrU);
  const NSu = <usize>packedCols(1, U);
  const NSd = <usize>packedCols(1, D);
  cursor = base;
  wp = take(d * NSx);
  bxp = take(NSx);
  up = take(u * NSr);
  brp = take(NSr);
  u2p = take(u * NSu);
  utp = take(GrU * NSu);
  u2tp = take(u * NSu);
  tr = take(maxOf(GU * maxOf(u, d), maxOf(u, d) * rows));
  sums = take(2 * GU);
  xp = take(rows * NSx);
  rp = take(b * NSr);
  r2p = take(b * NSu);
  hk = take(b * u);
  rhk = take(b * u);
  hs = take(b * u);
  cs = take(b * u);
  const rest = cursor;
  if (saved != 0) cursor = saved;
  hIn = take(rows * u);
  zs = take(rows * GU);
  as_ = take(rows * GU);
  aux = take(rows * u);
  aux2 = take(rows * u);
  aux3 = take(rows * u);
  savedEnd = cursor;
  if (saved != 0) cursor = rest;
  dX = take(rows * GU);
  dR = take(rows * GU);
  dh = take(b * u);
  dc = take(b * u);
  back = take(b * NSu);
  back2 = take(b * NSu);
  first = take(b);
  tmpB = take(maxOf(rows * NSx, GU * NSd));
  tmpC = take(maxOf(maxOf(d * NSx, u * NSx), rows * NSd));
  // Vector loads of a row's last lanes may read up to 12 bytes past its end.
  scratchEnd = take(16);
}

/** Bytes of scratch a {@link sequenceGrad} call needs (64-byte aligned pointer expected). */
export function gradScratchBytes(family: i32, B: i32, T: i32, D: i32, U: i32): usize {
  layout(family, B, T, D, U, 0, 0);
  return scratchEnd;
}

/**
 * Bytes of the activations a backward pass reads (every step's recurrent input,
 * pre-activations, activations and family-specific values), which {@link sequenceGradForward}
 * leaves in a block of the caller's for a later {@link sequenceGrad} call.
 */
export function gradSavedBytes(family: i32, B: i32, T: i32, D: i32, U: i32): usize {
  layout(family, B, T, D, U, 0, 64);
  return savedEnd - 64;
}

/**
 * `out [M, N] (row stride ldo) = A [M, K] · B`, where B is columns `col0 .. col0 + N` of the
 * row-major `[K, ldb]` matrix at `Bsrc`, packed into `tmpB` first.
 */
function product(
  A: usize,
  lda: i32,
  M: i32,
  K: i32,
  Bsrc: usize,
  ldb: i32,
  col0: i32,
  N: i32,
  out: usize,
  ldo: i32,
): void {
  const NS = packedCols(1, N);
  packMatrix(Bsrc, K, ldb, col0, 1, N, tmpB);
  if (NS == N) {
    gemm(A, lda, M, K, tmpB, NS, 0, out, ldo);
    return;
  }
  gemm(A, lda, M, K, tmpB, NS, 0, tmpC, NS);
  copyBlock(tmpC, NS, M, N, out, ldo);
}

/**
 * `out [M, N] (row stride ldo) = A [M, K] · B`, where B is packed columns `col0 .. col0 + N`
 * (col0 a multiple of 16) of the packed `[K, ·]` matrix `Bp`. Columns of B's last panel past N
 * may hold other columns: they land in `tmpC` only.
 */
function packedProduct(
  A: usize,
  lda: i32,
  M: i32,
  K: i32,
  Bp: usize,
  col0: i32,
  N: i32,
  out: usize,
  ldo: i32,
): void {
  const NS = packedCols(1, N);
  const panels = Bp + <usize>(col0 >> 4) * ((<usize>K) << 6);
  if (NS == N) {
    gemm(A, lda, M, K, panels, NS, 0, out, ldo);
    return;
  }
  gemm(A, lda, M, K, panels, NS, 0, tmpC, NS);
  copyBlock(tmpC, NS, M, N, out, ldo);
}

/** `dst += a ⊙ b`. */
function addProduct(dst: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, madd(v128.load(a + o), v128.load(b + o), v128.load(dst + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

/** `dst = z·hp + (1 − z)·hh`, as the forward kernel rounds it. */
function blend(dst: usize, z: usize, hp: usize, hh: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const zv = v128.load(z + o);
    const rest = f32x4.mul(f32x4.sub(f32x4.splat(1), zv), v128.load(hh + o));
    v128.store(dst + o, madd(zv, v128.load(hp + o), rest));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const zv = load<f32>(z + o);
    store<f32>(dst + o, zv * load<f32>(hp + o) + (1 - zv) * load<f32>(hh + o));
  }
}

/** `dst[j] = Σ_rows m[r, j]` in float64, `m` `[rows, n]`, summed row by row into `sums`. */
function columnSums(m: usize, rows: i32, n: i32, dst: usize): void {
  memory.fill(sums, 0, (<usize>n) << 3);
  addColumnSums(m, rows, n, sums);
  storeSums(sums, n, dst);
}

/** What a call runs: the whole backward pass, its forward half only, or its backward half. */
const MODE_FULL = 0;
const MODE_FORWARD = 1;
const MODE_SAVED = 2;

/**
 * The forward pass of a sequence call as {@link sequenceGrad} runs it, for a call whose
 * gradients will be asked for: writes the outputs as `sequence` does (`out`, `hOut`, `cOut`)
 * and leaves the activations the backward pass reads in `saved` (of {@link gradSavedBytes}
 * bytes, 64-byte aligned). Arguments as for {@link sequenceGrad}.
 */
export function sequenceGradForward(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
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
): void {
  gradCall(
    family,
    B,
    T,
    D,
    U,
    x,
    kernel,
    recurrent,
    bias,
    h0,
    c0,
    mask,
    rmask,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    out,
    hOut,
    cOut,
    scratch,
    flags,
    act,
    ract,
    MODE_FORWARD,
    saved,
  );
}

/**
 * Gradients of one sequence call with respect to its input, weights and initial states.
 * Pointers are byte offsets into the shared memory.
 *
 * - Forward inputs: `x` `[B, T, D]`, `kernel` `[D, G·U]`, `recurrent` `[U, G·U]`, `bias`
 *   (`[2, 3U]` for GRU reset-after, else `[G·U]`), `h0`, `c0` `[B, U]`, `mask` u8 `[B, T]` or 0,
 *   `rmask` `[B, U]` or 0; `flags` and activation codes as for `sequence`.
 * - Output gradients: `dOut` (the forward output's shape), `dH`, `dC` `[B, U]` (`dC` LSTM only).
 * - Results: `dx` `[B, T, D]`, `dW`, `dU`, `db` (shapes of the weights), `dh0`, `dc0` `[B, U]`.
 * - `scratch` of {@link gradScratchBytes} bytes; `saved` the block where
 *   {@link sequenceGradForward} left the activations of this call's forward pass (which is then
 *   not recomputed), or 0.
 */
export function sequenceGrad(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
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
): void {
  gradCall(
    family,
    B,
    T,
    D,
    U,
    x,
    kernel,
    recurrent,
    bias,
    h0,
    c0,
    mask,
    rmask,
    dOut,
    dH,
    dC,
    dx,
    dW,
    dU,
    db,
    dh0,
    dc0,
    0,
    0,
    0,
    scratch,
    flags,
    act,
    ract,
    saved != 0 ? MODE_SAVED : MODE_FULL,
    saved,
  );
}

function gradCall(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
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
  out: usize,
  hOut: usize,
  cOut: usize,
  scratch: usize,
  flags: i32,
  act: i32,
  ract: i32,
  mode: i32,
  saved: usize,
): void {
  layout(family, B, T, D, U, scratch, saved);
  // Rows of steps a mask skipped must read as zeros in the hoisted products; without a mask
  // every row is written. Saved activations were zeroed so by the forward call.
  if (mask != 0) {
    memory.fill(scratch, 0, scratchEnd - scratch);
    if (mode == MODE_FORWARD && saved != 0) memory.fill(saved, 0, savedEnd - saved);
  }
  const GU = inputGates(family) * U;
  const lstm = family == FAMILY_LSTM;
  const before = family == FAMILY_GRU_RESET_BEFORE;
  // The forward kernels' activations for the default pair (see backward_rows.ts).
  const fast = act == ACT_TANH && ract == ACT_SIGMOID;
  const GrU = before ? 2 * U : GU;
  const uBytes = (<usize>U) << 2;
  const gBytes = (<usize>GU) << 2;

  // Weights: plain columns for the forward products, transposed for the back products.
  if (mode != MODE_SAVED) {
    packMatrix(kernel, D, GU, 0, 1, GU, wp);
    packVector(bias, 0, 1, GU, bxp);
    packMatrix(recurrent, U, GU, 0, 1, GrU, up);
    if (family == FAMILY_GRU) packVector(bias + gBytes, 0, 1, GU, brp);
    if (before) packMatrix(recurrent, U, GU, 2 * U, 1, U, u2p);
  }
  if (mode != MODE_FORWARD) {
    transpose(recurrent, U, GU, GU, tr, U);
    packMatrix(tr, GrU, U, 0, 1, U, utp);
    if (before) packMatrix(tr + ((<usize>(2 * U * U)) << 2), U, U, 0, 1, U, u2tp);
  }

  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;

  // The first processing step each row takes.
  firstSteps(mask, T, 0, B, backwards, first);

  if (mode != MODE_SAVED) {
    forwardPass(family, B, T, D, U, x, h0, c0, mask, rmask, out, flags, act, ract, fast);
    if (mode == MODE_FORWARD) {
      memory.copy(hOut, hs, <usize>B * uBytes);
      if (lstm) memory.copy(cOut, cs, <usize>B * uBytes);
      // The last output: the state, or under a mask the output of the last step (dh).
      if (!sequences) memory.copy(out, mask != 0 ? dh : hs, <usize>B * uBytes);
      return;
    }
  }
  backwardPass(
    family,
    B,
    T,
    D,
    U,
    x,
    kernel,
    mask,
    rmask,
    dOut,
    dH,
    dC,
    dx,
    dW,
    dU,
    db,
    dh0,
    dc0,
    flags,
    act,
    ract,
    fast,
  );
}

/**
 * The forward pass, keeping every step in the scratch laid out; with `out` (not 0), writes the
 * outputs as `sequence` does, the last output of each row kept in `dh` (free until the backward
 * pass).
 */
function forwardPass(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
  h0: usize,
  c0: usize,
  mask: usize,
  rmask: usize,
  out: usize,
  flags: i32,
  act: i32,
  ract: i32,
  fast: bool,
): void {
  const G = inputGates(family);
  const GU = G * U;
  const lstm = family == FAMILY_LSTM;
  const before = family == FAMILY_GRU_RESET_BEFORE;
  const GrU = before ? 2 * U : GU;
  const NSx = packedCols(1, GU);
  const NSr = packedCols(1, GrU);
  const NSu = packedCols(1, U);
  const rows = B * T;
  const uBytes = (<usize>U) << 2;
  const gBytes = (<usize>GU) << 2;
  const xRow = (<usize>NSx) << 2;
  const rRow = (<usize>NSr) << 2;
  const nRow = (<usize>NSu) << 2;
  const U2 = (<usize>(2 * U)) << 2; // byte offset of the third gate block
  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  const aligned = backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  const zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;

  gemm(x, D, rows, D, wp, NSx, bxp, xp, NSx);
  memory.copy(hs, h0, <usize>B * uBytes);
  if (lstm) memory.copy(cs, c0, <usize>B * uBytes);
  if (out != 0) memory.fill(dh, 0, <usize>B * uBytes);
  for (let s = 0; s < T; s++) {
    const t = backwards ? T - 1 - s : s;
    if (rmask != 0) mulRows(hk, hs, rmask, B * U);
    else memory.copy(hk, hs, <usize>B * uBytes);
    gemm(hk, U, B, U, up, NSr, family == FAMILY_GRU ? brp : 0, rp, NSr);
    for (let b = 0; b < B; b++) {
      if (!taken(mask, T, b, t)) continue;
      const row = <usize>(b * T + t);
      const h = hs + <usize>b * uBytes;
      const hkb = hk + <usize>b * uBytes;
      const z = zs + row * gBytes;
      const a = as_ + row * gBytes;
      const xr = xp + row * xRow;
      const rr = rp + <usize>b * rRow;
      memory.copy(hIn + row * uBytes, hkb, uBytes);
      if (family == FAMILY_SIMPLE_RNN) {
        addRows(z, xr, rr, U);
        activateRow(act, z, a, U);
        memory.copy(h, a, uBytes);
      } else if (lstm) {
        const c = cs + <usize>b * uBytes;
        const kept = row * uBytes;
        lstmForwardRow(
          xr,
          rr,
          z,
          a,
          c,
          aux + kept,
          aux2 + kept,
          aux3 + kept,
          h,
          U,
          fast,
          act,
          ract,
        );
      } else if (before) {
        const rh = rhk + <usize>b * uBytes;
        gruGatesForwardRow(xr, rr, hkb, z, a, rh, aux + row * uBytes, U, fast, ract);
      } else {
        addRows(z, xr, rr, 2 * U);
        activateGates(fast, ract, z, a, 2 * U);
        {
          // The candidate: x·W_h + b_h + r ⊙ (h·U_h + b_rec_h).
          memory.copy(aux + row * uBytes, rr + U2, uBytes);
          memory.copy(z + U2, xr + U2, uBytes);
          addProduct(z + U2, a + uBytes, rr + U2, U);
          activateRow(act, z + U2, a + U2, U);
          blend(h, a, hkb, a + U2, U);
        }
      }
    }
    if (before) {
      // The candidate reads (r ⊙ h)·U_h, every row's r first.
      gemm(rhk, U, B, U, u2p, NSu, 0, r2p, NSu);
      for (let b = 0; b < B; b++) {
        if (!taken(mask, T, b, t)) continue;
        const row = <usize>(b * T + t);
        const xr = xp + row * xRow;
        const r2 = r2p + <usize>b * nRow;
        const hkb = hk + <usize>b * uBytes;
        const h = hs + <usize>b * uBytes;
        gruCandidateForwardRow(xr, r2, hkb, zs + row * gBytes, as_ + row * gBytes, h, U, fast, act);
      }
    }
    if (out == 0) continue;
    // Masked: states carry over; the output repeats the previous one (or is zero).
    const pos = aligned ? t : s;
    for (let b = 0; b < B; b++) {
      const o = <usize>b * uBytes;
      const to = sequences ? out + <usize>(b * T + pos) * uBytes : 0;
      stepOutput(dh + o, hs + o, taken(mask, T, b, t), zeroMasked, to, uBytes);
    }
  }
}

/** The backward pass over the activations of the forward pass in the scratch laid out. */
function backwardPass(
  family: i32,
  B: i32,
  T: i32,
  D: i32,
  U: i32,
  x: usize,
  kernel: usize,
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
  flags: i32,
  act: i32,
  ract: i32,
  fast: bool,
): void {
  const G = inputGates(family);
  const GU = G * U;
  const lstm = family == FAMILY_LSTM;
  const gru = family == FAMILY_GRU || family == FAMILY_GRU_RESET_BEFORE;
  const before = family == FAMILY_GRU_RESET_BEFORE;
  const GrU = before ? 2 * U : GU;
  const NSu = packedCols(1, U);
  const rows = B * T;
  const uBytes = (<usize>U) << 2;
  const gBytes = (<usize>GU) << 2;
  const nRow = (<usize>NSu) << 2;
  const U2 = (<usize>(2 * U)) << 2; // byte offset of the third gate block
  const backwards = (flags & FLAG_GO_BACKWARDS) != 0;
  const sequences = (flags & FLAG_RETURN_SEQUENCES) != 0;
  const aligned = backwards && (flags & FLAG_ALIGN_TO_INPUT) != 0;
  const zeroMasked = (flags & FLAG_ZERO_OUTPUT_FOR_MASK) != 0;

  // Backward through time.
  memory.copy(dh, dH, <usize>B * uBytes);
  if (lstm) memory.copy(dc, dC, <usize>B * uBytes);
  const dRec = family == FAMILY_GRU ? dR : dX;
  if (!sequences) {
    // prettier-ignore
    addOutputGradient(dh, dOut, 1, 0, mask, first, T, T - 1, backwards ? 0 : T - 1, zeroMasked, 0, B, U);
  }
  for (let s = T - 1; s >= 0; s--) {
    const t = backwards ? T - 1 - s : s;
    if (sequences) {
      // prettier-ignore
      addOutputGradient(dh, dOut, T, aligned ? t : s, mask, first, T, s, t, zeroMasked, 0, B, U);
    }
    let any = false;
    for (let b = 0; b < B; b++) {
      if (!taken(mask, T, b, t)) continue;
      any = true;
      const row = <usize>(b * T + t);
      const g = dh + <usize>b * uBytes;
      const z = zs + row * gBytes;
      const a = as_ + row * gBytes;
      const gx = dX + row * gBytes;
      if (family == FAMILY_SIMPLE_RNN) {
        memory.copy(gx, g, uBytes);
        scaleByDerivative(act, z, a, gx, U);
      } else if (lstm) {
        const kept = row * uBytes;
        const gc = dc + <usize>b * uBytes;
        lstmBackwardRow(g, gc, z, a, aux + kept, aux2 + kept, aux3 + kept, gx, U, fast, act, ract);
      } else {
        gruBackwardRow(g, hIn + row * uBytes, z, a, gx, U, fast, act, ract);
        if (!before) {
          const gr = dR + row * gBytes;
          mulRows(gx + uBytes, gx + U2, aux + row * uBytes, U);
          scaleByDerivative(ract, z + uBytes, a + uBytes, gx + uBytes, U);
          memory.copy(gr, gx, (<usize>(2 * U)) << 2);
          mulRows(gr + U2, gx + U2, a + uBytes, U);
        }
      }
    }
    if (!any) continue;
    const tOff = (<usize>t * <usize>GU) << 2;
    if (before) {
      // d(r ⊙ h_in) = dhh'·U_hᵀ: to r, and to h_in through r.
      gemm(dX + tOff + U2, T * GU, B, U, u2tp, NSu, 0, back2, NSu);
      for (let b = 0; b < B; b++) {
        if (!taken(mask, T, b, t)) continue;
        const row = <usize>(b * T + t);
        const gx = dX + row * gBytes;
        const d = back2 + <usize>b * nRow;
        const hp = hIn + row * uBytes;
        const z = zs + row * gBytes;
        const g = dh + <usize>b * uBytes;
        gruResetBackwardRow(d, hp, z, as_ + row * gBytes, gx, g, U, fast, ract);
      }
    }
    gemm(dRec + tOff, T * GU, B, GrU, utp, NSu, 0, back, NSu);
    for (let b = 0; b < B; b++) {
      if (!taken(mask, T, b, t)) continue;
      const g = dh + <usize>b * uBytes;
      if (gru) addRows(g, g, back + <usize>b * nRow, U);
      else memory.copy(g, back + <usize>b * nRow, uBytes);
      if (rmask != 0) mulRows(g, g, rmask + <usize>b * uBytes, U);
    }
  }
  memory.copy(dh0, dh, <usize>B * uBytes);
  if (lstm) memory.copy(dc0, dc, <usize>B * uBytes);

  // The products hoisted out of the loop; dGates is packed once for dW and (LSTM, GRU
  // reset-before) dU.
  transpose(kernel, D, GU, GU, tr, D);
  product(dX, GU, rows, GU, tr, D, 0, D, dx, D);
  packMatrix(dX, rows, GU, 0, 1, GU, tmpB);
  transpose(x, rows, D, D, tr, rows);
  packedProduct(tr, rows, D, rows, tmpB, 0, GU, dW, GU);
  if (family == FAMILY_GRU) packMatrix(dR, rows, GU, 0, 1, GU, tmpB);
  transpose(hIn, rows, U, U, tr, rows);
  packedProduct(tr, rows, U, rows, tmpB, 0, GrU, dU, GU);
  if (before) {
    // The candidate's columns start a panel of their own only when 2U is a multiple of 16.
    let col0 = 2 * U;
    if ((col0 & 15) != 0) {
      packMatrix(dX, rows, GU, col0, 1, U, tmpB);
      col0 = 0;
    }
    transpose(aux, rows, U, U, tr, rows);
    packedProduct(tr, rows, U, rows, tmpB, col0, U, dU + U2, GU);
  }
  columnSums(dX, rows, GU, db);
  if (family == FAMILY_GRU) columnSums(dR, rows, GU, db + gBytes);
}
