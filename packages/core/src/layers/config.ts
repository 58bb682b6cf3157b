/**
 * Keras configs in: `fromKerasConfig({class_name, config})` builds a layer or cell from Keras's
 * `get_config()` JSON (tf.keras 2 and Keras 3 forms). Each layer's `getConfig()` gives it back.
 */
import { invalidArgument, RnnkitError } from '../errors.js';
import { initializerFromConfig } from '../initializers/index.js';
import { convLSTMRank } from '../kernels/conv_lstm_family.js';
import { Bidirectional, type MergeMode } from './bidirectional.js';
import type { Cell } from './cell.js';
import { GRUCell, LSTMCell, SimpleRNNCell } from './cells.js';
import { ConvLSTM1D, ConvLSTM2D, ConvLSTM3D } from './conv_lstm.js';
import { GRU, LSTM, SimpleRNN } from './lstm.js';
import type { RecurrentLayer } from './recurrent.js';
import { RNN } from './rnn.js';

/** A Keras serialized layer or cell. */
export interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
  module?: string;
  registered_name?: string | null;
}

/** Options of {@link fromKerasConfig}. */
export interface FromConfigOptions {
  /** Version of Keras that wrote the config, e.g. `2.15.0`; Keras 3 semantics when absent. */
  kerasVersion?: string;
}

/** Anything {@link fromKerasConfig} builds. */
export type KerasLayer = RecurrentLayer | Bidirectional<boolean, never, MergeMode>;

const CELL_KEYS = [
  'units',
  'activation',
  'use_bias',
  'kernel_initializer',
  'recurrent_initializer',
  'bias_initializer',
  'kernel_regularizer',
  'recurrent_regularizer',
  'bias_regularizer',
  'kernel_constraint',
  'recurrent_constraint',
  'bias_constraint',
  'dropout',
  'recurrent_dropout',
  'seed',
];
const GATED_KEYS = [...CELL_KEYS, 'recurrent_activation'];
const CELL_KEYS_BY_CLASS: Record<string, string[]> = {
  SimpleRNN: CELL_KEYS,
  LSTM: [...GATED_KEYS, 'unit_forget_bias'],
  GRU: [...GATED_KEYS, 'reset_after'],
};
const CONV_LSTM_KEYS = [
  ...GATED_KEYS.filter((k) => k !== 'units'),
  'filters',
  'kernel_size',
  'strides',
  'padding',
  'data_format',
  'dilation_rate',
  'unit_forget_bias',
];
const LAYER_KEYS = [
  'return_sequences',
  'return_state',
  'go_backwards',
  'stateful',
  'unroll',
  'zero_output_for_mask',
  'activity_regularizer',
];
/** Keys every layer config may carry that do not change the computation. */
const COMMON_KEYS = [
  'name',
  'trainable',
  'dtype',
  'batch_input_shape',
  'batch_shape',
  'input_shape',
  'batch_size',
  'input_dim',
  'input_length',
  'implementation',
  'time_major',
  'use_cudnn',
];

function checkKeys(className: string, config: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key) && !COMMON_KEYS.includes(key)) {
      throw new RnnkitError(
        `${className} config: unsupported option '${key}' (value ${JSON.stringify(config[key])})`,
      );
    }
  }
  if (config.time_major === true) {
    throw new RnnkitError(
      `${className} config: unsupported option 'time_major' (expected false, got true)`,
    );
  }
}

function bool(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = config[key];
  if (v == null) return fallback;
  if (typeof v !== 'boolean') invalidArgument(key, 'a boolean', v);
  return v;
}

function maybeNumber(config: Record<string, unknown>, key: string): number | undefined {
  const v = config[key];
  if (v == null) return undefined;
  if (typeof v !== 'number') invalidArgument(key, 'a number', v);
  return v;
}

function activation(config: Record<string, unknown>, key: string): string | null | undefined {
  const v = config[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string') return v;
  // Keras 3 may serialize an activation as {class_name: 'function', config: 'tanh'}.
  if (typeof v === 'object' && typeof (v as { config?: unknown }).config === 'string') {
    return (v as { config: string }).config;
  }
  invalidArgument(key, 'an activation name', v);
}

function batchShape(config: Record<string, unknown>): (number | null)[] | undefined {
  const shape = (config.batch_shape ?? config.batch_input_shape) as (number | null)[] | undefined;
  if (shape != null) return shape;
  const inputShape = config.input_shape as (number | null)[] | undefined;
  if (inputShape != null) return [null, ...inputShape];
  return undefined;
}

function cellArgs(config: Record<string, unknown>, options: FromConfigOptions) {
  return {
    units: config.units as number,
    activation: activation(config, 'activation'),
    recurrentActivation: activation(config, 'recurrent_activation'),
    useBias: bool(config, 'use_bias', true),
    kernelInitializer: initializerFromConfig('kernel_initializer', config.kernel_initializer),
    recurrentInitializer: initializerFromConfig(
      'recurrent_initializer',
      config.recurrent_initializer,
    ),
    biasInitializer: initializerFromConfig('bias_initializer', config.bias_initializer),
    kernelRegularizer: config.kernel_regularizer,
    recurrentRegularizer: config.recurrent_regularizer,
    biasRegularizer: config.bias_regularizer,
    kernelConstraint: config.kernel_constraint,
    recurrentConstraint: config.recurrent_constraint,
    biasConstraint: config.bias_constraint,
    dropout: maybeNumber(config, 'dropout'),
    recurrentDropout: maybeNumber(config, 'recurrent_dropout'),
    seed: maybeNumber(config, 'seed') ?? null,
    unitForgetBias: bool(config, 'unit_forget_bias', true),
    resetAfter: bool(config, 'reset_after', true),
    kerasVersion: options.kerasVersion,
  };
}

function intOrTuple(config: Record<string, unknown>, key: string): number | number[] | undefined {
  const v = config[key];
  if (v == null) return undefined;
  if (typeof v === 'number' || (Array.isArray(v) && v.every((d) => typeof d === 'number'))) {
    return v as number | number[];
  }
  invalidArgument(key, 'an integer or a list of integers', v);
}

function convLSTMArgs(config: Record<string, unknown>, options: FromConfigOptions) {
  const { units: _units, resetAfter: _resetAfter, ...cell } = cellArgs(config, options);
  const padding = config.padding;
  const dataFormat = config.data_format;
  if (padding != null && typeof padding !== 'string')
    invalidArgument('padding', 'a string', padding);
  if (dataFormat != null && typeof dataFormat !== 'string') {
    invalidArgument('data_format', 'a string', dataFormat);
  }
  return {
    ...cell,
    // Keras 2 configs carry recurrent_activation; absent, the cell picks the version's default.
    recurrentActivation: activation(config, 'recurrent_activation'),
    filters: config.filters as number,
    kernelSize: intOrTuple(config, 'kernel_size') as number | number[],
    strides: intOrTuple(config, 'strides'),
    padding: padding ?? undefined,
    dataFormat: dataFormat ?? undefined,
    dilationRate: intOrTuple(config, 'dilation_rate'),
  };
}

function layerArgs(config: Record<string, unknown>) {
  return {
    name: config.name as string | undefined,
    returnSequences: bool(config, 'return_sequences', false),
    returnState: bool(config, 'return_state', false),
    goBackwards: bool(config, 'go_backwards', false),
    stateful: bool(config, 'stateful', false),
    unroll: bool(config, 'unroll', false),
    zeroOutputForMask: bool(config, 'zero_output_for_mask', false),
    batchInputShape: batchShape(config),
  };
}

function cellFromConfig(json: KerasLayerJson, options: FromConfigOptions): Cell[] {
  const config = json.config ?? {};
  switch (json.class_name) {
    case 'SimpleRNNCell':
      checkKeys('SimpleRNNCell', config, CELL_KEYS_BY_CLASS.SimpleRNN);
      return [new SimpleRNNCell({ ...cellArgs(config, options), name: config.name as string })];
    case 'LSTMCell':
      checkKeys('LSTMCell', config, CELL_KEYS_BY_CLASS.LSTM);
      return [new LSTMCell({ ...cellArgs(config, options), name: config.name as string })];
    case 'GRUCell':
      checkKeys('GRUCell', config, CELL_KEYS_BY_CLASS.GRU);
      return [new GRUCell({ ...cellArgs(config, options), name: config.name as string })];
    case 'StackedRNNCells': {
      const cells = config.cells;
      if (!Array.isArray(cells))
        invalidArgument('StackedRNNCells cells', 'a list of cell configs', cells);
      return cells.flatMap((c: KerasLayerJson) => cellFromConfig(c, options));
    }
    default:
      invalidArgument(
        'RNN cell class_name',
        'SimpleRNNCell, LSTMCell, GRUCell or StackedRNNCells',
        json.class_name,
      );
  }
}

/**
 * Builds a layer from Keras `get_config()` JSON: `SimpleRNN`, `LSTM`, `GRU`, `RNN` (with a cell
 * or stacked cells), `ConvLSTM1D/2D/3D` and `Bidirectional`. Unknown options raise an error naming the option.
 */
export function fromKerasConfig(json: KerasLayerJson, options: FromConfigOptions = {}): KerasLayer {
  if (json == null || typeof json !== 'object' || typeof json.class_name !== 'string') {
    invalidArgument('fromKerasConfig', 'an object {class_name, config}', json);
  }
  const config = json.config ?? {};
  switch (json.class_name) {
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU': {
      checkKeys(json.class_name, config, [...CELL_KEYS_BY_CLASS[json.class_name], ...LAYER_KEYS]);
      const args = { ...cellArgs(config, options), ...layerArgs(config) };
      if (json.class_name === 'LSTM') return new LSTM(args);
      if (json.class_name === 'GRU') return new GRU(args);
      return new SimpleRNN(args);
    }
    case 'ConvLSTM1D':
    case 'ConvLSTM2D':
    case 'ConvLSTM3D': {
      checkKeys(json.class_name, config, [...CONV_LSTM_KEYS, ...LAYER_KEYS]);
      const args = { ...convLSTMArgs(config, options), ...layerArgs(config) };
      const rank = convLSTMRank(json.class_name);
      if (rank === 1) return new ConvLSTM1D(args);
      if (rank === 2) return new ConvLSTM2D(args);
      return new ConvLSTM3D(args);
    }
    case 'RNN': {
      checkKeys('RNN', config, [...LAYER_KEYS, 'cell']);
      const cellJson = config.cell as KerasLayerJson | KerasLayerJson[];
      const cells = Array.isArray(cellJson)
        ? cellJson.flatMap((c) => cellFromConfig(c, options))
        : cellFromConfig(cellJson, options);
      const stacked = Array.isArray(cellJson) || cellJson?.class_name === 'StackedRNNCells';
      return new RNN({ ...layerArgs(config), cell: stacked ? cells : cells[0] });
    }
    case 'Bidirectional': {
      checkKeys('Bidirectional', config, ['layer', 'merge_mode', 'backward_layer']);
      const inner = fromKerasConfig(config.layer as KerasLayerJson, options);
      if (inner instanceof Bidirectional) {
        invalidArgument('Bidirectional layer', 'a recurrent layer', 'Bidirectional');
      }
      const backward =
        config.backward_layer == null
          ? undefined
          : fromKerasConfig(config.backward_layer as KerasLayerJson, options);
      if (backward instanceof Bidirectional) {
        invalidArgument('Bidirectional backward_layer', 'a recurrent layer', 'Bidirectional');
      }
      const mergeMode = (
        config.merge_mode === undefined ? 'concat' : config.merge_mode
      ) as MergeMode;
      return new Bidirectional(inner, {
        mergeMode,
        backwardLayer: backward,
        name: config.name as string | undefined,
      }) as KerasLayer;
    }
    default:
      invalidArgument(
        'class_name',
        'one of SimpleRNN, LSTM, GRU, RNN, Bidirectional, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D',
        json.class_name,
      );
  }
}
