/**
 * Layers that only act in training (dropout, noise): identity at inference, mask passed on; in
 * `fit` they draw their noise as Keras does (inverted dropout, Gaussian noise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail } from '../errors.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Class names handled by {@link InferenceIdentity}, with the options each may carry. */
export const TRAINING_ONLY_LAYERS: Record<string, string[]> = {
  Dropout: ['rate', 'noise_shape', 'seed'],
  SpatialDropout1D: ['rate', 'seed', 'noise_shape'],
  SpatialDropout2D: ['rate', 'seed', 'noise_shape', 'data_format'],
  SpatialDropout3D: ['rate', 'seed', 'noise_shape', 'data_format'],
  GaussianNoise: ['stddev', 'seed'],
  GaussianDropout: ['rate', 'seed'],
  AlphaDropout: ['rate', 'noise_shape', 'seed'],
  ActivityRegularization: ['l1', 'l2'],
};

/** Input ranks the spatial dropouts require (Keras's input_spec). */
const RANKS: Record<string, number> = {
  SpatialDropout1D: 3,
  SpatialDropout2D: 4,
  SpatialDropout3D: 5,
};

/** Dropout and noise layers: the identity at inference. */
export class InferenceIdentity extends BaseLayer {
  private readonly rate: number;
  private readonly stddev: number;
  private readonly channelsFirst: boolean;
  private readonly noiseShape: unknown;
  private seed: number | undefined;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const options = TRAINING_ONLY_LAYERS[json.class_name] ?? [];
    const rate = r.raw('rate');
    this.rate = typeof rate === 'number' ? rate : 0;
    const stddev = r.raw('stddev');
    this.stddev = typeof stddev === 'number' ? stddev : 0;
    this.channelsFirst = r.raw('data_format') === 'channels_first';
    this.noiseShape = r.raw('noise_shape');
    const seed = r.raw('seed');
    this.seed = typeof seed === 'number' ? seed : undefined;
    if (options.includes('rate')) {
      // Keras refuses a rate outside [0, 1] when the layer is built.
      const rate = r.raw('rate');
      if (typeof rate === 'number' && !(rate >= 0 && rate <= 1))
        r.error('rate', `must be between 0 and 1, got ${describe(rate)}`);
    }
    if (options.includes('data_format'))
      r.only('data_format', [null, 'channels_last', 'channels_first'], 'is not a data format');
    r.ignore(...options);
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const rank = RANKS[this.className];
    if (rank != null) expectRank(this.label, shape, rank);
    return [shape];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    if (args.training !== true) return { outputs: [x], masks: [mask] };
    return { outputs: [this.noisy(tf.cast(x, 'float32'))], masks: [mask] };
  }

  /** The next seed: the config's, advanced on every draw so that batches differ. */
  private nextSeed(): number | undefined {
    if (this.seed == null) return undefined;
    return this.seed++;
  }

  /** The layer's training-time output, as Keras computes it. */
  private noisy(x: tf.Tensor): tf.Tensor {
    const refuse = (why: string): never => fail(`${this.label}: cannot be trained by fit: ${why}`);
    switch (this.className) {
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'SpatialDropout2D':
      case 'SpatialDropout3D': {
        if (this.rate === 0) return x;
        if (this.rate >= 1) refuse(`option 'rate' = ${this.rate}; expected a rate below 1`);
        const keep = tf.greaterEqual(
          tf.randomUniform(this.dropoutShape(x.shape), 0, 1, 'float32', this.nextSeed()),
          this.rate,
        );
        return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - this.rate)));
      }
      case 'GaussianNoise':
        return this.stddev > 0
          ? tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, 'float32', this.nextSeed()))
          : x;
      case 'GaussianDropout': {
        if (this.rate === 0) return x;
        if (this.rate >= 1) refuse(`option 'rate' = ${this.rate}; expected a rate below 1`);
        const std = Math.sqrt(this.rate / (1 - this.rate));
        return tf.mul(x, tf.randomNormal(x.shape, 1, std, 'float32', this.nextSeed()));
      }
      default:
        return refuse(
          `its training-time behaviour (${this.className === 'ActivityRegularization' ? 'a loss term' : 'alpha dropout'}) is not supported; expected it removed from the model before training`,
        );
    }
  }

  /** The dropout mask's shape: whole channels for the spatial dropouts, `noise_shape` if set. */
  private dropoutShape(shape: number[]): number[] {
    if (this.className === 'Dropout') {
      const noise = this.noiseShape;
      if (noise == null) return shape;
      if (!Array.isArray(noise) || noise.length !== shape.length)
        fail(
          `${this.label}: option 'noise_shape' = ${describe(noise)} does not fit an input of shape [${shape.join(', ')}]; expected ${shape.length} sizes`,
        );
      return noise.map((d, i) => (typeof d === 'number' ? d : shape[i]));
    }
    const channel = this.channelsFirst ? 1 : shape.length - 1;
    return shape.map((d, i) => (i === 0 || i === channel ? d : 1));
  }
}
