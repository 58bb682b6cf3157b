/** Comparing results with the oracle's. */

/**
 * Largest `|actual − expected| / max(1, |expected|)`: absolute error up to magnitude 1, relative
 * above. NaN anywhere counts as infinitely far; arrays of different lengths throw.
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`maxRelError: expected ${expected.length} values, got ${actual.length}`);
  }
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const d = Math.abs(actual[i] - e) / Math.max(1, Math.abs(e));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
