/** Keras version strings and the semantics they imply. */

/**
 * The version whose semantics apply: Keras 2 for `2.x` (and for tfjs-layers files, which follow
 * Keras 2's definitions), Keras 3 for `3.x`; `fallback` when the string says nothing usable.
 */
export function semanticsVersion(written: string | undefined, fallback: string): string {
  if (written == null || written === '') return fallback;
  if (/^\d+(\.\d+)*/.test(written)) return written;
  if (written.startsWith('tfjs')) return '2.2.4';
  return fallback;
}

/** True for versions below 3. */
export function isKeras2Version(version: string): boolean {
  const major = Number.parseInt(version, 10);
  return Number.isFinite(major) && major < 3;
}
