/** How many threads a ConvLSTM kernel call (forward or backward) runs on. */
import type { BackendState } from '../../engine/state.js';
import { minStepWorkPerThread } from './run.js';

/**
 * Threads for one call: those the pool has, the batch items can keep busy, and the work pays
 * for, by the same per-thread minimum of one step's recurrent multiply-adds as the dense kernels.
 */
export function convThreadsFor(state: BackendState, batch: number, stepWork: number): number {
  if (state.pool == null) return 1;
  const least = minStepWorkPerThread();
  const byWork = least === 0 ? state.pool.threads : Math.floor(stepWork / least);
  return state.exports.convUsefulThreads(batch, Math.max(1, Math.min(state.pool.threads, byWork)));
}
