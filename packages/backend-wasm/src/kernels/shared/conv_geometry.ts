/**
 * The geometry of a channels-last convolution with TensorFlow's padding, as the table the
 * WebAssembly module's patch gathering reads (`assembly/conv_lstm.ts`).
 */

/** A convolution's output positions and, per position and kernel tap, where the tap reads. */
export interface ConvTable {
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
function toThree(values: readonly number[]): number[] {
  return [...Array<number>(3 - values.length).fill(1), ...values];
}

/**
 * The table of a convolution from `inSize` to `outSize` (per spatial axis, 1 to 3 axes). `same`
 * padding puts the smaller half before (`floor(total / 2)`), as TensorFlow does.
 */
export function convTable(
  inSize: readonly number[],
  outSize: readonly number[],
  kernelSize: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  padding: 'valid' | 'same',
): ConvTable {
  const [inS, outS, k, st, dl] = [inSize, outSize, kernelSize, strides, dilations].map(toThree);
  const before = inS.map((n, i) => {
    if (padding === 'valid') return 0;
    const span = dl[i] * (k[i] - 1) + 1;
    return Math.floor(Math.max((outS[i] - 1) * st[i] + span - n, 0) / 2);
  });
  const positions = outS[0] * outS[1] * outS[2];
  const taps = k[0] * k[1] * k[2];
  const source = new Int32Array(positions * taps);
  let o = 0;
  for (let od = 0; od < outS[0]; od++) {
    for (let oh = 0; oh < outS[1]; oh++) {
      for (let ow = 0; ow < outS[2]; ow++) {
        for (let kd = 0; kd < k[0]; kd++) {
          const id = od * st[0] - before[0] + kd * dl[0];
          for (let kh = 0; kh < k[1]; kh++) {
            const ih = oh * st[1] - before[1] + kh * dl[1];
            for (let kw = 0; kw < k[2]; kw++) {
              const iw = ow * st[2] - before[2] + kw * dl[2];
              const inside =
                id >= 0 && id < inS[0] && ih >= 0 && ih < inS[1] && iw >= 0 && iw < inS[2];
              source[o++] = inside ? (id * inS[1] + ih) * inS[2] + iw : -1;
            }
          }
        }
      }
    }
  }
  return { positions, taps, source };
}
