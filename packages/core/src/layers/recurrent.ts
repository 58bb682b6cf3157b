/**
 * The base of every recurrent layer: shape checks, masks, initial and stateful states, and one
 * kernel call per cell. Return values follow Keras: `output`, then the states when
 * `returnState`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, RnnkitError } from '../errors.js';
import { outputShape, stateShapes, type Dim } from '../kernels/families.js';
import { timeLoop } from '../kernels/time_loop.js';
import { countFusedSteps, hasStepKernels, type StepShapes } from './stream_engine.js';
import { KernelCell, type Cell } from './cell.js';
import { RecurrentStream, type StreamOptions } from './stream.js';
import { checkMask, checkSequenceInput, checkStates } from './validate.js';

/** Keras flags shared by the recurrent layers (camelCase). */
export interface RecurrentLayerArgs<RS extends boolean = boolean> {
  /** Return the output of every step (`[B, T, U]`) instead of the last. Default false. */
  returnSequences?: boolean;
  /** Also return the final states. Default false. */
  returnState?: RS;
  /** Process the sequence in reverse; outputs come in processing order. Default false. */
  goBackwards?: boolean;
  /** Carry the final states into the next call (fixed batch size). Default false. */
  stateful?: boolean;
  /** Accepted for Keras compatibility; rnnkit always runs a fused loop. */
  unroll?: boolean;
  /** Masked steps output zeros instead of the previous output. Default false. */
  zeroOutputForMask?: boolean;
  /** Layer name. */
  name?: string;
  /** Input shape including batch, e.g. `[null, 4, 5]`; builds the layer at construction. */
  batchInputShape?: (number | null)[];
}

/** A weight's Keras name and shape; `null` entries are sizes not known yet. */
export interface LayerWeightSpec {
  name: string;
  shape: Dim[];
}

/** Options of {@link RecurrentLayer.apply}. */
export interface ApplyOptions {
  /** bool `[batch, time]`; false skips the step. */
  mask?: tf.Tensor;
  /** Initial states in Keras order (LSTM `[h, c]`). */
  initialState?: tf.Tensor[];
  /** Apply dropout. Default false. */
  training?: boolean;
}

/** Internal options a wrapper (Bidirectional) passes through. */
export interface RunOptions extends ApplyOptions {
  alignToInput?: boolean;
  zeroOutputForMask?: boolean;
  /** A stateful layer keeps the final states (default true); streams run with false. */
  storeStates?: boolean;
}

/** `Tensor` alone, or `[output, ...states]` when `returnState`. */
export type RecurrentOutput<RS extends boolean, S extends tf.Tensor[]> = RS extends true
  ? [tf.Tensor, ...S]
  : RS extends false
    ? tf.Tensor
    : tf.Tensor | [tf.Tensor, ...S];

const layerCounters: Record<string, number> = {};

/** A unique Keras-style default layer name (`lstm`, `lstm_1`, …). */
export function defaultLayerName(base: string): string {
  const n = layerCounters[base] ?? 0;
  layerCounters[base] = n + 1;
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * A recurrent layer over one or more cells. `RS` is the `returnState` flag, `S` the tuple of
 * state tensors it returns, so `apply`'s type follows the flags.
 */
export abstract class RecurrentLayer<
  RS extends boolean = boolean,
  S extends tf.Tensor[] = tf.Tensor[],
> {
  /** Keras class name. */
  abstract readonly className: string;
  readonly name: string;
  readonly returnSequences: boolean;
  readonly returnState: RS;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  readonly zeroOutputForMask: boolean;
  readonly batchInputShape: (number | null)[] | null;
  /** The cells, bottom first. */
  readonly cells: Cell[];
  private states: tf.Tensor2D[] | null = null;
  /**
   * While a stateful layer is fed one timestep per call on step kernels, its states live in this
   * stream instead of {@link states}; {@link settleStates} moves them back.
   */
  private stepStream: RecurrentStream | null = null;
  /** Zero initial states of the last batch size (see `zeroStates`). */
  private keptZeroStates: tf.Tensor2D[] | null = null;
  private inputDim: number | null = null;

  constructor(cells: Cell[], args: RecurrentLayerArgs<RS>, defaultName: string) {
    if (cells.length === 0) invalidArgument('cell', 'at least one cell', 0);
    this.cells = cells;
    this.name = args.name ?? defaultLayerName(defaultName);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = (args.returnState ?? false) as RS;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.batchInputShape = args.batchInputShape ?? null;
    if (this.batchInputShape != null) this.buildFromBatchInputShape(this.batchInputShape);
  }

  /**
   * Checks the `batchInputShape` given at construction and builds the layer when it fixes the
   * feature size. Runs inside the base constructor: an override may read only base fields.
   */
  protected buildFromBatchInputShape(shape: (number | null)[]): void {
    if (shape.length !== 3) {
      invalidArgument(`${this.name} batch_input_shape`, '[batch, time, features]', shape);
    }
    const d = shape[2];
    if (d != null) this.build(d);
  }

  /** Sizes of all state tensors, cell by cell. */
  get stateSizes(): number[] {
    const sizes: number[] = [];
    for (const cell of this.cells) sizes.push(...cell.stateSize);
    return sizes;
  }

  /** True once the weights exist. */
  get built(): boolean {
    return this.inputDim != null;
  }

  /** Creates the weights for `inputDim` features (or an input shape `[batch, time, features]`). */
  build(input: number | readonly (number | null)[]): void {
    const inputDim = typeof input === 'number' ? input : input[input.length - 1];
    if (inputDim == null) invalidArgument(`${this.name} build`, 'a known feature size', input);
    if (this.inputDim != null && this.inputDim !== inputDim) {
      throw new RnnkitError(
        `${this.name} input: expected ${this.inputDim} features (the layer was built for them), got ${inputDim}`,
      );
    }
    let dim = inputDim;
    for (const cell of this.cells) {
      cell.build(dim);
      dim = cell.outputSize;
    }
    this.inputDim = inputDim;
  }

  /** Rank of the input: 3 (`[batch, time, features]`) plus the family's spatial axes. */
  get inputRank(): number {
    const first = this.cells[0];
    return 3 + (first instanceof KernelCell ? first.family.spatialRank : 0);
  }

  /** Checks an input shape of {@link inputRank} whose sizes may be unknown. */
  protected checkInputShape(inputShape: readonly Dim[]): void {
    if (!Array.isArray(inputShape) || inputShape.length !== this.inputRank) {
      const want =
        this.inputRank === 3 ? '[batch, time, features]' : '[batch, time, *spatial, channels]';
      invalidArgument(`${this.name} input shape`, want, inputShape);
    }
  }

  /**
   * Keras weight shapes for an input of shape `[batch, time, features]` (sizes may be `null`),
   * cell by cell in `get_weights()` order, from the family table. Needs built-in cells.
   */
  weightSpecs(inputShape: readonly Dim[]): LayerWeightSpec[] {
    this.checkInputShape(inputShape);
    let dim: Dim = inputShape[inputShape.length - 1];
    return this.cells.flatMap((cell) => {
      if (!(cell instanceof KernelCell)) {
        throw new RnnkitError(
          `${this.name}: cell ${cell.className} has no declared weight shapes (only built-in cells do)`,
        );
      }
      const specs = cell.weightSpecs(dim);
      dim = cell.outputSize;
      return specs;
    });
  }

  /** Shapes of the states, cell by cell: each family's states `[batch, units]`. */
  stateShapes<D extends Dim>(batch: D): D[][] {
    // A loop, not flatMap: this runs on every call, and V8's flatMap costs microseconds.
    const shapes: D[][] = [];
    for (const cell of this.cells) {
      if (cell instanceof KernelCell) {
        for (const shape of stateShapes(cell.family, batch, cell.units)) shapes.push(shape);
      } else for (const size of cell.stateSize) shapes.push([batch, size as D]);
    }
    return shapes;
  }

  /**
   * Shapes of one timestep for a stream of `batch` rows: the input of one row (`[features]`, or
   * `inputShape` when given), the step's output and the states. Builds the layer when needed.
   */
  stepShapes(batch: number, inputShape?: readonly number[]): StepShapes {
    let input: number[];
    if (inputShape != null) {
      if (!Array.isArray(inputShape) || inputShape.length !== this.inputRank - 2) {
        invalidArgument(`${this.name} stream inputShape`, '[features]', inputShape);
      }
      input = [...inputShape];
    } else {
      const d = this.inputDim ?? this.batchInputShape?.[2] ?? null;
      if (d == null) {
        throw new RnnkitError(
          `${this.name} stream: expected a built layer or an inputShape [features], got neither (the feature size is unknown)`,
        );
      }
      input = [d];
    }
    this.build(input[0]);
    const last = this.cells[this.cells.length - 1];
    return { input, output: [batch, last.outputSize], states: this.stateShapes(batch) };
  }

  /**
   * What {@link apply} returns for an input of shape `[batch, time, features]` (sizes may be
   * `null`): the output's shape, then the states' when `returnState`.
   */
  outputShapes(inputShape: readonly Dim[]): Dim[][] {
    this.checkInputShape(inputShape);
    const [batch, time] = inputShape;
    const last = this.cells[this.cells.length - 1];
    const output = outputShape(batch, time, last.outputSize, this.returnSequences);
    return this.returnState ? [output, ...this.stateShapes(batch)] : [output];
  }

  /** Runs the layer on `x` `[batch, time, features]`; returns values in Keras order. */
  apply(x: tf.Tensor, options: ApplyOptions = {}): RecurrentOutput<RS, S> {
    const { output, states } = this.run(x, options);
    if (this.returnState) return [output, ...states] as RecurrentOutput<RS, S>;
    states.forEach((s) => s.dispose());
    return output as RecurrentOutput<RS, S>;
  }

  /**
   * A stream over this layer: one timestep per `step`, `batch` rows, states held by the stream
   * (from zeros; see {@link RecurrentStream.reset}). Streaming T steps gives the outputs of one
   * whole-sequence call over them, step by step. Layers with `goBackwards` cannot stream.
   */
  stream(options: StreamOptions): RecurrentStream {
    return new RecurrentStream(this, options);
  }

  /** Runs the sequence: the output and the final states (used by wrappers). */
  run(x: tf.Tensor, options: RunOptions = {}): { output: tf.Tensor; states: tf.Tensor2D[] } {
    const [batch, time, features] = checkSequenceInput(this.name, x);
    this.build(features);
    const fast = this.statefulStep(x, batch, time, options);
    if (fast != null) return fast;
    this.settleStates();
    if (options.mask != null) checkMask(this.name, options.mask, batch, time);
    const initial = this.initialStates(batch, options.initialState);
    // A single built-in cell tidies inside its own sequence call, so one scope is enough.
    const single = this.cells.length === 1 && this.cells[0] instanceof KernelCell;
    const result = single
      ? this.runCells(x as tf.Tensor3D, initial, options)
      : tf.tidy(() => this.runCells(x as tf.Tensor3D, initial, options));
    const { output, states } = result;
    if (this.stateful && options.storeStates !== false) {
      const previous = this.states;
      this.states = states.map((s) => tf.keep(s.clone()));
      previous?.forEach((s) => s.dispose());
    }
    // Copies of stored states made here are ours to free (the zeros are kept for the next call).
    if (this.stateful && options.initialState == null) initial.forEach((s) => s.dispose());
    return { output, states };
  }

  /**
   * A stateful layer called on one timestep without mask, initial state or training, on a
   * backend with step kernels for its cells: the step runs on a stream that holds the states, so
   * the call costs little more than the arithmetic. Null when the call takes the general path.
   */
  private statefulStep(
    x: tf.Tensor,
    batch: number,
    time: number,
    options: RunOptions,
  ): { output: tf.Tensor; states: tf.Tensor2D[] } | null {
    // goBackwards changes nothing for one step, but streams refuse such layers outright.
    if (!this.stateful || time !== 1 || this.goBackwards || options.storeStates === false) {
      return null;
    }
    if (options.mask != null || options.initialState != null || options.training === true) {
      return null;
    }
    // Step kernels define no gradient: a recorded call takes the general path.
    if (tf.engine().state.gradientDepth > 0 || !hasStepKernels(this.cells)) return null;
    let stream = this.stepStream;
    if (stream == null || stream.batch !== batch) {
      this.settleStates();
      this.checkStatefulBatch(batch);
      stream = this.stream({ batch });
      if (stream.path !== 'fused') {
        stream.dispose();
        return null;
      }
      if (this.states != null) {
        checkStates(this.name, 'stored states', this.states, this.stateShapes(batch));
        stream.reset(this.states);
        this.states.forEach((s) => s.dispose());
        this.states = null;
      }
      this.stepStream = stream;
    }
    const [out, ...states] = stream.step(x as tf.Tensor3D);
    countFusedSteps(this.cells);
    const last = this.cells[this.cells.length - 1];
    const shape = this.returnSequences ? [batch, 1, last.outputSize] : [batch, last.outputSize];
    const output = tf.tensor(out.slice(), shape);
    // The stream returns the states only when the layer does (returnState).
    const stateTensors = states.map((v, i) => {
      const [b, u] = stream.stateShapes[i];
      return tf.tensor2d(v.slice(), [b, u]);
    });
    return { output, states: stateTensors };
  }

  /** Moves the states of a stateful layer back from its step stream, if they are there. */
  private settleStates(): void {
    const stream = this.stepStream;
    if (stream == null) return;
    this.stepStream = null;
    const { states } = stream.getState();
    this.states?.forEach((s) => s.dispose());
    this.states = states.map((v, i) => {
      const [b, u] = stream.stateShapes[i];
      return tf.keep(tf.tensor2d(v, [b, u]));
    });
    stream.dispose();
  }

  private initialStates(batch: number, given: tf.Tensor[] | undefined): tf.Tensor2D[] {
    const shapes = this.stateShapes(batch);
    if (given != null) {
      checkStates(this.name, 'initial_state', given, shapes);
      return given as tf.Tensor2D[];
    }
    if (this.stateful) {
      this.checkStatefulBatch(batch);
      if (this.states == null)
        this.states = shapes.map((s) => tf.keep(tf.zeros<tf.Rank>(s) as tf.Tensor2D));
      checkStates(this.name, 'stored states', this.states, shapes);
      return this.states.map((s) => s.clone());
    }
    return this.zeroStates(batch, shapes);
  }

  /**
   * Zero initial states for `batch` rows, kept for the next call of the same batch size: a call
   * without states would otherwise make and free them every time (a measurable share of a short
   * sequence's call).
   */
  private zeroStates(batch: number, shapes: number[][]): tf.Tensor2D[] {
    const kept = this.keptZeroStates;
    if (kept != null && kept[0].shape[0] === batch && !kept.some((s) => s.isDisposed)) return kept;
    kept?.forEach((s) => s.dispose());
    const zeros = shapes.map((s) => tf.keep(tf.zeros<tf.Rank>(s) as tf.Tensor2D));
    this.keptZeroStates = zeros;
    return zeros;
  }

  private runCells(
    x: tf.Tensor3D,
    initial: tf.Tensor2D[],
    options: RunOptions,
  ): { output: tf.Tensor; states: tf.Tensor2D[] } {
    const zeroOutputForMask = options.zeroOutputForMask ?? this.zeroOutputForMask;
    const alignToInput = options.alignToInput ?? false;
    // A single built-in cell reverses inside its kernel; a stack or a custom cell reads the
    // reversed sequence from the bottom up.
    const fused = this.cells.length === 1 && this.cells[0] instanceof KernelCell;
    const reverseUpFront = this.goBackwards && !fused;
    let sequence: tf.Tensor3D = reverseUpFront ? tf.reverse(x, 1) : x;
    const mask =
      options.mask == null
        ? undefined
        : reverseUpFront
          ? tf.reverse(options.mask, 1)
          : options.mask;
    const finalStates: tf.Tensor2D[] = [];
    let offset = 0;
    let output: tf.Tensor = sequence;
    this.cells.forEach((cell, i) => {
      const states = initial.slice(offset, offset + cell.stateSize.length);
      offset += cell.stateSize.length;
      const last = i === this.cells.length - 1;
      const returnSequences = !last || this.returnSequences;
      const [out, ...next] =
        cell instanceof KernelCell
          ? cell.runSequence(sequence, states, {
              mask,
              training: options.training,
              goBackwards: fused && this.goBackwards,
              returnSequences,
              alignToInput: fused && alignToInput,
              zeroOutputForMask,
            })
          : stepLoop(
              cell,
              sequence,
              states,
              mask,
              returnSequences,
              zeroOutputForMask,
              options.training,
            );
      finalStates.push(...(next as tf.Tensor2D[]));
      output = out;
      if (!last) sequence = out as tf.Tensor3D;
    });
    if (reverseUpFront && alignToInput && this.returnSequences) output = tf.reverse(output, 1);
    return { output, states: finalStates };
  }

  /**
   * A stateful layer holds states for one batch size: the one its `batch_input_shape` declares
   * (refused otherwise from the first call, as Keras does), else the one of its first call since
   * it was made or reset. `held` is the batch of the stored states.
   */
  protected checkStatefulBatch(batch: number, held = this.states?.[0]?.shape[0]): void {
    const declared = this.batchInputShape?.[0];
    if (declared != null && batch !== declared) {
      throw new RnnkitError(
        `${this.name}: this stateful layer holds states for a batch of ${declared} (its batch_input_shape); got an input with a batch of ${batch}. Call it with batches of ${declared}, or make a new layer for batches of ${batch}`,
      );
    }
    if (held != null && batch !== held) {
      throw new RnnkitError(
        `${this.name}: this stateful layer holds states for a batch of ${held} (from its first call); got an input with a batch of ${batch}. Call resetStates() to start over with another batch size, or use a new layer`,
      );
    }
  }

  /**
   * Resets the states of a stateful layer to zeros, or to `values` (Keras order). Without a
   * declared batch size, a reset without values also frees the batch size for the next call.
   */
  resetStates(values?: tf.Tensor[]): void {
    if (!this.stateful) throw new RnnkitError(`${this.name}: resetStates needs stateful: true`);
    const stream = this.stepStream;
    if (stream != null && this.batchInputShape?.[0] != null) {
      // The batch stays declared: the step stream (and its packed weights) carries on.
      if (values != null) {
        checkStates(this.name, 'resetStates values', values, this.stateShapes(stream.batch));
        stream.reset(values);
      } else stream.reset();
      return;
    }
    this.settleStates();
    const declared = this.batchInputShape?.[0] ?? null;
    const batch = values?.[0]?.shape[0] ?? declared;
    if (batch == null) {
      this.states?.forEach((s) => s.dispose());
      this.states = null;
      return;
    }
    if (declared != null && batch !== declared)
      invalidArgument(
        `${this.name} resetStates values`,
        `a batch of ${declared} (the layer's batch_input_shape)`,
        batch,
      );
    const next =
      values != null
        ? (checkStates(this.name, 'resetStates values', values, this.stateShapes(batch)),
          values.map((v) => tf.keep(v.clone()) as tf.Tensor2D))
        : this.stateShapes(batch).map((s) => tf.keep(tf.zeros<tf.Rank>(s)) as tf.Tensor2D);
    this.states?.forEach((s) => s.dispose());
    this.states = next;
  }

  /** The current states of a stateful layer (copies), or null before the first call. */
  getStates(): tf.Tensor[] | null {
    const stream = this.stepStream;
    if (stream != null) {
      return stream.getState().states.map((v, i) => tf.tensor(v, [...stream.stateShapes[i]]));
    }
    return this.states?.map((s) => s.clone()) ?? null;
  }

  /** Weights in Keras `get_weights()` order, cell by cell. */
  getWeights(): tf.Tensor[] {
    return this.cells.flatMap((c) => c.getWeights());
  }

  /** Replaces the weights (Keras `set_weights()` order); builds the layer from them if needed. */
  setWeights(weights: tf.Tensor[]): void {
    if (!Array.isArray(weights))
      invalidArgument(`${this.name} weights`, 'an array of tensors', typeof weights);
    let offset = 0;
    let expected = 0;
    for (const cell of this.cells) {
      const count = cell instanceof KernelCell ? (cell.useBias ? 3 : 2) : cell.getWeights().length;
      expected += count;
      if (offset + count <= weights.length) cell.setWeights(weights.slice(offset, offset + count));
      offset += count;
    }
    if (weights.length !== expected) {
      invalidArgument(`${this.name} weights`, `${expected} tensors`, `${weights.length} tensors`);
    }
    const first = this.cells[0];
    if (first instanceof KernelCell) this.inputDim = first.inputDim;
  }

  /** Number of scalar weights. */
  countParams(): number {
    return this.getWeights().reduce((n, w) => {
      const size = w.size;
      w.dispose();
      return n + size;
    }, 0);
  }

  /** Keras flags of the layer config. */
  protected baseConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      return_sequences: this.returnSequences,
      return_state: this.returnState,
      go_backwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      zero_output_for_mask: this.zeroOutputForMask,
    };
    if (this.batchInputShape != null) config.batch_shape = this.batchInputShape;
    return config;
  }

  /** Keras `get_config()` (Keras 3 form). */
  abstract getConfig(): Record<string, unknown>;

  /** Releases weights and states. */
  dispose(): void {
    this.cells.forEach((c) => c.dispose());
    this.stepStream?.dispose();
    this.stepStream = null;
    this.states?.forEach((s) => s.dispose());
    this.states = null;
    this.keptZeroStates?.forEach((s) => s.dispose());
    this.keptZeroStates = null;
  }
}

/** The per-step loop for custom cells without a sequence kernel: core's one time loop. */
function stepLoop(
  cell: Cell,
  x: tf.Tensor3D,
  initial: tf.Tensor2D[],
  mask: tf.Tensor | undefined,
  returnSequences: boolean,
  zeroOutputForMask: boolean,
  training: boolean | undefined,
): tf.Tensor[] {
  return timeLoop(
    {
      inputs: x,
      initialStates: initial,
      outputShape: [x.shape[0], cell.outputSize],
      mask,
      goBackwards: false,
      returnSequences,
      alignToInput: false,
      zeroOutputForMask,
    },
    (input, states) => cell.call(input as tf.Tensor2D, states as tf.Tensor2D[], { training }),
  );
}
