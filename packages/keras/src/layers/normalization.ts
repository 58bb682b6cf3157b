/**
 * Keras normalization layers at inference: `BatchNormalization` (moving statistics),
 * `LayerNormalization` and `UnitNormalization`. Each passes its input mask on, as Keras does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { knownSizes, readAxes, resolveAxes } from './axes.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape, WeightSpec } from './types.js';

/** `[1, …, size at each axis, …, 1]` for an input of `rank`. */
function broadcastShape(shape: readonly number[], axes: readonly number[]): number[] {
  const out = shape.map(() => 1);
  for (const a of axes) out[a] = shape[a];
  return out;
}

/** cuDNN's floor on epsilon, which TensorFlow's fused batch norm (Keras 2, rank 4/5) applies. */
const FUSED_MIN_EPSILON = 1.001e-5;

/**
 * Keras `BatchNormalization` at inference: `(x - moving_mean) / sqrt(moving_variance + epsilon)
 * * gamma + beta`. Reads the Keras 3 config and the tf.keras one (list `axis`, `fused`,
 * `virtual_batch_size`, `renorm`), whose extra options do not change inference but can change the
 * weight shapes.
 */
export class BatchNormalization extends BaseLayer {
  readonly axes: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly renorm: boolean;
  readonly virtualBatchSize: number | null;
  readonly momentum: number;
  private readonly fused: boolean | null;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.keras2 = ctx.keras2;
    // Keras 3 converts `axis` with int(); tf.keras also takes a list of axes.
    this.axes = readAxes(r, -1, ctx.keras2).axes;
    this.epsilon = r.number('epsilon', 1e-3);
    if (!(this.epsilon >= 0)) r.error('epsilon', `must be >= 0, got ${this.epsilon}`);
    this.momentum = r.number('momentum', 0.99);
    this.center = r.bool('center', true);
    this.scale = r.bool('scale', true);
    this.renorm = r.bool('renorm', false);
    if (this.renorm) this.checkRenormClipping(r);
    else r.ignore('renorm_clipping');
    r.number('renorm_momentum', 0.99);
    r.bool('synchronized', false); // Training only (cross-replica statistics).
    if (ctx.keras2) {
      const vbs = r.raw('virtual_batch_size');
      if (vbs != null && (!Number.isInteger(vbs) || (vbs as number) <= 0)) {
        r.error(
          'virtual_batch_size',
          `must be a positive integer that divides the batch size, got ${describe(vbs)}`,
        );
      }
      this.virtualBatchSize = (vbs as number | null | undefined) ?? null;
      const fused = r.raw('fused');
      if (fused != null && typeof fused !== 'boolean')
        r.error('fused', `must be true, false or null, got ${describe(fused)}`);
      this.fused = (fused as boolean | null | undefined) ?? null;
      // The adjustment callable is never serialized; a value here is not a Keras config.
      r.only('adjustment', [null], 'cannot be loaded (a Python function)');
      if (this.fused === true) this.checkFusedOptions(r);
    } else {
      this.virtualBatchSize = null;
      this.fused = false;
    }
    r.finish();
  }

  private checkRenormClipping(r: ConfigReader): void {
    const clip = r.raw('renorm_clipping');
    if (clip == null) return;
    if (typeof clip !== 'object' || Array.isArray(clip))
      r.error(
        'renorm_clipping',
        `must be a dict with keys rmax, rmin, dmax, got ${describe(clip)}`,
      );
    const bad = Object.keys(clip).filter((k) => !['rmax', 'rmin', 'dmax'].includes(k));
    if (bad.length > 0)
      r.error(
        'renorm_clipping',
        `has invalid keys ${describe(bad)} (supported: rmax, rmin, dmax), got ${describe(clip)}`,
      );
  }

  /** tf.keras refuses `fused=True` with renorm, a virtual batch size or an unsupported axis. */
  private checkFusedOptions(r: ConfigReader): void {
    if (this.renorm) r.error('fused', '= true cannot be combined with renorm = true');
    if (this.virtualBatchSize != null)
      r.error('fused', '= true cannot be combined with virtual_batch_size');
    if (this.axes.length > 1 || ![-4, -3, -1, 1, 3, 4].includes(this.axes[0]))
      r.error(
        'fused',
        `= true needs axis 1 or 3 (rank 4) or 1 or 4 (rank 5), got axis ${describe(this.axes)}`,
      );
  }

  /** Input axes normalized, after the checks Keras's build makes. */
  private resolve(shape: Shape): number[] {
    const axes = resolveAxes(this.label, this.axes, shape);
    knownSizes(this.label, shape, axes);
    const rank = shape.length;
    if (this.fused === true) {
      if (rank !== 4 && rank !== 5)
        fail(
          `${this.label}: option 'fused' = true supports only inputs of rank 4 or 5, got shape ${formatShape(shape)}`,
        );
      if (rank === 4 && axes[0] !== 1 && axes[0] !== 3)
        fail(
          `${this.label}: option 'fused' = true needs axis 1 or 3 for inputs of rank 4, got axis ${describe(this.axes)}`,
        );
    }
    return axes;
  }

  /** True where tf.keras runs TensorFlow's fused kernel, which floors epsilon. */
  private usesFusedKernel(rank: number, axes: number[]): boolean {
    if (!this.keras2 || this.fused === false || this.renorm || this.virtualBatchSize != null)
      return false;
    if (axes.length !== 1 || ![-4, -3, -1, 1, 3, 4].includes(this.axes[0])) return false;
    return (
      (rank === 4 && (axes[0] === 1 || axes[0] === 3)) ||
      (rank === 5 && (axes[0] === 1 || axes[0] === 4))
    );
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    this.resolve(shape);
    return [shape];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const shape = single(this.label, inputShapes);
    const axes = this.resolve(shape);
    const sizes = knownSizes(this.label, shape, axes);
    let param: Shape;
    if (axes.length === 1 && this.virtualBatchSize == null) param = [sizes[0]];
    else {
      // tf.keras keeps the input rank, with 1 off the axes (and an extra 1 for virtual batches).
      param = shape.map((d, i) => (axes.includes(i) ? d : 1));
      if (this.virtualBatchSize != null) param.splice(1, 0, 1);
    }
    const names = [
      ...(this.scale ? ['gamma'] : []),
      ...(this.center ? ['beta'] : []),
      'moving_mean',
      'moving_variance',
      ...(this.renorm ? ['moving_stddev', 'renorm_mean', 'renorm_stddev'] : []),
    ];
    return names.map((name) => ({ name, shape: param }));
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    if (!this.keras2 && mask != null && mask.rank !== input.rank - 1) {
      fail(
        `${this.label}: the mask must have one dimension less than the input; got mask shape ${formatShape(mask.shape)} for input shape ${formatShape(input.shape)} (Keras 3 refuses this too)`,
      );
    }
    const x = tf.cast(input, 'float32');
    const axes = this.resolve([null, ...x.shape.slice(1)]);
    const target = broadcastShape(x.shape, axes);
    // Keras normalizes with the batch's statistics only when training a trainable layer.
    if (args.training === true && this.trainable)
      return {
        outputs: [this.trainingCall(x, mask, axes, target, args.dryRun === true)],
        masks: [mask],
      };
    let k = 0;
    const next = () => tf.reshape(this.weight(k++), target);
    const gamma = this.scale ? next() : null;
    const beta = this.center ? next() : null;
    const mean = next();
    const variance = next();
    const epsilon = this.usesFusedKernel(x.rank, axes)
      ? Math.max(this.epsilon, FUSED_MIN_EPSILON)
      : this.epsilon;
    let inv = tf.rsqrt(tf.add(variance, epsilon));
    if (gamma != null) inv = tf.mul(inv, gamma);
    let shift = tf.neg(tf.mul(mean, inv));
    if (beta != null) shift = tf.add(shift, beta);
    return { outputs: [tf.add(tf.mul(x, inv), shift)], masks: [mask] };
  }

  trainableFlags(): boolean[] {
    const params = (this.scale ? 1 : 0) + (this.center ? 1 : 0);
    return this.weights.map((_, i) => i < params);
  }

  /**
   * Training mode: normalizes with the batch mean and (biased) variance over every axis but the
   * feature axes, and moves the moving statistics toward them by `1 - momentum`. TensorFlow's
   * fused kernel (tf.keras, rank 4/5) moves the variance toward the unbiased batch variance.
   */
  private trainingCall(
    x: tf.Tensor,
    mask: tf.Tensor | null,
    axes: number[],
    target: number[],
    dryRun: boolean,
  ): tf.Tensor {
    const refuse = (why: string): never => fail(`${this.label}: cannot be trained by fit: ${why}`);
    if (this.renorm) refuse(`option 'renorm' = true is not supported; expected renorm = false`);
    if (this.virtualBatchSize != null)
      refuse(`option 'virtual_batch_size' is not supported; expected null`);
    if (mask != null)
      refuse(
        'its input carries a mask (masked batch statistics are not supported); expected an unmasked input, or the layer frozen',
      );
    const reduce = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const { mean, variance } = tf.moments(x, reduce, true);
    const fused = this.usesFusedKernel(x.rank, axes);
    const epsilon = fused ? Math.max(this.epsilon, FUSED_MIN_EPSILON) : this.epsilon;
    let inv = tf.rsqrt(tf.add(variance, epsilon));
    const params = (this.scale ? 1 : 0) + (this.center ? 1 : 0);
    if (this.scale) inv = tf.mul(inv, tf.reshape(this.weight(0), target));
    let y = tf.mul(tf.sub(x, mean), inv);
    if (this.center) y = tf.add(y, tf.reshape(this.weight(params - 1), target));
    if (!dryRun) {
      const n = reduce.reduce((a, i) => a * x.shape[i], 1);
      const unbiased = fused && n > 1 ? n / (n - 1) : 1;
      const shape = this.weights[params].shape;
      const update = (k: number, batch: tf.Tensor) => {
        const moved = tf.add(
          tf.mul(this.weight(k), this.momentum),
          tf.mul(tf.reshape(batch, shape), 1 - this.momentum),
        );
        this.weights[k].dispose();
        this.weights[k] = tf.keep(moved);
      };
      update(params, mean);
      update(params + 1, tf.mul(variance, unbiased));
    }
    return y;
  }
}

/**
 * Keras `LayerNormalization`: normalizes each sample over `axis` (an integer or a list), then
 * scales by gamma and shifts by beta. Keras 3's `rms_scaling` divides by the standard deviation
 * without centring and uses gamma only, as Keras 3 computes it.
 */
export class LayerNormalization extends BaseLayer {
  readonly axes: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.axes = readAxes(r, -1, true).axes;
    this.epsilon = r.number('epsilon', 1e-3);
    if (!(this.epsilon >= 0)) r.error('epsilon', `must be >= 0, got ${this.epsilon}`);
    this.center = r.bool('center', true);
    this.scale = r.bool('scale', true);
    // tf.keras has no rms_scaling; leaving it unread makes finish() refuse it there.
    this.rmsScaling = ctx.keras2 ? false : r.bool('rms_scaling', false);
    r.finish();
  }

  private get hasGamma(): boolean {
    return this.scale || this.rmsScaling;
  }

  private get hasBeta(): boolean {
    return this.center && !this.rmsScaling;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    resolveAxes(this.label, this.axes, shape);
    return [shape];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const shape = single(this.label, inputShapes);
    // Weights take the sizes in the order the axes were written (Keras reshapes them to the input).
    const sizes = knownSizes(this.label, shape, resolveAxes(this.label, this.axes, shape));
    const specs: WeightSpec[] = [];
    if (this.hasGamma) specs.push({ name: 'gamma', shape: sizes });
    if (this.hasBeta) specs.push({ name: 'beta', shape: sizes });
    return specs;
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const x = tf.cast(input, 'float32');
    const axes = resolveAxes(this.label, this.axes, [null, ...x.shape.slice(1)]);
    const target = broadcastShape(x.shape, axes);
    const gamma = this.hasGamma ? tf.reshape(this.weight(0), target) : null;
    const beta = this.hasBeta ? tf.reshape(this.weight(this.hasGamma ? 1 : 0), target) : null;
    const { mean, variance } = tf.moments(x, axes, true);
    const inv = tf.rsqrt(tf.add(variance, this.epsilon));
    let out: tf.Tensor;
    if (this.rmsScaling) {
      out = tf.mul(x, inv);
      if (gamma != null) out = tf.mul(out, gamma);
    } else {
      const scaled = gamma != null ? tf.mul(inv, gamma) : inv;
      let shift = tf.neg(tf.mul(mean, scaled));
      if (beta != null) shift = tf.add(shift, beta);
      out = tf.add(tf.mul(x, scaled), shift);
    }
    return { outputs: [out], masks: [mask] };
  }
}

/** Keras `UnitNormalization`: `x / max(‖x‖₂, 1e-6)` over `axis` (an integer or a list). */
export class UnitNormalization extends BaseLayer {
  readonly axes: number[];

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.axes = readAxes(r, -1, true).axes;
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    resolveAxes(this.label, this.axes, shape, true);
    return [shape];
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const x = tf.cast(input, 'float32');
    const axes = resolveAxes(this.label, this.axes, [null, ...x.shape.slice(1)], true);
    // Keras: x * rsqrt(max(sum(x²), 1e-12)), i.e. tf.linalg.l2_normalize.
    const squares = tf.sum(tf.square(x), axes, true);
    return { outputs: [tf.mul(x, tf.rsqrt(tf.maximum(squares, 1e-12)))], masks: [mask] };
  }
}
