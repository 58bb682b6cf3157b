/**
 * The geometry of a ConvLSTM kernel's two convolutions as backends run them: the spatial axes
 * as three (depth, height, width; leading axes of size 1 for ConvLSTM1D/2D) and TensorFlow's
 * padding. One definition, so that every backend gathers the same input positions.
 */
import { convOutputSize } from '../layers/conv_lstm_cell.js';
import type { CheckedConvLSTMCall } from './validate_conv_lstm.js';
import type { KernelTensorLike } from './validate.js';

/** A convolution over three spatial axes, TensorFlow padding. */
export interface ConvGeometry {
  inSize: number[];
  outSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each axis: `floor(total / 2)` for `same` (the larger half goes after), 0 for `valid`. */
  padBefore: number[];
}

/** A convolution's output positions and, per position and kernel tap, where the tap reads. */
export interface ConvSourceTable {
  /** Output positions (the product of the output sizes). */
  positions: number;
  /** Kernel taps (the product of the kernel sizes). */
  taps: number;
  /**
   * `source[p·taps + k]`: the input position (an index into the flattened input sizes) that tap
   * `k` of output position `p` reads, or −1 where it falls in the padding.
   */
  source: Int32Array;
}

/** Pads a per-axis list of 1 to 3 spatial axes to three, leading axes of size 1. */
function toThreeAxes(values: readonly number[]): number[] {
  return [...Array<number>(3 - values.length).fill(1), ...values];
}

/**
 * The geometry of a convolution over 1 to 3 spatial axes (per-axis lists of equal length), as
 * three axes. Output sizes follow {@link convOutputSize}.
 */
export function convGeometry(
  inSize: readonly number[],
  kernelSize: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  padding: 'valid' | 'same',
): ConvGeometry {
  const [inS, k, st, dl] = [inSize, kernelSize, strides, dilations].map(toThreeAxes);
  const outSize = inS.map((n, i) => convOutputSize(n, k[i], st[i], dl[i], padding));
  const padBefore = inS.map((n, i) => {
    if (padding === 'valid') return 0;
    const span = dl[i] * (k[i] - 1) + 1;
    return Math.floor(Math.max((outSize[i] - 1) * st[i] + span - n, 0) / 2);
  });
  return { inSize: inS, outSize, kernel: k, strides: st, dilations: dl, padBefore };
}

/**
 * Both convolutions of a checked ConvLSTM call: the input one from the attributes, and the
 * recurrent one over the states (`same`, stride 1, dilation 1, the same kernel sizes).
 */
export function convLSTMGeometry<T extends KernelTensorLike>(
  call: CheckedConvLSTMCall<T>,
): { input: ConvGeometry; recurrent: ConvGeometry } {
  const a = call.attrs;
  const input = convGeometry(call.spatial, call.kernelSize, a.strides, a.dilationRate, a.padding);
  const ones = [1, 1, 1];
  const recurrent = convGeometry(input.outSize, input.kernel, ones, ones, 'same');
  return { input, recurrent };
}

/** The table of input positions each output position's kernel taps read (an im2col index). */
export function convSourceTable(g: ConvGeometry): ConvSourceTable {
  const { inSize: n, outSize: out, kernel: k, strides: st, dilations: dl, padBefore: pad } = g;
  const positions = out[0] * out[1] * out[2];
  const taps = k[0] * k[1] * k[2];
  const source = new Int32Array(positions * taps);
  let o = 0;
  for (let od = 0; od < out[0]; od++) {
    for (let oh = 0; oh < out[1]; oh++) {
      for (let ow = 0; ow < out[2]; ow++) {
        for (let kd = 0; kd < k[0]; kd++) {
          const id = od * st[0] - pad[0] + kd * dl[0];
          for (let kh = 0; kh < k[1]; kh++) {
            const ih = oh * st[1] - pad[1] + kh * dl[1];
            for (let kw = 0; kw < k[2]; kw++) {
              const iw = ow * st[2] - pad[2] + kw * dl[2];
              const inside = id >= 0 && id < n[0] && ih >= 0 && ih < n[1] && iw >= 0 && iw < n[2];
              source[o++] = inside ? (id * n[1] + ih) * n[2] + iw : -1;
            }
          }
        }
      }
    }
  }
  return { positions, taps, source };
}

/**
 * Whether `g` is a convolution that Winograd's F(2×2, 3×3) computes: a 3×3 kernel, stride 1,
 * dilation 1, over inputs one deep (so 2D, or 3D with depth 1). Backends that run that path
 * (cpu and wasm for ConvLSTM's recurrent convolution) ask this one question.
 */
export function isWinograd3x3(g: ConvGeometry): boolean {
  const [kd, kh, kw] = g.kernel;
  if (kd !== 1 || kh !== 3 || kw !== 3) return false;
  if (g.strides.some((s) => s !== 1) || g.dilations.some((d) => d !== 1)) return false;
  return g.inSize[0] === 1 && g.outSize[0] === 1;
}
