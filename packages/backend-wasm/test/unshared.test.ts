/**
 * The plain-memory modules derived from the shared-memory builds (`src/engine/unshared.ts`): the
 * import rewrite byte for byte on a hand-assembled module, and the derived variants validating,
 * linking against plain memories only, and computing a sequence like the float64 equations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import {
  instantiate,
  isSharedMemory,
  relaxedSimdSupported,
  setWasmVariant,
  variantBinary,
  type WasmVariant,
} from '../src/engine/module.js';
import { backendMemory, type WasmBackendLike } from '../src/engine/state.js';
import { OwnHeap } from '../src/engine/heap.js';
import { withUnsharedMemory } from '../src/engine/unshared.js';
import { checkGruOnModule } from './module_gru.js';

const bytes = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
const named = (text: string): number[] => [text.length, ...bytes(text)];

/**
 * A module importing a function named `funcName` and a memory with `limits`, whose one function
 * does an `i32.atomic.load`. `funcName` sets the import section's size (its size LEB).
 */
function handModule(funcName: string, limits: number[]): Uint8Array<ArrayBuffer> {
  const imports = [
    2,
    ...named('env'),
    ...named(funcName),
    0, // func
    0, // type 0
    ...named('env'),
    ...named('memory'),
    2, // memory
    ...limits,
  ];
  const importSize = imports.length < 128 ? [imports.length] : [0x80 | (imports.length & 0x7f), 1];
  expect(imports.length).toBeLessThan(256);
  return new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...[1, 4, 1, 0x60, 0, 0], // type section: () -> ()
    2,
    ...importSize,
    ...imports,
    ...[3, 2, 1, 0], // function section: one function of type 0
    // code section: i32.const 0; i32.atomic.load align=2 offset=0; drop; end
    ...[10, 11, 1, 9, 0, 0x41, 0, 0xfe, 0x10, 2, 0, 0x1a, 0x0b],
  ]);
}

const SHARED_LIMITS = [3, 1, 0x80, 0x80, 4]; // shared, minimum 1, maximum 65536
const PLAIN_LIMITS = [0, 1]; // minimum 1, no maximum

describe('withUnsharedMemory on a hand-assembled module', () => {
  it('clears the shared flag and drops the maximum, changing nothing else', () => {
    const shared = handModule('f', SHARED_LIMITS);
    expect(WebAssembly.validate(shared)).toBe(true);
    const derived = withUnsharedMemory(shared);
    expect(Array.from(derived)).toEqual(Array.from(handModule('f', PLAIN_LIMITS)));
    expect(WebAssembly.validate(derived)).toBe(true);
  });

  it("rewrites the import section's size when its LEB gets shorter", () => {
    // 129 bytes of imports shrink to 126: the section size goes from two LEB bytes to one.
    const name = 'f'.repeat(104);
    const shared = handModule(name, SHARED_LIMITS);
    expect(shared[15]).toBe(0x81);
    const derived = withUnsharedMemory(shared);
    const plain = handModule(name, PLAIN_LIMITS);
    expect(plain[15]).toBe(126);
    expect(Array.from(derived)).toEqual(Array.from(plain));
    expect(WebAssembly.validate(derived)).toBe(true);
  });

  it('accepts atomics on a plain memory and refuses a shared one', () => {
    const mod = new WebAssembly.Module(withUnsharedMemory(handModule('f', SHARED_LIMITS)));
    const f = (): void => undefined;
    const plain = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(mod, { env: { f, memory: plain } });
    expect(instance).toBeInstanceOf(WebAssembly.Instance);
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(() => new WebAssembly.Instance(mod, { env: { f, memory: shared } })).toThrow(
      WebAssembly.LinkError,
    );
  });

  it('throws for a module without a shared memory import', () => {
    expect(() => withUnsharedMemory(handModule('f', PLAIN_LIMITS))).toThrow(
      'rnnkit wasm: expected a shared memory import to derive the plain module from',
    );
    const noImports = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0]);
    expect(() => withUnsharedMemory(noImports)).toThrow(
      'rnnkit wasm: expected an import section to derive the plain module from',
    );
  });
});

describe.each(relaxedSimdSupported() ? (['simd', 'relaxed'] as const) : (['simd'] as const))(
  'the derived plain-memory module (%s)',
  (variant: WasmVariant) => {
    let tfjsMemory: WebAssembly.Memory;
    beforeAll(async () => {
      await init();
      const memory = backendMemory(tf.backend() as unknown as WasmBackendLike);
      expect(memory).not.toBeNull();
      tfjsMemory = memory!;
    });

    it('imports env.memory not shared and without a maximum, and validates', () => {
      const shared = variantBinary(variant, true);
      const plain = variantBinary(variant, false);
      // The shared build's limits (flag 3, minimum 0, maximum 65536 pages) become flag 0, minimum 0.
      expect(plain.length).toBe(shared.length - 3);
      expect(WebAssembly.validate(plain)).toBe(true);
      const mod = new WebAssembly.Module(plain);
      expect(WebAssembly.Module.imports(mod)).toEqual([
        { module: 'env', name: 'memory', kind: 'memory' },
      ]);
      const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
      const sharedExports = WebAssembly.Module.exports(new WebAssembly.Module(shared));
      expect(exports).toEqual(sharedExports.map((e) => e.name));
      // Linking tells the limits apart: a shared memory is refused, any plain one accepted.
      const sharedMemory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      expect(() => new WebAssembly.Instance(mod, { env: { memory: sharedMemory } })).toThrow(
        WebAssembly.LinkError,
      );
      for (const memory of [
        new WebAssembly.Memory({ initial: 0 }),
        new WebAssembly.Memory({ initial: 1, maximum: 65536 }),
      ]) {
        expect(new WebAssembly.Instance(mod, { env: { memory } })).toBeInstanceOf(
          WebAssembly.Instance,
        );
      }
    });

    it("instantiates over the tfjs wasm backend's memory", () => {
      expect(isSharedMemory(tfjsMemory)).toBe(false);
      setWasmVariant(variant);
      const { exports, variant: used } = instantiate(tfjsMemory);
      setWasmVariant(null);
      expect(used).toBe(variant);
      expect(exports.syncBytes()).toBeGreaterThan(0);
    });

    it("computes a GRU sequence like the float64 equations in copy mode's own memory", () => {
      const memory = new OwnHeap().memory;
      expect(isSharedMemory(memory)).toBe(false);
      setWasmVariant(variant);
      const { exports } = instantiate(memory);
      setWasmVariant(null);
      checkGruOnModule(exports, memory, 1024);
    });

    it('computes a GRU sequence like the float64 equations in a memory with a maximum', () => {
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 32768 });
      setWasmVariant(variant);
      const { exports } = instantiate(memory);
      setWasmVariant(null);
      checkGruOnModule(exports, memory, 4096);
    });
  },
);
