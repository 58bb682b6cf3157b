/**
 * Activations of Dense and Activation layers by Keras name. Most come from @rnnkit/core (which
 * picks the `hard_sigmoid` definition by Keras version); softmax and log_softmax act on the last
 * axis, as Keras's defaults do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation, resolveActivation } from '@rnnkit/core';
import { describe, fail, messageOf } from '../errors.js';
import type { LayerContext } from './types.js';

/** An activation applied to a tensor. */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/** Reads an activation option (a name, null, or Keras 3's `{class_name: 'function', config}`). */
export function activationName(value: unknown, label: string, option: string): string {
  if (value == null) return 'linear';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { config?: unknown }).config === 'string') {
    return (value as { config: string }).config;
  }
  fail(`${label}: option '${option}' = ${describe(value)} is not a supported activation`);
}

/** Resolves a Keras activation name for a layer; throws naming the layer and option. */
export function resolveLayerActivation(
  name: string,
  ctx: LayerContext,
  label: string,
  option = 'activation',
): ActivationFn {
  const key = name.toLowerCase();
  if (key === 'softmax') return (x) => tf.softmax(x, -1);
  if (key === 'log_softmax') return (x) => tf.logSoftmax(x, -1);
  let kernel;
  try {
    kernel = resolveActivation(option, name, ctx.kerasVersion);
  } catch (e) {
    fail(`${label}: option '${option}' = ${describe(name)} is not supported (${messageOf(e)})`);
  }
  return (x) => applyActivation(kernel, x);
}
