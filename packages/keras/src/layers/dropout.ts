/** Layers that only act in training (dropout, noise): identity at inference, mask passed on. */
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Class names handled by {@link InferenceIdentity}, with the options each may carry. */
export const TRAINING_ONLY_LAYERS: Record<string, string[]> = {
  Dropout: ['rate', 'noise_shape', 'seed'],
  SpatialDropout1D: ['rate', 'seed', 'noise_shape'],
  GaussianNoise: ['stddev', 'seed'],
  GaussianDropout: ['rate', 'seed'],
  AlphaDropout: ['rate', 'noise_shape', 'seed'],
  ActivityRegularization: ['l1', 'l2'],
};

/** Dropout and noise layers: the identity at inference. */
export class InferenceIdentity extends BaseLayer {
  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    r.ignore(...(TRAINING_ONLY_LAYERS[json.class_name] ?? []));
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return [single(this.label, inputShapes)];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    return { outputs: [x], masks: [mask] };
  }
}
