/**
 * Keras merge layers: `Concatenate` (masks join on the time axis and combine with AND in Keras 2, OR in Keras 3) and the element-wise
 * `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` (unmasked inputs only), which
 * broadcast as Keras does: sizes of 1 stretch, and a lower-rank input gains axes after the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { BaseLayer } from './base.js';
import { ConfigReader } from './config_reader.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Element-wise merge classes and their operation. */
export const ELEMENTWISE: Record<string, (xs: tf.Tensor[]) => tf.Tensor> = {
  Add: (xs) => xs.reduce((a, b) => tf.add(a, b)),
  Subtract: (xs) => tf.sub(xs[0], xs[1]),
  Multiply: (xs) => xs.reduce((a, b) => tf.mul(a, b)),
  Average: (xs) =>
    tf.div(
      xs.reduce((a, b) => tf.add(a, b)),
      xs.length,
    ),
  Maximum: (xs) => xs.reduce((a, b) => tf.maximum(a, b)),
  Minimum: (xs) => xs.reduce((a, b) => tf.minimum(a, b)),
};

/**
 * The output mask of `Concatenate` (`compute_mask`): an unmasked input counts as all true, the
 * masks are concatenated along the axis and reduced over the feature axis. On the time axis that
 * joins the masks; on any later axis it is AND in Keras 2 (`all`) and OR in Keras 3 (`any`).
 */
function concatenateMasks(
  masks: (tf.Tensor | null)[],
  inputs: tf.Tensor[],
  axis: number,
  keras2: boolean,
): tf.Tensor | null {
  if (masks.every((m) => m == null)) return null;
  const full = masks.map((m, i) => m ?? tf.ones(inputs[i].shape.slice(0, 2), 'bool'));
  if (axis === 1) return tf.concat(full, 1);
  return full.reduce((a, b) => (keras2 ? tf.logicalAnd(a, b) : tf.logicalOr(a, b)));
}

/** Keras `Concatenate`. */
export class Concatenate extends BaseLayer {
  readonly axis: number;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.keras2 = ctx.keras2;
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
    // Sizes unknown when the model was built must still agree, batch included.
    this.outputShapes(args.inputs.map((x) => x.shape));
    if (args.inputs.some((x) => x.shape[0] !== args.inputs[0].shape[0]))
      fail(
        `${this.label}: cannot concatenate inputs with different batch sizes, got ${args.inputs.map((x) => formatShape(x.shape)).join(', ')}`,
      );
    const axis = this.resolveAxis(args.inputs[0].rank);
    const out = tf.concat(
      args.inputs.map((x) => tf.cast(x, 'float32')),
      axis,
    );
    return {
      outputs: [out],
      masks: [concatenateMasks(args.masks, args.inputs, axis, this.keras2)],
    };
  }
}

/**
 * Keras's shape rule for element-wise merges (`_compute_elemwise_op_output_shape`), on shapes
 * without the batch: trailing axes align, a size of 1 takes the other size, an unknown size stays
 * unknown, and any other difference is refused. Returns null when the shapes do not broadcast.
 */
export function broadcastMergeShapes(a: Shape, b: Shape): Shape | null {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const lead = long.length - short.length;
  const out: Shape = long.slice(0, lead);
  for (let k = 0; k < short.length; k++) {
    const i = long[lead + k];
    const j = short[k];
    if (i == null || j == null) out.push(null);
    else if (i === 1) out.push(j);
    else if (j === 1 || i === j) out.push(i);
    else return null;
  }
  return out;
}

/** Keras element-wise merges; inputs broadcast by Keras's rules. */
export class ElementwiseMerge extends BaseLayer {
  private readonly op: (xs: tf.Tensor[]) => tf.Tensor;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.op = ELEMENTWISE[json.class_name];
    r.finish();
  }

  /** The merged shape without the batch; throws naming the shapes that do not broadcast. */
  private mergedShape(shapes: Shape[]): Shape {
    const n = shapes.length;
    if (n < 2 || (this.className === 'Subtract' && n !== 2)) {
      fail(
        `${this.label}: expected ${this.className === 'Subtract' ? 'exactly 2' : 'at least 2'} inputs, got ${n}`,
      );
    }
    let out = shapes[0].slice(1);
    for (const s of shapes.slice(1)) {
      const next = broadcastMergeShapes(out, s.slice(1));
      if (next == null) {
        fail(
          `${this.label}: inputs have incompatible shapes ${shapes.map((x) => formatShape(x)).join(', ')}; Keras merges only equal sizes or sizes of 1`,
        );
      }
      out = next;
    }
    return out;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return [[null, ...this.mergedShape(inputShapes)]];
  }

  call(args: CallArgs): CallResult {
    if (args.masks.some((m) => m != null)) {
      fail(`${this.label}: masked inputs are not supported by ${this.className}`);
    }
    const shapes = args.inputs.map((x) => x.shape);
    this.mergedShape(shapes);
    const batch = shapes[0][0];
    if (shapes.some((s) => s[0] !== batch)) {
      fail(
        `${this.label}: cannot merge tensors with different batch sizes, got ${shapes.map((s) => formatShape(s)).join(', ')}`,
      );
    }
    // As Keras: lower-rank inputs gain axes of size 1 after the batch until the ranks agree.
    const rank = Math.max(...shapes.map((s) => s.length));
    const inputs = args.inputs.map((x) => {
      const missing = rank - x.rank;
      const y = tf.cast(x, 'float32');
      return missing === 0
        ? y
        : tf.reshape(y, [x.shape[0], ...new Array<number>(missing).fill(1), ...x.shape.slice(1)]);
    });
    return { outputs: [this.op(inputs)], masks: [null] };
  }
}
