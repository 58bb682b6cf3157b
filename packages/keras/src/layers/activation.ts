/** Keras `Activation`: applies an activation element-wise; the mask passes on. */
import { activationName, resolveLayerActivation, type ActivationFn } from './activations.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Keras `Activation`. */
export class Activation extends BaseLayer {
  private readonly fn: ActivationFn;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.fn = resolveLayerActivation(
      activationName(r.raw('activation'), r.label, 'activation'),
      ctx,
      r.label,
    );
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return [single(this.label, inputShapes)];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    return { outputs: [this.fn(x)], masks: [mask] };
  }
}
