/**
 * Orthogonal matrices by Householder QR in float64, as Keras's `Orthogonal` initializer builds
 * them: QR of a normal matrix of shape (max(r, c), min(r, c)), signs fixed by diag(R),
 * transposed when rows < cols.
 */
import type { SeededRandom } from './random.js';

/** Returns a row-major `rows × cols` matrix with orthonormal rows or columns, times `gain`. */
export function orthogonalMatrix(
  rows: number,
  cols: number,
  gain: number,
  random: SeededRandom,
): Float32Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // Column-major m × n so each Householder reflection sweeps contiguous memory.
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = random.normal();
  const diagSign = new Float64Array(n);
  const vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const colK = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[colK + i] * a[colK + i];
    norm = Math.sqrt(norm);
    const alpha = a[colK + k] > 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[colK + i];
    v[0] -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    if (vnorm > 0) {
      for (let j = k; j < n; j++) {
        const col = j * m;
        let dot = 0;
        for (let i = 0; i < v.length; i++) dot += v[i] * a[col + k + i];
        const f = (2 * dot) / vnorm;
        for (let i = 0; i < v.length; i++) a[col + k + i] -= f * v[i];
      }
    }
    vs.push(vnorm > 0 ? v.map((x) => x / Math.sqrt(vnorm)) : v.fill(0));
    diagSign[k] = a[colK + k] < 0 ? -1 : 1;
  }
  // Q (m × n, column-major) = H_0 … H_{n-1} applied to the first n columns of I.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      const col = j * m + k;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i] * q[col + i];
      const f = 2 * dot;
      if (f !== 0) for (let i = 0; i < v.length; i++) q[col + i] -= f * v[i];
    }
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const value = gain * q[j * m + i] * diagSign[j];
      // Q is m × n; rows ≥ cols keeps it, rows < cols stores its transpose.
      if (rows >= cols) out[i * cols + j] = value;
      else out[j * cols + i] = value;
    }
  }
  return out;
}
