/**
 * Convolutions as matrix products over patches (im2col), for the ConvLSTM kernels.
 *
 * A convolution's source table (core's `convSourceTable`) lists, per output position and kernel
 * tap, the input position the tap reads (−1 in the padding). The patch of an output position is
 * `[taps, channels]` in the kernel's own row order, so a kernel `[...K, channels, cols]` is
 * already the `[taps·channels, cols]` right operand of the product.
 */
import type { ConvGeometry, ConvSourceTable } from '@rnnkit/core';
import { ensureLength } from './gemm.js';
import { multiply, type PackedWeights } from './weights.js';

/** Patch rows gathered and packed at a time: 64 rows of up to a few hundred values stay in L2. */
const PATCH_ROWS = 64;

/**
 * Packs the patches of `rows` output positions as the left operand of the next
 * {@link multiply} with `w` (row pairs, see `./gemm.ts`), straight from `src`: row `r` is
 * position `(first + r) mod positions` of image `floor((first + r) / positions)`, an image
 * being `imageSize` values of `src` from `srcOff`.
 */
function packPatches(
  g: ConvSourceTable,
  channels: number,
  src: Float32Array,
  srcOff: number,
  imageSize: number,
  first: number,
  rows: number,
  w: PackedWeights,
): void {
  const depth = g.taps * channels;
  const n = rows * depth;
  const chunk = w.chunks[0];
  ensureLength(chunk.buf, chunk.scratch + n);
  const buf = chunk.buf;
  const { positions, taps, source } = g;
  let image = Math.floor(first / positions);
  let p = first - image * positions;
  for (let m = 0; m < rows; m++, p++) {
    if (p === positions) {
      p = 0;
      image++;
    }
    const base = srcOff + image * imageSize;
    // Rows pair up (element k of the pair's row i at 2k + i); an odd last row is plain.
    const single = (rows & 1) === 1 && m === rows - 1;
    const step = single ? 1 : 2;
    let o = chunk.scratch + (m >> 1) * 2 * depth + (single ? 0 : m & 1);
    for (let k = p * taps, end = k + taps; k < end; k++) {
      const s = source[k];
      if (s < 0) {
        for (let c = 0; c < channels; c++, o += step) buf[o] = 0;
      } else {
        const from = base + s * channels;
        for (let c = 0; c < channels; c++, o += step) buf[o] = src[from + c];
      }
    }
  }
  // Weights too large for one packed array keep a copy of the left operand in every chunk.
  for (let i = 1; i < w.chunks.length; i++) {
    const other = w.chunks[i];
    ensureLength(other.buf, other.scratch + n);
    for (let j = 0; j < n; j++) other.buf[other.scratch + j] = buf[chunk.scratch + j];
  }
}

/**
 * `out[row0 + r] = init + patches(r)·W` for the `rows` patch rows starting at `first` (see
 * {@link packPatches}), `PATCH_ROWS` at a time. Rows of `out` and `init` are `ld` apart;
 * `ldi = 0` broadcasts one `init` row (the bias). `out` may be `init`.
 */
export function convProduct(
  g: ConvSourceTable,
  w: PackedWeights,
  channels: number,
  src: Float32Array,
  srcOff: number,
  imageSize: number,
  first: number,
  rows: number,
  init: Float32Array,
  iOff: number,
  ldi: number,
  out: Float32Array,
  oOff: number,
  ld: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += PATCH_ROWS) {
    const n = Math.min(PATCH_ROWS, rows - r0);
    packPatches(g, channels, src, srcOff, imageSize, first + r0, n, w);
    multiply(n, w, 0, w.panels, init, iOff + r0 * ldi, ldi, out, oOff + r0 * ld, ld);
  }
}

/**
 * The patches of `images` images as a row-major matrix `[images·positions, taps·channels]`
 * written into `out` (zeros in the padding): image `i` of the rows is image `imageAt(i)` of
 * `src` (`imageSize` values each).
 */
export function patchMatrix(
  g: ConvSourceTable,
  channels: number,
  src: Float32Array,
  imageSize: number,
  images: number,
  imageAt: (i: number) => number,
  out: Float32Array,
): void {
  const { positions, taps, source } = g;
  let o = 0;
  for (let i = 0; i < images; i++) {
    const base = imageAt(i) * imageSize;
    for (let k = 0, end = positions * taps; k < end; k++) {
      const s = source[k];
      if (s < 0) {
        for (let c = 0; c < channels; c++) out[o++] = 0;
      } else {
        const from = base + s * channels;
        for (let c = 0; c < channels; c++) out[o++] = src[from + c];
      }
    }
  }
}

/**
 * The transpose of {@link patchMatrix} (col2im): adds every entry of the patch gradients
 * `patches [images·positions, taps·channels]` onto the input value its tap read, in `dst`
 * (`imageSize` values per image, image `i` of the rows at image `imageAt(i)`).
 */
export function scatterPatches(
  g: ConvSourceTable,
  channels: number,
  patches: Float32Array,
  imageSize: number,
  images: number,
  imageAt: (i: number) => number,
  dst: Float32Array,
): void {
  const { positions, taps, source } = g;
  let o = 0;
  for (let i = 0; i < images; i++) {
    const base = imageAt(i) * imageSize;
    for (let k = 0, end = positions * taps; k < end; k++, o += channels) {
      const s = source[k];
      if (s < 0) continue;
      const to = base + s * channels;
      for (let c = 0; c < channels; c++) dst[to + c] += patches[o + c];
    }
  }
}

/**
 * The geometry of the transpose of a `same`, stride-1, dilation-1 convolution `g` as a
 * convolution of the output gradients: input position `q` receives, from tap `k` of output
 * position `q + padBefore − k`, which is tap `taps − 1 − k` of position `q` of a convolution with
 * the kernel flipped on every axis and `kernel − 1 − padBefore` padding before.
 */
export function transposedSameGeometry(g: ConvGeometry): ConvGeometry {
  return {
    inSize: g.outSize,
    outSize: g.inSize,
    kernel: g.kernel,
    strides: g.strides,
    dilations: g.dilations,
    padBefore: g.padBefore.map((pad, i) => g.kernel[i] - 1 - pad),
  };
}
