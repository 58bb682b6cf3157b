/**
 * The training loop behind `fit`: any differentiable forward function over a list of variables
 * (a stack of rnnkit layers, a loaded Keras model) trains with Keras's `fit` semantics — the last
 * samples held out for validation before shuffling, one optimizer step per batch, the epoch loss
 * as the sample-weighted mean of the batch losses, `onEpochEnd` after each epoch. Every argument
 * is checked before any variable changes, so a rejected call leaves the model as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, RnnkitError } from '../errors.js';
import { mulberry32 } from '../initializers/random.js';
import { EpochProgress, stderrSink, type ProgressSink } from './progress.js';

/** Loss names `fit` accepts, Keras's long and short spellings. */
export const FIT_LOSSES = ['mean_squared_error', 'mse', 'mean_absolute_error', 'mae'] as const;
/** A loss name `fit` accepts. */
export type FitLoss = (typeof FIT_LOSSES)[number];

/** Optimizers `fit` accepts (tfjs-core's `tf.train.sgd` and `tf.train.adam`). */
export const FIT_OPTIMIZERS = ['sgd', 'adam'] as const;

/** Losses of one epoch, as Keras's `History` records them. */
export interface EpochLogs {
  /** Mean training loss over the epoch's batches, weighted by batch size. */
  loss: number;
  /** Loss on the validation samples after the epoch (with `validationSplit`). */
  valLoss?: number;
}

/** Options of `fit`. */
export interface FitOptions {
  /** Passes over the training samples (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32, Keras's). */
  batchSize?: number;
  /**
   * Fraction in [0, 1) of the samples held out for validation: the last ones, before any
   * shuffling, as in Keras (default 0).
   */
  validationSplit?: number;
  /** Default `mean_squared_error`. */
  loss?: FitLoss;
  /** Default `adam`. */
  optimizer?: (typeof FIT_OPTIMIZERS)[number];
  /** Step size (default 0.001, Keras's Adam default; also for `sgd`). */
  learningRate?: number;
  /** Shuffle the training samples every epoch (default true, as Keras). */
  shuffle?: boolean;
  /** Seed of the shuffling order (default 0). */
  seed?: number;
  /**
   * Keras's `verbose`: 1 prints a progress bar per epoch to stderr (redrawn after each batch on a
   * terminal, the finished line otherwise), 2 one line per epoch, 0 nothing (default 0; nothing
   * in a browser).
   */
  verbose?: 0 | 1 | 2;
  /** Called after each epoch with its losses; awaited when it returns a promise. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

/** What `fit` returns: each epoch's losses. */
export interface FitHistory {
  loss: number[];
  /** With `validationSplit`. */
  valLoss?: number[];
}

/** A model as the training loop sees it: a forward function differentiable in `variables`. */
export interface DifferentiableModel {
  /** What the optimizer updates, in a fixed order; the caller creates and disposes them. */
  readonly variables: tf.Variable[];
  /**
   * The model's output for a batch of inputs (one tensor per model input). Run inside the
   * gradient tape and a `tf.tidy`; `training` is true for gradient steps (dropout, batch
   * statistics) and false for the output-shape check and the validation loss.
   */
  forward(inputs: tf.Tensor[], training: boolean): tf.Tensor;
  /**
   * Terms Keras adds to the loss (weight regularizers), differentiable in `variables`; added to
   * the training and the validation loss. None when absent or null.
   */
  penalty?(): tf.Scalar | null;
}

/** The settings of one `fit` call, defaults filled in; from {@link checkFitArguments}. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  /** Samples held out for validation (the last ones). */
  validation: number;
  samples: number;
  learningRate: number;
  loss: FitLoss;
  optimizer: (typeof FIT_OPTIMIZERS)[number];
  shuffle: boolean;
  seed: number;
  verbose: 0 | 1 | 2;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    invalidArgument(`fit: ${name}`, 'a positive integer', value);
  }
  return value;
}

function oneOf<T extends string | number>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) {
    const list = allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ');
    invalidArgument(`fit: ${name}`, `one of ${list}`, value);
  }
  return value as T;
}

function lossFunction(name: FitLoss): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  return name === 'mse' || name === 'mean_squared_error'
    ? (t, p) => tf.mean(tf.squaredDifference(t, p))
    : (t, p) => tf.mean(tf.abs(tf.sub(t, p)));
}

/** Checks `x` (one tensor per model input), `y` and the options; no model is run. */
export function checkFitOptions(
  x: readonly tf.Tensor[],
  y: tf.Tensor,
  options: FitOptions,
): FitSettings {
  x.forEach((t, i) => {
    if (!(t instanceof tf.Tensor) || t.rank < 1) {
      const name = x.length === 1 ? 'x' : `x[${i}]`;
      throw new RnnkitError(
        `fit: ${name}: expected a tensor of shape (samples, ...), got ${t instanceof tf.Tensor ? `shape ${formatShape(t.shape)}` : String(t)}`,
      );
    }
  });
  if (!(y instanceof tf.Tensor) || y.rank < 1) {
    throw new RnnkitError(`fit: y: expected a tensor of shape (samples, ...), got ${String(y)}`);
  }
  const samples = x[0].shape[0];
  x.forEach((t, i) => {
    if (t.shape[0] !== samples) {
      throw new RnnkitError(
        `fit: x[${i}]: expected ${samples} samples (x[0]'s first dimension), got shape ${formatShape(t.shape)}`,
      );
    }
  });
  if (y.shape[0] !== samples) {
    throw new RnnkitError(
      `fit: y: expected ${samples} samples (x's first dimension), got shape ${formatShape(y.shape)}`,
    );
  }
  const epochs = positiveInteger('epochs', options.epochs, 1);
  const batchSize = positiveInteger('batchSize', options.batchSize, 32);
  const split = options.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    invalidArgument('fit: validationSplit', 'a number in [0, 1)', split);
  }
  const validation = Math.floor(samples * split);
  if (samples - validation < 1) {
    invalidArgument(
      'fit: validationSplit',
      `a split that leaves training samples (x has ${samples})`,
      split,
    );
  }
  const learningRate = options.learningRate ?? 0.001;
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
    invalidArgument('fit: learningRate', 'a positive number', learningRate);
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    invalidArgument('fit: seed', 'a finite number', seed);
  }
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') invalidArgument('fit: shuffle', 'true or false', shuffle);
  if (options.onEpochEnd != null && typeof options.onEpochEnd !== 'function') {
    invalidArgument('fit: onEpochEnd', 'a function', options.onEpochEnd);
  }
  return {
    epochs,
    batchSize,
    validation,
    samples,
    learningRate,
    loss: oneOf('loss', options.loss, FIT_LOSSES, 'mean_squared_error'),
    optimizer: oneOf('optimizer', options.optimizer, FIT_OPTIMIZERS, 'adam'),
    shuffle,
    seed,
    verbose: oneOf('verbose', options.verbose, [0, 1, 2] as const, 0),
  };
}

/** Checks that `y` has the shape of the model's output (run on the first sample). */
export function checkTargetShape(
  model: DifferentiableModel,
  x: readonly tf.Tensor[],
  y: tf.Tensor,
): void {
  const out = tf.tidy(() =>
    model.forward(
      x.map((t) => tf.slice(t, 0, 1)),
      false,
    ),
  );
  const outShape = out.shape;
  out.dispose();
  const want = [y.shape[0], ...outShape.slice(1)];
  if (y.shape.length !== want.length || y.shape.some((d, i) => d !== want[i])) {
    throw new RnnkitError(
      `fit: y: expected shape ${formatShape(want)} (the model's output), got shape ${formatShape(y.shape)}`,
    );
  }
}

/** The loss plus the model's penalty terms, if any. */
function withPenalty(model: DifferentiableModel, loss: tf.Scalar): tf.Scalar {
  const penalty = model.penalty?.();
  return penalty == null ? loss : tf.add(loss, penalty);
}

/** Where `verbose` sends progress: stderr, without redrawing for `verbose: 2`. */
function progressSink(verbose: 0 | 1 | 2): ProgressSink | null {
  const sink = verbose === 0 ? null : stderrSink();
  return sink == null || verbose === 1 ? sink : { ...sink, interactive: false };
}

/**
 * Trains `model` on `x` → `y` with settings from {@link checkFitOptions} (call it and any
 * model-specific checks first: this function changes the variables from its first batch on).
 * Runs under `@rnnkit/core/training`'s gradients.
 */
export async function runFit(
  model: DifferentiableModel,
  x: readonly tf.Tensor[],
  y: tf.Tensor,
  s: FitSettings,
  onEpochEnd?: FitOptions['onEpochEnd'],
  sink: ProgressSink | null = progressSink(s.verbose),
): Promise<FitHistory> {
  const lossOf = lossFunction(s.loss);
  const optimizer =
    s.optimizer === 'sgd' ? tf.train.sgd(s.learningRate) : tf.train.adam(s.learningRate);
  const { variables } = model;
  const train = s.samples - s.validation;
  const [xTrain, xVal] = tf.tidy(() => [
    x.map((t) => tf.slice(t, 0, train)),
    s.validation > 0 ? x.map((t) => tf.slice(t, train)) : [],
  ]);
  const [yTrain, yVal] = tf.tidy(() => [
    tf.slice(y, 0, train),
    ...(s.validation > 0 ? [tf.slice(y, train)] : []),
  ]);
  const rand = mulberry32(s.seed);
  const history: FitHistory = { loss: [], ...(s.validation > 0 ? { valLoss: [] } : {}) };
  const steps = Math.ceil(train / s.batchSize);
  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = Array.from({ length: train }, (_, i) => i);
      if (s.shuffle) {
        for (let i = train - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      const progress = sink == null ? null : new EpochProgress(sink, steps, epoch, s.epochs);
      let total = 0;
      for (let start = 0, step = 1; start < train; start += s.batchSize, step++) {
        const rows = order.slice(start, start + s.batchSize);
        const value = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const xb = xTrain.map((t) => tf.gather(t, idx));
          const yb = tf.gather(yTrain, idx);
          const lossOfBatch = () => withPenalty(model, lossOf(yb, model.forward(xb, true)));
          if (variables.length === 0) return lossOfBatch();
          const { value, grads } = tf.valueAndGrads(() => lossOfBatch())(variables);
          optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: grads[i] })));
          return value;
        });
        total += (await value.data())[0] * rows.length;
        value.dispose();
        progress?.update(step, total / Math.min(train, start + rows.length));
      }
      const logs: EpochLogs = { loss: total / train };
      history.loss.push(logs.loss);
      if (yVal != null) {
        const v = tf.tidy(() => withPenalty(model, lossOf(yVal, model.forward(xVal, false))));
        logs.valLoss = (await v.data())[0];
        v.dispose();
        history.valLoss?.push(logs.valLoss);
      }
      progress?.end(logs);
      await onEpochEnd?.(epoch, logs);
    }
  } finally {
    tf.dispose([...xTrain, ...xVal, yTrain, ...(yVal ? [yVal] : [])]);
    optimizer.dispose();
  }
  return history;
}

/**
 * Trains a differentiable forward function: checks `x`, `y` and the options (and `y` against the
 * model's output) before any variable changes, then runs {@link runFit}.
 */
export async function fitFunction(
  model: DifferentiableModel,
  x: tf.Tensor | readonly tf.Tensor[],
  y: tf.Tensor,
  options: FitOptions = {},
): Promise<FitHistory> {
  const inputs = Array.isArray(x) ? (x as readonly tf.Tensor[]) : [x as tf.Tensor];
  const settings = checkFitOptions(inputs, y, options);
  checkTargetShape(model, inputs, y);
  return runFit(model, inputs, y, settings, options.onEpochEnd);
}
