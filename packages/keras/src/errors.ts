/** Errors raised while loading or running a Keras model. */

/**
 * A model file that cannot be loaded or run as given: malformed or truncated data, an
 * unsupported layer or option, weights of the wrong shape, a limit exceeded, a bad input.
 */
export class KerasModelError extends Error {
  override name = 'KerasModelError';
}

/** Throws a {@link KerasModelError}. */
export function fail(message: string): never {
  throw new KerasModelError(message);
}

/** Formats a shape as Keras prints it: `(None, 4, 5)`. */
export function formatShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

/** A short, single-line rendering of a config value for error messages. */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
