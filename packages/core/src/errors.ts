/** Errors raised by rnnkit for invalid arguments, shapes and configurations. */

/** An argument, shape or configuration value that rnnkit cannot accept. */
export class RnnkitError extends Error {
  override name = 'RnnkitError';
}

/** Formats a shape as Keras prints it, e.g. `(1, 4, 5)` with `None` for unknown sizes. */
export function formatShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Throws an {@link RnnkitError} that names the argument, what was expected and what was given.
 * `given` is printed as a value; pass a preformatted string in `givenText` for shapes.
 */
export function invalidArgument(argument: string, expected: string, given: unknown): never {
  throw new RnnkitError(`${argument}: expected ${expected}, got ${formatValue(given)}`);
}

/** Throws an {@link RnnkitError} for a tensor of the wrong shape. */
export function invalidShape(
  argument: string,
  expected: readonly (number | null)[] | string,
  given: readonly (number | null)[],
): never {
  const want = typeof expected === 'string' ? expected : `shape ${formatShape(expected)}`;
  throw new RnnkitError(`${argument}: expected ${want}, got shape ${formatShape(given)}`);
}

/** True when `shape` matches `expected`, where `null` in `expected` matches any size. */
export function shapeMatches(
  shape: readonly number[],
  expected: readonly (number | null)[],
): boolean {
  return shape.length === expected.length && expected.every((d, i) => d == null || d === shape[i]);
}

/** Checks a positive integer argument. */
export function checkPositiveInt(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    invalidArgument(argument, 'a positive integer', value);
  }
  return value;
}

/** Checks a rate in [0, 1). */
export function checkRate(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    invalidArgument(argument, 'a number in [0, 1)', value);
  }
  return value;
}

/** The most values one tensor may hold: the length limit of the typed arrays behind it. */
export const MAX_TENSOR_VALUES = 2 ** 31 - 1;

/**
 * Refuses a weight or activation that no tensor can hold, before anything is allocated: the
 * error names the argument, its value and the shape it implies.
 */
export function checkAllocatable(
  argument: string,
  value: unknown,
  what: string,
  shape: readonly number[],
): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_VALUES) {
    throw new RnnkitError(
      `${argument}: ${formatValue(value)} implies ${what} of shape ${formatShape(shape)}, ${count.toPrecision(3)} values; a tensor holds at most ${MAX_TENSOR_VALUES}`,
    );
  }
}
