/**
 * The slice of `@rnnkit/core` and the backend packages the bench uses, typed structurally and
 * loaded at run time: a package that is not built yet (no dist/) or whose `init()` throws turns
 * into a skipped runner with its reason, instead of a bench that does not start.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

/** A built rnnkit layer. */
export interface RnnkitLayer {
  build?(inputShape: (number | null)[]): void;
  setWeights(weights: Tensor[]): void;
  apply(x: Tensor, kwargs?: Record<string, unknown>): Tensor | Tensor[];
  dispose(): void;
}

/** Per kernel name: how many calls ran a backend's fused kernel and how many the reference. */
export type DispatchStats = Record<string, { fused: number; reference: number }>;

/** What the bench reads from `@rnnkit/core`. */
export interface RnnkitCore {
  LSTM: new (args: { units: number; returnSequences?: boolean }) => RnnkitLayer;
  GRU: new (args: {
    units: number;
    resetAfter?: boolean;
    returnSequences?: boolean;
  }) => RnnkitLayer;
  Bidirectional: new (layer: RnnkitLayer, args: { mergeMode: 'concat' }) => RnnkitLayer;
  getDispatchStats?: () => DispatchStats;
  resetDispatchStats?: () => void;
}

/** What the bench reads from an rnnkit backend package. */
export interface RnnkitBackendModule {
  backendName?: string;
  init(): Promise<void>;
  [name: string]: unknown;
}

/** Imports a module by a specifier known only at run time; rejects with a one-line reason. */
export async function importOptional<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    throw new Error(explainImportError(specifier, err));
  }
}

/** A short, specific reason for a failed import. */
export function explainImportError(specifier: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  const notBuilt =
    (code === 'ERR_MODULE_NOT_FOUND' && /[\\/]dist[\\/]/.test(msg)) ||
    /Failed to resolve entry for package/.test(msg);
  if (notBuilt) return `${specifier} is not built (no dist/)`;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return `${specifier} cannot be resolved (${firstLine(msg)})`;
  }
  return `${specifier} failed to load: ${firstLine(msg)}`;
}

/** First line of a message, trimmed for a table cell. */
export function firstLine(msg: string): string {
  const line = msg.split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
