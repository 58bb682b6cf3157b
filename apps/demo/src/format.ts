/** Prints float32 arrays the way numpy (and so Keras's printout) does. */

/** The shortest decimal string that reads back as the same float32. */
export function shortestFloat32(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.' : '0.';
  for (let digits = 1; digits <= 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return normalize(Number(text));
  }
  return normalize(value);
}

function normalize(value: number): string {
  const text = String(value);
  if (text.includes('e')) return text;
  return text.includes('.') ? text : `${text}.`;
}

/** numpy's `str()` of an array of the given shape: aligned columns, nested brackets. */
export function formatArray(values: ArrayLike<number>, shape: readonly number[]): string {
  const texts = Array.from(values, (v) => shortestFloat32(Math.fround(v)));
  const anyNegative = texts.some((t) => t.startsWith('-'));
  const split = texts.map((t) => {
    const body = t.replace(/^-/, '');
    const [int, frac = ''] = body.split('.');
    return { sign: t.startsWith('-') ? '-' : anyNegative ? ' ' : '', int, frac };
  });
  const intWidth = Math.max(...split.map((s) => s.int.length));
  const fracWidth = Math.max(...split.map((s) => s.frac.length));
  const cells = split.map(
    (s) => `${s.sign}${s.int.padStart(intWidth)}.${s.frac.padEnd(fracWidth)}`,
  );
  const render = (offset: number, dim: number): string => {
    if (dim === shape.length) return cells[offset];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    for (let i = 0; i < shape[dim]; i++) parts.push(render(offset + i * stride, dim + 1));
    const sep = dim === shape.length - 1 ? ' ' : '\n' + ' '.repeat(dim + 1);
    return `[${parts.join(sep)}]`;
  };
  return render(0, 0);
}

/** Keras's shape tuple, e.g. `(1, 6)`. */
export function formatTupleShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}
