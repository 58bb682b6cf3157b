/**
 * 3×3 convolutions (stride 1, dilation 1, one depth slice) by Winograd's minimal filtering
 * F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each
 * 2×2 block of outputs comes from a 4×4 block of inputs with 16 multiplications per input
 * channel and output column instead of 36, 2.25× fewer.
 *
 * Per tile, the input block `d` (per channel) becomes `V = Bᵀ·d·B`; each of the 16 points `ξ` of
 * the transform is then one product `V_ξ [tiles, C] · U_ξ [C, N]` with the packed GEMM, where
 * `U = G·g·Gᵀ` is the transformed kernel (packed once per weight tensor, one column segment per
 * point); the outputs are `Aᵀ·M·A`, added onto the destination rows. The transforms' coefficients
 * are 0, ±1 and ±½, and everything up to the last addition is float64, as the direct products.
 *
 *        ⎡1  0 −1  0⎤        ⎡1    0    0⎤        ⎡1  1  1  0⎤
 *   Bᵀ = ⎢0  1  1  0⎥    G = ⎢½    ½    ½⎥   Aᵀ = ⎣0  1 −1 −1⎦
 *        ⎢0 −1  1  0⎥        ⎢½   −½    ½⎥
 *        ⎣0  1  0 −1⎦        ⎣0    0    1⎦
 */
import { isWinograd3x3, type ConvGeometry } from '@rnnkit/core';
import { ensureLength, PANEL, panelsFor } from './gemm.js';
import { multiply, packWeights, type PackedWeights } from './weights.js';

/** Points of the F(2×2, 3×3) transform (4×4). */
const POINTS = 16;

/** Where a convolution's tiles lie: the geometry {@link winogradPlan} accepts, flattened. */
export interface WinogradPlan {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  /** Padding before the first row and column. */
  padY: number;
  padX: number;
  tilesX: number;
  /** Tiles of 2×2 outputs covering the output (the last row or column may be half outside). */
  tiles: number;
}

/** The plan for `g`, or null unless it is a 3×3 convolution, stride 1, dilation 1, depth 1. */
export function winogradPlan(g: ConvGeometry): WinogradPlan | null {
  if (!isWinograd3x3(g)) return null;
  const [, outH, outW] = g.outSize;
  const tilesX = Math.ceil(outW / 2);
  return {
    inH: g.inSize[1],
    inW: g.inSize[2],
    outH,
    outW,
    padY: g.padBefore[1],
    padX: g.padBefore[2],
    tilesX,
    tiles: Math.ceil(outH / 2) * tilesX,
  };
}

/**
 * The transformed kernel `U_ξ = G·g·Gᵀ` of `kernel [3, 3, channels, cols]` (Keras layout), as a
 * `[channels, 16·cols]` matrix packed with one column segment per point.
 */
export function packWinogradKernel(
  kernel: Float32Array,
  channels: number,
  cols: number,
): PackedWeights {
  const out = new Float32Array(channels * POINTS * cols);
  const g = new Float64Array(9);
  const t = new Float64Array(12); // G·g, [4, 3]
  for (let c = 0; c < channels; c++) {
    for (let n = 0; n < cols; n++) {
      for (let k = 0; k < 9; k++) g[k] = kernel[(k * channels + c) * cols + n];
      for (let j = 0; j < 3; j++) {
        const g0 = g[j];
        const g1 = g[3 + j];
        const g2 = g[6 + j];
        t[j] = g0;
        t[3 + j] = 0.5 * (g0 + g1 + g2);
        t[6 + j] = 0.5 * (g0 - g1 + g2);
        t[9 + j] = g2;
      }
      for (let i = 0; i < 4; i++) {
        const t0 = t[3 * i];
        const t1 = t[3 * i + 1];
        const t2 = t[3 * i + 2];
        const row = c * POINTS * cols + 4 * i * cols + n;
        out[row] = t0;
        out[row + cols] = 0.5 * (t0 + t1 + t2);
        out[row + 2 * cols] = 0.5 * (t0 - t1 + t2);
        out[row + 3 * cols] = t2;
      }
    }
  }
  return packWeights(out, channels, new Array<number>(POINTS).fill(cols));
}

/** Per-call buffers, reused: the transformed inputs and the 16 products. */
let inputs = new Float64Array(0);
let products = new Float32Array(0);
let zeroRow = new Float32Array(0);
/** One input tile of one channel while it is transformed. */
const tile4x4 = new Float64Array(16);

/**
 * `dst[dOff + p·ld + n] += conv(src image)[p, n]` for every output position `p` and column
 * `n < cols`, where the image is `channels`-deep and channels last at `src[srcOff ..]`, and `u`
 * is {@link packWinogradKernel} of the kernel.
 */
export function winogradConv(
  plan: WinogradPlan,
  u: PackedWeights,
  channels: number,
  cols: number,
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dOff: number,
  ld: number,
): void {
  const { tiles } = plan;
  const width = PANEL * panelsFor(cols);
  if (inputs.length < POINTS * tiles * channels)
    inputs = new Float64Array(POINTS * tiles * channels);
  if (products.length < POINTS * tiles * width) products = new Float32Array(POINTS * tiles * width);
  if (zeroRow.length < width) zeroRow = new Float32Array(width);
  transformInputs(plan, channels, src, srcOff, inputs);
  for (let point = 0; point < POINTS; point++) {
    packPoint(u, inputs, point * tiles * channels, tiles, channels);
    const panel0 = u.segmentPanel[point];
    const out = point * tiles * width;
    multiply(tiles, u, panel0, panelsFor(cols), zeroRow, 0, 0, products, out, width);
  }
  transformOutputs(plan, cols, width, products, dst, dOff, ld);
}

/** `V = Bᵀ·d·B` of every tile and channel into `v [16, tiles, channels]`. */
function transformInputs(
  plan: WinogradPlan,
  channels: number,
  src: Float32Array,
  srcOff: number,
  v: Float64Array,
): void {
  const { inH, inW, padY, padX, tilesX, tiles } = plan;
  const d = tile4x4;
  const pointStride = tiles * channels;
  for (let tile = 0; tile < tiles; tile++) {
    const ty = Math.floor(tile / tilesX);
    const y0 = 2 * ty - padY;
    const x0 = 2 * (tile - ty * tilesX) - padX;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < 4; i++) {
        const y = y0 + i;
        for (let j = 0; j < 4; j++) {
          const x = x0 + j;
          const inside = y >= 0 && y < inH && x >= 0 && x < inW;
          d[4 * i + j] = inside ? src[srcOff + (y * inW + x) * channels + c] : 0;
        }
      }
      // Rows: Bᵀ·d, then columns: (Bᵀ·d)·B.
      for (let j = 0; j < 4; j++) {
        const d0 = d[j];
        const d1 = d[4 + j];
        const d2 = d[8 + j];
        const d3 = d[12 + j];
        d[j] = d0 - d2;
        d[4 + j] = d1 + d2;
        d[8 + j] = d2 - d1;
        d[12 + j] = d1 - d3;
      }
      const at = tile * channels + c;
      for (let i = 0; i < 4; i++) {
        const r0 = d[4 * i];
        const r1 = d[4 * i + 1];
        const r2 = d[4 * i + 2];
        const r3 = d[4 * i + 3];
        const o = at + 4 * i * pointStride;
        v[o] = r0 - r2;
        v[o + pointStride] = r1 + r2;
        v[o + 2 * pointStride] = r2 - r1;
        v[o + 3 * pointStride] = r1 - r3;
      }
    }
  }
}

/**
 * Packs rows `[tiles, channels]` of `v` from `from` as the left operand of the next product with
 * `u` (row pairs, as `packRows` lays them out), in every chunk of `u`.
 */
function packPoint(
  u: PackedWeights,
  v: Float64Array,
  from: number,
  rows: number,
  depth: number,
): void {
  for (const chunk of u.chunks) {
    const buf = chunk.buf;
    ensureLength(buf, chunk.scratch + rows * depth);
    let o = chunk.scratch;
    let m = 0;
    for (; m + 2 <= rows; m += 2) {
      const s0 = from + m * depth;
      const s1 = s0 + depth;
      for (let k = 0; k < depth; k++) {
        buf[o] = v[s0 + k];
        buf[o + 1] = v[s1 + k];
        o += 2;
      }
    }
    if (m < rows) {
      const s0 = from + m * depth;
      for (let k = 0; k < depth; k++) buf[o + k] = v[s0 + k];
    }
  }
}

/** `Aᵀ·M·A` of every tile and column, added onto the output positions inside the image. */
function transformOutputs(
  plan: WinogradPlan,
  cols: number,
  width: number,
  m: Float32Array,
  dst: Float32Array,
  dOff: number,
  ld: number,
): void {
  const { outH, outW, tilesX, tiles } = plan;
  const pointStride = tiles * width;
  for (let tile = 0; tile < tiles; tile++) {
    const ty = Math.floor(tile / tilesX);
    const oy = 2 * ty;
    const ox = 2 * (tile - ty * tilesX);
    const right = ox + 1 < outW;
    const below = oy + 1 < outH;
    const p00 = dOff + (oy * outW + ox) * ld;
    const p01 = p00 + ld;
    const p10 = p00 + outW * ld;
    const p11 = p10 + ld;
    for (let n = 0; n < cols; n++) {
      const at = tile * width + n;
      // Aᵀ·M, row by row of M: t0 = m0 + m1 + m2, t1 = m1 − m2 − m3 (each a row of 4).
      let s = at;
      const m00 = m[s];
      const m01 = m[(s += pointStride)];
      const m02 = m[(s += pointStride)];
      const m03 = m[(s += pointStride)];
      const m10 = m[(s += pointStride)];
      const m11 = m[(s += pointStride)];
      const m12 = m[(s += pointStride)];
      const m13 = m[(s += pointStride)];
      const m20 = m[(s += pointStride)];
      const m21 = m[(s += pointStride)];
      const m22 = m[(s += pointStride)];
      const m23 = m[(s += pointStride)];
      const m30 = m[(s += pointStride)];
      const m31 = m[(s += pointStride)];
      const m32 = m[(s += pointStride)];
      const m33 = m[(s += pointStride)];
      const t00 = m00 + m10 + m20;
      const t01 = m01 + m11 + m21;
      const t02 = m02 + m12 + m22;
      const t03 = m03 + m13 + m23;
      const t10 = m10 - m20 - m30;
      const t11 = m11 - m21 - m31;
      const t12 = m12 - m22 - m32;
      const t13 = m13 - m23 - m33;
      dst[p00 + n] += t00 + t01 + t02;
      if (right) dst[p01 + n] += t01 - t02 - t03;
      if (below) {
        dst[p10 + n] += t10 + t11 + t12;
        if (right) dst[p11 + n] += t11 - t12 - t13;
      }
    }
  }
}
