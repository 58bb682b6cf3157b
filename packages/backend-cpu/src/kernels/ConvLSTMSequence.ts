/**
 * Fused whole-sequence ConvLSTM (1, 2 or 3 spatial dimensions, channels last) for the cpu
 * backend, Keras gate order `i, f, c, o`.
 *
 * Both convolutions are matrix products over patches (im2col) with the backend's packed GEMM:
 * - the input convolution of every step in one pass over all `B·T` frames, bias included, into
 *   `xw` rows ordered `(t, b, position)`, so that the rows of one step are contiguous;
 * - per step, the recurrent convolution (`same`, stride 1, dilation 1) of `h` accumulated onto
 *   that step's `xw` rows in place, then the gates and the state update in plain loops. A 3×3
 *   recurrent kernel of ConvLSTM2D runs as Winograd's F(2×2, 3×3) instead (`shared/winograd.ts`),
 *   16 products over 2×2 tiles with 2.25× fewer multiplications.
 *
 * The spatial axes are handled as three (depth, height, width), leading ones of size 1 for
 * ConvLSTM1D/2D (core's `convLSTMGeometry`). The patch of an output position is `[...K, channels]` in the kernel's own row
 * order, so `kernel [...K, C, 4·F]` is already the `[K·C, 4·F]` right operand.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  ConvLSTMSequence,
  convSourceTable,
  type ConvLSTMSequenceAttrs,
  type ConvSourceTable,
} from '@rnnkit/core';
import {
  activateInPlace,
  TANH_CLAMP,
  tanhDenominator,
  tanhNumerator,
} from './shared/activations.js';
import { ensureLength, PANEL } from './shared/gemm.js';
import type { MaskValues, SequenceProblem } from './shared/inputs.js';
import { runTimeLoop } from './shared/sequence.js';
import { packWinogradKernel, winogradConv, winogradPlan } from './shared/winograd.js';
import {
  beginKernelCall,
  cachedPacking,
  multiply,
  packedWeights,
  padColumns,
  type PackedWeights,
} from './shared/weights.js';

/**
 * Filters from which the recurrent convolution runs as Winograd's F(2×2, 3×3) (the depth of its
 * products): on the bench's 32×32 frames it took 1.05× less time at 8 filters, 1.38× at 16 and
 * 1.6× at 32; at 4 the transforms cost what the products save.
 */
const WINOGRAD_MIN_FILTERS = 8;

/** Patch rows gathered and packed at a time: 64 rows of up to a few hundred values stay in L2. */
const PATCH_ROWS = 64;

/**
 * Packs the patches of `rows` output positions as the left operand of the next
 * {@link multiply} with `w` (row pairs, see `shared/gemm.ts`), straight from `src`: row `r` is
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
  for (let m = 0; m < rows; m++) {
    const r = first + m;
    const image = Math.floor(r / positions);
    const p = r - image * positions;
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
function convProduct(
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
 * The gates and state update of `rows` consecutive positions whose gate inputs are rows of `z`
 * from `zOff` (`ld` apart), for the states from `s`. The Keras defaults (tanh, sigmoid) run in
 * one loop; other activations go through `activateInPlace` slice by slice.
 */
function updateStates(
  a: ConvLSTMSequenceAttrs,
  z: Float32Array,
  zOff: number,
  ld: number,
  rows: number,
  c: Float32Array,
  h: Float32Array,
  s: number,
): void {
  const f = a.units;
  if (a.activation === 'tanh' && a.recurrentActivation === 'sigmoid') {
    for (let r = 0; r < rows; r++) {
      const zi = zOff + r * ld;
      const st = s + r * f;
      for (let j = 0; j < f; j++) {
        // The LSTM kernel's combined fractions: σ(x) = ½ + ½·tanh(x/2) and tanh as the
        // rational p/q, two divisions per unit instead of five.
        const xi = clampTanhInput(0.5 * z[zi + j]);
        const xf = clampTanhInput(0.5 * z[zi + f + j]);
        const xg = clampTanhInput(z[zi + 2 * f + j]);
        const xo = clampTanhInput(0.5 * z[zi + 3 * f + j]);
        const xi2 = xi * xi;
        const xf2 = xf * xf;
        const xg2 = xg * xg;
        const xo2 = xo * xo;
        const qi = tanhDenominator(xi2);
        const qf = tanhDenominator(xf2);
        const qg = tanhDenominator(xg2);
        const qig = qi * qg;
        const ni = qi + tanhNumerator(xi, xi2);
        const nf = qf + tanhNumerator(xf, xf2);
        const pg = tanhNumerator(xg, xg2);
        // c is a float32 state: h uses the rounded value the next step reads.
        const cNext = Math.fround((nf * c[st + j] * qig + ni * pg * qf) / (2 * qf * qig));
        c[st + j] = cNext;
        const cc = clampTanhInput(cNext);
        const cc2 = cc * cc;
        const qo = tanhDenominator(xo2);
        h[st + j] =
          ((qo + tanhNumerator(xo, xo2)) * tanhNumerator(cc, cc2)) /
          (2 * qo * tanhDenominator(cc2));
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const zi = zOff + r * ld;
    const zc = zi + 2 * f;
    const zo = zc + f;
    const st = s + r * f;
    activateInPlace(a.recurrentActivation, z, zi, 2 * f);
    activateInPlace(a.activation, z, zc, f);
    activateInPlace(a.recurrentActivation, z, zo, f);
    for (let j = 0; j < f; j++) {
      const cNext = z[zi + f + j] * c[st + j] + z[zi + j] * z[zc + j];
      c[st + j] = cNext;
      z[zc + j] = cNext; // the candidate slot now holds c, to be activated below
    }
    activateInPlace(a.activation, z, zc, f);
    for (let j = 0; j < f; j++) h[st + j] = z[zo + j] * z[zc + j];
  }
}

function clampTanhInput(x: number): number {
  return x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
}

/**
 * Input projections up to this many values (4 MiB) reuse one buffer across calls, as the other
 * kernels' do: a fresh one costs page faults and garbage collection on every call.
 */
const SCRATCH_REUSE_LIMIT = 1 << 20;
let scratch = new Float32Array(0);

/** A buffer of `length` values with unspecified contents, valid until the next call. */
function projectionBuffer(length: number): Float32Array {
  if (length > SCRATCH_REUSE_LIMIT) return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/** Runs the ConvLSTM; returns `[output, h, c]`. */
export const convLSTMSequence: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const call = checkConvLSTMCall<TensorInfo>(inputs, attrs);
  const { attrs: a, batch, steps, spatial, channels, outSpatial } = call;
  const f = call.filters;
  const gates = 4 * f;
  const stateShape = [batch, ...outSpatial, f];
  const values = <V>(info: TensorInfo): V => cpu.data.get(info.dataId).values as unknown as V;

  const geometry = convLSTMGeometry(call);
  const inGeometry = convSourceTable(geometry.input);
  const recGeometry = convSourceTable(geometry.recurrent);
  const positions = inGeometry.positions;
  const stateSize = positions * f;

  beginKernelCall();
  const kernelValues = values<Float32Array>(call.kernel);
  const recurrentValues = values<Float32Array>(call.recurrentKernel);
  const segments = [gates];
  const kernel = packedWeights(
    cpu,
    call.kernel,
    kernelValues,
    inGeometry.taps * channels,
    segments,
  );
  const recurrent = packedWeights(
    cpu,
    call.recurrentKernel,
    recurrentValues,
    recGeometry.taps * f,
    segments,
  );
  // 3×3 recurrent kernels (the usual ConvLSTM2D) take Winograd's 2.25× fewer multiplications.
  const plan = f >= WINOGRAD_MIN_FILTERS ? winogradPlan(geometry.recurrent) : null;
  const winograd =
    plan == null
      ? null
      : cachedPacking(cpu, call.recurrentKernel, recurrentValues, 'winograd', () =>
          packWinogradKernel(recurrentValues, f, gates),
        );
  const ld = PANEL * kernel.panels; // the padded row length of xw
  const bias = padColumns(values<Float32Array>(call.bias), 0, kernel, segments);

  // The input convolution of every frame, rows ordered (t, b, position).
  const x = values<Float32Array>(call.x);
  const frameSize = spatial.reduce((n, d) => n * d, channels);
  const stepRows = batch * positions;
  const xw = projectionBuffer(steps * stepRows * ld); // every value is written below
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const frame = (b * steps + t) * frameSize;
      const row = t * stepRows + b * positions;
      convProduct(
        inGeometry,
        kernel,
        channels,
        x,
        frame,
        frameSize,
        0,
        positions,
        bias,
        0,
        0,
        xw,
        row * ld,
        ld,
      );
    }
  }

  const problem: SequenceProblem = {
    batch,
    steps,
    inputDim: channels,
    units: stateSize, // runTimeLoop sees a row's whole state as its units
    x,
    kernel: kernelValues,
    recurrentKernel: recurrentValues,
    bias: values<Float32Array>(call.bias),
    h: values<Float32Array>(call.initialH).slice(),
    c: values<Float32Array>(call.initialC).slice(),
    mask: call.mask == null ? null : values<MaskValues>(call.mask),
    recurrentMask: call.recurrentMask == null ? null : values<Float32Array>(call.recurrentMask),
  };
  const h = problem.h;
  const c = problem.c as Float32Array;
  const rm = problem.recurrentMask;
  const hIn = rm == null ? h : new Float32Array(h.length);
  const output = runTimeLoop(problem, a, (t, active) => {
    if (rm != null) for (let i = 0; i < h.length; i++) hIn[i] = h[i] * rm[i];
    const stepOff = t * stepRows * ld;
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zOff = stepOff + b * positions * ld;
      // The recurrent convolution of image b of hIn, added onto the step's input rows in place.
      if (plan != null && winograd != null) {
        winogradConv(plan, winograd, f, gates, hIn, b * stateSize, xw, zOff, ld);
      } else {
        convProduct(
          recGeometry,
          recurrent,
          f,
          hIn,
          b * stateSize,
          stateSize,
          0,
          positions,
          xw,
          zOff,
          ld,
          xw,
          zOff,
          ld,
        );
      }
      updateStates(a, xw, zOff, ld, positions, c, h, b * stateSize);
    }
  });

  const outShape = a.returnSequences ? [batch, steps, ...outSpatial, f] : stateShape;
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo(stateShape, 'float32', h),
    cpu.makeTensorInfo(stateShape, 'float32', c),
  ];
  return result;
};

/** The cpu registration of {@link ConvLSTMSequence}. */
export const convLSTMSequenceConfig: KernelConfig = {
  kernelName: ConvLSTMSequence,
  backendName: 'cpu',
  kernelFunc: convLSTMSequence,
};
