/** Keras `LSTM`, `GRU` and `SimpleRNN` layers: a recurrent layer over one built-in cell. */
import type * as tf from '@tensorflow/tfjs-core';
import { FAMILIES } from '../kernels/families.js';
import {
  GRUCell,
  LSTMCell,
  SimpleRNNCell,
  type GRUCellArgs,
  type LSTMCellArgs,
  type SimpleRNNCellArgs,
} from './cells.js';
import { RecurrentLayer, type RecurrentLayerArgs } from './recurrent.js';

function cellArgs<T extends { name?: string }>(args: T): T {
  const { name: _name, ...rest } = args;
  return rest as T;
}

function withoutName(config: Record<string, unknown>): Record<string, unknown> {
  const { name: _n, trainable: _t, dtype: _d, ...rest } = config;
  return rest;
}

/** Arguments of {@link LSTM}. */
export type LSTMArgs<RS extends boolean = boolean> = LSTMCellArgs & RecurrentLayerArgs<RS>;

/**
 * Keras `LSTM`. Returns `output`, or `[output, h, c]` with `returnState: true`.
 * Defaults are Keras's: `recurrentActivation: 'sigmoid'`, `unitForgetBias: true`.
 */
export class LSTM<RS extends boolean = false> extends RecurrentLayer<RS, [tf.Tensor, tf.Tensor]> {
  readonly className = FAMILIES.LSTM.layerClass;
  readonly cell: LSTMCell;
  constructor(args: LSTMArgs<RS>) {
    const cell = new LSTMCell(cellArgs(args));
    super([cell], args, FAMILIES.LSTM.layerName);
    this.cell = cell;
  }
  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), ...withoutName(this.cell.getConfig()) };
  }
}

/** Arguments of {@link GRU}. */
export type GRUArgs<RS extends boolean = boolean> = GRUCellArgs & RecurrentLayerArgs<RS>;

/** Keras `GRU` (`resetAfter: true` by default). Returns `output`, or `[output, h]`. */
export class GRU<RS extends boolean = false> extends RecurrentLayer<RS, [tf.Tensor]> {
  readonly className = FAMILIES.GRU.layerClass;
  readonly cell: GRUCell;
  constructor(args: GRUArgs<RS>) {
    const cell = new GRUCell(cellArgs(args));
    super([cell], args, FAMILIES.GRU.layerName);
    this.cell = cell;
  }
  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), ...withoutName(this.cell.getConfig()) };
  }
}

/** Arguments of {@link SimpleRNN}. */
export type SimpleRNNArgs<RS extends boolean = boolean> = SimpleRNNCellArgs &
  RecurrentLayerArgs<RS>;

/** Keras `SimpleRNN`. Returns `output`, or `[output, h]`. */
export class SimpleRNN<RS extends boolean = false> extends RecurrentLayer<RS, [tf.Tensor]> {
  readonly className = FAMILIES.SimpleRNN.layerClass;
  readonly cell: SimpleRNNCell;
  constructor(args: SimpleRNNArgs<RS>) {
    const cell = new SimpleRNNCell(cellArgs(args));
    super([cell], args, FAMILIES.SimpleRNN.layerName);
    this.cell = cell;
  }
  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), ...withoutName(this.cell.getConfig()) };
  }
}
