/** Keras `Dot`: per-sample dot products of two tensors along one axis of each (`batch_dot`). */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { BaseLayer } from './base.js';
import { ConfigReader } from './config_reader.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Keras `Dot(axes, normalize)`; input masks are accepted and dropped, as Keras does. */
export class Dot extends BaseLayer {
  /** An integer for both inputs, or one axis per input. */
  readonly axes: number | [number, number];
  readonly normalize: boolean;
  /** The floor of an L2 norm: Keras 3's epsilon (1e-7), tf.keras's l2_normalize (sqrt 1e-12). */
  private readonly normFloor: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const axes = r.raw('axes');
    let read: number | [number, number] | null = null;
    if (Number.isInteger(axes)) read = axes as number;
    else if (Array.isArray(axes) && axes.length === 2 && axes.every(Number.isInteger))
      read = [axes[0] as number, axes[1] as number];
    if (read == null)
      fail(
        `${r.label}: option 'axes' must be an integer or a list of two integers, got ${describe(axes)}`,
      );
    this.axes = read;
    this.normalize = r.bool('normalize', false);
    this.normFloor = ctx.keras2 ? 1e-6 : 1e-7;
    r.finish();
  }

  /** Non-negative axes for inputs of ranks `r1`, `r2`, as Keras's `_merge_function` computes. */
  private resolve(shape1: Shape, shape2: Shape): [number, number] {
    const ranks = [shape1.length, shape2.length];
    const given = typeof this.axes === 'number' ? [this.axes, this.axes] : this.axes;
    const axes = given.map((a, i) => (a < 0 ? a + ranks[i] : a)) as [number, number];
    axes.forEach((a, i) => {
      if (a < 0 || a >= ranks[i]) {
        fail(
          `${this.label}: option 'axes' = ${describe(this.axes)} is out of range for input ${i} of shape ${formatShape(i === 0 ? shape1 : shape2)}`,
        );
      }
    });
    if (axes.includes(0)) {
      fail(
        `${this.label}: option 'axes' = ${describe(this.axes)} contracts the batch axis, which Keras's batch_dot refuses`,
      );
    }
    return axes;
  }

  private check(inputShapes: Shape[]): [number, number] {
    if (inputShapes.length !== 2)
      fail(`${this.label}: expected 2 inputs, got ${inputShapes.length}`);
    const [s1, s2] = inputShapes;
    if (s1.length < 2 || s2.length < 2) {
      fail(
        `${this.label}: inputs must have rank >= 2, got shapes ${formatShape(s1)} and ${formatShape(s2)}`,
      );
    }
    const [a1, a2] = this.resolve(s1, s2);
    // Keras compares the sizes as written: an unknown size only matches another unknown size.
    if (s1[a1] !== s2[a2]) {
      fail(
        `${this.label}: incompatible input shapes: size ${s1[a1] ?? 'None'} on axis ${a1} of ${formatShape(s1)} != size ${s2[a2] ?? 'None'} on axis ${a2} of ${formatShape(s2)}`,
      );
    }
    return [a1, a2];
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const [a1, a2] = this.check(inputShapes);
    const [s1, s2] = inputShapes;
    const out = [...s1.filter((_, i) => i !== a1), ...s2.filter((_, i) => i !== a2 && i !== 0)];
    return [out.length === 1 ? [out[0], 1] : out];
  }

  private l2Normalize(x: tf.Tensor, axis: number): tf.Tensor {
    const squares = tf.sum(tf.square(x), axis, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squares, this.normFloor * this.normFloor)));
  }

  call(args: CallArgs): CallResult {
    if (args.inputs.length !== 2)
      fail(`${this.label}: expected 2 inputs, got ${args.inputs.length}`);
    let [x, y] = args.inputs.map((t) => tf.cast(t, 'float32'));
    const [a1, a2] = this.check([x.shape, y.shape]);
    if (x.shape[0] !== y.shape[0]) {
      fail(
        `${this.label}: inputs have different batch sizes, got shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}`,
      );
    }
    if (this.normalize) {
      x = this.l2Normalize(x, a1);
      y = this.l2Normalize(y, a2);
    }
    // [batch, rest of x, k] · [batch, k, rest of y], each rest flattened for one batched matmul.
    const xRest = x.shape.filter((_, i) => i !== 0 && i !== a1);
    const yRest = y.shape.filter((_, i) => i !== 0 && i !== a2);
    const xPerm = [0, ...x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a1), a1];
    const yPerm = [0, a2, ...y.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a2)];
    const batch = x.shape[0];
    const k = x.shape[a1];
    const m = xRest.reduce((p, d) => p * d, 1);
    const n = yRest.reduce((p, d) => p * d, 1);
    const xs = tf.reshape(tf.transpose(x, xPerm), [batch, m, k]);
    const ys = tf.reshape(tf.transpose(y, yPerm), [batch, k, n]);
    const out = [batch, ...xRest, ...yRest];
    const product = tf.reshape(tf.matMul(xs, ys), out.length === 1 ? [batch, 1] : out);
    return { outputs: [product], masks: [null] };
  }
}
