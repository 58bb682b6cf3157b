/** Keras `Flatten`: `[batch, ...]` → `[batch, product]`; it does not support masking. */
import * as tf from '@tensorflow/tfjs-core';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, product, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Keras `Flatten`. */
export class Flatten extends BaseLayer {
  private readonly channelsFirst: boolean;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    r.only('data_format', ['channels_last', 'channels_first', null]);
    this.channelsFirst = r.raw('data_format') === 'channels_first';
    this.keras2 = ctx.keras2;
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 1, true);
    return [[shape[0], product(shape.slice(1))]];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    let input = x;
    if (this.channelsFirst && x.rank >= 3) {
      // Keras moves the channel axis last before flattening.
      const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
      input = tf.transpose(x, perm);
    }
    const out = tf.reshape(input, [x.shape[0], -1]);
    return { outputs: [out], masks: [dropMask(this.label, this.keras2, mask)] };
  }
}
