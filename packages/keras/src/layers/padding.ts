/**
 * Keras layers that pad, crop or repeat the spatial axes: `ZeroPadding1D/2D`,
 * `Cropping1D/2D`, `UpSampling1D/2D` (nearest). None supports masking.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import {
  MAX_WINDOW,
  inChannelsLast,
  joinShape,
  padSpatial,
  readChannelsFirst,
  readSizes,
  splitShape,
} from './spatial.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Spatial axes of each class. */
export const RESAMPLING_CLASSES: Record<string, 1 | 2> = {
  ZeroPadding1D: 1,
  ZeroPadding2D: 2,
  Cropping1D: 1,
  Cropping2D: 2,
  UpSampling1D: 1,
  UpSampling2D: 2,
};

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_WINDOW;

/**
 * Reads `[before, after]` per spatial axis as Keras accepts it: an integer for every side; in 1D
 * a pair `(before, after)`; in 2D a pair of integers (one per axis, both sides) or a pair of pairs.
 */
function readSides(r: ConfigReader, key: string, n: 1 | 2, fallback: number): [number, number][] {
  const v = r.raw(key);
  if (v == null) return Array.from({ length: n }, () => [fallback, fallback]);
  if (isCount(v)) return Array.from({ length: n }, () => [v, v]);
  if (Array.isArray(v) && v.length === 2) {
    if (n === 1 && v.every(isCount)) return [[v[0], v[1]]];
    if (n === 2 && v.every(isCount)) return v.map((d: number) => [d, d]);
    if (n === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(isCount))) {
      return v as [number, number][];
    }
  }
  const forms =
    n === 1
      ? 'an integer or a pair (before, after)'
      : 'an integer, a pair (height, width) or a pair of pairs ((top, bottom), (left, right))';
  r.error(key, `must be ${forms} of integers from 0 to ${MAX_WINDOW}, got ${describe(v)}`);
}

/** Keras `ZeroPaddingND`, `CroppingND` and `UpSamplingND`. */
export class Resampling extends BaseLayer {
  readonly rank: 1 | 2;
  readonly op: 'pad' | 'crop' | 'repeat';
  /** `[before, after]` per axis for padding and cropping. */
  readonly sides: [number, number][] = [];
  /** Repeats per axis for up-sampling. */
  readonly size: number[] = [];
  readonly channelsFirst: boolean;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.rank = RESAMPLING_CLASSES[json.class_name];
    this.keras2 = ctx.keras2;
    const name = json.class_name;
    this.op = name.startsWith('ZeroPadding')
      ? 'pad'
      : name.startsWith('Cropping')
        ? 'crop'
        : 'repeat';
    if (this.op === 'pad') this.sides = readSides(r, 'padding', this.rank, 1);
    if (this.op === 'crop')
      this.sides = readSides(r, 'cropping', this.rank, this.rank === 1 ? 1 : 0);
    if (this.op === 'repeat') {
      this.size = readSizes(r, 'size', this.rank, Array(this.rank).fill(2));
      r.only('interpolation', ['nearest'], 'is not supported');
    }
    // 1D layers have no data_format in Keras.
    this.channelsFirst = this.rank === 2 ? readChannelsFirst(r) : false;
    r.finish();
  }

  private spatialOut(spatial: (number | null)[], shape: Shape): (number | null)[] {
    return spatial.map((len, i) => {
      if (len == null) return null;
      if (this.op === 'repeat') return len * this.size[i];
      const [a, b] = this.sides[i];
      if (this.op === 'pad') return len + a + b;
      if (a + b >= len) {
        fail(
          `${this.label}: option 'cropping' removes ${a + b} of ${len} elements on axis ${i + 1}; expected less than the input size (input shape ${formatShape(shape)})`,
        );
      }
      return len - a - b;
    });
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const { spatial, channels } = splitShape(this.label, shape, this.rank, this.channelsFirst);
    return [joinShape(shape[0], this.spatialOut(spatial, shape), channels, this.channelsFirst)];
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const { spatial } = splitShape(this.label, input.shape, this.rank, this.channelsFirst);
    this.spatialOut(spatial, input.shape);
    const y = inChannelsLast(tf.cast(input, 'float32'), this.channelsFirst, (x) => {
      if (this.op === 'pad') return padSpatial(x, this.sides);
      if (this.op === 'crop') {
        const begin = [0, ...this.sides.map(([a]) => a), 0];
        const size = [-1, ...this.sides.map(([a, b], i) => (x.shape[i + 1] as number) - a - b), -1];
        return tf.slice(x, begin, size);
      }
      return this.repeat(x);
    });
    return { outputs: [y], masks: [dropMask(this.label, this.keras2, mask)] };
  }

  /** Repeats each element `size[i]` times along spatial axis i (nearest up-sampling). */
  private repeat(x: tf.Tensor): tf.Tensor {
    let y = x;
    this.size.forEach((n, i) => {
      if (n === 1) return;
      const axis = i + 1;
      const shape = y.shape;
      const reps = Array<number>(shape.length + 1).fill(1);
      reps[axis + 1] = n;
      const tiled = tf.tile(tf.expandDims(y, axis + 1), reps);
      y = tf.reshape(
        tiled,
        shape.map((d, k) => (k === axis ? d * n : d)),
      );
    });
    return y;
  }
}
