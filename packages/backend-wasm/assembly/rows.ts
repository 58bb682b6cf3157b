/**
 * Row and block operations on float32 buffers shared by the kernels: alignment of scratch
 * regions, element-wise row arithmetic four lanes at a time (the tail one by one), strided block
 * copies and transposes, and float64 column sums.
 */

/** `n` bytes rounded up to a multiple of 64 (scratch regions start on cache lines). */
export function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

/** `dst = a + b` over `n` floats (`dst` may be `a` or `b`). */
export function addRows(dst: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** `dst = a ⊙ b` over `n` floats (`dst` may be `a` or `b`). */
export function mulRows(dst: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** Copies `rows × cols` floats from row stride `lds` to row stride `ldd`. */
export function copyBlock(src: usize, lds: i32, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(
      dst + ((<usize>r * <usize>ldd) << 2),
      src + ((<usize>r * <usize>lds) << 2),
      (<usize>cols) << 2,
    );
  }
}

/**
 * `dst [cols, rows] (row stride ldd floats) = srcᵀ`, `src` `[rows, cols]` with row stride `lds`
 * floats: 4×4 tiles transposed in registers, the edges one float at a time.
 */
export function transpose(src: usize, rows: i32, cols: i32, lds: i32, dst: usize, ldd: i32): void {
  const srcRow = (<usize>lds) << 2;
  const dstRow = (<usize>ldd) << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s = src + <usize>r * srcRow;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = (<usize>c) << 2;
      const a0 = v128.load(s + o);
      const a1 = v128.load(s + srcRow + o);
      const a2 = v128.load(s + 2 * srcRow + o);
      const a3 = v128.load(s + 3 * srcRow + o);
      const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
      const d = dst + <usize>c * dstRow + ((<usize>r) << 2);
      v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(d + dstRow, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * dstRow, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * dstRow, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (; c < cols; c++) {
      for (let k = 0; k < 4; k++) {
        const v = load<f32>(s + <usize>k * srcRow + ((<usize>c) << 2));
        store<f32>(dst + <usize>c * dstRow + ((<usize>(r + k)) << 2), v);
      }
    }
  }
  for (; r < rows; r++) {
    const s = src + <usize>r * srcRow;
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>c * dstRow + ((<usize>r) << 2), load<f32>(s + ((<usize>c) << 2)));
    }
  }
}

/** `acc[j] += Σ_rows m[r, j]` in float64 (`acc` `n` doubles), `m` `[rows, n]`, row by row. */
export function addColumnSums(m: usize, rows: i32, n: i32, acc: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = m + ((<usize>r * <usize>n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(row + ((<usize>j) << 2));
      const at = acc + ((<usize>j) << 3);
      const high = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
      v128.store(at, f64x2.add(v128.load(at), f64x2.promote_low_f32x4(v)));
      v128.store(at, f64x2.add(v128.load(at, 16), f64x2.promote_low_f32x4(high)), 16);
    }
    for (; j < n; j++) {
      const at = acc + ((<usize>j) << 3);
      store<f64>(at, load<f64>(at) + <f64>load<f32>(row + ((<usize>j) << 2)));
    }
  }
}

/** Writes `n` float64 sums at `sums` as float32 at `dst`. */
export function storeSums(sums: usize, n: i32, dst: usize): void {
  for (let j = 0; j < n; j++) {
    store<f32>(dst + ((<usize>j) << 2), <f32>load<f64>(sums + ((<usize>j) << 3)));
  }
}
