/** Class name → layer implementation. */
import { describe, fail } from '../errors.js';
import { Activation } from './activation.js';
import { AdditiveAttention, Attention } from './attention.js';
import { CONV_CLASSES, Conv } from './conv.js';
import { CUDNN_CLASSES, CuDNNRecurrent } from './cudnn.js';
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
import { MultiHeadAttention } from './multi_head_attention.js';
import { RESAMPLING_CLASSES, Resampling } from './padding.js';
import { GLOBAL_POOLING_CLASSES, GlobalPooling, POOLING_CLASSES, Pooling } from './pooling.js';
import { RECURRENT_CLASSES, RecurrentModelLayer } from './recurrent.js';
import { RepeatVector } from './repeat_vector.js';
import { Permute, Reshape } from './reshape.js';
import { TimeDistributed } from './time_distributed.js';
import type { NodeSpec } from '../graph/spec.js';
import { isOperation } from '../graph/spec.js';
import { OperationNode } from './ops.js';
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
  Attention,
  AdditiveAttention,
  MultiHeadAttention,
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

/**
 * Builds the layer a config describes: a registered implementation first, then an operation
 * node (built for its one call, `nodes`), then the built-in layers; throws naming the layer, its
 * class and how to register one when none exists.
 */
export function createLayer(
  json: LayerJson,
  ctx: LayerContext,
  nodes: readonly NodeSpec[] = [],
): ModelLayer {
  const custom = ctx.customLayer?.(json, ctx);
  if (custom != null) return custom;
  if (isOperation(json)) return new OperationNode(json, nodes);
  const factory = Object.hasOwn(FACTORIES, json.class_name)
    ? FACTORIES[json.class_name]
    : undefined;
  if (factory != null) return new factory(json, { ...ctx, createLayer });
  const rawName = (json.config as { name?: unknown } | undefined)?.name;
  const name = typeof rawName === 'string' ? rawName : '(unnamed)';
  if (json.class_name === 'Lambda') {
    fail(
      `layer '${name}' (Lambda) holds Python code, which cannot run outside Python; give its replacement by layer name: loadKerasModel(source, { layerReplacements: { ${JSON.stringify(name)}: (layer) => ({ outputShape, call }) } })`,
    );
  }
  fail(
    `layer ${describe(rawName ?? '(unnamed)')} has class ${describe(json.class_name)}, which is not supported; for a custom class, register an implementation: registerKerasLayer(${JSON.stringify(json.class_name)}, factory) or loadKerasModel(source, { customLayers: { ${JSON.stringify(json.class_name)}: factory } }) (built-in layers: ${SUPPORTED_LAYERS.join(', ')})`,
  );
}
