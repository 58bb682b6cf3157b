/**
 * Recurrent cells. A built-in cell owns its weights and names the whole-sequence kernel that
 * runs it; `call` runs one timestep (streaming) through the same kernel with T = 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveActivation } from '../activations/index.js';
import {
  checkAllocatable,
  checkPositiveInt,
  checkRate,
  invalidArgument,
  RnnkitError,
} from '../errors.js';
import {
  getInitializer,
  serializeInitializer,
  type Initializer,
  type InitializerIdentifier,
} from '../initializers/index.js';
import type {
  KernelActivation,
  SequenceKernelAttrs,
  SequenceKernelInputs,
  SequenceKernelName,
} from '../kernels/contract.js';
import { runSequenceKernel } from '../kernels/dispatch.js';
import type { StepKernelArgs } from '../kernels/step.js';
import { ownedWeights } from './validate.js';
import {
  biasShape,
  weightShapes,
  type Dim,
  type RecurrentFamily,
  type WeightShape,
} from '../kernels/families.js';
import { SeededRandom } from '../initializers/random.js';

/**
 * What the generic {@link RNN} layer needs of a cell. Built-in cells also implement
 * {@link KernelCell}; a custom cell implementing only this runs one step at a time.
 */
export interface Cell {
  /** Size of each state tensor, e.g. `[units, units]` for LSTM. */
  readonly stateSize: readonly number[];
  /** Size of the per-step output. */
  readonly outputSize: number;
  /** Creates weights for `inputDim` input features. */
  build(inputDim: number): void;
  /** One step: input `[B, D]`, states `[B, size]…` → `[output, ...newStates]`. */
  call(input: tf.Tensor2D, states: tf.Tensor2D[], options?: { training?: boolean }): tf.Tensor2D[];
  /** Weights in Keras `get_weights()` order. */
  getWeights(): tf.Tensor[];
  /** Replaces the weights (Keras `set_weights()` order and shapes). */
  setWeights(weights: tf.Tensor[]): void;
  /** Keras `get_config()` of the cell. */
  getConfig(): Record<string, unknown>;
  /** Keras class name, e.g. `LSTMCell`. */
  readonly className: string;
  /** Releases the weights. */
  dispose(): void;
}

/** Constructor arguments shared by the built-in cells (camelCase Keras arguments). */
export interface BaseCellArgs {
  /** Positive number of units. */
  units: number;
  /** Activation of the output / candidate. Default `tanh`. */
  activation?: string | null;
  /** Whether the cell has a bias. Default true. */
  useBias?: boolean;
  /** Default `glorot_uniform`. */
  kernelInitializer?: InitializerIdentifier;
  /** Default `orthogonal`. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default `zeros`. */
  biasInitializer?: InitializerIdentifier;
  /** Accepted and serialized; rnnkit does not train. */
  kernelRegularizer?: unknown;
  recurrentRegularizer?: unknown;
  biasRegularizer?: unknown;
  kernelConstraint?: unknown;
  recurrentConstraint?: unknown;
  biasConstraint?: unknown;
  /** Input dropout rate in training. Default 0. */
  dropout?: number;
  /** Recurrent dropout rate in training. Default 0. */
  recurrentDropout?: number;
  /** Seed of the dropout masks. */
  seed?: number | null;
  /** Keras version whose activation semantics apply (hard_sigmoid); Keras 3 when absent. */
  kerasVersion?: string;
  /** Cell name. */
  name?: string;
}

/** Options of one whole-sequence run of a kernel cell. */
export interface SequenceRunOptions {
  mask?: tf.Tensor;
  training?: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

let cellCounter = 0;

/** A built-in cell whose sequence runs as one kernel call. */
export abstract class KernelCell implements Cell {
  /** The cell's row of the family table: class names, kernel, gates, states, weight layout. */
  abstract readonly family: RecurrentFamily;
  readonly units: number;
  readonly name: string;
  readonly activationName: string | null;
  readonly activation: KernelActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly kerasVersion: string | undefined;
  protected readonly extras: Record<string, unknown>;
  private readonly random: SeededRandom;
  protected kernel: tf.Tensor | null = null;
  protected recurrentKernel: tf.Tensor | null = null;
  protected bias: tf.Tensor | null = null;
  private zeroBias: tf.Tensor | null = null;
  /** Input features, once built. */
  inputDim: number | null = null;
  /** Changes whenever the weights are made, replaced or released (step kernels hold copies). */
  weightsVersion = 0;

  constructor(args: BaseCellArgs, defaultName: string) {
    this.units = checkPositiveInt('units', args.units);
    this.name = args.name ?? `${defaultName}_${cellCounter++}`;
    this.activationName = args.activation === undefined ? 'tanh' : args.activation;
    this.kerasVersion = args.kerasVersion;
    this.activation = resolveActivation('activation', this.activationName, args.kerasVersion);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(
      'kernel_initializer',
      args.kernelInitializer ?? 'glorot_uniform',
    );
    this.recurrentInitializer = getInitializer(
      'recurrent_initializer',
      args.recurrentInitializer ?? 'orthogonal',
    );
    this.biasInitializer = getInitializer('bias_initializer', args.biasInitializer ?? 'zeros');
    this.dropout = checkRate('dropout', args.dropout ?? 0);
    this.recurrentDropout = checkRate('recurrent_dropout', args.recurrentDropout ?? 0);
    this.seed = args.seed ?? null;
    this.random = new SeededRandom(this.seed);
    this.extras = {
      kernel_regularizer: args.kernelRegularizer ?? null,
      recurrent_regularizer: args.recurrentRegularizer ?? null,
      bias_regularizer: args.biasRegularizer ?? null,
      kernel_constraint: args.kernelConstraint ?? null,
      recurrent_constraint: args.recurrentConstraint ?? null,
      bias_constraint: args.biasConstraint ?? null,
    };
  }

  /** Keras class name, e.g. `LSTMCell`. */
  get className(): string {
    return this.family.cellClass;
  }

  /** Name of the whole-sequence kernel. */
  get kernelName(): SequenceKernelName {
    return this.family.kernelName as SequenceKernelName;
  }

  /** Sizes of the state tensors, one per state of the family. */
  get stateSize(): readonly number[] {
    return this.family.states.map(() => this.units);
  }

  get outputSize(): number {
    return this.units;
  }

  /** True once weights exist. */
  get built(): boolean {
    return this.kernel != null;
  }

  /**
   * Keras shapes of the weights for `inputDim` input features (`null` when unknown), with their
   * names, in `get_weights()` order.
   */
  weightSpecs<D extends Dim>(inputDim: D): WeightShape<D>[] {
    return weightShapes(this.family, {
      inputDim,
      units: this.units,
      useBias: this.useBias,
      resetAfter: this.resetAfterBias(),
    });
  }

  /** Whether the bias has a recurrent row (GRU with `resetAfter`); see the family's layout. */
  protected resetAfterBias(): boolean {
    return false;
  }

  protected biasShape(): number[] {
    return biasShape(this.family, this.units, this.resetAfterBias());
  }

  /** The initial bias; LSTM overrides it for `unit_forget_bias`. */
  protected initialBias(): tf.Tensor {
    return this.biasInitializer.apply(this.biasShape());
  }

  build(inputDim: number): void {
    checkPositiveInt('input feature size', inputDim);
    if (this.built) {
      if (inputDim !== this.inputDim) {
        throw new RnnkitError(
          `input: expected ${this.inputDim} features (the layer was built for them), got ${inputDim}`,
        );
      }
      return;
    }
    const [kernel, recurrentKernel] = this.weightSpecs(inputDim);
    checkAllocatable('units', this.units, 'a recurrent_kernel', recurrentKernel.shape);
    checkAllocatable('input feature size', inputDim, 'a kernel', kernel.shape);
    this.inputDim = inputDim;
    this.kernel = tf.keep(this.kernelInitializer.apply(kernel.shape));
    this.recurrentKernel = tf.keep(this.recurrentInitializer.apply(recurrentKernel.shape));
    this.bias = this.useBias ? tf.keep(this.initialBias()) : null;
    this.weightsVersion++;
  }

  getWeights(): tf.Tensor[] {
    if (!this.built) return [];
    const ws = [this.kernel!, this.recurrentKernel!];
    if (this.bias != null) ws.push(this.bias);
    return ws.map((w) => w.clone());
  }

  setWeights(weights: tf.Tensor[]): void {
    const inputDim = this.inputDim ?? weights[0]?.shape[0];
    if (inputDim == null)
      invalidArgument('weights', 'a list starting with the kernel', weights.length);
    const specs = this.weightSpecs(inputDim);
    const owned = ownedWeights(this.name, weights, specs);
    this.disposeWeights();
    this.inputDim = inputDim;
    const [kernel, recurrentKernel, bias] = owned;
    this.kernel = kernel;
    this.recurrentKernel = recurrentKernel;
    this.bias = this.useBias ? bias : null;
    this.weightsVersion++;
  }

  /** Kernel attributes beyond the shared ones. */
  protected abstract extraAttrs(): Record<string, unknown>;

  /** A `[B, n]` dropout mask with values 0 and 1 / (1 − rate), drawn from the cell's seed. */
  private dropoutMask(batch: number, n: number, rate: number): tf.Tensor2D {
    const values = new Float32Array(batch * n);
    const scale = 1 / (1 - rate);
    for (let i = 0; i < values.length; i++) values[i] = this.random.uniform() >= rate ? scale : 0;
    return tf.tensor2d(values, [batch, n]);
  }

  /**
   * Runs the whole sequence `x` `[B, T, D]` from `states` through the sequence kernel;
   * returns `[output, ...states]`.
   */
  runSequence(x: tf.Tensor3D, states: tf.Tensor2D[], options: SequenceRunOptions): tf.Tensor[] {
    this.build(x.shape[2]);
    return tf.tidy(() => {
      const [batch, , features] = x.shape;
      const training = options.training === true;
      const input =
        training && this.dropout > 0
          ? tf.mul(x, tf.expandDims(this.dropoutMask(batch, features, this.dropout), 1))
          : x;
      const inputs: SequenceKernelInputs = {
        x: input,
        kernel: this.kernel!,
        recurrentKernel: this.recurrentKernel!,
        bias: this.bias ?? (this.zeroBias ??= tf.keep(tf.zeros(this.biasShape()))),
        initialH: states[0],
      };
      if (states.length > 1) inputs.initialC = states[1];
      if (options.mask != null) inputs.mask = options.mask;
      if (training && this.recurrentDropout > 0) {
        inputs.recurrentMask = this.dropoutMask(batch, this.units, this.recurrentDropout);
      }
      const attrs: SequenceKernelAttrs = {
        units: this.units,
        activation: this.activation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        alignToInput: options.alignToInput,
        zeroOutputForMask: options.zeroOutputForMask,
        ...this.extraAttrs(),
      };
      return runSequenceKernel(this.kernelName, inputs, attrs as never);
    });
  }

  /**
   * The live weights (not copies) and the attributes of one forward step, from which a step
   * kernel is made (`kernels/step.ts`). Needs a built cell.
   */
  stepKernelArgs(batch: number): StepKernelArgs {
    if (!this.built) throw new RnnkitError(`${this.name}: a step kernel needs a built cell`);
    const attrs: SequenceKernelAttrs = {
      units: this.units,
      activation: this.activation,
      goBackwards: false,
      returnSequences: false,
      alignToInput: false,
      zeroOutputForMask: false,
      ...this.extraAttrs(),
    };
    return {
      kernelName: this.kernelName,
      attrs: attrs as never,
      kernel: this.kernel!,
      recurrentKernel: this.recurrentKernel!,
      bias: this.bias ?? (this.zeroBias ??= tf.keep(tf.zeros(this.biasShape()))),
      batch,
      inputDim: this.inputDim!,
    };
  }

  call(
    input: tf.Tensor2D,
    states: tf.Tensor2D[],
    options: { training?: boolean } = {},
  ): tf.Tensor2D[] {
    if (input.rank !== 2)
      invalidArgument(`${this.className} input`, 'a rank-2 tensor [batch, features]', input.shape);
    return tf.tidy(() =>
      this.runSequence(tf.expandDims(input, 1) as tf.Tensor3D, states, {
        training: options.training,
        goBackwards: false,
        returnSequences: false,
        alignToInput: false,
        zeroOutputForMask: false,
      }),
    ) as tf.Tensor2D[];
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      units: this.units,
      activation: this.activationName,
      use_bias: this.useBias,
      kernel_initializer: serializeInitializer(this.kernelInitializer),
      recurrent_initializer: serializeInitializer(this.recurrentInitializer),
      bias_initializer: serializeInitializer(this.biasInitializer),
      ...this.extras,
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
      seed: this.seed,
    };
  }

  private disposeWeights(): void {
    for (const w of [this.kernel, this.recurrentKernel, this.bias]) w?.dispose();
    this.kernel = this.recurrentKernel = this.bias = null;
    this.weightsVersion++;
  }

  dispose(): void {
    this.disposeWeights();
    this.zeroBias?.dispose();
    this.zeroBias = null;
  }
}
