/**
 * Keras merge layers: `Concatenate` (masks combine with AND, as in Keras) and the element-wise
 * `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` (unmasked inputs only).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { BaseLayer } from './base.js';
import { ConfigReader } from './config_reader.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Element-wise merge classes and their operation. */
export const ELEMENTWISE: Record<string, (xs: tf.Tensor[]) => tf.Tensor> = {
  Add: (xs) => tf.addN(xs),
  Subtract: (xs) => tf.sub(xs[0], xs[1]),
  Multiply: (xs) => xs.reduce((a, b) => tf.mul(a, b)),
  Average: (xs) => tf.div(tf.addN(xs), xs.length),
  Maximum: (xs) => xs.reduce((a, b) => tf.maximum(a, b)),
  Minimum: (xs) => xs.reduce((a, b) => tf.minimum(a, b)),
};

function andMasks(masks: (tf.Tensor | null)[]): tf.Tensor | null {
  const present = masks.filter((m): m is tf.Tensor => m != null);
  if (present.length === 0) return null;
  return present.reduce((a, b) => tf.logicalAnd(a, b));
}

/** Keras `Concatenate`. */
export class Concatenate extends BaseLayer {
  readonly axis: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.axis = r.number('axis', -1);
    if (!Number.isInteger(this.axis)) r.error('axis', 'must be an integer');
    r.finish();
  }

  private resolveAxis(rank: number): number {
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (axis <= 0 || axis >= rank)
      fail(`${this.label}: axis ${this.axis} is invalid for inputs of rank ${rank}`);
    return axis;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    if (inputShapes.length < 2)
      fail(`${this.label}: expected at least 2 inputs, got ${inputShapes.length}`);
    const rank = inputShapes[0].length;
    const axis = this.resolveAxis(rank);
    const out = [...inputShapes[0]];
    for (const s of inputShapes.slice(1)) {
      const compatible =
        s.length === rank &&
        s.every((d, i) => i === axis || i === 0 || d == null || out[i] == null || d === out[i]);
      if (!compatible) {
        fail(
          `${this.label}: inputs ${inputShapes.map((x) => formatShape(x)).join(', ')} cannot be concatenated on axis ${this.axis}`,
        );
      }
      out[axis] =
        out[axis] == null || s[axis] == null ? null : (out[axis] as number) + (s[axis] as number);
    }
    return [out];
  }

  call(args: CallArgs): CallResult {
    const axis = this.resolveAxis(args.inputs[0].rank);
    const out = tf.concat(
      args.inputs.map((x) => tf.cast(x, 'float32')),
      axis,
    );
    return { outputs: [out], masks: [andMasks(args.masks)] };
  }
}

/** Keras element-wise merges of same-shaped inputs. */
export class ElementwiseMerge extends BaseLayer {
  private readonly op: (xs: tf.Tensor[]) => tf.Tensor;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.op = ELEMENTWISE[json.class_name];
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const n = inputShapes.length;
    if (n < 2 || (this.className === 'Subtract' && n !== 2)) {
      fail(
        `${this.label}: expected ${this.className === 'Subtract' ? 'exactly 2' : 'at least 2'} inputs, got ${n}`,
      );
    }
    const out = [...inputShapes[0]];
    for (const s of inputShapes.slice(1)) {
      if (
        s.length !== out.length ||
        s.some((d, i) => d != null && out[i] != null && d !== out[i])
      ) {
        fail(
          `${this.label}: inputs must have the same shape, got ${inputShapes.map((x) => formatShape(x)).join(', ')}`,
        );
      }
      s.forEach((d, i) => (out[i] ??= d));
    }
    return [out];
  }

  call(args: CallArgs): CallResult {
    if (args.masks.some((m) => m != null)) {
      fail(`${this.label}: masked inputs are not supported by ${this.className}`);
    }
    const shape = args.inputs[0].shape;
    for (const x of args.inputs) {
      if (x.shape.join() !== shape.join()) {
        fail(
          `${this.label}: inputs must have the same shape, got ${args.inputs.map((t) => formatShape(t.shape)).join(', ')}`,
        );
      }
    }
    return { outputs: [this.op(args.inputs.map((x) => tf.cast(x, 'float32')))], masks: [null] };
  }
}
