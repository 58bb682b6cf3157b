/** Common plumbing for the layers implemented here (weights held as tensors). */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import type { CallArgs, CallResult, ModelLayer, Shape, WeightSpec } from './types.js';
import type { ConfigReader } from './config_reader.js';

/** A layer whose weights are plain tensors kept by this object. */
export abstract class BaseLayer implements ModelLayer {
  readonly name: string;
  readonly className: string;
  trainable: boolean;
  protected weights: tf.Tensor[] = [];

  constructor(reader: ConfigReader) {
    this.name = reader.name;
    this.className = reader.className;
    this.trainable = reader.bool('trainable', true);
  }

  /** `layer 'name' (Class)` for messages. */
  get label(): string {
    return `layer '${this.name}' (${this.className})`;
  }

  abstract outputShapes(inputShapes: Shape[]): Shape[];

  weightSpecs(_inputShapes: Shape[]): WeightSpec[] | null {
    return [];
  }

  setWeights(weights: tf.Tensor[]): void {
    this.weights.forEach((w) => w.dispose());
    this.weights = weights.map((w) => tf.keep(w));
  }

  getWeights(): tf.Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /** The weight at `index`; throws when weights were never set. */
  protected weight(index: number): tf.Tensor {
    const w = this.weights[index];
    if (w == null) fail(`${this.label}: weights were not loaded`);
    return w;
  }

  abstract call(args: CallArgs): CallResult;

  paramCount(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.weights = [];
  }
}

/** Refuses training a layer whose dropout `rate` is set: its training-time noise is not implemented. */
export function refuseTrainingDropout(label: string, rate: number, args: CallArgs): void {
  if (args.training === true && rate > 0)
    fail(
      `${label}: cannot be trained by fit with option 'dropout' = ${rate} (attention dropout in training is not supported); expected dropout = 0`,
    );
}

/** Checks that a one-input layer got one input; returns it and its mask. */
export function oneInput(label: string, args: CallArgs): [tf.Tensor, tf.Tensor | null] {
  if (args.inputs.length !== 1) fail(`${label}: expected 1 input, got ${args.inputs.length}`);
  if (args.initialState != null) fail(`${label}: does not take initial_state`);
  return [args.inputs[0], args.masks[0] ?? null];
}

/**
 * Mask handling of a layer without mask support: Keras 2 refuses a mask, Keras 3 drops it
 * (with a warning).
 */
export function dropMask(label: string, keras2: boolean, mask: tf.Tensor | null): null {
  if (mask != null && keras2)
    fail(
      `${label}: does not support masking, but its input carries a mask (Keras 2 refuses this too)`,
    );
  return null;
}
