// Splits one training step of the module (forward `sequence` call, backward `sequenceGrad`
// call; and, as under a gradient tape, `sequenceGradForward` and `sequenceGrad` over its saved
// activations) into its products, to show where a step's time goes and how close each part runs to the
// packed GEMM's rate: the forward's input projection and T recurrent products, the backward's
// T `dGates·Uᵀ` products and its whole-sequence dx, dW, dU products (the gates, derivatives,
// transposes and packing are the difference). Runs the module on a memory of its own, with no
// tfjs around it.
//
//   node scripts/train-floor.mjs [lstm|gru-before] [B,T,D,U]        (after `pnpm build`)
//   node --experimental-wasm-relaxed-simd scripts/train-floor.mjs   # Node 20: the FMA build
/* global WebAssembly */
import { instantiate } from '../dist/engine/module.js';

const family = process.argv[2] === 'gru-before' ? 3 : 1;
const [B, T, D, U] = (process.argv[3] ?? '16,50,32,128').split(',').map(Number);
const G = family === 1 ? 4 : 3;
const Gr = family === 3 ? 2 : G;
const rows = B * T;

const memory = new WebAssembly.Memory({ initial: 16 });
const { exports: ex, variant } = instantiate(memory);
let top = 64;
const alloc = (bytes) => {
  const at = top;
  top += Math.ceil(bytes / 64) * 64 + 64;
  if (top > memory.buffer.byteLength)
    memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
  return at;
};
const filled = (n, scale = 0.1) => {
  const at = alloc(n * 4);
  const f32 = new Float32Array(memory.buffer, at, n);
  for (let i = 0; i < n; i++) f32[i] = Math.sin(i * 1.7) * scale;
  return at;
};

const x = filled(rows * D, 1);
const kernel = filled(D * G * U);
const recurrent = filled(U * G * U);
const bias = filled(G * U);
const h0 = alloc(B * U * 4);
const c0 = alloc(B * U * 4);
const dOut = filled(rows * U, 0.01);
const dH = alloc(B * U * 4);
const dC = alloc(B * U * 4);
const out = alloc(rows * U * 4);
const hOut = alloc(B * U * 4);
const cOut = alloc(B * U * 4);
const dx = alloc(rows * D * 4);
const dW = alloc(D * G * U * 4);
const dU = alloc(U * G * U * 4);
const db = alloc(G * U * 4);
const dh0 = alloc(B * U * 4);
const dc0 = alloc(B * U * 4);
const nsx = ex.packedCols(G, U);
const nsr = ex.packedCols(Gr, U);
const wk = alloc(D * nsx * 4);
const wr = alloc(U * nsr * 4);
const wr2 = alloc(U * ex.packedCols(1, U) * 4);
const bx = alloc(nsx * 4);
const brh = alloc(nsx * 4);
ex.packMatrix(kernel, D, G * U, 0, G, U, wk);
ex.packMatrix(recurrent, U, G * U, 0, Gr, U, wr);
if (family === 3) ex.packMatrix(recurrent, U, G * U, 2 * U, 1, U, wr2);
ex.packBias(family, bias, U, bx, brh);
const scratch = alloc(ex.scratchBytes(family, B, T, U, 1));
const gradScratch = alloc(ex.gradScratchBytes(family, B, T, D, U));
// Operands of the products timed alone (contents do not matter for their time).
const big = ex.packedCols(1, Math.max(G * U, D, U));
const opA = filled(Math.max(rows * G * U, G * U * U));
const opB = filled(Math.max(G * U, rows) * big);
const opC = alloc(Math.max(rows, G * U) * big * 4);

/**
 * Fastest ms of `f` over 11 rounds of `n` calls, after a warm-up, in this process's CPU time:
 * other processes on a busy machine then stretch a round less than they would its wall time.
 */
function time(f, n) {
  for (let i = 0; i < n; i++) f();
  let best = Infinity;
  for (let r = 0; r < 11; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const { user, system } = process.cpuUsage(t0);
    best = Math.min(best, (user + system) / 1e3 / n);
  }
  return best;
}
const n = Math.max(1, Math.round(2e8 / (rows * G * U * (D + U))));
const forward = () =>
  ex.sequence(
    family,
    B,
    T,
    D,
    U,
    x,
    wk,
    bx,
    wr,
    wr2,
    brh,
    h0,
    c0,
    0,
    0,
    out,
    hOut,
    cOut,
    scratch,
    2,
    1,
    2,
    0,
    1,
    0,
    0,
  );
const backward = () =>
  ex.sequenceGrad(
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
    0,
    0,
    dOut,
    dH,
    dC,
    dx,
    dW,
    dU,
    db,
    dh0,
    dc0,
    gradScratch,
    2,
    1,
    2,
    0,
  );
// Under a tape: the forward half of `sequenceGrad`, its activations left in a block of their own
// for the backward half.
const saved = alloc(ex.gradSavedBytes(family, B, T, D, U));
const tapedForward = () =>
  ex.sequenceGradForward(
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
    0,
    0,
    out,
    hOut,
    cOut,
    gradScratch,
    2,
    1,
    2,
    saved,
  );
const savedBackward = () =>
  ex.sequenceGrad(
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
    0,
    0,
    dOut,
    dH,
    dC,
    dx,
    dW,
    dU,
    db,
    dh0,
    dc0,
    gradScratch,
    2,
    1,
    2,
    saved,
  );
/** `[M, K] · packed [K, NS]` timed alone. */
const gemm = (M, K, N) => {
  const NS = ex.packedCols(1, N);
  return { ms: time(() => ex.gemm(opA, K, M, K, opB, NS, 0, opC, NS), n), flop: 2 * M * K * N };
};
const steps = (g) => ({ ms: g.ms * T, flop: g.flop * T });

const parts = [
  ['forward call', { ms: time(forward, n), flop: 2 * rows * G * U * (D + U) }],
  [
    'backward call',
    { ms: time(backward, n), flop: 4 * rows * G * U * (D + U) + 2 * rows * G * U * (D + U) },
  ],
  ['taped forward call', { ms: time(tapedForward, n), flop: 2 * rows * G * U * (D + U) }],
  ['backward call, saved', { ms: time(savedBackward, n), flop: 4 * rows * G * U * (D + U) }],
  ['  fwd projection x·W', gemm(rows, D, G * U)],
  [`  fwd ${T} products h·U`, steps(gemm(B, U, Gr * U))],
  ...(family === 3 ? [[`  fwd ${T} products (r⊙h)·U_h`, steps(gemm(B, U, U))]] : []),
  [`  bwd ${T} products dG·Uᵀ`, steps(gemm(B, Gr * U, U))],
  ...(family === 3 ? [[`  bwd ${T} products dĥ·U_hᵀ`, steps(gemm(B, U, U))]] : []),
  ['  dx = dG·Wᵀ', gemm(rows, G * U, D)],
  ['  dW = xᵀ·dG', gemm(D, rows, G * U)],
  ['  dU = hᵀ·dG', gemm(U, rows, G * U)],
];
const name = family === 1 ? 'LSTM' : 'GRU reset_after=False';
console.log(`${name} ${B}·${T}·${D}·${U}, ${variant} module`);
let products = 0;
for (const [label, { ms, flop }] of parts) {
  if (label.startsWith('  ')) products += ms;
  console.log(
    `${label.padEnd(30)} ${ms.toFixed(3).padStart(8)} ms  ${(flop / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`,
  );
}
const rest = parts[0][1].ms + parts[1][1].ms - products;
const [fwd, bwd, tapedFwd, savedBwd] = parts.slice(0, 4).map(([, { ms }]) => ms);
console.log(`${'gates, derivatives, packing'.padEnd(30)} ${rest.toFixed(3).padStart(8)} ms`);
console.log(
  `backward ÷ forward ${(bwd / fwd).toFixed(2)}×, (forward + backward) ÷ forward ${((fwd + bwd) / fwd).toFixed(2)}×`,
);
console.log(
  `activations saved: (taped forward + backward) ÷ forward ${((tapedFwd + savedBwd) / fwd).toFixed(2)}×`,
);
