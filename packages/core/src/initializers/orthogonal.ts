/**
 * Orthogonal matrices as Keras's `Orthogonal` initializer builds them: the Q factor of a normal
 * matrix of shape (max(r, c), min(r, c)) with signs fixed so that diag(R) > 0, transposed when
 * rows < cols. Gram–Schmidt yields exactly that Q (the QR with positive diag(R) is unique) in
 * one pass, without forming Householder reflections; it runs in float64 and, with the matrix
 * well conditioned (Gaussian), stays orthogonal far below float32 precision.
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
  // Column-major m × n: every column is contiguous.
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = random.normal();
  gramSchmidt(a, m, n);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const value = gain * a[j * m + i];
      if (rows >= cols) out[i * cols + j] = value;
      else out[j * cols + i] = value;
    }
  }
  return out;
}

/**
 * Modified Gram–Schmidt in place, right-looking, four trailing columns per sweep so each
 * normalized column is read once per four updates. Its loss of orthogonality is about
 * 1e-16·cond(A); a Gaussian matrix's condition number is small (tall) or about its size
 * (square), so the float32 result is orthogonal to rounding.
 */
function gramSchmidt(a: Float64Array, m: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const qk = k * m;
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[qk + i] * a[qk + i];
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < m; i++) a[qk + i] *= inv;
    let j = k + 1;
    for (; j + 3 < n; j += 4) {
      const c0 = j * m;
      const c1 = c0 + m;
      const c2 = c1 + m;
      const c3 = c2 + m;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let i = 0; i < m; i++) {
        const q = a[qk + i];
        d0 += q * a[c0 + i];
        d1 += q * a[c1 + i];
        d2 += q * a[c2 + i];
        d3 += q * a[c3 + i];
      }
      for (let i = 0; i < m; i++) {
        const q = a[qk + i];
        a[c0 + i] -= d0 * q;
        a[c1 + i] -= d1 * q;
        a[c2 + i] -= d2 * q;
        a[c3 + i] -= d3 * q;
      }
    }
    for (; j < n; j++) {
      const c = j * m;
      let d = 0;
      for (let i = 0; i < m; i++) d += a[qk + i] * a[c + i];
      for (let i = 0; i < m; i++) a[c + i] -= d * a[qk + i];
    }
  }
}
