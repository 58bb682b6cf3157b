/** Small statistics helpers for the timing samples. */

/** Median of a non-empty sample. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median: expected a non-empty sample, got 0 values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`maxAbsDiff: expected equal lengths, got ${a.length} and ${b.length}`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN; // a NaN output must not read as a match
    if (d > m) m = d;
  }
  return m;
}

/** Runs `timeOne` `count` times back to back; resolves to the mean of the ms it reports. */
export async function meanMs(count: number, timeOne: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) total += await timeOne();
  return total / count;
}
