/** Number and shape formatting in the style Keras (numpy) prints tensors. */
import { h } from './dom.js';

/**
 * The shortest decimal that reads back as the same float32, as numpy prints float32 arrays
 * (so 0.70387346 and 0.7038734 stay distinguishable where they are different floats).
 */
export function float32String(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  if (f === 0) return Object.is(f, -0) ? '-0.' : '0.';
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return trimZeros(text);
  }
  return String(f);
}

function trimZeros(text: string): string {
  const [mantissa, exponent] = text.split('e');
  let m = mantissa;
  if (m.includes('.')) m = m.replace(/0+$/, '');
  if (!m.includes('.')) m += '.';
  return exponent === undefined ? m : `${m}e${exponent}`;
}

/** A shape as Keras prints it: `(1, 6)`, `(None, 4, 5)`, `(3,)`. */
export function formatShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/**
 * Renders values of `shape` as numpy nests them (`[[a b c]\n [d e f]]`), each number in a
 * `span.num` carrying its float32 text. At most `limit` numbers are shown; the rest become `…`.
 */
export function tensorView(
  values: ArrayLike<number>,
  shape: readonly number[],
  limit = 96,
): HTMLElement {
  const pre = h('pre', { class: 'tensor' });
  const count = { shown: 0 };
  if (shape.length === 0) {
    pre.append(h('span', { class: 'num' }, float32String(values[0])));
    return pre;
  }
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const write = (dim: number, offset: number, indent: string): void => {
    pre.append('[');
    for (let i = 0; i < shape[dim]; i++) {
      if (count.shown >= limit) {
        pre.append('…');
        break;
      }
      if (dim === shape.length - 1) {
        if (i > 0) pre.append(' ');
        pre.append(h('span', { class: 'num' }, float32String(values[offset + i])));
        count.shown++;
      } else {
        if (i > 0) pre.append('\n' + indent + ' ');
        write(dim + 1, offset + i * strides[dim], indent + ' ');
      }
    }
    pre.append(']');
  };
  write(0, 0, '');
  return pre;
}

/** Milliseconds with three significant digits. */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3);
}
