/** Keras `RepeatVector(n)`: `[batch, features]` → `[batch, n, features]`. */
import * as tf from '@tensorflow/tfjs-core';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Keras `RepeatVector`. */
export class RepeatVector extends BaseLayer {
  readonly n: number;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.n = r.positiveInt('n', 1_000_000);
    this.keras2 = ctx.keras2;
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 2);
    return [[shape[0], this.n, shape[1]]];
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    const out = tf.tile(tf.expandDims(x, 1), [1, this.n, 1]);
    return { outputs: [out], masks: [dropMask(this.label, this.keras2, mask)] };
  }
}
