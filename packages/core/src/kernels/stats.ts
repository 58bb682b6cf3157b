/** Counts of which path each kernel call took (fused or reference), per kernel name. */

/** Which path ran, counted per kernel name since the last reset. */
export type DispatchStats = Record<string, { fused: number; reference: number }>;

let stats: DispatchStats = {};

/** Counts of fused and reference runs per kernel since the last {@link resetDispatchStats}. */
export function getDispatchStats(): DispatchStats {
  return structuredClone(stats);
}

/** Clears the counts returned by {@link getDispatchStats}. */
export function resetDispatchStats(): void {
  stats = {};
}

/** Records one run of `name` on `path`. */
export function countDispatch(name: string, path: 'fused' | 'reference'): void {
  (stats[name] ??= { fused: 0, reference: 0 })[path]++;
}
