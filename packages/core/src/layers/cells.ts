/** The built-in cells: SimpleRNNCell, LSTMCell, GRUCell, with Keras defaults. */
import * as tf from '@tensorflow/tfjs-core';
import { resolveActivation } from '../activations/index.js';
import type { KernelActivation } from '../kernels/contract.js';
import { FAMILIES } from '../kernels/families.js';
import { KernelCell, type BaseCellArgs } from './cell.js';

/** Arguments of {@link SimpleRNNCell}. */
export type SimpleRNNCellArgs = BaseCellArgs;

/** Keras `SimpleRNNCell`: `h_t = act(x_t·W + b + h_{t−1}·U)`. */
export class SimpleRNNCell extends KernelCell {
  readonly family = FAMILIES.SimpleRNN;
  constructor(args: SimpleRNNCellArgs) {
    super(args, FAMILIES.SimpleRNN.cellName);
  }
  protected extraAttrs(): Record<string, unknown> {
    return {};
  }
}

/** Arguments shared by the gated cells. */
export interface GatedCellArgs extends BaseCellArgs {
  /** Gate activation. Default `sigmoid` (Keras; tfjs-layers defaults to hard_sigmoid). */
  recurrentActivation?: string | null;
}

abstract class GatedCell extends KernelCell {
  readonly recurrentActivationName: string | null;
  readonly recurrentActivation: KernelActivation;
  constructor(args: GatedCellArgs, defaultName: string) {
    super(args, defaultName);
    this.recurrentActivationName =
      args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation;
    this.recurrentActivation = resolveActivation(
      'recurrent_activation',
      this.recurrentActivationName,
      args.kerasVersion,
    );
  }
  override getConfig(): Record<string, unknown> {
    const { activation, ...rest } = super.getConfig();
    return { ...rest, activation, recurrent_activation: this.recurrentActivationName };
  }
}

/** Arguments of {@link LSTMCell}. */
export interface LSTMCellArgs extends GatedCellArgs {
  /** Start the forget-gate bias at 1 whatever `biasInitializer` says. Default true. */
  unitForgetBias?: boolean;
}

/** Keras `LSTMCell`, gate order i, f, c, o; states `[h, c]`. */
export class LSTMCell extends GatedCell {
  readonly family = FAMILIES.LSTM;
  readonly unitForgetBias: boolean;
  constructor(args: LSTMCellArgs) {
    super(args, FAMILIES.LSTM.cellName);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }
  protected override initialBias(): tf.Tensor {
    if (!this.unitForgetBias) return super.initialBias();
    // As Keras: bias_initializer for i, ones for f, bias_initializer for c and o.
    return tf.tidy(() =>
      tf.concat([
        this.biasInitializer.apply([this.units]),
        tf.ones([this.units]),
        this.biasInitializer.apply([2 * this.units]),
      ]),
    );
  }
  protected extraAttrs(): Record<string, unknown> {
    return { recurrentActivation: this.recurrentActivation };
  }
  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    const { bias_initializer, ...rest } = config;
    return { ...rest, bias_initializer, unit_forget_bias: this.unitForgetBias };
  }
}

/** Arguments of {@link GRUCell}. */
export interface GRUCellArgs extends GatedCellArgs {
  /** Apply the reset gate after the recurrent product (bias `[2, 3u]`). Default true. */
  resetAfter?: boolean;
}

/** Keras `GRUCell`, gate order z, r, h; `resetAfter` true by default. */
export class GRUCell extends GatedCell {
  readonly family = FAMILIES.GRU;
  readonly resetAfter: boolean;
  constructor(args: GRUCellArgs) {
    super(args, FAMILIES.GRU.cellName);
    this.resetAfter = args.resetAfter ?? true;
  }
  protected override resetAfterBias(): boolean {
    return this.resetAfter;
  }
  protected extraAttrs(): Record<string, unknown> {
    return { recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), reset_after: this.resetAfter };
  }
}
