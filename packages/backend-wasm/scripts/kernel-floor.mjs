// Splits one batch-1 sequence call of the module into its parts, to show how close a workload is
// to the machine's SIMD ceiling: the whole `sequence` call, its T recurrent matrix–vector
// products alone, and its input projection alone (the gates and the rest are the difference).
// Runs the module on a memory of its own, with no tfjs around it.
//
//   node scripts/kernel-floor.mjs [lstm|gru] [T,D,U]        (after `pnpm build`)
//   node --experimental-wasm-relaxed-simd scripts/kernel-floor.mjs   # Node 20: the FMA build
/* global WebAssembly */
import { performance } from 'node:perf_hooks';
import { instantiate } from '../dist/engine/module.js';

const family = process.argv[2] === 'gru' ? 2 : 1;
const [T, D, U] = (process.argv[3] ?? '100,32,128').split(',').map(Number);
const B = 1;
const G = family === 1 ? 4 : 3;

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

const x = filled(B * T * D);
const kernel = filled(D * G * U);
const recurrent = filled(U * G * U);
const bias = filled(2 * G * U);
const ns = ex.packedCols(G, U);
const wk = alloc(D * ns * 4);
const wr = alloc(U * ns * 4);
ex.packMatrix(kernel, D, G * U, 0, G, U, wk);
ex.packMatrix(recurrent, U, G * U, 0, G, U, wr);
const bx = alloc(ns * 4);
const brh = alloc(ns * 4);
ex.packBias(family, bias, U, bx, brh);
const h0 = alloc(U * 4);
const c0 = alloc(U * 4);
const out = alloc(U * 4);
const hOut = alloc(U * 4);
const cOut = alloc(U * 4);
const scratch = alloc(ex.scratchBytes(family, B, T, U, 1));
const products = alloc(ns * 4);

/** Median µs of `f` over 15 rounds of 200 calls, after a warm-up. */
function time(f) {
  for (let i = 0; i < 300; i++) f();
  const rounds = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) f();
    rounds.push(((performance.now() - t0) / 200) * 1000);
  }
  return rounds.sort((a, b) => a - b)[7];
}

const whole = time(() =>
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
    0,
    brh,
    h0,
    c0,
    0,
    0,
    out,
    hOut,
    cOut,
    scratch,
    0,
    1,
    2,
    0,
    1,
    0,
    0,
  ),
);
const matvec = time(() => {
  for (let s = 0; s < T; s++) ex.gemm(h0, U, B, U, wr, ns, 0, products, ns);
});
const projection = time(() => ex.gemm(x, D, B * T, D, wk, ns, bx, scratch, ns));
const gflops = (flop, us) => (flop / us / 1e3).toFixed(1);
const name = family === 1 ? 'LSTM' : 'GRU';
console.log(`${name} 1·${T}·${D}·${U}, ${variant} module`);
console.log(`  whole call            ${whole.toFixed(1)} µs`);
console.log(
  `  ${T} recurrent products ${matvec.toFixed(1)} µs (${gflops(2 * T * U * G * U, matvec)} GFLOP/s)`,
);
console.log(
  `  input projection      ${projection.toFixed(1)} µs (${gflops(2 * T * D * G * U, projection)} GFLOP/s)`,
);
console.log(`  gates and the rest    ${(whole - matvec - projection).toFixed(1)} µs`);
