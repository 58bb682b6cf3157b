/**
 * Keras `TimeDistributed(layer)`: applies any supported one-input layer to every timestep (the
 * steps are folded into the batch); the mask passes on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, messageOf } from '../errors.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type {
  CallArgs,
  CallResult,
  LayerContext,
  LayerJson,
  ModelLayer,
  Shape,
  WeightSpec,
} from './types.js';

/** Classes that cannot be applied per timestep. */
const NOT_WRAPPABLE = new Set(['InputLayer']);

/**
 * Most TimeDistributed wrappers one inside another: each needs one more input axis, and a model
 * file nesting thousands would otherwise exhaust the stack while building them.
 */
export const MAX_TIME_DISTRIBUTED_DEPTH = 16;

function isTimeDistributed(json: unknown): json is { config: { layer: unknown } } {
  if (json == null || typeof json !== 'object') return false;
  const { class_name: className, config } = json as { class_name?: unknown; config?: unknown };
  return className === 'TimeDistributed' && config != null && typeof config === 'object';
}

/** Keras `TimeDistributed`. */
export class TimeDistributed extends BaseLayer {
  readonly inner: ModelLayer;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const raw = r.raw('layer') as LayerJson | undefined;
    if (raw == null || typeof raw !== 'object' || typeof raw.class_name !== 'string') {
      r.error('layer', `must be a layer config, got ${describe(raw)}`);
    }
    const inner = raw as LayerJson;
    // Counted here, without recursion, so that the outermost wrapper reports it once.
    let depth = 1;
    for (let j: unknown = inner; isTimeDistributed(j); j = j.config.layer) {
      if (++depth > MAX_TIME_DISTRIBUTED_DEPTH) {
        r.error(
          'layer',
          `nests TimeDistributed more than ${MAX_TIME_DISTRIBUTED_DEPTH} levels deep; expected at most ${MAX_TIME_DISTRIBUTED_DEPTH}`,
        );
      }
    }
    if (NOT_WRAPPABLE.has(inner.class_name)) {
      r.error('layer', `wraps class ${inner.class_name}, which cannot be applied per timestep`);
    }
    // The registry passes its factory along, so this module need not import it.
    if (ctx.createLayer == null) fail(`${this.label}: no layer factory to build the wrapped layer`);
    let built: ModelLayer;
    try {
      built = ctx.createLayer(inner, ctx);
    } catch (e) {
      fail(`${r.label}: option 'layer' wraps a layer that cannot be built: ${messageOf(e)}`);
    }
    this.inner = built;
    // Keras freezes a wrapped layer with its wrapper.
    if (!this.trainable) built.trainable = false;
    r.finish();
  }

  private stepShape(inputShapes: Shape[]): Shape {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 3, true);
    return [null, ...shape.slice(2)];
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const outs = this.inner.outputShapes([this.stepShape(inputShapes)]);
    if (outs.length !== 1) {
      fail(
        `${this.label}: the wrapped layer '${this.inner.name}' (${this.inner.className}) has ${outs.length} outputs; expected 1`,
      );
    }
    return [[shape[0], shape[1], ...outs[0].slice(1)]];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] | null {
    return this.inner.weightSpecs([this.stepShape(inputShapes)]);
  }

  override setWeights(weights: tf.Tensor[]): void {
    this.inner.setWeights(weights);
  }

  override getWeights(): tf.Tensor[] {
    return this.inner.getWeights();
  }

  trainableFlags(): boolean[] | null {
    return this.inner.trainableFlags?.() ?? null;
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    if (x.rank < 3) fail(`${this.label}: expected an input of rank >= 3, got rank ${x.rank}`);
    const [batch, time, ...rest] = x.shape;
    const steps = tf.reshape(x, [batch * time, ...rest]);
    const [y] = this.inner.call({
      inputs: [steps],
      masks: [null],
      initialState: null,
      training: args.training,
      dryRun: args.dryRun,
    }).outputs;
    return { outputs: [tf.reshape(y, [batch, time, ...y.shape.slice(1)])], masks: [mask] };
  }

  override paramCount(): number {
    return this.inner.paramCount();
  }

  override dispose(): void {
    this.inner.dispose();
  }
}
