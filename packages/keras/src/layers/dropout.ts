/** Layers that only act in training (dropout, noise): identity at inference, mask passed on. */
import { describe } from '../errors.js';
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
  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const options = TRAINING_ONLY_LAYERS[json.class_name] ?? [];
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
    return { outputs: [x], masks: [mask] };
  }
}
