/**
 * Keras `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D`: a recurrent layer over one
 * {@link ConvLSTMCell}. Inputs are `[batch, time, ...spatial, channels]` (channels last) or
 * `[batch, time, channels, ...spatial]` (channels first); outputs and states follow the layer's
 * data format.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, invalidShape, RnnkitError } from '../errors.js';
import { FAMILIES, outputShape, stateShapes, type Dim } from '../kernels/families.js';
import { ConvLSTMCell, type ConvLSTMCellArgs, type ConvRank } from './conv_lstm_cell.js';
import {
  RecurrentLayer,
  type LayerWeightSpec,
  type RecurrentLayerArgs,
  type RunOptions,
} from './recurrent.js';
import type { StepShapes } from './stream_engine.js';
import { checkMask } from './validate.js';

/** Arguments of the ConvLSTM layers. */
export type ConvLSTMArgs<RS extends boolean = boolean> = ConvLSTMCellArgs & RecurrentLayerArgs<RS>;

const SPATIAL_NAMES: Record<ConvRank, string> = {
  1: 'steps',
  2: 'rows, cols',
  3: 'depth, rows, cols',
};

/**
 * The ConvLSTM layers. Returns `output`, or `[output, h, c]` with `returnState: true`; the
 * states have the output's shape without the time axis.
 */
export abstract class ConvLSTM<RS extends boolean = false> extends RecurrentLayer<
  RS,
  [tf.Tensor, tf.Tensor]
> {
  readonly cell: ConvLSTMCell;
  private convStates: tf.Tensor[] | null = null;

  constructor(rank: ConvRank, args: ConvLSTMArgs<RS>, defaultName: string) {
    const { name: _name, ...cellArgs } = args;
    const cell = new ConvLSTMCell(rank, cellArgs);
    super([cell], args, defaultName);
    this.cell = cell;
  }

  /** Spatial dimensionality (1, 2 or 3). */
  get rank(): ConvRank {
    return (this.cells[0] as ConvLSTMCell).rank;
  }

  private get channelsFirst(): boolean {
    return (this.cells[0] as ConvLSTMCell).dataFormat === 'channels_first';
  }

  /** The input layout in words, for errors. */
  private layout(): string {
    const spatial = SPATIAL_NAMES[this.rank];
    return this.channelsFirst
      ? `[batch, time, channels, ${spatial}]`
      : `[batch, time, ${spatial}, channels]`;
  }

  protected override buildFromBatchInputShape(shape: (number | null)[]): void {
    if (shape.length !== this.rank + 3) {
      invalidArgument(`${this.name} batch_input_shape`, this.layout(), shape);
    }
    const channels = shape[this.channelsFirst ? 2 : shape.length - 1];
    if (channels != null) this.build(channels);
  }

  /** Creates the weights for `input` channels, or for an input shape (any data format). */
  override build(input: number | readonly (number | null)[]): void {
    const channels =
      typeof input === 'number'
        ? input
        : input[this.channelsFirst ? input.length - 1 - this.rank : input.length - 1];
    const cell = this.cells[0] as ConvLSTMCell;
    if (cell.built && channels !== cell.inputChannels) {
      throw new RnnkitError(
        `${this.name} input: expected ${cell.inputChannels} channels (the layer was built for them), got ${channels}`,
      );
    }
    super.build(channels as number);
  }

  /** Checks `x` and returns its shape channels last: `[batch, time, ...spatial, channels]`. */
  private checkInput(x: tf.Tensor): number[] {
    if (x == null || typeof x !== 'object' || !('shape' in x)) {
      invalidArgument(`${this.name} input`, 'a tf.Tensor', typeof x);
    }
    if (x.rank !== this.rank + 3) {
      invalidShape(
        `${this.name} input`,
        `a rank-${this.rank + 3} tensor ${this.layout()}`,
        x.shape,
      );
    }
    if (x.dtype !== 'float32') invalidArgument(`${this.name} input dtype`, 'float32', x.dtype);
    if (x.shape[1] === 0) invalidShape(`${this.name} input`, 'at least one timestep', x.shape);
    const [b, t, ...rest] = x.shape;
    return this.channelsFirst ? [b, t, ...rest.slice(1), rest[0]] : x.shape;
  }

  /**
   * Output spatial sizes of the input convolution for input spatial sizes `spatial` (`null`
   * stays unknown); an error when the kernel does not fit.
   */
  private outputSpatial<D extends Dim>(spatial: readonly D[]): D[] {
    const cell = this.cells[0] as ConvLSTMCell;
    const out = cell.outputSpatial(spatial);
    if (out.some((d) => d != null && d <= 0)) {
      throw new RnnkitError(
        `${this.name} input: expected spatial sizes that fit the kernel ${formatShape(cell.kernelSize)} (dilation_rate ${formatShape(cell.dilationRate)}, padding 'valid'), got spatial shape ${formatShape(spatial)}`,
      );
    }
    return out;
  }

  /** `[batch, ...outputSpatial, filters]` (channels last) of the states for an input shape. */
  private stateShape(shape: readonly number[]): number[] {
    const cell = this.cells[0] as ConvLSTMCell;
    return [shape[0], ...this.outputSpatial(shape.slice(2, -1)), cell.filters];
  }

  /** Rank of the input: `[batch, time, *spatial, channels]`, from the family table. */
  override get inputRank(): number {
    return 3 + this.cell.family.spatialRank;
  }

  /** Keras weight shapes for an input shape (sizes may be `null`), from the family table. */
  override weightSpecs(inputShape: readonly Dim[]): LayerWeightSpec[] {
    this.checkInputShape(inputShape);
    return this.cell.weightSpecs(inputShape[this.channelsFirst ? 2 : inputShape.length - 1]);
  }

  /**
   * What {@link apply} returns for an input shape in the layer's data format (sizes may be
   * `null`): the output's shape, then `h`'s and `c`'s when `returnState`.
   */
  override outputShapes(inputShape: readonly Dim[]): Dim[][] {
    this.checkInputShape(inputShape);
    const [batch, time, ...rest] = inputShape;
    const spatial = this.outputSpatial(this.channelsFirst ? rest.slice(1) : rest.slice(0, -1));
    const filters = this.cell.filters;
    const output = this.fromLastShape(
      outputShape(batch, time, filters, this.returnSequences, spatial),
      this.returnSequences ? 2 : 1,
    );
    const states = stateShapes(this.cell.family, batch, filters, spatial).map((s) =>
      this.fromLastShape(s, 1),
    );
    return this.returnState ? [output, ...states] : [output];
  }

  /**
   * One timestep's shapes in the layer's data format: the input of one row (`inputShape`, else
   * the declared `batch_input_shape` without batch and time), the output and `h`, `c`.
   */
  override stepShapes(batch: number, inputShape?: readonly number[]): StepShapes {
    const declared = this.batchInputShape?.slice(2);
    const given = inputShape ?? declared;
    if (given == null || given.some((d) => d == null)) {
      throw new RnnkitError(
        `${this.name} stream: expected an inputShape ${this.layout().replace('[batch, time, ', '[')} (the layer declares none), got ${given == null ? 'none' : formatShape(given)}`,
      );
    }
    if (!Array.isArray(given) || given.length !== this.rank + 1) {
      invalidArgument(
        `${this.name} stream inputShape`,
        this.layout().replace('[batch, time, ', '['),
        given,
      );
    }
    const input = given as number[];
    const last = this.channelsFirst ? [...input.slice(1), input[0]] : input;
    this.build(last[last.length - 1]);
    const state = this.fromLastShape(this.stateShape([batch, 1, ...last]));
    return { input: [...input], output: state, states: [state, [...state]] };
  }

  /** Moves the channel axis of a tensor whose first `lead` axes are batch (and time). */
  private toLast(t: tf.Tensor, lead: number): tf.Tensor {
    if (!this.channelsFirst) return t;
    const axes = [...Array(t.rank).keys()];
    return tf.transpose(t, [...axes.slice(0, lead), ...axes.slice(lead + 1), lead]);
  }

  private toFirst(t: tf.Tensor, lead: number): tf.Tensor {
    if (!this.channelsFirst) return t;
    const axes = [...Array(t.rank).keys()];
    return tf.transpose(t, [...axes.slice(0, lead), t.rank - 1, ...axes.slice(lead, -1)]);
  }

  /** A channels-last shape whose first `lead` axes are batch (and time), in the data format. */
  private fromLastShape<D extends Dim>(shape: readonly D[], lead = 1): D[] {
    return this.channelsFirst
      ? [...shape.slice(0, lead), shape[shape.length - 1], ...shape.slice(lead, -1)]
      : [...shape];
  }

  /** Checks `[h, c]` against `shape` (in the layer's data format). */
  private checkStates(argument: string, states: readonly tf.Tensor[], shape: number[]): void {
    if (!Array.isArray(states) || states.length !== 2) {
      throw new RnnkitError(
        `${this.name} ${argument}: expected 2 state tensors (h, c) of shape ${formatShape(shape)}, got ${Array.isArray(states) ? states.length : typeof states}`,
      );
    }
    states.forEach((s: tf.Tensor, i: number) => {
      if (s.rank !== shape.length || s.shape.some((d, j) => d !== shape[j])) {
        invalidShape(`${this.name} ${argument}[${i}]`, shape, s.shape);
      }
    });
  }

  /** Runs the sequence: the output and the final states `[h, c]`, in the layer's data format. */
  override run(
    x: tf.Tensor,
    options: RunOptions = {},
  ): { output: tf.Tensor; states: tf.Tensor2D[] } {
    const shape = this.checkInput(x);
    const stateShape = this.stateShape(shape);
    this.build(shape[shape.length - 1]);
    const [batch, time] = shape;
    if (options.mask != null) checkMask(this.name, options.mask, batch, time);
    const given = options.initialState;
    if (given != null) this.checkStates('initial_state', given, this.fromLastShape(stateShape));
    if (given == null && this.stateful) {
      this.checkStatefulBatch(batch, this.convStates?.[0]?.shape[0]);
      if (this.convStates != null)
        this.checkStates('stored states', this.convStates, this.fromLastShape(stateShape));
    }
    const [output, h, c] = tf.tidy(() => {
      const initial =
        given != null
          ? given.map((s) => this.toLast(s, 1))
          : this.stateful && this.convStates != null
            ? this.convStates.map((s) => this.toLast(s, 1))
            : [tf.zeros(stateShape), tf.zeros(stateShape)];
      const result = (this.cells[0] as ConvLSTMCell).runSequence(this.toLast(x, 2), initial, {
        mask: options.mask,
        training: options.training,
        goBackwards: this.goBackwards,
        returnSequences: this.returnSequences,
        alignToInput: options.alignToInput ?? false,
        zeroOutputForMask: options.zeroOutputForMask ?? this.zeroOutputForMask,
      });
      const [out, ...states] = result;
      return [
        this.toFirst(out, this.returnSequences ? 2 : 1),
        ...states.map((s) => this.toFirst(s, 1)),
      ];
    });
    if (this.stateful && options.storeStates !== false) {
      const previous = this.convStates;
      this.convStates = [tf.keep(h.clone()), tf.keep(c.clone())];
      previous?.forEach((s) => s.dispose());
    }
    // The base class types states as [batch, units]; ConvLSTM's carry spatial axes.
    return { output, states: [h, c] as tf.Tensor2D[] };
  }

  /** Resets the states of a stateful layer to zeros, or to `values` `[h, c]`. */
  override resetStates(values?: tf.Tensor[]): void {
    if (!this.stateful) throw new RnnkitError(`${this.name}: resetStates needs stateful: true`);
    // The state shape in the layer's data format: from a fully known batch input shape, else
    // (for `values`) from the stored states or the values themselves. Without a declared batch
    // size, a reset without values frees the batch size for the next call, as in RecurrentLayer.
    let shape: number[] | null = null;
    const declared = this.batchInputShape;
    if (declared != null && declared.every((d) => d != null)) {
      const [b, t, ...rest] = declared as number[];
      const last = this.channelsFirst ? [b, t, ...rest.slice(1), rest[0]] : (declared as number[]);
      shape = this.fromLastShape(this.stateShape(last));
    }
    if (values != null) {
      const want =
        shape ??
        this.convStates?.[0]?.shape ??
        (Array.isArray(values) ? values[0]?.shape : undefined) ??
        [];
      if (want.length !== this.rank + 2) {
        invalidArgument(
          `${this.name} resetStates values`,
          `2 tensors of rank ${this.rank + 2}`,
          want.length === 0 ? 'no tensor' : `rank ${want.length}`,
        );
      }
      this.checkStates('resetStates values', values, want);
    }
    const next =
      values != null
        ? values.map((v) => tf.keep(v.clone()))
        : shape == null
          ? null
          : [tf.keep(tf.zeros(shape)), tf.keep(tf.zeros(shape))];
    this.convStates?.forEach((s) => s.dispose());
    this.convStates = next;
  }

  /** The current states of a stateful layer (copies), or null before the first call. */
  override getStates(): tf.Tensor[] | null {
    return this.convStates?.map((s) => s.clone()) ?? null;
  }

  /** Replaces the weights: `kernel`, `recurrent_kernel`, then `bias` when `useBias`. */
  override setWeights(weights: tf.Tensor[]): void {
    const cell = this.cells[0] as ConvLSTMCell;
    try {
      cell.setWeights(weights);
    } catch (e) {
      if (e instanceof RnnkitError && !e.message.startsWith(this.name)) {
        throw new RnnkitError(`${this.name} ${e.message}`);
      }
      throw e;
    }
    super.build(cell.inputChannels as number);
  }

  getConfig(): Record<string, unknown> {
    const { name: _n, trainable: _t, dtype: _d, ...cell } = this.cell.getConfig();
    const { seed, ...rest } = cell;
    return { ...this.baseConfig(), ...rest, activity_regularizer: null, seed };
  }

  override dispose(): void {
    super.dispose();
    this.convStates?.forEach((s) => s.dispose());
    this.convStates = null;
  }
}

/** Keras `ConvLSTM1D`: inputs `[batch, time, steps, channels]`. */
export class ConvLSTM1D<RS extends boolean = false> extends ConvLSTM<RS> {
  readonly className = FAMILIES.ConvLSTM1D.layerClass;
  constructor(args: ConvLSTMArgs<RS>) {
    super(1, args, FAMILIES.ConvLSTM1D.layerName);
  }
}

/** Keras `ConvLSTM2D`: inputs `[batch, time, rows, cols, channels]`. */
export class ConvLSTM2D<RS extends boolean = false> extends ConvLSTM<RS> {
  readonly className = FAMILIES.ConvLSTM2D.layerClass;
  constructor(args: ConvLSTMArgs<RS>) {
    super(2, args, FAMILIES.ConvLSTM2D.layerName);
  }
}

/** Keras `ConvLSTM3D`: inputs `[batch, time, depth, rows, cols, channels]`. */
export class ConvLSTM3D<RS extends boolean = false> extends ConvLSTM<RS> {
  readonly className = FAMILIES.ConvLSTM3D.layerClass;
  constructor(args: ConvLSTMArgs<RS>) {
    super(3, args, FAMILIES.ConvLSTM3D.layerName);
  }
}
