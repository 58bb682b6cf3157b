/**
 * Keras `TimeDistributed(layer)`: applies a step-wise layer (Dense, Activation, Dropout,
 * Flatten) to every timestep; the mask passes on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail } from '../errors.js';
import { Activation } from './activation.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { Dense } from './dense.js';
import { InferenceIdentity, TRAINING_ONLY_LAYERS } from './dropout.js';
import { Flatten } from './flatten.js';
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

/** Inner layers TimeDistributed supports. */
const INNER: Record<string, new (json: LayerJson, ctx: LayerContext) => ModelLayer> = {
  Dense,
  Activation,
  Flatten,
  ...Object.fromEntries(Object.keys(TRAINING_ONLY_LAYERS).map((k) => [k, InferenceIdentity])),
};

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
    const make = INNER[inner.class_name];
    if (make == null) {
      r.error(
        'layer',
        `wraps class ${inner.class_name}, which is not supported (supported: ${Object.keys(INNER).join(', ')})`,
      );
    }
    this.inner = new make(inner, ctx);
    r.finish();
  }

  private stepShape(inputShapes: Shape[]): Shape {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 3, true);
    return [null, ...shape.slice(2)];
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const [out] = this.inner.outputShapes([this.stepShape(inputShapes)]);
    return [[shape[0], shape[1], ...out.slice(1)]];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] | null {
    return this.inner.weightSpecs([this.stepShape(inputShapes)]);
  }

  override setWeights(weights: tf.Tensor[]): void {
    this.inner.setWeights(weights);
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    if (x.rank < 3) fail(`${this.label}: expected an input of rank >= 3, got rank ${x.rank}`);
    const [batch, time, ...rest] = x.shape;
    const steps = tf.reshape(x, [batch * time, ...rest]);
    const [y] = this.inner.call({ inputs: [steps], masks: [null], initialState: null }).outputs;
    return { outputs: [tf.reshape(y, [batch, time, ...y.shape.slice(1)])], masks: [mask] };
  }

  override paramCount(): number {
    return this.inner.paramCount();
  }

  override dispose(): void {
    this.inner.dispose();
  }
}
