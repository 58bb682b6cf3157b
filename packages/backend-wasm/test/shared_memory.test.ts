/**
 * The shared-memory module variants (what a threaded tfjs-backend-wasm needs), driven directly
 * through the module's exports on a SharedArrayBuffer-backed memory.
 */
import { describe, expect, it } from 'vitest';
import {
  instantiate,
  isSharedMemory,
  relaxedSimdSupported,
  setWasmVariant,
} from '../src/engine/module.js';
import { expectClose, makeProblem, naiveOutputs } from './helpers.js';

describe.each(relaxedSimdSupported() ? (['simd', 'relaxed'] as const) : (['simd'] as const))(
  'shared memory (%s)',
  (variant) => {
    it('runs a masked, backwards GRU sequence on a shared memory', () => {
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 256, shared: true });
      expect(isSharedMemory(memory)).toBe(true);
      setWasmVariant(variant);
      const { exports: ex, variant: used } = instantiate(memory);
      setWasmVariant(null);
      expect(used).toBe(variant);

      const p = makeProblem({
        family: 'gru',
        resetAfter: true,
        batch: 3,
        steps: 5,
        inputDim: 4,
        units: 6,
        goBackwards: true,
        returnSequences: true,
        mask: 'random',
        initialStates: true,
      });
      const { batch: B, steps: T, inputDim: D, units: U } = p;
      const f32 = new Float32Array(memory.buffer);
      let top = 1024;
      const put = (values: ArrayLike<number>): number => {
        const at = top;
        f32.set(values, at / 4);
        top = Math.ceil((at + values.length * 4) / 64) * 64;
        return at;
      };
      const reserve = (bytes: number): number => put(new Float32Array(Math.ceil(bytes / 4)));
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
        0, // one thread: no sync block
        1,
        0,
        0,
      );

      const [expectedOut, expectedH] = naiveOutputs(p);
      expectClose(f32.slice(out / 4, out / 4 + B * T * U), expectedOut, 'output');
      expectClose(f32.slice(hOut / 4, hOut / 4 + B * U), expectedH, 'h');
    });
  },
);
