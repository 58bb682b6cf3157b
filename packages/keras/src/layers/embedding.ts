/** Keras `Embedding`: looks up integer ids; with `mask_zero` id 0 masks its step. */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape, WeightSpec } from './types.js';

/** Backends whose data can be read synchronously and cheaply, where invalid ids throw. */
const HOST_BACKENDS = ['cpu', 'wasm'];

/** Keras `Embedding`. */
export class Embedding extends BaseLayer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.inputDim = r.positiveInt('input_dim');
    this.outputDim = r.positiveInt('output_dim');
    this.maskZero = r.bool('mask_zero', false);
    r.ignore('input_length');
    r.only('sparse', [false, null], 'is not supported');
    r.only('lora_rank', [null, 0], 'is not supported');
    r.only('lora_alpha', [null, undefined]);
    r.only('quantization_config', [null], 'is not supported (quantized weights)');
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return [[...single(this.label, inputShapes), this.outputDim]];
  }

  override weightSpecs(): WeightSpec[] {
    return [{ name: 'embeddings', shape: [this.inputDim, this.outputDim] }];
  }

  call(args: CallArgs): CallResult {
    // An incoming mask is replaced by the layer's own (or none), as in Keras.
    const [x] = oneInput(this.label, args);
    // Keras casts the ids to int32 (truncating floats).
    const ids = x.dtype === 'int32' ? x : tf.cast(x, 'int32');
    const invalid = tf.logicalOr(tf.less(ids, 0), tf.greaterEqual(ids, this.inputDim));
    const checked = HOST_BACKENDS.includes(tf.getBackend());
    if (checked && tf.any(invalid).dataSync()[0]) {
      const bad = ids.dataSync().find((v) => v < 0 || v >= this.inputDim);
      fail(`${this.label}: input id ${bad} is outside [0, ${this.inputDim})`);
    }
    const flat = tf.reshape(tf.clipByValue(ids, 0, this.inputDim - 1), [-1]);
    let out = tf.reshape(tf.gather(this.weight(0), flat), [...x.shape, this.outputDim]);
    // GPU backends cannot be read synchronously: an invalid id gives a NaN row, never another row.
    if (!checked) out = tf.where(tf.expandDims(invalid, -1), tf.fill(out.shape, NaN), out);
    return { outputs: [out], masks: [this.maskZero ? tf.notEqual(ids, 0) : null] };
  }
}
