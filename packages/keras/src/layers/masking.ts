/** Keras `Masking`: a step whose features all equal `mask_value` is masked and zeroed. */
import * as tf from '@tensorflow/tfjs-core';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Keras `Masking`. */
export class Masking extends BaseLayer {
  readonly maskValue: number;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.maskValue = r.number('mask_value', 0);
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 3, true);
    return [shape];
  }

  call(args: CallArgs): CallResult {
    const [x] = oneInput(this.label, args);
    const input = tf.cast(x, 'float32');
    const keep = tf.any(tf.notEqual(input, this.maskValue), -1);
    // Selecting zeros (rather than multiplying by the mask) keeps an infinite mask_value finite.
    const out = tf.where(tf.expandDims(keep, -1), input, tf.zerosLike(input));
    return { outputs: [out], masks: [keep] };
  }
}
