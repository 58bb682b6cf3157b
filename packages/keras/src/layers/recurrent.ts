/**
 * The recurrent layers (each family of @rnnkit/core's family table, `RNN`, `Bidirectional`) come
 * from @rnnkit/core via `fromKerasConfig`, which also infers their weight and output shapes; this
 * adapter adds the loader's limits, its error labels and Keras's mask flow (the mask passes on
 * only with `return_sequences`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  familyOfClass,
  fromKerasConfig,
  RECURRENT_LAYER_CLASSES as CORE_RECURRENT_CLASSES,
  type KerasLayer,
  type RecurrentStream,
} from '@rnnkit/core';
import { describe, fail, messageOf } from '../errors.js';
import { ConfigReader } from './config_reader.js';
import { expectRank, single } from './shapes.js';
import type {
  CallArgs,
  CallResult,
  LayerContext,
  LayerJson,
  ModelLayer,
  Shape,
  WeightSpec,
} from './types.js';

/** Class names this adapter handles. */
export const RECURRENT_CLASSES = [...CORE_RECURRENT_CLASSES, 'Bidirectional'];

const SHAPE_KEYS = ['batch_input_shape', 'batch_shape', 'input_shape', 'batch_size'];

function obj(value: unknown): Record<string, unknown> {
  return value != null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Checks the family's size option (`units`; `filters` for a convolutional family). */
function checkUnits(className: string, config: Record<string, unknown>, label: string): void {
  const key = familyOfClass(className)?.sizeKey ?? 'units';
  const units = config[key];
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0 || units > 1_000_000) {
    fail(`${label}: option '${key}' must be a positive integer, got ${describe(units)}`);
  }
}

/** Checks one direction's config against the loader's limits before core builds it. */
function checkDirection(json: LayerJson, label: string): void {
  const config = obj(json.config);
  if (json.class_name !== 'RNN') {
    checkUnits(json.class_name, config, label);
    return;
  }
  const cell = config.cell;
  const list = Array.isArray(cell)
    ? cell
    : obj(cell).class_name === 'StackedRNNCells'
      ? (obj(obj(cell).config).cells as unknown[])
      : [cell];
  if (!Array.isArray(list) || list.length === 0)
    fail(`${label}: option 'cell' = ${describe(cell)} is not supported`);
  for (const c of list) {
    const cj = obj(c);
    const cls = String(cj.class_name);
    if (familyOfClass(cls)?.cellClass !== cls)
      fail(`${label}: option 'cell' has class ${cls}, which is not supported`);
    checkUnits(cls, obj(cj.config), label);
  }
}

/** The batch size a layer config saved (`batch_input_shape`, `batch_shape` or `batch_size`). */
function savedBatchSize(config: Record<string, unknown>): number | null {
  for (const key of ['batch_input_shape', 'batch_shape']) {
    const shape = config[key];
    if (Array.isArray(shape) && typeof shape[0] === 'number') return shape[0];
  }
  return typeof config.batch_size === 'number' ? config.batch_size : null;
}

/**
 * Prepares a config for @rnnkit/core: drops saved input shapes (the layer then builds from its
 * weights, not from a random initialization) but a stateful layer's batch size, and makes a missing `reset_after` explicit. Only
 * files older than Keras 2.1 omit it, and their GRU is the reset-before one.
 */
function normalize(json: LayerJson, keras2: boolean, modelBatch: number | null = null): LayerJson {
  const config = { ...obj(json.config) };
  const batch = savedBatchSize(config) ?? modelBatch;
  for (const k of SHAPE_KEYS) delete config[k];
  // A stateful layer keeps its saved batch size: its states are for that batch (as in Keras).
  if (config.stateful === true && batch != null) {
    // [batch, time, ...spatial, features], only the batch known.
    const rank = 3 + (familyOfClass(json.class_name)?.spatialRank ?? 0);
    config.batch_input_shape = [batch, ...Array<null>(rank - 1).fill(null)];
  }
  const family = familyOfClass(json.class_name);
  if (family?.bias === 'resetAfter' && config.reset_after == null && keras2) {
    config.reset_after = false;
  }
  for (const k of ['layer', 'backward_layer', 'cell']) {
    const inner = config[k];
    if (Array.isArray(inner))
      config[k] = inner.map((c) => normalize(c as LayerJson, keras2, modelBatch));
    else if (inner != null && typeof inner === 'object')
      config[k] = normalize(inner as LayerJson, keras2, modelBatch);
  }
  if (json.class_name === 'StackedRNNCells' && Array.isArray(config.cells)) {
    config.cells = config.cells.map((c) => normalize(c as LayerJson, keras2));
  }
  return { ...json, class_name: json.class_name, config };
}

/** A recurrent layer of a loaded model. */
export class RecurrentModelLayer implements ModelLayer {
  readonly name: string;
  readonly className: string;
  trainable: boolean;
  private readonly layer: KerasLayer;

  constructor(original: LayerJson, ctx: LayerContext) {
    const json = normalize(original, ctx.keras2, ctx.savedBatchSize ?? null);
    const normalized = json;
    const config = obj(json.config);
    this.name = typeof config.name === 'string' ? config.name : '(unnamed)';
    this.className = json.class_name;
    this.trainable = config.trainable !== false;
    const label = this.label;
    // Only float32 policies are accepted (the reader checks `dtype`).
    new ConfigReader(json, ctx);
    if (json.class_name === 'Bidirectional') {
      const inner = obj(config.layer) as unknown as LayerJson;
      new ConfigReader(inner, ctx, this.name);
      if (
        !RECURRENT_CLASSES.includes(String(inner.class_name)) ||
        inner.class_name === 'Bidirectional'
      ) {
        fail(
          `${label}: option 'layer' wraps class ${describe(inner.class_name)}, which is not supported`,
        );
      }
      checkDirection(inner, label);
      if (config.backward_layer != null) checkDirection(config.backward_layer as LayerJson, label);
    } else {
      checkDirection(json, label);
    }
    try {
      this.layer = fromKerasConfig(normalized, { kerasVersion: ctx.kerasVersion });
    } catch (e) {
      fail(`${label}: ${messageOf(e)}`);
    }
  }

  get label(): string {
    return `layer '${this.name}' (${this.className})`;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, this.layer.inputRank);
    return this.layer.outputShapes(shape);
  }

  weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const shape = single(this.label, inputShapes);
    expectRank(this.label, shape, this.layer.inputRank);
    return this.layer.weightSpecs(shape);
  }

  setWeights(weights: tf.Tensor[]): void {
    try {
      this.layer.setWeights(weights);
    } catch (e) {
      fail(`${this.label}: ${messageOf(e)}`);
    } finally {
      // The layer keeps its own copies.
      weights.forEach((w) => w.dispose());
    }
  }

  getWeights(): tf.Tensor[] {
    return this.layer.getWeights();
  }

  call(args: CallArgs): CallResult {
    if (args.inputs.length !== 1)
      fail(`${this.label}: expected 1 input, got ${args.inputs.length}`);
    const x =
      args.inputs[0].dtype === 'float32' ? args.inputs[0] : tf.cast(args.inputs[0], 'float32');
    const mask = args.masks[0] ?? undefined;
    const stateful =
      'stateful' in this.layer ? this.layer.stateful : this.layer.forwardLayer.stateful;
    if (args.training === true && stateful)
      fail(
        `${this.label}: a stateful layer cannot be trained by fit (its states would carry across shuffled batches); expected stateful = false`,
      );
    let result: tf.Tensor | tf.Tensor[];
    try {
      result = this.layer.apply(x, {
        mask,
        initialState: args.initialState ?? undefined,
        // Dropout and recurrent dropout act in training, as in Keras.
        training: args.training === true,
      }) as tf.Tensor | tf.Tensor[];
    } catch (e) {
      fail(`${this.label}: ${messageOf(e)}`);
    }
    const outputs = Array.isArray(result) ? result : [result];
    const sequences = this.layer.returnSequences;
    const nOutputs = 'mergeMode' in this.layer && this.layer.mergeMode === null ? 2 : 1;
    const masks = outputs.map((_, i) => (i < nOutputs && sequences ? (mask ?? null) : null));
    return { outputs, masks };
  }

  /**
   * A stream over this layer for a model stream: `batch` rows of `inputShape` (without batch and
   * time) per step. Bidirectional refuses.
   */
  openStream(batch: number, inputShape: number[]): RecurrentStream {
    try {
      return this.layer.stream({ batch, inputShape });
    } catch (e) {
      fail(`${this.label}: ${messageOf(e)}`);
    }
  }

  /** Whether the layer returns its whole sequence (its output keeps the time axis). */
  get returnSequences(): boolean {
    return this.layer.returnSequences;
  }

  /**
   * One call on one timestep `[batch, 1, …]` through `stream`: the outputs and masks
   * {@link call} gives for that step, the states carried by the stream.
   */
  stepCall(stream: RecurrentStream, args: CallArgs): CallResult {
    if (args.inputs.length !== 1)
      fail(`${this.label}: expected 1 input, got ${args.inputs.length}`);
    const x =
      args.inputs[0].dtype === 'float32' ? args.inputs[0] : tf.cast(args.inputs[0], 'float32');
    const mask = args.masks[0] ?? null;
    const rows = mask == null ? undefined : Array.from(mask.dataSync(), (v) => v !== 0);
    let values: Float32Array[];
    try {
      values = stream.step(x, rows == null ? {} : { mask: rows });
    } catch (e) {
      fail(`${this.label}: ${messageOf(e)}`);
    }
    const [out, ...states] = values;
    const outShape = this.layer.returnSequences
      ? [stream.batch, 1, ...stream.outputShape.slice(1)]
      : [...stream.outputShape];
    const outputs = [
      tf.tensor(out.slice(), outShape),
      ...states.map((v, i) => tf.tensor(v.slice(), [...stream.stateShapes[i]])),
    ];
    const masks = outputs.map((_, i) => (i === 0 && this.layer.returnSequences ? mask : null));
    return { outputs, masks };
  }

  /** Resets the states of a stateful layer to zeros. */
  resetStates(): void {
    const stateful =
      'stateful' in this.layer ? this.layer.stateful : this.layer.forwardLayer.stateful;
    if (stateful) this.layer.resetStates();
  }

  paramCount(): number {
    return this.layer.countParams();
  }

  dispose(): void {
    this.layer.dispose();
  }
}
