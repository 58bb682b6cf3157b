/**
 * The gradients of an N-d convolution (channels last, TensorFlow padding) from pad, slice,
 * reshape, concat and matMul alone. tfjs's own convolution gradients need kernels that some
 * backends lack (wasm registers no `Conv2DBackpropFilter`) and reject dilation rates above 1;
 * the reference ConvLSTM's backward pass must run on every backend and every geometry.
 *
 * The convolution is read as im2col: the input patches of every kernel tap, side by side, times
 * the filter as a `[taps·C, F]` matrix. The filter's gradient is `patchesᵀ · dy`; the input's is
 * `dy · filterᵀ`, each tap's slice put back where the tap read it.
 */
import * as tf from '@tensorflow/tfjs-core';

const product = (values: readonly number[]): number => values.reduce((a, b) => a * b, 1);

/** Every kernel tap (its index per spatial axis), in the filter's row-major order. */
function kernelTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const size of kernel)
    taps = taps.flatMap((tap) => Array.from({ length: size }, (_, j) => [...tap, j]));
  return taps;
}

/**
 * Spreads `t` along `axis` to the positions a stride `stride` reads: `stride − 1` zeros after
 * each entry, `span` entries kept. Works at rank ≤ 4 whatever the rank of `t`.
 */
function spread(t: tf.Tensor, axis: number, stride: number, span: number): tf.Tensor {
  const outer = product(t.shape.slice(0, axis));
  const size = t.shape[axis];
  const inner = product(t.shape.slice(axis + 1));
  const gaps = tf.zeros([outer, size, stride - 1, inner]);
  const spaced = tf.reshape(tf.concat([tf.reshape(t, [outer, size, 1, inner]), gaps], 2), [
    outer,
    size * stride,
    inner,
  ]);
  const kept = tf.slice(spaced, [0, 0, 0], [outer, span, inner]);
  return tf.reshape(kept, [...t.shape.slice(0, axis), span, ...t.shape.slice(axis + 1)]);
}

/**
 * The convolution's geometry per spatial axis; the output sizes are read from `dy`, the padding
 * before each axis is TensorFlow's (`same`: `floor(total / 2)`, the larger half after). The
 * tensors keep their rank (no axes added): tfjs's WebGPU backend indexes up to rank 4.
 */
function geometry(
  x: tf.Tensor,
  filter: tf.Tensor,
  dy: tf.Tensor,
  strides: readonly number[],
  padding: 'valid' | 'same',
  dilations: readonly number[],
) {
  const inSize = x.shape.slice(1, -1);
  const outSize = dy.shape.slice(1, -1);
  const kernel = filter.shape.slice(0, inSize.length);
  const padBefore = inSize.map((n, i) => {
    if (padding === 'valid') return 0;
    const span = dilations[i] * (kernel[i] - 1) + 1;
    return Math.floor(Math.max((outSize[i] - 1) * strides[i] + span - n, 0) / 2);
  });
  return { inSize, outSize, kernel, strides, dilations, padBefore };
}

/**
 * `[dx, dFilter]` of `conv(x, filter)` for the output gradient `dy`: `x` `[N, ...S, C]`,
 * `filter` `[...K, C, F]`, `dy` `[N, ...O, F]`, 1 to 3 spatial axes.
 */
export function convNdGradients(
  x: tf.Tensor,
  filter: tf.Tensor,
  dy: tf.Tensor,
  strides: readonly number[],
  padding: 'valid' | 'same',
  dilations: readonly number[],
): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [n, channels] = [x.shape[0], x.shape[x.rank - 1]];
    const filters = filter.shape[filter.rank - 1];
    const g = geometry(x, filter, dy, strides, padding, dilations);
    // The padded input covers every tap of every output position.
    const span = g.outSize.map((o, i) => (o - 1) * g.strides[i] + 1);
    const extent = span.map((s, i) => s + (g.kernel[i] - 1) * g.dilations[i]);
    const padAfter = extent.map((e, i) => Math.max(e - g.padBefore[i] - g.inSize[i], 0));
    const padded = g.inSize.map((s, i) => g.padBefore[i] + s + padAfter[i]);
    const xPadded = tf.pad(x, [
      [0, 0],
      ...g.padBefore.map((b, i): [number, number] => [b, padAfter[i]]),
      [0, 0],
    ]);
    const taps = kernelTaps(g.kernel);
    const starts = taps.map((tap) => tap.map((j, i) => j * g.dilations[i]));
    const positions = n * product(g.outSize);
    const patches = tf.concat(
      starts.map((start) =>
        tf.reshape(
          tf.stridedSlice(
            xPadded,
            [0, ...start, 0],
            [n, ...start.map((b, i) => b + span[i]), channels],
            [1, ...g.strides, 1],
          ),
          [positions, channels],
        ),
      ),
      1,
    );
    const dy2 = tf.reshape(dy, [positions, filters]);
    const dFilter = tf.reshape(tf.matMul(patches, dy2, true, false), filter.shape);
    const dPatches = tf.matMul(
      dy2,
      tf.reshape(filter, [taps.length * channels, filters]),
      false,
      true,
    );
    const perTap = starts.map((start, k) => {
      let part: tf.Tensor = tf.reshape(
        tf.slice(dPatches, [0, k * channels], [positions, channels]),
        [n, ...g.outSize, channels],
      );
      for (let i = 0; i < g.inSize.length; i++)
        if (g.strides[i] > 1 && g.outSize[i] > 1) part = spread(part, i + 1, g.strides[i], span[i]);
      part = tf.pad(part, [
        [0, 0],
        ...start.map((b, i): [number, number] => [b, padded[i] - b - span[i]]),
        [0, 0],
      ]);
      return tf.reshape(part, [n, -1]);
    });
    // Pairwise adds, not addN: tfjs's WebGPU AddN returns zeros for more than 8 inputs (a 3×3
    // kernel has 9 taps).
    const summed = perTap.reduce((sum, part) => tf.add(sum, part));
    const dxPadded = tf.reshape(summed, [n, ...padded, channels]);
    const dx = tf.slice(dxPadded, [0, ...g.padBefore, 0], [n, ...g.inSize, channels]);
    return [dx, dFilter];
  });
}
