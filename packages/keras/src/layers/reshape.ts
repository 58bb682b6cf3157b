/** Keras `Reshape` (one size may be -1) and `Permute`; neither supports masking. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { product, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

const MAX_RANK = 16;
const MAX_SIZE = 2 ** 31 - 1;

/** Keras `Reshape(target_shape)`; the batch axis is kept. */
export class Reshape extends BaseLayer {
  readonly targetShape: number[];
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.keras2 = ctx.keras2;
    const v = r.raw('target_shape');
    const valid =
      Array.isArray(v) &&
      v.length <= MAX_RANK &&
      v.every(
        (d) =>
          typeof d === 'number' && Number.isInteger(d) && (d === -1 || (d > 0 && d <= MAX_SIZE)),
      );
    if (!valid) {
      r.error(
        'target_shape',
        `must be a list of up to ${MAX_RANK} positive sizes (one may be -1), got ${describe(v)}`,
      );
    }
    if ((v as number[]).filter((d) => d === -1).length > 1) {
      r.error('target_shape', `may hold -1 only once, got ${describe(v)}`);
    }
    this.targetShape = v as number[];
    r.finish();
  }

  /** The output sizes for the input sizes `rest` (without the batch); null entries unknown. */
  private resolve(rest: (number | null)[]): (number | null)[] {
    const total = product(rest);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const unknownAt = this.targetShape.indexOf(-1);
    const mismatch = () =>
      fail(
        `${this.label}: option 'target_shape' = ${formatShape(this.targetShape)} does not fit the input: expected ${total} elements per sample, got input shape ${formatShape([null, ...rest])}`,
      );
    if (total == null) {
      return this.targetShape.map((d) => (d === -1 ? null : d));
    }
    if (unknownAt < 0) {
      if (known !== total) mismatch();
      return [...this.targetShape];
    }
    if (known === 0 || total % known !== 0) mismatch();
    return this.targetShape.map((d) => (d === -1 ? total / known : d));
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    if (shape.length < 1) fail(`${this.label}: expected an input with a batch axis`);
    return [[shape[0], ...this.resolve(shape.slice(1))]];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    const target = this.resolve(x.shape.slice(1)) as number[];
    const y = tf.reshape(x, [x.shape[0], ...target]);
    return { outputs: [y], masks: [dropMask(this.label, this.keras2, mask)] };
  }
}

/** Keras `Permute(dims)`: dims is a permutation of 1..n (the batch axis stays first). */
export class Permute extends BaseLayer {
  readonly dims: number[];
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.keras2 = ctx.keras2;
    const v = r.raw('dims');
    const n = Array.isArray(v) ? v.length : 0;
    const valid =
      Array.isArray(v) &&
      n > 0 &&
      n <= MAX_RANK &&
      [...v].sort((a, b) => a - b).every((d, i) => d === i + 1);
    if (!valid) {
      r.error(
        'dims',
        `must be a permutation of 1..n (the axes after the batch), got ${describe(v)}`,
      );
    }
    this.dims = v as number[];
    r.finish();
  }

  private check(shape: readonly (number | null)[]): void {
    if (shape.length !== this.dims.length + 1) {
      fail(
        `${this.label}: option 'dims' = ${formatShape(this.dims)} expects an input of rank ${this.dims.length + 1}, got shape ${formatShape(shape)}`,
      );
    }
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    this.check(shape);
    return [[shape[0], ...this.dims.map((d) => shape[d])]];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    this.check(x.shape);
    const y = tf.transpose(x, [0, ...this.dims]);
    return { outputs: [y], masks: [dropMask(this.label, this.keras2, mask)] };
  }
}
