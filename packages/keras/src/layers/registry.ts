/** Class name → layer implementation. */
import { describe, fail } from '../errors.js';
import { Activation } from './activation.js';
import { CONV_CLASSES, Conv } from './conv.js';
import { CUDNN_CLASSES, CuDNNRecurrent } from './cudnn.js';
import { Dense } from './dense.js';
import { InferenceIdentity, TRAINING_ONLY_LAYERS } from './dropout.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { InputLayer } from './input_layer.js';
import { Masking } from './masking.js';
import { Concatenate, ELEMENTWISE, ElementwiseMerge } from './merge.js';
import { RESAMPLING_CLASSES, Resampling } from './padding.js';
import { GLOBAL_POOLING_CLASSES, GlobalPooling, POOLING_CLASSES, Pooling } from './pooling.js';
import { RECURRENT_CLASSES, RecurrentModelLayer } from './recurrent.js';
import { RepeatVector } from './repeat_vector.js';
import { Permute, Reshape } from './reshape.js';
import { TimeDistributed } from './time_distributed.js';
import type { LayerContext, LayerJson, ModelLayer } from './types.js';

type Factory = new (json: LayerJson, ctx: LayerContext) => ModelLayer;

/** Every class name of `table` mapped to one implementation. */
function classes(table: Record<string, unknown>, factory: Factory): Record<string, Factory> {
  return Object.fromEntries(Object.keys(table).map((k) => [k, factory]));
}

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
  ...Object.fromEntries(Object.keys(TRAINING_ONLY_LAYERS).map((k) => [k, InferenceIdentity])),
  ...Object.fromEntries(Object.keys(ELEMENTWISE).map((k) => [k, ElementwiseMerge])),
  ...Object.fromEntries(RECURRENT_CLASSES.map((k) => [k, RecurrentModelLayer])),
  Reshape,
  Permute,
  ...classes(CONV_CLASSES, Conv),
  ...classes(POOLING_CLASSES, Pooling),
  ...classes(GLOBAL_POOLING_CLASSES, GlobalPooling),
  ...classes(RESAMPLING_CLASSES, Resampling),
  ...classes(CUDNN_CLASSES, CuDNNRecurrent),
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
  return new factory(json, { ...ctx, createLayer });
}
