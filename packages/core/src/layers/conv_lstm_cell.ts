/**
 * Keras `ConvLSTMCell` for 1, 2 or 3 spatial dimensions: owns the weights and runs whole
 * sequences (channels last) through the `ConvLSTMSequence` kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isKeras2, resolveActivation } from '../activations/index.js';
import {
  checkPositiveInt,
  checkRate,
  formatShape,
  invalidArgument,
  RnnkitError,
} from '../errors.js';
import {
  getInitializer,
  serializeInitializer,
  type Initializer,
  type InitializerIdentifier,
} from '../initializers/index.js';
import { SeededRandom } from '../initializers/random.js';
import type {
  ConvLSTMSequenceAttrs,
  KernelActivation,
  SequenceKernelInputs,
} from '../kernels/contract.js';
import { runSequenceKernel } from '../kernels/dispatch.js';
import { ownedWeights } from './validate.js';
import {
  biasShape,
  FAMILIES,
  weightShapes,
  type Dim,
  type WeightShape,
} from '../kernels/families.js';
import type { Cell, SequenceRunOptions } from './cell.js';

/** Spatial dimensionality of a ConvLSTM layer. */
export type ConvRank = 1 | 2 | 3;

/** The family table's row of each rank. */
const CONV_LSTM_ROWS = {
  1: FAMILIES.ConvLSTM1D,
  2: FAMILIES.ConvLSTM2D,
  3: FAMILIES.ConvLSTM3D,
} as const;

/**
 * Output size of one spatial dimension of a convolution (TensorFlow's rule): `valid` keeps the
 * positions where the dilated kernel fits, `same` gives `ceil(size / stride)`.
 */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
): number {
  if (padding === 'same') return Math.ceil(size / stride);
  const span = dilation * (kernel - 1) + 1;
  return size < span ? 0 : Math.floor((size - span) / stride) + 1;
}

/** An integer, or one integer per spatial dimension. */
export type IntOrTuple = number | readonly number[];

/** Arguments of {@link ConvLSTMCell} (camelCase Keras arguments). */
export interface ConvLSTMCellArgs {
  /** Number of output channels. */
  filters: number;
  /** Kernel size per spatial dimension. */
  kernelSize: IntOrTuple;
  /** Input-convolution strides. Default 1. */
  strides?: IntOrTuple;
  /** Input-convolution padding, `valid` (default) or `same`. */
  padding?: string;
  /** `channels_last` (default) or `channels_first`. */
  dataFormat?: string | null;
  /** Input-convolution dilation. Default 1; strides or dilation must be all 1. */
  dilationRate?: IntOrTuple;
  /** Default `tanh`. */
  activation?: string | null;
  /** Default `sigmoid` (Keras 3); `hard_sigmoid` for a Keras 2 `kerasVersion`. */
  recurrentActivation?: string | null;
  /** Default true. */
  useBias?: boolean;
  /** Default `glorot_uniform`. */
  kernelInitializer?: InitializerIdentifier;
  /** Default `orthogonal`. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default `zeros`. */
  biasInitializer?: InitializerIdentifier;
  /** Start the forget-gate bias at 1. Default true. */
  unitForgetBias?: boolean;
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
  /** Keras version that wrote the config (hard_sigmoid, default recurrent activation). */
  kerasVersion?: string;
  /** Cell name. */
  name?: string;
}

function tuple(
  argument: string,
  value: IntOrTuple | undefined,
  rank: number,
  fallback?: number,
): number[] {
  const v = value ?? fallback;
  const list = typeof v === 'number' ? new Array<number>(rank).fill(v) : Array.isArray(v) ? v : [];
  if (list.length !== rank) {
    invalidArgument(argument, `an integer or a list of ${rank} integers`, value);
  }
  list.forEach((d) => checkPositiveInt(argument, d));
  return [...list];
}

let cellCounter = 0;

/**
 * Keras `ConvLSTMCell`: gates i, f, c, o from an input convolution (`strides`, `padding`,
 * `dilationRate`) plus a `same`-padded recurrent convolution; states `[h, c]`, each
 * `[batch, ...outputSpatial, filters]`.
 */
export class ConvLSTMCell implements Cell {
  /** The cell's row of the family table (one per rank). */
  readonly family: (typeof CONV_LSTM_ROWS)[ConvRank];
  readonly rank: ConvRank;
  readonly name: string;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: 'channels_last' | 'channels_first';
  readonly dilationRate: number[];
  readonly activationName: string | null;
  readonly activation: KernelActivation;
  readonly recurrentActivationName: string | null;
  readonly recurrentActivation: KernelActivation;
  readonly useBias: boolean;
  readonly unitForgetBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly kerasVersion: string | undefined;
  private readonly extras: Record<string, unknown>;
  private readonly random: SeededRandom;
  private kernel: tf.Tensor | null = null;
  private recurrentKernel: tf.Tensor | null = null;
  private bias: tf.Tensor | null = null;
  private zeroBias: tf.Tensor | null = null;
  /** Input channels, once built. */
  inputChannels: number | null = null;

  constructor(rank: ConvRank, args: ConvLSTMCellArgs) {
    this.rank = rank;
    this.family = CONV_LSTM_ROWS[rank];
    this.name = args.name ?? `${this.family.cellName}_${cellCounter++}`;
    this.filters = checkPositiveInt('filters', args.filters);
    this.kernelSize = tuple('kernel_size', args.kernelSize, rank);
    this.strides = tuple('strides', args.strides, rank, 1);
    this.dilationRate = tuple('dilation_rate', args.dilationRate, rank, 1);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new RnnkitError(
        `strides, dilation_rate: expected strides 1 or dilation_rate 1, got strides ${formatShape(this.strides)} and dilation_rate ${formatShape(this.dilationRate)}`,
      );
    }
    const padding = typeof args.padding === 'string' ? args.padding.toLowerCase() : args.padding;
    if (padding !== undefined && padding !== 'valid' && padding !== 'same') {
      invalidArgument('padding', "'valid' or 'same'", args.padding);
    }
    this.padding = padding ?? 'valid';
    const dataFormat = args.dataFormat ?? 'channels_last';
    if (dataFormat !== 'channels_last' && dataFormat !== 'channels_first') {
      invalidArgument('data_format', "'channels_last' or 'channels_first'", dataFormat);
    }
    this.dataFormat = dataFormat;
    this.kerasVersion = args.kerasVersion;
    this.activationName = args.activation === undefined ? 'tanh' : args.activation;
    this.activation = resolveActivation('activation', this.activationName, args.kerasVersion);
    // tf.keras 2's ConvLSTM defaulted to hard_sigmoid; Keras 3's defaults to sigmoid.
    const defaultGate = isKeras2(args.kerasVersion) ? 'hard_sigmoid' : 'sigmoid';
    this.recurrentActivationName =
      args.recurrentActivation === undefined ? defaultGate : args.recurrentActivation;
    this.recurrentActivation = resolveActivation(
      'recurrent_activation',
      this.recurrentActivationName,
      args.kerasVersion,
    );
    this.useBias = args.useBias ?? true;
    this.unitForgetBias = args.unitForgetBias ?? true;
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

  /** The family's states (`h`, `c`), of `filters` channels each. */
  get stateSize(): readonly number[] {
    return this.family.states.map(() => this.filters);
  }

  get outputSize(): number {
    return this.filters;
  }

  get built(): boolean {
    return this.kernel != null;
  }

  /** Keras class name, `ConvLSTMCell`. */
  get className(): string {
    return this.family.cellClass;
  }

  /** Name of the whole-sequence kernel. */
  get kernelName(): string {
    return this.family.kernelName;
  }

  /**
   * Keras shapes of the weights for `inChannels` input channels (`null` when unknown), in
   * `get_weights()` order.
   */
  weightSpecs<D extends Dim>(inChannels: D): WeightShape<D>[] {
    return weightShapes(this.family, {
      inputDim: inChannels,
      units: this.filters,
      kernelSize: this.kernelSize,
      useBias: this.useBias,
    });
  }

  /** Output spatial sizes of the input convolution for input spatial sizes (`null`: unknown). */
  outputSpatial<D extends Dim>(spatial: readonly D[]): D[] {
    return spatial.map((size, i) =>
      size == null
        ? size
        : convOutputSize(
            size,
            this.kernelSize[i],
            this.strides[i],
            this.dilationRate[i],
            this.padding,
          ),
    ) as D[];
  }

  build(inChannels: number): void {
    checkPositiveInt('input channels', inChannels);
    if (this.built) {
      if (inChannels !== this.inputChannels) {
        throw new RnnkitError(
          `input: expected ${this.inputChannels} channels (the layer was built for them), got ${inChannels}`,
        );
      }
      return;
    }
    const [kernel, recurrent] = this.weightSpecs(inChannels);
    this.inputChannels = inChannels;
    this.kernel = tf.keep(this.kernelInitializer.apply(kernel.shape));
    this.recurrentKernel = tf.keep(this.recurrentInitializer.apply(recurrent.shape));
    this.bias = this.useBias ? tf.keep(this.initialBias()) : null;
  }

  private initialBias(): tf.Tensor {
    const f = this.filters;
    if (!this.unitForgetBias) return this.biasInitializer.apply(biasShape(this.family, f));
    // As Keras: bias_initializer for i, ones for f, bias_initializer for c and o.
    return tf.tidy(() =>
      tf.concat([
        this.biasInitializer.apply([f]),
        tf.ones([f]),
        this.biasInitializer.apply([2 * f]),
      ]),
    );
  }

  getWeights(): tf.Tensor[] {
    if (!this.built) return [];
    const ws = [this.kernel!, this.recurrentKernel!];
    if (this.bias != null) ws.push(this.bias);
    return ws.map((w) => w.clone());
  }

  setWeights(weights: tf.Tensor[]): void {
    if (!Array.isArray(weights))
      invalidArgument(`${this.name} weights`, 'an array of tensors', typeof weights);
    const inChannels = this.inputChannels ?? weights[0]?.shape[this.rank];
    if (inChannels == null) {
      invalidArgument(`${this.name} weights`, 'a list starting with the kernel', weights.length);
    }
    const specs = this.weightSpecs(inChannels);
    const owned = ownedWeights(this.name, weights, specs);
    this.disposeWeights();
    this.inputChannels = inChannels;
    const [kernel, recurrentKernel, bias] = owned;
    this.kernel = kernel;
    this.recurrentKernel = recurrentKernel;
    this.bias = this.useBias ? bias : null;
  }

  /** A dropout mask of `shape` with values 0 and 1 / (1 − rate), drawn from the cell's seed. */
  private dropoutMask(shape: number[], rate: number): tf.Tensor {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const scale = 1 / (1 - rate);
    for (let i = 0; i < values.length; i++) values[i] = this.random.uniform() >= rate ? scale : 0;
    return tf.tensor(values, shape);
  }

  /**
   * Runs the sequence `x` `[B, T, ...S, C]` (channels last) from `states` `[h, c]` through the
   * `ConvLSTMSequence` kernel; returns `[output, h, c]`. In training, one input dropout mask and
   * one recurrent dropout mask serve the four gates and every step.
   */
  runSequence(x: tf.Tensor, states: tf.Tensor[], options: SequenceRunOptions): tf.Tensor[] {
    this.build(x.shape[x.rank - 1]);
    return tf.tidy(() => {
      const training = options.training === true;
      const [batch, , ...step] = x.shape;
      const input =
        training && this.dropout > 0
          ? tf.mul(x, tf.expandDims(this.dropoutMask([batch, ...step], this.dropout), 1))
          : x;
      const inputs: SequenceKernelInputs = {
        x: input,
        kernel: this.kernel!,
        recurrentKernel: this.recurrentKernel!,
        bias:
          this.bias ?? (this.zeroBias ??= tf.keep(tf.zeros(biasShape(this.family, this.filters)))),
        initialH: states[0],
        initialC: states[1],
      };
      if (options.mask != null) inputs.mask = options.mask;
      if (training && this.recurrentDropout > 0) {
        inputs.recurrentMask = this.dropoutMask(states[0].shape, this.recurrentDropout);
      }
      const attrs: ConvLSTMSequenceAttrs = {
        units: this.filters,
        activation: this.activation,
        recurrentActivation: this.recurrentActivation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        alignToInput: options.alignToInput,
        zeroOutputForMask: options.zeroOutputForMask,
        strides: this.strides,
        padding: this.padding,
        dilationRate: this.dilationRate,
      };
      return runSequenceKernel(this.family.kernelName, inputs, attrs);
    });
  }

  /** One step: input `[B, ...S, C]` (channels last), states `[h, c]` → `[output, h, c]`. */
  call(
    input: tf.Tensor2D,
    states: tf.Tensor2D[],
    options: { training?: boolean } = {},
  ): tf.Tensor2D[] {
    if (input.rank !== this.rank + 2) {
      invalidArgument(
        `${this.className} input`,
        `a rank-${this.rank + 2} tensor [batch, ...spatial, channels]`,
        input.shape,
      );
    }
    return tf.tidy(() =>
      this.runSequence(tf.expandDims(input, 1), states, {
        training: options.training,
        goBackwards: false,
        returnSequences: false,
        alignToInput: false,
        zeroOutputForMask: false,
      }),
    ) as tf.Tensor2D[];
  }

  /** Keras `get_config()` of the cell's arguments (Keras 3 key order). */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: this.dataFormat,
      dilation_rate: [...this.dilationRate],
      activation: this.activationName,
      recurrent_activation: this.recurrentActivationName,
      use_bias: this.useBias,
      kernel_initializer: serializeInitializer(this.kernelInitializer),
      recurrent_initializer: serializeInitializer(this.recurrentInitializer),
      bias_initializer: serializeInitializer(this.biasInitializer),
      unit_forget_bias: this.unitForgetBias,
      ...this.extras,
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
      seed: this.seed,
    };
  }

  private disposeWeights(): void {
    for (const w of [this.kernel, this.recurrentKernel, this.bias]) w?.dispose();
    this.kernel = this.recurrentKernel = this.bias = null;
  }

  dispose(): void {
    this.disposeWeights();
    this.zeroBias?.dispose();
    this.zeroBias = null;
  }
}
