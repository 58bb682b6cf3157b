/**
 * Keras configs of the recurrent layers and cells in: `recurrentFromKerasConfig` builds a
 * family's layer (`LSTM`, `ConvLSTM2D`, …) or an `RNN` over cells from Keras's `get_config()`
 * JSON (tf.keras 2 and Keras 3 forms). `Bidirectional` (./config.ts) builds on it.
 */
import { invalidArgument, RnnkitError } from '../errors.js';
import { initializerFromConfig } from '../initializers/index.js';
import { FAMILIES, FAMILY_IDS, type FamilyId } from '../kernels/families.js';
import type { Cell } from './cell.js';
import {
  GRUCell,
  LSTMCell,
  SimpleRNNCell,
  type GRUCellArgs,
  type LSTMCellArgs,
  type SimpleRNNCellArgs,
} from './cells.js';
import { ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, type ConvLSTMArgs } from './conv_lstm.js';
import { GRU, LSTM, SimpleRNN, type GRUArgs, type LSTMArgs, type SimpleRNNArgs } from './lstm.js';
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

/** What {@link cellArgs}, {@link convArgs} and {@link layerArgs} read from a config. */
type FamilyArgs = SimpleRNNArgs & LSTMArgs & GRUArgs & ConvLSTMArgs;

/**
 * The classes that build each family's layer and, for the families `RNN` accepts as cells, its
 * cell; everything else comes from the table.
 */
const BUILDERS: {
  [F in FamilyId]: {
    cell?: (args: SimpleRNNCellArgs & LSTMCellArgs & GRUCellArgs) => Cell;
    layer: (args: FamilyArgs) => RecurrentLayer;
  };
} = {
  SimpleRNN: { cell: (a) => new SimpleRNNCell(a), layer: (a) => new SimpleRNN(a) },
  LSTM: { cell: (a) => new LSTMCell(a), layer: (a) => new LSTM(a) },
  GRU: { cell: (a) => new GRUCell(a), layer: (a) => new GRU(a) },
  ConvLSTM1D: { layer: (a) => new ConvLSTM1D(a) },
  ConvLSTM2D: { layer: (a) => new ConvLSTM2D(a) },
  ConvLSTM3D: { layer: (a) => new ConvLSTM3D(a) },
};

/** The cell keys of family `id`: its size option (`units` or `filters`) and its own keys. */
function familyKeys(id: FamilyId): string[] {
  const family = FAMILIES[id];
  return [...CELL_KEYS.map((k) => (k === 'units' ? family.sizeKey : k)), ...family.configKeys];
}

/** The family whose layer class is `className`. */
function familyOfLayer(className: string): FamilyId | undefined {
  return FAMILY_IDS.find((id) => FAMILIES[id].layerClass === className);
}

/** The families whose cells `RNN` takes. */
const CELL_FAMILIES = FAMILY_IDS.filter((id) => BUILDERS[id].cell != null);

/** Keras layer classes {@link recurrentFromKerasConfig} builds. */
export const RECURRENT_LAYER_CLASSES: readonly string[] = [
  ...FAMILY_IDS.map((id) => FAMILIES[id].layerClass),
  'RNN',
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

export function checkKeys(
  className: string,
  config: Record<string, unknown>,
  allowed: string[],
): void {
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

function cellArgs(id: FamilyId, config: Record<string, unknown>, options: FromConfigOptions) {
  return {
    units: config[FAMILIES[id].sizeKey] as number,
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

function maybeString(config: Record<string, unknown>, key: string): string | undefined {
  const v = config[key];
  if (v == null) return undefined;
  if (typeof v !== 'string') invalidArgument(key, 'a string', v);
  return v;
}

/** The convolution options of a spatial family (none for the dense ones). */
function convArgs(id: FamilyId, config: Record<string, unknown>) {
  if (FAMILIES[id].spatialRank === 0) return {};
  return {
    filters: config.filters as number,
    kernelSize: intOrTuple(config, 'kernel_size') as number | number[],
    strides: intOrTuple(config, 'strides'),
    padding: maybeString(config, 'padding'),
    dataFormat: maybeString(config, 'data_format'),
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
  if (json.class_name === 'StackedRNNCells') {
    const cells = config.cells;
    if (!Array.isArray(cells))
      invalidArgument('StackedRNNCells cells', 'a list of cell configs', cells);
    return cells.flatMap((c: KerasLayerJson) => cellFromConfig(c, options));
  }
  const id = CELL_FAMILIES.find((f) => FAMILIES[f].cellClass === json.class_name);
  const build = id == null ? undefined : BUILDERS[id].cell;
  if (id == null || build == null) {
    invalidArgument(
      'RNN cell class_name',
      `${CELL_FAMILIES.map((f) => FAMILIES[f].cellClass).join(', ')} or StackedRNNCells`,
      json.class_name,
    );
  }
  checkKeys(json.class_name, config, familyKeys(id));
  return [build({ ...cellArgs(id, config, options), name: config.name as string })];
}

/**
 * Builds a recurrent layer from Keras `get_config()` JSON: a family's layer (`SimpleRNN`,
 * `LSTM`, `GRU`, `ConvLSTM1D/2D/3D`) or `RNN` (with a cell or stacked cells). Unknown options
 * raise an error naming the option.
 */
export function recurrentFromKerasConfig(
  json: KerasLayerJson,
  options: FromConfigOptions = {},
): RecurrentLayer {
  const config = json.config ?? {};
  if (json.class_name === 'RNN') {
    checkKeys('RNN', config, [...LAYER_KEYS, 'cell']);
    const cellJson = config.cell as KerasLayerJson | KerasLayerJson[];
    const cells = Array.isArray(cellJson)
      ? cellJson.flatMap((c) => cellFromConfig(c, options))
      : cellFromConfig(cellJson, options);
    const stacked = Array.isArray(cellJson) || cellJson?.class_name === 'StackedRNNCells';
    return new RNN({ ...layerArgs(config), cell: stacked ? cells : cells[0] });
  }
  const id = familyOfLayer(json.class_name);
  if (id == null)
    invalidArgument('class_name', `one of ${RECURRENT_LAYER_CLASSES.join(', ')}`, json.class_name);
  checkKeys(json.class_name, config, [...familyKeys(id), ...LAYER_KEYS]);
  return BUILDERS[id].layer({
    ...cellArgs(id, config, options),
    ...convArgs(id, config),
    ...layerArgs(config),
  } as FamilyArgs);
}
