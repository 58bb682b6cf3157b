/**
 * @rnnkit/backend-cpu: fused whole-sequence recurrent kernels for the tfjs `cpu` backend.
 *
 * Importing this module registers the kernels (and, through @tensorflow/tfjs-backend-cpu, the
 * cpu backend itself). Layers of @rnnkit/core then run one fused kernel call per direction
 * whenever `cpu` is the active backend and no gradient is being recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelConfigs } from '@rnnkit/core';
// A named, used import: bundlers may drop a bare side-effect import of this package.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { kernelConfigs } from './register_all.js';
import { stepKernelConfigs } from './kernels/step.js';
import { activeProductPool, setActiveProductPool } from './engine/active.js';
import {
  DEFAULT_MIN_PARALLEL_MACS,
  MAX_POOL_THREADS,
  ProductPool,
  setMinParallelMacs,
  splitProductCount,
} from './engine/pool.js';

export { kernelConfigs, stepKernelConfigs };
export { lstmSequence, lstmSequenceConfig } from './kernels/LSTMSequence.js';
export { gruSequence, gruSequenceConfig } from './kernels/GRUSequence.js';
export { simpleRNNSequence, simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
export { threadsUnavailableReason } from './engine/pool.js';
export { savedForwardCount as savedActivationCount } from './kernels/shared/saved.js';

/** The tfjs backend these kernels run on. */
export const backendName = 'cpu';

/** Most threads {@link setThreads} accepts. */
export const MAX_THREADS = MAX_POOL_THREADS;

/** The last pool set aside by `setThreads(1)`: its workers sleep until it is taken up again. */
let parked: ProductPool | null = null;

/**
 * Runs the matrix products of kernel calls on `threads` threads: the calling thread plus
 * `threads − 1` worker threads claim column blocks of every product (the input projection and
 * the recurrent product of every step) large enough to pay for the hand-off, so a thread that
 * is slow to get a core takes fewer. Results are the same to the bit as on one thread. `1` (the default) runs everything
 * on the calling thread again; the workers then sleep (they use no CPU and never keep Node
 * alive) and are taken up again by the next call with the same count, while another count
 * replaces them.
 *
 * Resolves once the workers are ready. Each worker keeps its own copy of the packed weights it
 * has worked on (up to 256 MiB), and spins for about a millisecond after each product before
 * it sleeps. Needs a growable `SharedArrayBuffer` (in browsers, a cross-origin isolated page);
 * where it is missing this rejects with the reason ({@link threadsUnavailableReason}).
 */
export async function setThreads(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(
      `setThreads: expected an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`,
    );
  }
  const previous = activeProductPool();
  if ((previous?.threads ?? 1) === threads) return;
  let next: ProductPool | null = null;
  if (threads > 1) {
    next = parked?.threads === threads ? parked : await ProductPool.start(threads);
    if (next === parked) parked = null;
  }
  setActiveProductPool(next);
  if (previous == null) return;
  // Keep the one pool just left for a switch back; a pool of another count is not kept.
  const retired = parked;
  parked = previous;
  await retired?.stop();
}

/** The default of {@link setMinProductWork}: 32,768 multiply-adds. */
export const DEFAULT_MIN_PRODUCT_WORK = DEFAULT_MIN_PARALLEL_MACS;

/**
 * Sets the size, in multiply-adds, from which {@link setThreads}' workers take a share of a
 * product (default {@link DEFAULT_MIN_PRODUCT_WORK}; the hand-off costs about as much as 4,000).
 * `0` splits every product of two or more panels (six columns), as the parity suite does to
 * run small cases across threads.
 */
export function setMinProductWork(macs: number): void {
  if (!Number.isInteger(macs) || macs < 0) {
    throw new Error(`setMinProductWork: expected an integer ≥ 0, got ${String(macs)}`);
  }
  setMinParallelMacs(macs);
}

/** Matrix products split between threads so far in this process (see {@link setThreads}). */
export function getSplitProducts(): number {
  return splitProductCount();
}

/** Threads kernel calls run on (1 unless {@link setThreads} started workers). */
export function getThreads(): number {
  return activeProductPool()?.threads ?? 1;
}

/**
 * Registers every kernel in {@link kernelConfigs} and every step kernel in
 * {@link stepKernelConfigs} that is not registered yet.
 */
export function registerKernels(): void {
  registerKernelConfigs(kernelConfigs, stepKernelConfigs);
}

registerKernels();

/** Registers the kernels if needed and makes `cpu` the active tfjs backend. */
export async function init(): Promise<void> {
  if (tf.findBackendFactory(backendName) == null) {
    tf.registerBackend(backendName, () => new MathBackendCPU(), 1);
  }
  registerKernels();
  const ok = await tf.setBackend(backendName);
  if (!ok)
    throw new Error(
      `init: expected the tfjs backend '${backendName}' to initialize, got a failure`,
    );
  await tf.ready();
}
