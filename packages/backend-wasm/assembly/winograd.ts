/**
 * The recurrent convolution of a 2D ConvLSTM (3×3, stride 1, dilation 1, `same`) by Winograd's
 * minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): each 2×2 block of outputs comes from a 4×4 block of inputs with 16
 * multiplications per input channel and output column instead of 36, 2.25× fewer.
 *
 * Per tile, the input block `d` (per channel) becomes `V = Bᵀ·d·B`; each of the 16 points `ξ` of
 * the transform is then one packed GEMM `V_ξ [tiles, F] · U_ξ [F, NS]`, where `U = G·g·Gᵀ` is the
 * transformed kernel (packed once per weight tensor, {@link packWinograd}: one packed matrix per
 * point, its columns in the gate-interleaved order of `gemm.ts`); the gate rows are `Aᵀ·M·A`.
 * Tiles go through in blocks of {@link TILE_BLOCK}, so a block's 16 products stay in cache until
 * its output transform. The input and output transforms (coefficients 0 and ±1) run four
 * channels or columns at a time in float32; the kernel's (coefficients ±½) in float64.
 *
 *        ⎡1  0 −1  0⎤        ⎡1    0    0⎤        ⎡1  1  1  0⎤
 *   Bᵀ = ⎢0  1  1  0⎥    G = ⎢½    ½    ½⎥   Aᵀ = ⎣0  1 −1 −1⎦
 *        ⎢0 −1  1  0⎥        ⎢½   −½    ½⎥
 *        ⎣0  1  0 −1⎦        ⎣0    0    1⎦
 */
import { gemm, packedCols, sourceColumn } from './gemm';
import { align64 } from './rows';

/** Points of the F(2×2, 3×3) transform (4×4). */
const POINTS = 16;
/** ConvLSTM's gate blocks. */
const GATES = 4;
/** Tiles per block: a block's transformed inputs and 16 products (≤ 16·32·NS floats). */
const TILE_BLOCK = 32;
/**
 * Bytes between the points of a block beyond their data: without it the 16 points of a tile lie
 * a multiple of 4 KiB apart, in one L1 set, and its transforms thrash.
 */
const POINT_SKEW = 64;

/**
 * The transformed recurrent kernel `U_ξ = G·g·Gᵀ` of `kernel [3, 3, F, 4·F]` (Keras layout) at
 * `src`, as 16 packed `[F, NS]` matrices at `dst` (`16 · F · NS` floats), point after point.
 */
export function packWinograd(src: usize, F: i32, dst: usize): void {
  const NS = packedCols(GATES, F);
  const interleaved = ((F + 3) >> 2) * 4 * GATES;
  const cols = GATES * F;
  const pointBytes = <usize>F * <usize>NS * 4;
  const tapBytes = <usize>F * <usize>cols * 4;
  for (let k = 0; k < F; k++) {
    for (let n = 0; n < NS; n++) {
      const c = n < interleaved ? sourceColumn(n, GATES, F) : -1;
      // Packed position of (k, n) within one point's matrix: panel, row, lane.
      const at = dst + ((<usize>(((n >> 4) * F + k) * 16 + (n & 15))) << 2);
      if (c < 0) {
        for (let point = 0; point < POINTS; point++) store<f32>(at + <usize>point * pointBytes, 0);
        continue;
      }
      const g = src + ((<usize>(k * cols + c)) << 2); // tap t at g + t·tapBytes
      for (let i = 0; i < 4; i++) {
        // Row i of G·g (3 values), then that row times Gᵀ (4 points).
        let t0: f64;
        let t1: f64;
        let t2: f64;
        if (i == 0) {
          t0 = tap(g, 0, tapBytes);
          t1 = tap(g, 1, tapBytes);
          t2 = tap(g, 2, tapBytes);
        } else if (i == 3) {
          t0 = tap(g, 6, tapBytes);
          t1 = tap(g, 7, tapBytes);
          t2 = tap(g, 8, tapBytes);
        } else {
          const s: f64 = i == 1 ? 1 : -1;
          t0 = 0.5 * (tap(g, 0, tapBytes) + s * tap(g, 3, tapBytes) + tap(g, 6, tapBytes));
          t1 = 0.5 * (tap(g, 1, tapBytes) + s * tap(g, 4, tapBytes) + tap(g, 7, tapBytes));
          t2 = 0.5 * (tap(g, 2, tapBytes) + s * tap(g, 5, tapBytes) + tap(g, 8, tapBytes));
        }
        const row = at + <usize>(4 * i) * pointBytes;
        store<f32>(row, <f32>t0);
        store<f32>(row + pointBytes, <f32>(0.5 * (t0 + t1 + t2)));
        store<f32>(row + 2 * pointBytes, <f32>(0.5 * (t0 - t1 + t2)));
        store<f32>(row + 3 * pointBytes, <f32>t2);
      }
    }
  }
}

/** Tap `t` of the kernel column at `g` (taps `tapBytes` apart), widened. */
function tap(g: usize, t: i32, tapBytes: usize): f64 {
  return <f64>load<f32>(g + <usize>t * tapBytes);
}

/** Tiles of 2×2 outputs covering an `H × W` image. */
function tilesOf(H: i32, W: i32): i32 {
  return ((H + 1) >> 1) * ((W + 1) >> 1);
}

/** Bytes of one thread's buffers for {@link winogradImage} (images of `positions` positions). */
export function winogradBytes(positions: i32, F: i32): usize {
  const Fp = ((F + 3) >> 2) << 2;
  const NS = packedCols(GATES, F);
  return (
    64 + // the tile's 16 source addresses
    align64(<usize>Fp * 4) + // a row of zeros: the padding's source
    <usize>POINTS * (TILE_BLOCK * <usize>Fp * 4 + POINT_SKEW) + // V
    <usize>POINTS * (TILE_BLOCK * <usize>NS * 4 + POINT_SKEW) + // M
    align64(<usize>positions * <usize>NS * 4) // the image's gate rows
  );
}

/** Where {@link winogradImage} leaves the gate rows in `scratch`. */
export function winogradRows(scratch: usize, positions: i32, F: i32): usize {
  return (
    scratch +
    winogradBytes(positions, F) -
    align64(<usize>positions * <usize>packedCols(GATES, F) * 4)
  );
}

/**
 * The recurrent convolution of the `H × W` state image at `h` (`F` channels, positions `Fp`
 * floats apart, padding lanes 0) as gate rows `[H·W, NS]` at {@link winogradRows}; `u` is
 * {@link packWinograd} of the kernel, `scratch` {@link winogradBytes} bytes.
 */
export function winogradImage(h: usize, F: i32, H: i32, W: i32, u: usize, scratch: usize): void {
  const Fp = ((F + 3) >> 2) << 2;
  const NS = packedCols(GATES, F);
  const pixelBytes = (<usize>Fp) << 2;
  const nsBytes = (<usize>NS) << 2;
  const table = scratch;
  const zero = table + 64;
  const vPoint = <usize>TILE_BLOCK * pixelBytes + POINT_SKEW;
  const mPoint = <usize>TILE_BLOCK * nsBytes + POINT_SKEW;
  const V = zero + align64(pixelBytes);
  const M = V + <usize>POINTS * vPoint;
  const R = M + <usize>POINTS * mPoint;
  const uPoint = <usize>F * nsBytes;
  memory.fill(zero, 0, pixelBytes);

  const tilesX = (W + 1) >> 1;
  const tiles = tilesOf(H, W);
  for (let t0 = 0; t0 < tiles; t0 += TILE_BLOCK) {
    const n = min(TILE_BLOCK, tiles - t0);
    for (let r = 0; r < n; r++) {
      const tile = t0 + r;
      const ty = tile / tilesX;
      const y0 = 2 * ty - 1;
      const x0 = 2 * (tile - ty * tilesX) - 1;
      for (let i = 0; i < 4; i++) {
        const y = y0 + i;
        for (let j = 0; j < 4; j++) {
          const x = x0 + j;
          const inside = y >= 0 && y < H && x >= 0 && x < W;
          const from = inside ? h + <usize>(y * W + x) * pixelBytes : zero;
          store<usize>(table + ((<usize>(4 * i + j)) << 2), from);
        }
      }
      inputTransform(table, Fp, V + <usize>r * pixelBytes, vPoint);
    }
    for (let point = 0; point < POINTS; point++) {
      const at = <usize>point;
      gemm(V + at * vPoint, Fp, n, F, u + at * uPoint, NS, 0, M + at * mPoint, NS);
    }
    for (let r = 0; r < n; r++) {
      const tile = t0 + r;
      const ty = tile / tilesX;
      const oy = 2 * ty;
      const ox = 2 * (tile - ty * tilesX);
      const p00 = R + <usize>(oy * W + ox) * nsBytes;
      outputTransform(
        M + <usize>r * nsBytes,
        mPoint,
        NS,
        p00,
        ox + 1 < W ? p00 + nsBytes : 0,
        oy + 1 < H ? p00 + <usize>W * nsBytes : 0,
        ox + 1 < W && oy + 1 < H ? p00 + <usize>(W + 1) * nsBytes : 0,
      );
    }
  }
}

/**
 * `V = Bᵀ·d·B` of one tile, four channels at a time: `d`'s 16 source rows are the addresses at
 * `table`; point `ξ` goes to `v + ξ·vPoint`.
 */
function inputTransform(table: usize, Fp: i32, v: usize, vPoint: usize): void {
  const end = (<usize>Fp) << 2;
  for (let o: usize = 0; o < end; o += 16) {
    const d00 = v128.load(load<usize>(table) + o);
    const d01 = v128.load(load<usize>(table, 4) + o);
    const d02 = v128.load(load<usize>(table, 8) + o);
    const d03 = v128.load(load<usize>(table, 12) + o);
    const d10 = v128.load(load<usize>(table, 16) + o);
    const d11 = v128.load(load<usize>(table, 20) + o);
    const d12 = v128.load(load<usize>(table, 24) + o);
    const d13 = v128.load(load<usize>(table, 28) + o);
    const d20 = v128.load(load<usize>(table, 32) + o);
    const d21 = v128.load(load<usize>(table, 36) + o);
    const d22 = v128.load(load<usize>(table, 40) + o);
    const d23 = v128.load(load<usize>(table, 44) + o);
    const d30 = v128.load(load<usize>(table, 48) + o);
    const d31 = v128.load(load<usize>(table, 52) + o);
    const d32 = v128.load(load<usize>(table, 56) + o);
    const d33 = v128.load(load<usize>(table, 60) + o);
    // Bᵀ·d, row by row: r0 = d0 − d2, r1 = d1 + d2, r2 = d2 − d1, r3 = d1 − d3.
    storeRow(
      f32x4.sub(d00, d20),
      f32x4.sub(d01, d21),
      f32x4.sub(d02, d22),
      f32x4.sub(d03, d23),
      v + o,
      vPoint,
    );
    storeRow(
      f32x4.add(d10, d20),
      f32x4.add(d11, d21),
      f32x4.add(d12, d22),
      f32x4.add(d13, d23),
      v + o + 4 * vPoint,
      vPoint,
    );
    storeRow(
      f32x4.sub(d20, d10),
      f32x4.sub(d21, d11),
      f32x4.sub(d22, d12),
      f32x4.sub(d23, d13),
      v + o + 8 * vPoint,
      vPoint,
    );
    storeRow(
      f32x4.sub(d10, d30),
      f32x4.sub(d11, d31),
      f32x4.sub(d12, d32),
      f32x4.sub(d13, d33),
      v + o + 12 * vPoint,
      vPoint,
    );
  }
}

/** One row `r` of `Bᵀ·d` times `B`: four points, `vPoint` bytes apart from `at`. */
function storeRow(r0: v128, r1: v128, r2: v128, r3: v128, at: usize, vPoint: usize): void {
  v128.store(at, f32x4.sub(r0, r2));
  v128.store(at + vPoint, f32x4.add(r1, r2));
  v128.store(at + 2 * vPoint, f32x4.sub(r2, r1));
  v128.store(at + 3 * vPoint, f32x4.sub(r1, r3));
}

/**
 * `Aᵀ·M·A` of one tile, four columns at a time: point `ξ` of `M` at `m + ξ·mPoint`; the outputs
 * go to the gate rows `y00 .. y11` (0: outside the image).
 */
function outputTransform(
  m: usize,
  mPoint: usize,
  NS: i32,
  y00: usize,
  y01: usize,
  y10: usize,
  y11: usize,
): void {
  const end = (<usize>NS) << 2;
  for (let o: usize = 0; o < end; o += 16) {
    let s = m + o;
    const m00 = v128.load(s);
    const m01 = v128.load((s += mPoint));
    const m02 = v128.load((s += mPoint));
    const m03 = v128.load((s += mPoint));
    const m10 = v128.load((s += mPoint));
    const m11 = v128.load((s += mPoint));
    const m12 = v128.load((s += mPoint));
    const m13 = v128.load((s += mPoint));
    const m20 = v128.load((s += mPoint));
    const m21 = v128.load((s += mPoint));
    const m22 = v128.load((s += mPoint));
    const m23 = v128.load((s += mPoint));
    const m30 = v128.load((s += mPoint));
    const m31 = v128.load((s += mPoint));
    const m32 = v128.load((s += mPoint));
    const m33 = v128.load((s += mPoint));
    // Aᵀ·M: t0 = m0 + m1 + m2, t1 = m1 − m2 − m3 (rows of 4); then each row times A.
    const t00 = f32x4.add(f32x4.add(m00, m10), m20);
    const t01 = f32x4.add(f32x4.add(m01, m11), m21);
    const t02 = f32x4.add(f32x4.add(m02, m12), m22);
    v128.store(y00 + o, f32x4.add(f32x4.add(t00, t01), t02));
    const t11 = f32x4.sub(f32x4.sub(m11, m21), m31);
    const t12 = f32x4.sub(f32x4.sub(m12, m22), m32);
    if (y01 != 0) {
      const t03 = f32x4.add(f32x4.add(m03, m13), m23);
      v128.store(y01 + o, f32x4.sub(f32x4.sub(t01, t02), t03));
    }
    if (y10 != 0) {
      const t10 = f32x4.sub(f32x4.sub(m10, m20), m30);
      v128.store(y10 + o, f32x4.add(f32x4.add(t10, t11), t12));
    }
    if (y11 != 0) {
      const t13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      v128.store(y11 + o, f32x4.sub(f32x4.sub(t11, t12), t13));
    }
  }
}
