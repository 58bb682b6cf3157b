/**
 * @rnnkit/backend-wasm: fused whole-sequence recurrent kernels for the tfjs `wasm` backend,
 * running in rnnkit's own SIMD WebAssembly module over tfjs-backend-wasm's memory.
 *
 * Importing this module registers the kernels (when the engine supports WebAssembly SIMD) and,
 * through @tensorflow/tfjs-backend-wasm, the `wasm` backend itself. Layers of @rnnkit/core then
 * run one fused kernel call per direction whenever `wasm` is the active backend and no gradient
 * is being recorded. Call {@link init} to select the backend and load the module ahead of time.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelConfigs } from '@rnnkit/core';
import type * as NodeModule from 'node:module';
import { kernelConfigs } from './register_all.js';
import { stepKernelConfigs } from './kernels/step.js';
import {
  compileVariant,
  isSharedMemory,
  relaxedSimdSupported,
  selectedVariant,
  setWasmVariant as setModuleVariant,
  simdSupported,
  type WasmVariant,
} from './engine/module.js';
import { ThreadPool, threadsUnavailableReason } from './engine/threads.js';
import {
  backendMemory,
  dropState,
  existingState,
  setForcedMode,
  setThreadPool,
  stateFor,
  type MemoryMode,
  type WasmBackendLike,
  type WasmMemoryStats,
} from './engine/state.js';

export { kernelConfigs, stepKernelConfigs };
export { lstmSequence, lstmSequenceConfig } from './kernels/LSTMSequence.js';
export { gruSequence, gruSequenceConfig } from './kernels/GRUSequence.js';
export { simpleRNNSequence, simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
export { convLSTMSequence, convLSTMSequenceConfig } from './kernels/ConvLSTMSequence.js';
export { savedForwardCount as savedActivationCount } from './kernels/shared/saved.js';
export {
  getKernelCalls,
  getThreadedCalls,
  resetKernelCalls,
} from './kernels/shared/module_args.js';
export { DEFAULT_MIN_STEP_WORK_PER_THREAD, setMinStepWorkPerThread } from './kernels/shared/run.js';
export { relaxedSimdSupported, selectedVariant, simdSupported, threadsUnavailableReason };
export type { MemoryMode, WasmMemoryStats, WasmVariant };

/**
 * Forces the module variant (`'simd'`, or `'relaxed'` for fused multiply-add; `null` restores
 * detection). The active `wasm` backend drops its instance, packed weights and scratch, so its
 * next kernel call instantiates the chosen variant. Throws for `'relaxed'` on an engine without
 * relaxed SIMD.
 */
export function setWasmVariant(variant: WasmVariant | null): void {
  setModuleVariant(variant);
  const backend = tf.findBackend(backendName);
  if (backend != null) dropState(backend);
}

/**
 * Forces copy mode (`'copy'`: the module works in its own memory, inputs copied in and outputs
 * copied out) or restores the default (`null`: work in place on tfjs's memory wherever the
 * backend exposes it). Copy mode is what the threaded tfjs-backend-wasm build gets, whose shared
 * memory is private to its glue code. The active `wasm` backend re-instantiates on its next call.
 */
export function setMemoryMode(mode: 'copy' | null): void {
  if (mode !== null && mode !== 'copy') {
    throw new Error(`setMemoryMode: expected 'copy' or null, got ${JSON.stringify(mode)}`);
  }
  setForcedMode(mode);
  const backend = tf.findBackend(backendName);
  if (backend != null) dropState(backend);
}

/** The tfjs backend these kernels run on. */
export const backendName = 'wasm';

/** Most threads {@link setThreads} accepts. */
export const MAX_THREADS = 64;

let pool: ThreadPool | null = null;
/** The last pool set aside by `setThreads(1)`: its workers sleep until it is taken up again. */
let parked: ThreadPool | null = null;

/**
 * Runs kernel calls on `threads` threads: the calling thread plus `threads − 1` worker threads
 * that split the units of every step between them. Calls whose recurrent product is too small
 * to pay for a barrier per step stay on one thread (see {@link setMinStepWorkPerThread}).
 * `1` (the default) runs everything on the calling thread again; the workers then sleep (they use
 * no CPU and never keep Node alive) and are taken up again by the next call with the same count,
 * while another count replaces them.
 *
 * Resolves once the workers are ready. From then on the active `wasm` backend's kernels work in
 * the workers' shared memory, copying inputs in and outputs out (copy mode), and its packed
 * weights are packed afresh. Needs `SharedArrayBuffer` (in browsers, a cross-origin isolated
 * page); where it is missing this rejects with {@link threadsUnavailableReason}.
 */
export async function setThreads(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(
      `setThreads: expected an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`,
    );
  }
  if ((pool?.threads ?? 1) === threads) return;
  const previous = pool;
  let next: ThreadPool | null = null;
  if (threads > 1) {
    next = parked?.threads === threads ? parked : await ThreadPool.start(threads);
    if (next === parked) parked = null;
  }
  pool = next;
  setThreadPool(pool);
  const backend = tf.findBackend(backendName);
  if (backend != null) dropState(backend);
  if (previous == null) return;
  // Keep the one pool just left for a switch back; a pool of another count is not kept.
  const retired = parked;
  parked = previous;
  await retired?.stop();
}

/** Threads kernel calls may run on (1 unless {@link setThreads} started workers). */
export function getThreads(): number {
  return pool?.threads ?? 1;
}

/**
 * Registers every kernel in {@link kernelConfigs} and step kernel in {@link stepKernelConfigs}
 * that is not registered yet. Does nothing on an
 * engine without WebAssembly SIMD, so layers fall back to the reference kernels there.
 */
export function registerKernels(): void {
  if (!simdSupported()) return;
  registerKernelConfigs(kernelConfigs, stepKernelConfigs);
}

registerKernels();

/** Options for {@link init}. */
export interface InitOptions {
  /**
   * Where tfjs-backend-wasm loads its `.wasm` files from, passed to its `setWasmPaths` before the
   * backend starts. Default in Node: the installed package's `dist/` directory; in browsers,
   * tfjs's own default (next to the script) unless this is given.
   */
  wasmPaths?: string | Record<string, string>;
  /** Threads for kernel calls, as {@link setThreads} takes them (default: leave as is, 1). */
  threads?: number;
}

type NodeModuleApi = typeof NodeModule;

/** In Node, the directory holding tfjs-backend-wasm's `.wasm` files; elsewhere undefined. */
async function nodeWasmDir(): Promise<string | undefined> {
  if (typeof process === 'undefined' || process.versions?.node == null) return undefined;
  // A computed specifier keeps browser bundlers from trying to resolve a Node built-in.
  const specifier = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ specifier)) as NodeModuleApi;
  const require = createRequire(import.meta.url);
  return require
    .resolve('@tensorflow/tfjs-backend-wasm/package.json')
    .replace(/package\.json$/, 'dist/');
}

function wasmBackend(): WasmBackendLike {
  return tf.findBackend(backendName) as unknown as WasmBackendLike;
}

/**
 * Registers the kernels, starts tfjs's `wasm` backend (pointing it at its `.wasm` files in Node),
 * makes it the active backend, and instantiates rnnkit's module over its memory.
 */
export async function init(options: InitOptions = {}): Promise<void> {
  if (!simdSupported()) {
    throw new Error('init: expected a WebAssembly engine with SIMD support, got one without it');
  }
  registerKernels();
  if (tf.findBackend(backendName) == null) {
    const paths = options.wasmPaths ?? (await nodeWasmDir());
    if (paths != null) setWasmPaths(paths);
  }
  const ok = await tf.setBackend(backendName);
  if (!ok) {
    throw new Error(
      `init: expected the tfjs backend '${backendName}' to initialize, got a failure`,
    );
  }
  await tf.ready();
  const backend = wasmBackend();
  const memory = backendMemory(backend);
  // Asynchronous compilation, so the first kernel call only instantiates.
  await compileVariant(selectedVariant(), memory != null && isSharedMemory(memory));
  if (options.threads != null) await setThreads(options.threads);
  stateFor(backend);
}

/**
 * Bytes this package holds on the `wasm` backend's heap (packed weights, scratch), for leak
 * checks. Zeros before the first kernel call.
 */
export function getWasmMemoryStats(): WasmMemoryStats {
  const backend = tf.findBackend(backendName);
  const state = backend == null ? undefined : existingState(backend);
  if (state == null) {
    return {
      liveBytes: 0,
      liveBlocks: 0,
      packedWeights: 0,
      scratchBytes: 0,
      memoryBytes: 0,
      variant: selectedVariant(),
      mode: 'shared',
      threads: getThreads(),
    };
  }
  return state.stats();
}

/** Frees the packed-weight cache and the scratch arena on the `wasm` backend's heap. */
export function releaseWasmMemory(): void {
  const backend = tf.findBackend(backendName);
  const state = backend == null ? undefined : existingState(backend);
  state?.release();
}
