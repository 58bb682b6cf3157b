/**
 * Which product pool, if any, the kernels' products run on: set by `setThreads`, read by
 * `multiply` on every product.
 */
import type { ProductPool } from './pool.js';

let active: ProductPool | null = null;

/** The pool products run on, or null for the calling thread alone. */
export function activeProductPool(): ProductPool | null {
  return active;
}

/** Sets the pool products run on (null: the calling thread alone). */
export function setActiveProductPool(pool: ProductPool | null): void {
  active = pool;
}
