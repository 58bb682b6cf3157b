/** Keras `Dense`: `activation(x · kernel + bias)` over the last axis. */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { activationName, resolveLayerActivation, type ActivationFn } from './activations.js';
import { BaseLayer, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape, WeightSpec } from './types.js';

/** Keras `Dense`; passes the input mask on, as Keras does. */
export class Dense extends BaseLayer {
  readonly units: number;
  readonly useBias: boolean;
  private readonly activation: ActivationFn;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.units = r.positiveInt('units');
    this.useBias = r.bool('use_bias', true);
    this.activation = resolveLayerActivation(
      activationName(r.raw('activation'), r.label, 'activation'),
      ctx,
      r.label,
    );
    r.only('lora_rank', [null, 0], 'is not supported');
    r.only('lora_alpha', [null, undefined]);
    r.only('quantization_config', [null], 'is not supported (quantized weights)');
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, 2, true);
    return [[...shape.slice(0, -1), this.units]];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const shape = single(this.label, inputShapes);
    const inDim = shape[shape.length - 1];
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [inDim, this.units] }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units] });
    return specs;
  }

  call(args: CallArgs): CallResult {
    const [x, mask] = oneInput(this.label, args);
    return {
      outputs: [
        denseApply(
          this.label,
          x,
          this.weight(0),
          this.useBias ? this.weight(1) : null,
          this.activation,
        ),
      ],
      masks: [mask],
    };
  }
}

/** `activation(x · kernel + bias)` on the last axis of `x` (any rank ≥ 2). */
export function denseApply(
  label: string,
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  activation: ActivationFn,
): tf.Tensor {
  const inDim = kernel.shape[0] as number;
  if (x.rank < 2 || x.shape[x.rank - 1] !== inDim) {
    fail(`${label}: expected input features ${inDim}, got input shape ${formatShape(x.shape)}`);
  }
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
  let y = tf.matMul(tf.cast(flat, 'float32'), kernel);
  if (bias != null) y = tf.add(y, bias);
  y = activation(y);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), kernel.shape[1] as number]);
}
