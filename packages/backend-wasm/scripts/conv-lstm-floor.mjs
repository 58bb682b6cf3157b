// Splits one ConvLSTM call of the module into its parts, to show how close it is to the machine's
// SIMD ceiling: the whole `convLSTM` call, its GEMMs alone on patch blocks of the same shapes
// (the input convolution of every frame, the recurrent one of every step), and what the GEMM
// reaches on those shapes (its peak here). The floor is the call's multiply-adds at that peak.
// With a 3×3 kernel of 8 or more filters, also the whole call with the recurrent convolution as
// Winograd's F(2×2, 3×3) (as the kernel runs it) and that convolution's 16 GEMMs alone.
// Runs the module on a memory of its own, with no tfjs around it.
//
//   node scripts/conv-lstm-floor.mjs [B,T,H,W,C,F,k]      (after `pnpm build`; default the bench's
//                                                          convlstm2d-b1: 1,10,32,32,8,16,3)
//   node --experimental-wasm-relaxed-simd scripts/conv-lstm-floor.mjs   # Node 20: the FMA build
/* global WebAssembly */
import { convGeometry, convSourceTable } from '@rnnkit/core';
import { instantiate } from '../dist/engine/module.js';

const [B, T, H, W, C, F, k] = (process.argv[2] ?? '1,10,32,32,8,16,3').split(',').map(Number);
const PATCH_ROWS = 64; // assembly/conv_lstm.ts

const memory = new WebAssembly.Memory({ initial: 16 });
const { exports: ex, variant } = instantiate(memory);
let top = 64;
const alloc = (bytes) => {
  const at = top;
  top += Math.ceil(bytes / 64) * 64;
  if (top > memory.buffer.byteLength)
    memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
  return at;
};
const filled = (n) => {
  const at = alloc(n * 4);
  const f32 = new Float32Array(memory.buffer, at, n);
  for (let i = 0; i < n; i++) f32[i] = Math.sin(i * 1.7) * 0.1;
  return at;
};
const table = (t) => {
  const at = alloc(t.source.byteLength);
  new Int32Array(memory.buffer, at, t.source.length).set(t.source);
  return at;
};

const inT = convSourceTable(convGeometry([H, W], [k, k], [1, 1], [1, 1], 'same'));
const recT = inT;
const P = inT.positions;
const ns = ex.packedCols(4, F);
const inDepth = k * k * C;
const recDepth = k * k * F;
const x = filled(B * T * H * W * C);
const kernel = filled(inDepth * 4 * F);
const recurrent = filled(recDepth * 4 * F);
const bias = filled(4 * F);
const wk = alloc(inDepth * ns * 4);
const wr = alloc(recDepth * ns * 4);
ex.packMatrix(kernel, inDepth, 4 * F, 0, 4, F, wk);
ex.packMatrix(recurrent, recDepth, 4 * F, 0, 4, F, wr);
const bx = alloc(ns * 4);
ex.packBias(1, bias, F, bx, 0);
const inSource = table(inT);
const recSource = table(recT);
const h0 = filled(B * P * F);
const c0 = filled(B * P * F);
const out = alloc(B * P * F * 4);
const hOut = alloc(B * P * F * 4);
const cOut = alloc(B * P * F * 4);
const winograd = k === 3 && F >= 8; // ConvLSTMSequence.ts's choice
const wu = winograd ? alloc(16 * F * ns * 4) : 0;
if (winograd) ex.packWinograd(recurrent, F, wu);
const scratch = alloc(ex.convScratchBytes(B, P, F, inDepth, recDepth, winograd ? W : 0, 1));
const patches = filled(PATCH_ROWS * Math.max(inDepth, recDepth));
const products = alloc(PATCH_ROWS * ns * 4);

/**
 * Least CPU ms (user + system) of `f` over 40 rounds, after a warm-up: on a shared machine CPU
 * time is far steadier than wall time, and the least round the least disturbed.
 */
function time(f) {
  for (let i = 0; i < 3; i++) f();
  const rounds = [];
  for (let r = 0; r < 40; r++) {
    const t0 = process.cpuUsage();
    f();
    const d = process.cpuUsage(t0);
    rounds.push((d.user + d.system) / 1000);
  }
  return Math.min(...rounds);
}

const call = (width) => () =>
  ex.convLSTM(
    B,
    T,
    C,
    F,
    H * W * C,
    P,
    k * k,
    k * k,
    x,
    inSource,
    recSource,
    wk,
    bx,
    wr,
    width === 0 ? 0 : wu,
    width,
    h0,
    c0,
    0,
    0,
    out,
    hOut,
    cOut,
    scratch,
    0, // flags
    1, // tanh
    2, // sigmoid
    0, // one thread: no sync block, threads 1, thread 0, no waiting
    1,
    0,
    0,
  );
const whole = time(call(0));
/** The GEMMs of `frames` convolutions of depth `depth`, block by block, on one patch block. */
const gemms = (frames, depth, w) => () => {
  for (let f = 0; f < frames; f++) {
    for (let p0 = 0; p0 < P; p0 += PATCH_ROWS) {
      ex.gemm(patches, depth, Math.min(PATCH_ROWS, P - p0), depth, w, ns, 0, products, ns);
    }
  }
};
const inputGemm = time(gemms(B * T, inDepth, wk));
const TILE_BLOCK = 32; // assembly/winograd.ts
const tiles = Math.ceil(H / 2) * Math.ceil(W / 2);
/** The recurrent convolution's 16 GEMMs per tile block as Winograd runs them, every step. */
const winogradGemms = () => {
  for (let f = 0; f < B * T; f++) {
    for (let t0 = 0; t0 < tiles; t0 += TILE_BLOCK) {
      const n = Math.min(TILE_BLOCK, tiles - t0);
      for (let point = 0; point < 16; point++) {
        const u = wu + point * F * ns * 4;
        ex.gemm(patches, 4 * Math.ceil(F / 4), n, F, u, ns, 0, products, ns);
      }
    }
  }
};
const recurrentGemm = time(gemms(B * T, recDepth, wr));
const inFlop = 2 * B * T * P * inDepth * 4 * F;
const recFlop = 2 * B * T * P * recDepth * 4 * F;
const gflops = (flop, ms) => flop / ms / 1e6;
const peak = gflops(inFlop + recFlop, inputGemm + recurrentGemm);
console.log(`ConvLSTM2D ${B}·${T}·${H}×${W}×${C}→${F}, ${k}×${k} same, ${variant} module`);
console.log(
  `  whole call            ${whole.toFixed(2)} ms (${gflops(inFlop + recFlop, whole).toFixed(1)} GFLOP/s)`,
);
console.log(
  `  input conv GEMMs      ${inputGemm.toFixed(2)} ms (${gflops(inFlop, inputGemm).toFixed(1)} GFLOP/s)`,
);
console.log(
  `  recurrent conv GEMMs  ${recurrentGemm.toFixed(2)} ms (${gflops(recFlop, recurrentGemm).toFixed(1)} GFLOP/s)`,
);
console.log(`  gathers, gates, rest  ${(whole - inputGemm - recurrentGemm).toFixed(2)} ms`);
if (winograd) {
  const wholeWinograd = time(call(W));
  const winogradGemm = time(winogradGemms);
  console.log(`  whole call, Winograd  ${wholeWinograd.toFixed(2)} ms`);
  console.log(`  Winograd's GEMMs      ${winogradGemm.toFixed(2)} ms`);
  console.log(
    `  transforms, gates, rest  ${(wholeWinograd - inputGemm - winogradGemm).toFixed(2)} ms`,
  );
}
console.log(
  `  floor: ${((inFlop + recFlop) / 1e9).toFixed(3)} GFLOP at the GEMM's ${peak.toFixed(1)} GFLOP/s = ${((inFlop + recFlop) / peak / 1e6).toFixed(2)} ms`,
);
