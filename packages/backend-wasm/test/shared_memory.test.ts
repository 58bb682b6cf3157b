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
import { checkGruOnModule } from './module_gru.js';

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

      checkGruOnModule(ex, memory, 1024, { steps: 5, inputDim: 4, units: 6 });
    });
  },
);
