/** Class name → layer implementation. */
import { describe, fail } from '../errors.js';
import { Activation } from './activation.js';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from './activation_layers.js';
import { Dense } from './dense.js';
import { Dot } from './dot.js';
import { InferenceIdentity, TRAINING_ONLY_LAYERS } from './dropout.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { InputLayer } from './input_layer.js';
import { Masking } from './masking.js';
import { BatchNormalization, LayerNormalization, UnitNormalization } from './normalization.js';
import { Concatenate, ELEMENTWISE, ElementwiseMerge } from './merge.js';
import { RECURRENT_CLASSES, RecurrentModelLayer } from './recurrent.js';
import { RepeatVector } from './repeat_vector.js';
import { TimeDistributed } from './time_distributed.js';
import type { LayerContext, LayerJson, ModelLayer } from './types.js';

type Factory = new (json: LayerJson, ctx: LayerContext) => ModelLayer;

const FACTORIES: Record<string, Factory> = {
  InputLayer,
  Dense,
  Embedding,
  Masking,
  Activation,
  Flatten,
  RepeatVector,
  TimeDistributed,
  Concatenate,
  Dot,
  BatchNormalization,
  LayerNormalization,
  UnitNormalization,
  Softmax,
  ReLU,
  LeakyReLU,
  PReLU,
  ELU,
  ...Object.fromEntries(Object.keys(TRAINING_ONLY_LAYERS).map((k) => [k, InferenceIdentity])),
  ...Object.fromEntries(Object.keys(ELEMENTWISE).map((k) => [k, ElementwiseMerge])),
  ...Object.fromEntries(RECURRENT_CLASSES.map((k) => [k, RecurrentModelLayer])),
};

/** Keras class names that can be loaded. */
export const SUPPORTED_LAYERS = Object.keys(FACTORIES).sort();

/** Builds the layer a config describes; throws naming the layer and class when unsupported. */
export function createLayer(json: LayerJson, ctx: LayerContext): ModelLayer {
  const factory = Object.hasOwn(FACTORIES, json.class_name)
    ? FACTORIES[json.class_name]
    : undefined;
  if (factory == null) {
    const name = (json.config as { name?: unknown } | undefined)?.name;
    fail(
      `layer ${describe(name ?? '(unnamed)')} has class ${describe(json.class_name)}, which is not supported (supported: ${SUPPORTED_LAYERS.join(', ')})`,
    );
  }
  return new factory(json, ctx);
}
