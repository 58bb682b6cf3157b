/**
 * The recurrent layers (`SimpleRNN`, `LSTM`, `GRU`, `RNN`, `ConvLSTM1D/2D/3D`, `Bidirectional`)
 * come from
 * @rnnkit/core via `fromKerasConfig`; this adapter adds shape inference, weight specs and Keras's
 * mask flow (the mask passes on only with `return_sequences`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CONV_LSTM_CLASS_NAMES,
  CONV_LSTM_FAMILY,
  convLSTMRank,
  convOutputSize,
  fromKerasConfig,
  type KerasLayer,
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
export const RECURRENT_CLASSES = [
  'SimpleRNN',
  'LSTM',
  'GRU',
  'RNN',
  'Bidirectional',
  ...CONV_LSTM_CLASS_NAMES,
];

const GATES: Record<string, number> = {
  SimpleRNN: 1,
  LSTM: 4,
  GRU: 3,
  SimpleRNNCell: 1,
  LSTMCell: 4,
  GRUCell: 3,
};
const STATES: Record<string, number> = {
  SimpleRNN: 1,
  LSTM: 2,
  GRU: 1,
  SimpleRNNCell: 1,
  LSTMCell: 2,
  GRUCell: 1,
};
const SHAPE_KEYS = ['batch_input_shape', 'batch_shape', 'input_shape', 'batch_size'];

/** The convolution of a ConvLSTM direction, read from its config. */
interface ConvInfo {
  rank: number;
  kernelSize: number[];
  strides: number[];
  dilation: number[];
  padding: 'valid' | 'same';
  channelsFirst: boolean;
}

/** What one direction of a recurrent layer looks like, read from its config. */
interface Direction {
  className: string;
  /** Units of each cell, bottom first. */
  cells: { className: string; units: number; useBias: boolean; resetAfter: boolean }[];
  returnSequences: boolean;
  returnState: boolean;
  /** Set for ConvLSTM layers. */
  conv?: ConvInfo;
}

function obj(value: unknown): Record<string, unknown> {
  return value != null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function cellInfo(
  className: string,
  config: Record<string, unknown>,
  label: string,
): Direction['cells'][number] {
  const units = config.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0 || units > 1_000_000) {
    fail(`${label}: option 'units' must be a positive integer, got ${describe(units)}`);
  }
  return {
    className,
    units,
    useBias: config.use_bias !== false,
    resetAfter: config.reset_after == null ? true : config.reset_after === true,
  };
}

function intTuple(config: Record<string, unknown>, key: string, rank: number, label: string) {
  const v = config[key] ?? 1;
  const list = typeof v === 'number' ? new Array<number>(rank).fill(v) : v;
  if (
    !Array.isArray(list) ||
    list.length !== rank ||
    !list.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)
  ) {
    fail(`${label}: option '${key}' must be ${rank} positive integers, got ${describe(v)}`);
  }
  return list as number[];
}

function readConv(config: Record<string, unknown>, rank: number, label: string): ConvInfo {
  const padding = String(config.padding ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    fail(`${label}: option 'padding' must be 'valid' or 'same', got ${describe(config.padding)}`);
  }
  return {
    rank,
    kernelSize: intTuple(config, 'kernel_size', rank, label),
    strides: intTuple(config, 'strides', rank, label),
    dilation: intTuple(config, 'dilation_rate', rank, label),
    padding,
    channelsFirst: config.data_format === 'channels_first',
  };
}

function readDirection(json: LayerJson, label: string): Direction {
  const config = obj(json.config);
  const rank = convLSTMRank(json.class_name);
  if (rank != null) {
    const filters = cellInfo(json.class_name, { ...config, units: config.filters }, label);
    return {
      className: json.class_name,
      cells: [filters],
      returnSequences: config.return_sequences === true,
      returnState: config.return_state === true,
      conv: readConv(config, rank, label),
    };
  }
  let cells: Direction['cells'];
  if (json.class_name === 'RNN') {
    const cell = config.cell;
    const list = Array.isArray(cell)
      ? cell
      : obj(cell).class_name === 'StackedRNNCells'
        ? (obj(obj(cell).config).cells as unknown[])
        : [cell];
    if (!Array.isArray(list) || list.length === 0)
      fail(`${label}: option 'cell' = ${describe(cell)} is not supported`);
    cells = list.map((c) => {
      const cj = obj(c);
      const cls = String(cj.class_name);
      if (GATES[cls] == null)
        fail(`${label}: option 'cell' has class ${cls}, which is not supported`);
      return cellInfo(cls, obj(cj.config), label);
    });
  } else {
    cells = [cellInfo(json.class_name, config, label)];
  }
  return {
    className: json.class_name,
    cells,
    returnSequences: config.return_sequences === true,
    returnState: config.return_state === true,
  };
}

function cellWeights(
  cell: Direction['cells'][number],
  inDim: number | null,
  prefix: string,
): WeightSpec[] {
  const g = GATES[cell.className];
  const u = cell.units;
  const specs: WeightSpec[] = [
    { name: `${prefix}kernel`, shape: [inDim, g * u] },
    { name: `${prefix}recurrent_kernel`, shape: [u, g * u] },
  ];
  if (cell.useBias) {
    const gru = cell.className === 'GRU' || cell.className === 'GRUCell';
    specs.push({ name: `${prefix}bias`, shape: gru && cell.resetAfter ? [2, g * u] : [g * u] });
  }
  return specs;
}

function directionWeights(d: Direction, inDim: number | null, prefix: string): WeightSpec[] {
  if (d.conv != null) {
    const { units, useBias } = d.cells[0];
    // The channel count is not known yet; a placeholder 1 stands in for it.
    return CONV_LSTM_FAMILY.weightSpecs(d.conv.kernelSize, 1, units, useBias).map((w, i) => ({
      name: `${prefix}${w.name}`,
      shape: i === 0 ? [...d.conv!.kernelSize, inDim, w.shape[w.shape.length - 1]] : w.shape,
    }));
  }
  let dim = inDim;
  return d.cells.flatMap((c) => {
    const specs = cellWeights(c, dim, prefix);
    dim = c.units;
    return specs;
  });
}

/** Spatial output sizes of a ConvLSTM direction for input spatial sizes `spatial`. */
function convSpatial(conv: ConvInfo, spatial: Shape, label: string): Shape {
  return spatial.map((size, i) => {
    if (size == null) return null;
    const out = convOutputSize(
      size,
      conv.kernelSize[i],
      conv.strides[i],
      conv.dilation[i],
      conv.padding,
    );
    if (out <= 0) {
      fail(
        `${label}: the kernel ${describe(conv.kernelSize)} does not fit the 'valid'-padded input of spatial shape ${describe(spatial)}`,
      );
    }
    return out;
  });
}

/** Per-step output shape (no time axis) of a ConvLSTM direction, in its data format. */
function convStepShape(d: Direction, input: Shape, label: string): Shape {
  const conv = d.conv!;
  const f = d.cells[0].units;
  const spatial = conv.channelsFirst ? input.slice(3) : input.slice(2, -1);
  const out = convSpatial(conv, spatial, label);
  return conv.channelsFirst ? [input[0], f, ...out] : [input[0], ...out, f];
}

function directionStates(d: Direction, batch: number | null): Shape[] {
  return d.cells.flatMap((c) =>
    Array.from({ length: STATES[c.className] }, () => [batch, c.units] as Shape),
  );
}

/**
 * Prepares a config for @rnnkit/core: drops saved input shapes (the layer then builds from its
 * weights, not from a random initialization), and makes a missing `reset_after` explicit. Only
 * files older than Keras 2.1 omit it, and their GRU is the reset-before one.
 */
function normalize(json: LayerJson, keras2: boolean): LayerJson {
  const config = { ...obj(json.config) };
  for (const k of SHAPE_KEYS) delete config[k];
  if (
    (json.class_name === 'GRU' || json.class_name === 'GRUCell') &&
    config.reset_after == null &&
    keras2
  ) {
    config.reset_after = false;
  }
  for (const k of ['layer', 'backward_layer', 'cell']) {
    const inner = config[k];
    if (Array.isArray(inner)) config[k] = inner.map((c) => normalize(c as LayerJson, keras2));
    else if (inner != null && typeof inner === 'object')
      config[k] = normalize(inner as LayerJson, keras2);
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
  readonly trainable: boolean;
  private readonly layer: KerasLayer;
  private readonly forward: Direction;
  private readonly backward: Direction | null;
  private readonly mergeMode: string | null;

  constructor(original: LayerJson, ctx: LayerContext) {
    const json = normalize(original, ctx.keras2);
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
      this.forward = readDirection(inner, label);
      this.backward =
        config.backward_layer != null
          ? readDirection(config.backward_layer as LayerJson, label)
          : this.forward;
      this.mergeMode =
        config.merge_mode === undefined ? 'concat' : (config.merge_mode as string | null);
    } else {
      this.forward = readDirection(json, label);
      this.backward = null;
      this.mergeMode = null;
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
    const conv = this.forward.conv;
    expectRank(this.label, shape, conv == null ? 3 : conv.rank + 3);
    const [batch, time] = shape;
    const out = (d: Direction): Shape => {
      if (d.conv != null) {
        const [b, ...step] = convStepShape(d, shape, this.label);
        return d.returnSequences ? [b, time, ...step] : [b, ...step];
      }
      const u = d.cells[d.cells.length - 1].units;
      return d.returnSequences ? [batch, time, u] : [batch, u];
    };
    const states = (d: Direction): Shape[] =>
      d.conv != null
        ? [convStepShape(d, shape, this.label), convStepShape(d, shape, this.label)]
        : directionStates(d, batch);
    if (this.backward == null) {
      return [out(this.forward), ...(this.forward.returnState ? states(this.forward) : [])];
    }
    const fw = out(this.forward);
    const bw = out(this.backward);
    const last = fw.length - 1;
    const merged: Shape[] =
      this.mergeMode === null
        ? [fw, bw]
        : this.mergeMode === 'concat'
          ? [[...fw.slice(0, last), (fw[last] as number) + (bw[last] as number)]]
          : [fw];
    const allStates = this.forward.returnState
      ? [...states(this.forward), ...states(this.backward)]
      : [];
    return [...merged, ...allStates];
  }

  weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const shape = single(this.label, inputShapes);
    const conv = this.forward.conv;
    const inDim = conv?.channelsFirst ? shape[2] : shape[shape.length - 1];
    if (this.backward == null) return directionWeights(this.forward, inDim, '');
    return [
      ...directionWeights(this.forward, inDim, 'forward_'),
      ...directionWeights(this.backward, inDim, 'backward_'),
    ];
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

  call(args: CallArgs): CallResult {
    if (args.inputs.length !== 1)
      fail(`${this.label}: expected 1 input, got ${args.inputs.length}`);
    const x =
      args.inputs[0].dtype === 'float32' ? args.inputs[0] : tf.cast(args.inputs[0], 'float32');
    const mask = args.masks[0] ?? undefined;
    let result: tf.Tensor | tf.Tensor[];
    try {
      result = this.layer.apply(x, {
        mask,
        initialState: args.initialState ?? undefined,
        training: false,
      }) as tf.Tensor | tf.Tensor[];
    } catch (e) {
      fail(`${this.label}: ${messageOf(e)}`);
    }
    const outputs = Array.isArray(result) ? result : [result];
    const sequences = this.forward.returnSequences;
    const nOutputs = this.backward != null && this.mergeMode === null ? 2 : 1;
    const masks = outputs.map((_, i) => (i < nOutputs && sequences ? (mask ?? null) : null));
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
