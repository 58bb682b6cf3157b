/**
 * Keras pooling: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and the global poolings.
 * "same" padding is applied explicitly: max pooling pads with -∞, and average pooling divides
 * each window by its count of real elements (TF excludes the padding from the average).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import {
  inChannelsLast,
  joinShape,
  outputLength,
  padAmounts,
  padSpatial,
  readChannelsFirst,
  readPadding,
  readSizes,
  splitShape,
  toChannelsLast,
  type Padding,
} from './spatial.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** The windowed pooling classes: their number of spatial axes and reduction. */
export const POOLING_CLASSES: Record<string, { rank: 1 | 2 | 3; max: boolean }> = {
  MaxPooling1D: { rank: 1, max: true },
  MaxPooling2D: { rank: 2, max: true },
  MaxPooling3D: { rank: 3, max: true },
  AveragePooling1D: { rank: 1, max: false },
  AveragePooling2D: { rank: 2, max: false },
  AveragePooling3D: { rank: 3, max: false },
};

/** The global pooling classes. */
export const GLOBAL_POOLING_CLASSES: Record<string, { rank: 1 | 2 | 3; max: boolean }> = {
  GlobalMaxPooling1D: { rank: 1, max: true },
  GlobalMaxPooling2D: { rank: 2, max: true },
  GlobalMaxPooling3D: { rank: 3, max: true },
  GlobalAveragePooling1D: { rank: 1, max: false },
  GlobalAveragePooling2D: { rank: 2, max: false },
  GlobalAveragePooling3D: { rank: 3, max: false },
};

/** Keras `MaxPoolingND` / `AveragePoolingND`. */
export class Pooling extends BaseLayer {
  readonly rank: 1 | 2 | 3;
  readonly max: boolean;
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: Padding;
  readonly channelsFirst: boolean;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const { rank, max } = POOLING_CLASSES[json.class_name];
    this.rank = rank;
    this.max = max;
    this.keras2 = ctx.keras2;
    this.poolSize = readSizes(r, 'pool_size', rank, Array(rank).fill(2));
    // Keras: strides default to the pool size.
    this.strides = readSizes(r, 'strides', rank, this.poolSize);
    this.padding = readPadding(r, false);
    this.channelsFirst = readChannelsFirst(r);
    r.finish();
  }

  private spatialOut(spatial: (number | null)[]): (number | null)[] {
    return spatial.map((len, i) =>
      outputLength(this.label, 'pool_size', len, this.poolSize[i], this.padding, this.strides[i]),
    );
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const { spatial, channels } = splitShape(this.label, shape, this.rank, this.channelsFirst);
    return [joinShape(shape[0], this.spatialOut(spatial), channels, this.channelsFirst)];
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const { spatial } = splitShape(this.label, input.shape, this.rank, this.channelsFirst);
    this.spatialOut(spatial);
    const y = inChannelsLast(tf.cast(input, 'float32'), this.channelsFirst, (x) => this.pool(x));
    return { outputs: [y], masks: [dropMask(this.label, this.keras2, mask)] };
  }

  private pool(x: tf.Tensor): tf.Tensor {
    const lengths = x.shape.slice(1, -1) as number[];
    const pads = lengths.map((len, i) =>
      padAmounts(len, this.poolSize[i], this.padding, this.strides[i]),
    );
    const padded = padSpatial(x, pads, this.max ? -Infinity : 0);
    let out = this.validPool(padded);
    if (!this.max && pads.some(([a, b]) => a > 0 || b > 0)) {
      // The window mean counted the zero padding; rescale to the mean of the real elements.
      out = tf.mul(out, this.paddingCorrection(lengths, pads, out.shape.slice(1, -1) as number[]));
    }
    return out;
  }

  private validPool(x: tf.Tensor): tf.Tensor {
    if (this.rank === 3) {
      const args = [
        x as tf.Tensor5D,
        this.poolSize as [number, number, number],
        this.strides as [number, number, number],
        'valid',
      ] as const;
      return this.max ? tf.maxPool3d(...args) : tf.avgPool3d(...args);
    }
    const image = (this.rank === 1 ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
    const size = (this.rank === 1 ? [1, ...this.poolSize] : this.poolSize) as [number, number];
    const strides = (this.rank === 1 ? [1, ...this.strides] : this.strides) as [number, number];
    const out = this.max
      ? tf.maxPool(image, size, strides, 'valid')
      : tf.avgPool(image, size, strides, 'valid');
    return this.rank === 1 ? tf.squeeze(out, [1]) : out;
  }

  /** `window size / real elements in the window` at each output position, `[1, ...out, 1]`. */
  private paddingCorrection(
    lengths: number[],
    pads: [number, number][],
    outSizes: number[],
  ): tf.Tensor {
    const perAxis = outSizes.map((n, i) =>
      Array.from({ length: n }, (_, o) => {
        const start = o * this.strides[i];
        const end = start + this.poolSize[i];
        const real = Math.min(end, pads[i][0] + lengths[i]) - Math.max(start, pads[i][0]);
        return this.poolSize[i] / real;
      }),
    );
    const total = outSizes.reduce((a, b) => a * b, 1);
    const factors = new Float32Array(total);
    for (let flat = 0; flat < total; flat++) {
      let rest = flat;
      let f = 1;
      for (let i = outSizes.length - 1; i >= 0; i--) {
        f *= perAxis[i][rest % outSizes[i]];
        rest = Math.floor(rest / outSizes[i]);
      }
      factors[flat] = f;
    }
    return tf.tensor(factors, [1, ...outSizes, 1]);
  }
}

/** Keras `GlobalMaxPoolingND` / `GlobalAveragePoolingND` (with `keepdims`). */
export class GlobalPooling extends BaseLayer {
  readonly rank: 1 | 2 | 3;
  readonly max: boolean;
  readonly channelsFirst: boolean;
  readonly keepdims: boolean;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const { rank, max } = GLOBAL_POOLING_CLASSES[json.class_name];
    this.rank = rank;
    this.max = max;
    this.keras2 = ctx.keras2;
    this.channelsFirst = readChannelsFirst(r);
    this.keepdims = r.bool('keepdims', false);
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const { channels } = splitShape(this.label, shape, this.rank, this.channelsFirst);
    if (!this.keepdims) return [[shape[0], channels]];
    return [joinShape(shape[0], Array<number>(this.rank).fill(1), channels, this.channelsFirst)];
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    splitShape(this.label, input.shape, this.rank, this.channelsFirst);
    const x = tf.cast(input, 'float32');
    const axes = this.channelsFirst
      ? Array.from({ length: this.rank }, (_, i) => i + 2)
      : Array.from({ length: this.rank }, (_, i) => i + 1);
    let y: tf.Tensor;
    if (!this.max && this.rank === 1 && mask != null) {
      y = this.maskedMean(x, mask);
    } else {
      dropMask(this.label, this.keras2, mask);
      y = this.max ? tf.max(x, axes, this.keepdims) : tf.mean(x, axes, this.keepdims);
    }
    return { outputs: [y], masks: [null] };
  }

  /** Keras: `sum(x · mask) / sum(mask)` over the steps (NaN where every step is masked). */
  private maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    const steps = this.channelsFirst ? x.shape[2] : x.shape[1];
    if (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== steps) {
      fail(
        `${this.label}: the input mask has shape ${formatShape(mask.shape)}; expected (${x.shape[0]}, ${steps})`,
      );
    }
    const xl = this.channelsFirst ? toChannelsLast(x) : x;
    // A select rather than a cast of the bool mask: tfjs-webgpu miscompiles some bool casts.
    const ones = tf.ones(mask.shape);
    const m = tf.expandDims(tf.where(tf.cast(mask, 'bool'), ones, tf.zerosLike(ones)), 2);
    const y = tf.div(tf.sum(tf.mul(xl, m), 1), tf.sum(m, 1));
    if (!this.keepdims) return y;
    return tf.expandDims(y, this.channelsFirst ? 2 : 1);
  }
}
