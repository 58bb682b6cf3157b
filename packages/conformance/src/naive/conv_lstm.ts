/**
 * The ConvLSTM equations in plain float64 (keras/src/layers/rnn/conv_lstm.py, 1 to 3 spatial
 * axes, channels last), the convolutions written from their definition one output value at a
 * time: an oracle for the fused ConvLSTM kernels, independent of every rnnkit implementation.
 *
 * `z = conv(x_t, W, strides, padding, dilation) + b + conv(h ⊙ recurrentMask, U, 1, 'same')`,
 * gates `i, f, c, o`: `c_t = f·c + i·act(z_c)`, `h_t = o·act(c_t)`. Masking as in
 * {@link naiveSequence}.
 */
import { naiveActivation } from './activations.js';

/** One ConvLSTM problem in the kernel contract's layout, row-major and flat. */
export interface NaiveConvLSTMProblem {
  batch: number;
  steps: number;
  /** Input spatial sizes S (1 to 3 axes). */
  spatial: readonly number[];
  channels: number;
  filters: number;
  kernelSize: readonly number[];
  strides: readonly number[];
  dilationRate: readonly number[];
  padding: 'valid' | 'same';
  /** `[B, T, ...S, C]` in input time order. */
  x: ArrayLike<number>;
  /** `[...K, C, 4·F]`. */
  kernel: ArrayLike<number>;
  /** `[...K, F, 4·F]`. */
  recurrentKernel: ArrayLike<number>;
  /** `[4·F]`. */
  bias: ArrayLike<number>;
  /** `[B, ...O, F]`; zeros when absent. */
  initialH?: ArrayLike<number>;
  initialC?: ArrayLike<number>;
  /** `[B, T]`; a falsy entry masks the step. */
  mask?: ArrayLike<number | boolean>;
  /** `[B, ...O, F]`: multiplies `h` where it enters the recurrent convolution. */
  recurrentMask?: ArrayLike<number>;
  activation?: string;
  recurrentActivation?: string;
  goBackwards?: boolean;
  returnSequences?: boolean;
  alignToInput?: boolean;
  zeroOutputForMask?: boolean;
}

/** Keras's return values, flat, with the output spatial sizes O. */
export interface NaiveConvLSTMResult {
  /** `[B, T, ...O, F]` or `[B, ...O, F]`. */
  output: Float64Array;
  h: Float64Array;
  c: Float64Array;
  outSpatial: number[];
}

/** TensorFlow's output size and padding before, for one axis. */
function axis(
  n: number,
  k: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
): { out: number; before: number } {
  const span = dilation * (k - 1) + 1;
  if (padding === 'valid') return { out: Math.floor((n - span) / stride) + 1, before: 0 };
  const out = Math.ceil(n / stride);
  return { out, before: Math.floor(Math.max((out - 1) * stride + span - n, 0) / 2) };
}

/** Row-major strides of `shape`. */
function stridesOf(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Every index tuple of `shape`, row-major. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const st = stridesOf(shape);
  for (let i = 0; i < n; i++) yield shape.map((d, a) => Math.floor(i / st[a]) % d);
}

/**
 * `out[o, j] = Σ_k Σ_c in[o·stride − before + k·dilation, c] · w[k, c, j]` for one image
 * `[...inSize, C]` (read through `read`), all `J` columns of `w [...K, C, J]`.
 */
function conv(
  read: (position: number[], c: number) => number,
  inSize: readonly number[],
  C: number,
  w: ArrayLike<number>,
  J: number,
  kernelSize: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  before: readonly number[],
  outSize: readonly number[],
): Float64Array {
  const positions = outSize.reduce((a, b) => a * b, 1);
  const out = new Float64Array(positions * J);
  let p = 0;
  for (const o of indices(outSize)) {
    let tap = 0;
    for (const k of indices(kernelSize)) {
      const at = o.map((v, a) => v * strides[a] - before[a] + k[a] * dilations[a]);
      if (at.every((v, a) => v >= 0 && v < inSize[a])) {
        for (let c = 0; c < C; c++) {
          const v = read(at, c);
          const row = (tap * C + c) * J;
          for (let j = 0; j < J; j++) out[p * J + j] += v * w[row + j];
        }
      }
      tap++;
    }
    p++;
  }
  return out;
}

/** Runs the problem; returns Keras's `[output, h, c]` in float64. */
export function naiveConvLSTM(p: NaiveConvLSTMProblem): NaiveConvLSTMResult {
  const { batch: B, steps: T, channels: C, filters: F, spatial } = p;
  const rank = spatial.length;
  const J = 4 * F;
  const geo = spatial.map((n, a) =>
    axis(n, p.kernelSize[a], p.strides[a], p.dilationRate[a], p.padding),
  );
  const outSpatial = geo.map((g) => g.out);
  const ones = outSpatial.map(() => 1);
  const recBefore = outSpatial.map((n, a) => axis(n, p.kernelSize[a], 1, 1, 'same').before);
  const positions = outSpatial.reduce((a, b) => a * b, 1);
  const frame = spatial.reduce((a, b) => a * b, C);
  const state = positions * F;
  const inStrides = stridesOf([...spatial, C]);
  const outStrides = stridesOf([...outSpatial, F]);
  const act = naiveActivation(p.activation ?? 'tanh');
  const rec = naiveActivation(p.recurrentActivation ?? 'sigmoid');
  if (rank < 1 || rank > 3) throw new Error(`naiveConvLSTM: spatial: expected 1 to 3 axes`);

  const output = new Float64Array(p.returnSequences ? B * T * state : B * state);
  const hOut = new Float64Array(B * state);
  const cOut = new Float64Array(B * state);
  for (let b = 0; b < B; b++) {
    let h: Float64Array = Float64Array.from(
      { length: state },
      (_, i) => p.initialH?.[b * state + i] ?? 0,
    );
    let c: Float64Array = Float64Array.from(
      { length: state },
      (_, i) => p.initialC?.[b * state + i] ?? 0,
    );
    let prev: Float64Array = new Float64Array(state);
    for (let s = 0; s < T; s++) {
      const t = p.goBackwards ? T - 1 - s : s;
      let out: Float64Array;
      if (p.mask == null || p.mask[b * T + t]) {
        const base = (b * T + t) * frame;
        const xw = conv(
          (at, ch) => p.x[base + at.reduce((n, v, a) => n + v * inStrides[a], 0) + ch],
          spatial,
          C,
          p.kernel,
          J,
          p.kernelSize,
          p.strides,
          p.dilationRate,
          geo.map((g) => g.before),
          outSpatial,
        );
        const hPrev = h;
        const rm = p.recurrentMask;
        const hr = conv(
          (at, ch) => {
            const i = at.reduce((n, v, a) => n + v * outStrides[a], 0) + ch;
            return hPrev[i] * (rm == null ? 1 : rm[b * state + i]);
          },
          outSpatial,
          F,
          p.recurrentKernel,
          J,
          p.kernelSize,
          ones,
          ones,
          recBefore,
          outSpatial,
        );
        const hNew = new Float64Array(state);
        const cNew = new Float64Array(state);
        for (let q = 0; q < positions; q++) {
          const z = (g: number, j: number): number =>
            xw[q * J + g * F + j] + p.bias[g * F + j] + hr[q * J + g * F + j];
          for (let j = 0; j < F; j++) {
            const i = q * F + j;
            cNew[i] = rec(z(1, j)) * c[i] + rec(z(0, j)) * act(z(2, j));
            hNew[i] = rec(z(3, j)) * act(cNew[i]);
          }
        }
        h = hNew;
        c = cNew;
        out = hNew;
      } else {
        out = p.zeroOutputForMask ? new Float64Array(state) : prev;
      }
      prev = out;
      if (p.returnSequences) {
        const pos = p.goBackwards && p.alignToInput ? t : s;
        output.set(out, (b * T + pos) * state);
      }
    }
    if (!p.returnSequences) output.set(prev, b * state);
    hOut.set(h, b * state);
    cOut.set(c, b * state);
  }
  return { output, h: hOut, c: cOut, outSpatial };
}
