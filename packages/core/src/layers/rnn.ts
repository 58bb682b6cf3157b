/** Keras `RNN`: the generic recurrent layer over a cell or a stack of cells. */
import type * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../errors.js';
import type { Cell } from './cell.js';
import { RecurrentLayer, type RecurrentLayerArgs } from './recurrent.js';

/** Arguments of {@link RNN}. */
export interface RNNArgs<RS extends boolean = boolean> extends RecurrentLayerArgs<RS> {
  /** One cell, or cells stacked bottom first (Keras `StackedRNNCells`). */
  cell: Cell | Cell[];
}

/**
 * Keras `RNN(cell)`. With stacked cells the states come back flattened cell by cell:
 * `[output, h1, c1, h2, c2]` for two LSTM cells.
 */
export class RNN<RS extends boolean = false> extends RecurrentLayer<RS, tf.Tensor[]> {
  readonly className = 'RNN';
  /** Whether the cells were given as a list (serialized as `StackedRNNCells`). */
  private readonly stacked: boolean;
  constructor(args: RNNArgs<RS>) {
    const cells = Array.isArray(args.cell) ? args.cell : [args.cell];
    if (args.cell == null) invalidArgument('RNN cell', 'a cell or a list of cells', args.cell);
    super(cells, args, 'rnn');
    this.stacked = Array.isArray(args.cell);
  }
  getConfig(): Record<string, unknown> {
    const serialize = (c: Cell) => ({ class_name: c.className, config: c.getConfig() });
    const cell = this.stacked
      ? { class_name: 'StackedRNNCells', config: { cells: this.cells.map(serialize) } }
      : serialize(this.cells[0]);
    return { ...this.baseConfig(), cell };
  }
}
