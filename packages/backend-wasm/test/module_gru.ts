/** A GRU run through the module's exports alone, on a memory of the caller's. */
import type { RnnkitWasmExports } from '../src/engine/module.js';
import { expectClose, makeProblem, naiveOutputs } from './helpers.js';

/**
 * Runs a masked, backwards GRU (reset after, one thread) straight through the module's exports
 * `ex` on `memory`, its data from byte `at`, and checks it against the float64 oracle.
 */
export function checkGruOnModule(
  ex: RnnkitWasmExports,
  memory: WebAssembly.Memory,
  at: number,
  sizes = { steps: 6, inputDim: 5, units: 7 },
): void {
  const p = makeProblem({
    family: 'gru',
    resetAfter: true,
    batch: 3,
    ...sizes,
    goBackwards: true,
    returnSequences: true,
    mask: 'random',
    initialStates: true,
  });
  const { batch: B, steps: T, inputDim: D, units: U } = p;
  const f32 = new Float32Array(memory.buffer);
  let top = at;
  const put = (values: ArrayLike<number>): number => {
    const start = top;
    f32.set(values, start / 4);
    top = Math.ceil((start + values.length * 4) / 64) * 64;
    return start;
  };
  const reserve = (n: number): number => put(new Float32Array(Math.ceil(n / 4)));
  const x = put(p.x);
  const kernel = put(p.kernel);
  const recurrent = put(p.recurrentKernel);
  const bias = put(p.bias);
  const h0 = put(p.initialH);
  const mask = reserve(B * T);
  new Uint8Array(memory.buffer).set(
    p.mask!.map((m) => (m ? 1 : 0)),
    mask,
  );
  const nsx = ex.packedCols(3, U);
  const wk = reserve(D * nsx * 4);
  const wr = reserve(U * nsx * 4);
  ex.packMatrix(kernel, D, 3 * U, 0, 3, U, wk);
  ex.packMatrix(recurrent, U, 3 * U, 0, 3, U, wr);
  const bx = reserve(nsx * 4);
  const brh = reserve(ex.packedCols(1, U) * 4);
  ex.packBias(2, bias, U, bx, brh);
  const out = reserve(B * T * U * 4);
  const hOut = reserve(B * U * 4);
  const scratch = reserve(ex.scratchBytes(2, B, T, U, 1));
  const flags = 1 | 2; // goBackwards, returnSequences
  // One thread (sync 0, threads 1): the barrier's atomics never run on the plain memory.
  ex.sequence(
    2,
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
    0,
    mask,
    0,
    out,
    hOut,
    0,
    scratch,
    flags,
    1,
    2,
    0,
    1,
    0,
    0,
  );
  const [expectedOut, expectedH] = naiveOutputs(p);
  const result = new Float32Array(memory.buffer);
  expectClose(result.slice(out / 4, out / 4 + B * T * U), expectedOut, 'output');
  expectClose(result.slice(hOut / 4, hOut / 4 + B * U), expectedH, 'h');
}
