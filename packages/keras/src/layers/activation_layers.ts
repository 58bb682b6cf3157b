/**
 * Keras advanced activation layers: `Softmax`, `ReLU`, `LeakyReLU`, `PReLU`, `ELU`. Each passes
 * its input mask on; `Softmax` also applies it, as the Keras version that wrote the file does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { knownSizes, readAxes, resolveAxes, versionAtLeast } from './axes.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape, WeightSpec } from './types.js';

/** What Keras adds to (or puts in place of) masked logits in float32. */
const MASKED_LOGIT = -1e9;

/** Base of the weightless element-wise activation layers: one input, shape and mask unchanged. */
abstract class ElementwiseActivation extends BaseLayer {
  outputShapes(inputShapes: Shape[]): Shape[] {
    return [single(this.label, inputShapes)];
  }

  protected abstract apply(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor;

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    return { outputs: [this.apply(tf.cast(x, 'float32'), mask)], masks: [mask] };
  }
}

/** A number option that Keras refuses when null or negative. */
function nonNegative(r: ConfigReader, key: string, fallback: number): number {
  if (r.raw(key) === null) r.error(key, 'must be a number >= 0, got null');
  const v = r.number(key, fallback);
  if (v < 0) r.error(key, `must be >= 0, got ${v}`);
  return v;
}

/**
 * Keras `Softmax` over `axis` (an integer or a list). A mask (which must have the input's shape)
 * pushes masked logits to -1e9: Keras 2 and Keras 3 before 3.13 add `(1 - mask) · -1e9`, later
 * versions replace them; from Keras 3.10 masked outputs are then zeroed.
 */
export class Softmax extends ElementwiseActivation {
  readonly axes: number[];
  private readonly list: boolean;
  private readonly replaceMasked: boolean;
  private readonly zeroMasked: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    ({ axes: this.axes, list: this.list } = readAxes(r, -1, true));
    const keras3 = !ctx.keras2;
    this.replaceMasked = keras3 && versionAtLeast(ctx.kerasVersion, 3, 13);
    this.zeroMasked = keras3 && versionAtLeast(ctx.kerasVersion, 3, 10);
    r.finish();
  }

  override outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    resolveAxes(this.label, this.axes, shape, true);
    return [shape];
  }

  protected apply(input: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const axes = resolveAxes(this.label, this.axes, [null, ...input.shape.slice(1)], true);
    let x = input;
    if (mask != null) {
      // Keras broadcasts the mask against the input from the last axis; the [batch, time] mask of
      // a sequence only lines up with an input of the same shape.
      if (mask.shape.join() !== input.shape.join()) {
        fail(
          `${this.label}: the input mask of shape ${formatShape(mask.shape)} does not match the input of shape ${formatShape(input.shape)}; Keras would broadcast it against the wrong axes`,
        );
      }
      x = this.replaceMasked
        ? tf.where(mask, x, tf.fill(x.shape, MASKED_LOGIT))
        : tf.add(x, tf.mul(tf.sub(1, tf.cast(mask, 'float32')), MASKED_LOGIT));
    }
    let out: tf.Tensor;
    if (this.list && axes.length > 1) {
      out = tf.exp(tf.sub(x, tf.logSumExp(x, axes, true)));
    } else {
      const e = tf.exp(tf.sub(x, tf.max(x, axes, true)));
      out = tf.div(e, tf.sum(e, axes, true));
    }
    if (mask != null && this.zeroMasked) out = tf.mul(out, tf.cast(mask, 'float32'));
    return out;
  }
}

/**
 * Keras `ReLU(max_value, negative_slope, threshold)`:
 * `min(x > threshold ? x : 0, max_value) - negative_slope · max(threshold - x, 0)`.
 */
export class ReLU extends ElementwiseActivation {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const max = r.raw('max_value');
    if (max != null && (typeof max !== 'number' || !(max >= 0)))
      r.error('max_value', `must be null or a number >= 0, got ${describe(max)}`);
    this.maxValue = (max as number | null | undefined) ?? null;
    this.negativeSlope = nonNegative(r, 'negative_slope', 0);
    this.threshold = nonNegative(r, 'threshold', 0);
    r.finish();
  }

  protected apply(x: tf.Tensor): tf.Tensor {
    let y = tf.where(tf.greater(x, this.threshold), x, tf.zerosLike(x));
    if (this.maxValue != null) y = tf.minimum(y, this.maxValue);
    if (this.negativeSlope !== 0)
      y = tf.sub(y, tf.mul(this.negativeSlope, tf.relu(tf.sub(this.threshold, x))));
    return y;
  }
}

/**
 * Keras `LeakyReLU`: `x > 0 ? x : slope · x`. The slope is `alpha` in Keras 2 (any number) and
 * `negative_slope` in Keras 3 (>= 0; `alpha` still accepted); both default to 0.3.
 */
export class LeakyReLU extends ElementwiseActivation {
  readonly slope: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    if (ctx.keras2) {
      if (r.raw('alpha') === null) r.error('alpha', 'must be a number, got null');
      this.slope = r.number('alpha', 0.3);
    } else if (r.raw('alpha') !== undefined) {
      // Keras 3 takes a deprecated `alpha` in place of negative_slope.
      this.slope = nonNegative(r, 'alpha', 0.3);
      r.ignore('negative_slope');
    } else {
      this.slope = nonNegative(r, 'negative_slope', 0.3);
    }
    r.finish();
  }

  protected apply(x: tf.Tensor): tf.Tensor {
    return tf.where(tf.greater(x, 0), x, tf.mul(x, this.slope));
  }
}

/** Keras `ELU`: `x > 0 ? x : alpha · (exp(x) - 1)`. */
export class ELU extends ElementwiseActivation {
  readonly alpha: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    if (r.raw('alpha') === null) r.error('alpha', 'must be a number, got null');
    this.alpha = r.number('alpha', 1);
    r.finish();
  }

  protected apply(x: tf.Tensor): tf.Tensor {
    return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.elu(x)));
  }
}

/**
 * Keras `PReLU`: `max(x, 0) - alpha · max(-x, 0)` with a learned `alpha` of the input's shape
 * (batch excluded), of size 1 along `shared_axes`.
 */
export class PReLU extends BaseLayer {
  readonly sharedAxes: number[];

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const shared = r.raw('shared_axes');
    let axes: number[] | null = null;
    if (shared == null) axes = [];
    else if (Number.isInteger(shared)) axes = [shared as number];
    else if (Array.isArray(shared) && shared.length <= 16 && shared.every(Number.isInteger))
      axes = shared as number[];
    if (axes == null)
      fail(
        `${r.label}: option 'shared_axes' must be null, an integer or a list of integers, got ${describe(shared)}`,
      );
    this.sharedAxes = axes;
    r.finish();
  }

  /** The alpha shape Keras builds: `input_shape[1:]` with `param_shape[i - 1] = 1` per shared axis. */
  private alphaShape(shape: Shape): number[] {
    expectRank(this.label, shape, 2, true);
    const param: Shape = shape.slice(1);
    const n = param.length;
    for (const axis of this.sharedAxes) {
      // Keras indexes a Python list with axis - 1, so 0 and negative axes count from the end.
      const at = axis - 1;
      if (at < -n || at >= n) {
        fail(
          `${this.label}: option 'shared_axes' = ${describe(this.sharedAxes)} has axis ${axis}, out of range for an input of shape ${formatShape(shape)}`,
        );
      }
      param[(at + n) % n] = 1;
    }
    return knownSizes(
      this.label,
      [null, ...param],
      param.map((_, i) => i + 1),
    );
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    this.alphaShape(shape);
    return [shape];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    return [{ name: 'alpha', shape: this.alphaShape(single(this.label, inputShapes)) }];
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const x = tf.cast(input, 'float32');
    const alpha = this.weight(0);
    const y = tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x))));
    return { outputs: [y], masks: [mask] };
  }
}
