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
 * `t` `[N, ...S, C]` padded on its spatial axes by `pads` (before, after), at rank ≤ 4: tfjs's
 * WebGPU backend compiles no pad beyond rank 4 (it returns zeros), so three spatial axes are
 * padded as two: the last two over `[N·D, H, W, C]`, then the first over `[N, D, H·W·C]`.
 */
function padSpatial(t: tf.Tensor, pads: [number, number][]): tf.Tensor {
  if (pads.length < 3) return tf.pad(t, [[0, 0], ...pads, [0, 0]]);
  const [n, d, h, w, c] = t.shape;
  const inner = tf.pad(tf.reshape(t, [n * d, h, w, c]), [[0, 0], pads[1], pads[2], [0, 0]]);
  const [, h2, w2] = inner.shape;
  const outer = tf.pad(tf.reshape(inner, [n, d, h2 * w2 * c]), [[0, 0], pads[0], [0, 0]]);
  return tf.reshape(outer, [n, d + pads[0][0] + pads[0][1], h2, w2, c]);
}

/**
 * The entries `begin, begin + stride, …` (below `end`) of every spatial axis of `t`
 * `[N, ...S, C]`, at rank ≤ 4 as {@link padSpatial} (tfjs's WebGPU strided slice beyond rank 4
 * returns zeros too).
 */
function sliceSpatial(
  t: tf.Tensor,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
): tf.Tensor {
  const [n, ...rest] = t.shape;
  const c = rest[rest.length - 1];
  if (begin.length < 3) {
    return tf.stridedSlice(t, [0, ...begin, 0], [n, ...end, c], [1, ...strides, 1]);
  }
  const [d, h, w] = rest;
  const outer = tf.stridedSlice(
    tf.reshape(t, [n, d, h * w * c]),
    [0, begin[0], 0],
    [n, end[0], h * w * c],
    [1, strides[0], 1],
  );
  const count = (i: number): number => Math.ceil((end[i] - begin[i]) / strides[i]);
  const d2 = count(0);
  const inner = tf.stridedSlice(
    tf.reshape(outer, [n * d2, h, w, c]),
    [0, begin[1], begin[2], 0],
    [n * d2, end[1], end[2], c],
    [1, strides[1], strides[2], 1],
  );
  return tf.reshape(inner, [n, d2, count(1), count(2), c]);
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
    const xPadded = padSpatial(
      x,
      g.padBefore.map((b, i): [number, number] => [b, padAfter[i]]),
    );
    const taps = kernelTaps(g.kernel);
    const starts = taps.map((tap) => tap.map((j, i) => j * g.dilations[i]));
    const positions = n * product(g.outSize);
    const patches = tf.concat(
      starts.map((start) =>
        tf.reshape(
          sliceSpatial(
            xPadded,
            start,
            start.map((b, i) => b + span[i]),
            g.strides,
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
      part = padSpatial(
        part,
        start.map((b, i): [number, number] => [b, padded[i] - b - span[i]]),
      );
      return tf.reshape(part, [n, -1]);
    });
    // Pairwise adds, not addN: tfjs's WebGPU AddN returns zeros for more than 8 inputs (a 3×3
    // kernel has 9 taps).
    const summed = perTap.reduce((sum, part) => tf.add(sum, part));
    const dxPadded = tf.reshape(summed, [n, ...padded, channels]);
    const dx = sliceSpatial(
      dxPadded,
      g.padBefore,
      g.padBefore.map((b, i) => b + g.inSize[i]),
      g.inSize.map(() => 1),
    );
    return [dx, dFilter];
  });
}
