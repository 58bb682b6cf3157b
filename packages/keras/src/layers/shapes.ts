/** Shape helpers shared by the layers. */
import { describe, fail, formatShape } from '../errors.js';
import type { Shape } from './types.js';

/** Reads a saved shape (`batch_shape`, `batch_input_shape`) into a Shape; the batch becomes null. */
export function readBatchShape(value: unknown, label: string, option: string): Shape {
  if (!Array.isArray(value) || value.length === 0 || value.length > 16) {
    fail(`${label}: option '${option}' must be a list of sizes, got ${describe(value)}`);
  }
  return value.map((d, i) => {
    if (i === 0) return null; // A saved batch size must not constrain prediction.
    if (d == null) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1) {
      fail(`${label}: option '${option}' has an invalid size ${describe(d)} at position ${i}`);
    }
    return d;
  });
}

/** Throws unless `shape` has rank `rank` (or at least `rank` when `atLeast`). */
export function expectRank(label: string, shape: Shape, rank: number, atLeast = false): void {
  if (atLeast ? shape.length < rank : shape.length !== rank) {
    fail(
      `${label}: expected an input of rank ${atLeast ? `>= ${rank}` : rank}, got shape ${formatShape(shape)}`,
    );
  }
}

/** The single input shape of a one-input layer. */
export function single(label: string, shapes: Shape[]): Shape {
  if (shapes.length !== 1) fail(`${label}: expected 1 input, got ${shapes.length}`);
  return shapes[0];
}

/** True when a concrete shape fits a pattern with null wildcards. */
export function fits(shape: readonly number[], pattern: Shape): boolean {
  return shape.length === pattern.length && pattern.every((d, i) => d == null || d === shape[i]);
}

/** Product of sizes, or null when any is unknown. */
export function product(dims: Shape): number | null {
  let n = 1;
  for (const d of dims) {
    if (d == null) return null;
    n *= d;
  }
  return n;
}
