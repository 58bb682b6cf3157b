/** Reading and resolving `axis` options the way Keras does. */
import { describe, fail, formatShape } from '../errors.js';
import type { ConfigReader } from './config_reader.js';
import type { Shape } from './types.js';

/**
 * Reads `axis` as an integer, or (when `allowList`) as a non-empty list of integers; returns the
 * axes as written (negative axes count from the end) and whether a list was given.
 */
export function readAxes(
  r: ConfigReader,
  fallback: number,
  allowList: boolean,
  key = 'axis',
): { axes: number[]; list: boolean } {
  const v = r.raw(key);
  if (v == null) return { axes: [fallback], list: false };
  if (Number.isInteger(v)) return { axes: [v as number], list: false };
  if (
    allowList &&
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= 16 &&
    v.every((a) => Number.isInteger(a))
  ) {
    return { axes: v as number[], list: true };
  }
  r.error(
    key,
    `must be ${allowList ? 'an integer or a non-empty list of integers' : 'an integer'}, got ${describe(v)}`,
  );
}

/**
 * Resolves axes against an input rank (negative ones count from the end), refusing axes out of
 * range, repeated axes and, unless `allowBatch`, the batch axis.
 */
export function resolveAxes(
  label: string,
  axes: readonly number[],
  shape: Shape,
  allowBatch = false,
): number[] {
  const rank = shape.length;
  const resolved = axes.map((a) => (a < 0 ? a + rank : a));
  const shown = describe(axes.length === 1 ? axes[0] : axes);
  for (const a of resolved) {
    if (a < 0 || a >= rank) {
      fail(
        `${label}: option 'axis' = ${shown} is out of range for an input of rank ${rank} (shape ${formatShape(shape)}); expected axes in [${-rank}, ${rank - 1}]`,
      );
    }
    if (a === 0 && !allowBatch) {
      fail(
        `${label}: option 'axis' = ${shown} includes the batch axis, whose size is unknown (input shape ${formatShape(shape)})`,
      );
    }
  }
  if (new Set(resolved).size !== resolved.length) {
    fail(`${label}: option 'axis' = ${shown} repeats an axis (Keras refuses duplicate axes)`);
  }
  return resolved;
}

/** The sizes of `shape` at `axes`; throws when one is unknown (Keras cannot build its weights). */
export function knownSizes(label: string, shape: Shape, axes: readonly number[]): number[] {
  return axes.map((a) => {
    const d = shape[a];
    if (d == null) {
      fail(
        `${label}: the input size on axis ${a} is unknown (input shape ${formatShape(shape)}); the layer's weights need it`,
      );
    }
    return d;
  });
}

/** True when `version` (e.g. `3.13.2`) is at least `major.minor`. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (!Number.isFinite(a)) return false;
  return a > major || (a === major && (Number.isFinite(b) ? b : 0) >= minor);
}
