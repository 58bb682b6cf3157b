/**
 * `fit`: Keras-style training of a stack of rnnkit layers (each layer's output is the next one's
 * input) with a plain loss and a tfjs-core optimizer. Every argument is checked before any
 * weight changes, so a rejected call leaves the model as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, RnnkitError } from '../errors.js';
import { mulberry32 } from '../initializers/random.js';

/** What `fit` needs of a layer: rnnkit's recurrent layers and Bidirectional qualify. */
export interface TrainableLayer {
  /** The layer's output (the first tensor where it returns states too). */
  apply(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  /** Copies of the weights, owned by the caller (as rnnkit's layers return them). */
  getWeights(): tf.Tensor[];
  /** Replaces the weights with copies of the given ones. */
  setWeights(weights: tf.Tensor[]): void;
}

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

/** Options of {@link fit}. */
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
  /** Called after each epoch with its losses; awaited when it returns a promise. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

/** What {@link fit} returns: each epoch's losses. */
export interface FitHistory {
  loss: number[];
  /** With `validationSplit`. */
  valLoss?: number[];
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    invalidArgument(`fit: ${name}`, 'a positive integer', value);
  }
  return value;
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) {
    invalidArgument(`fit: ${name}`, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

function lossFunction(name: FitLoss): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  return name === 'mse' || name === 'mean_squared_error'
    ? (t, p) => tf.mean(tf.squaredDifference(t, p))
    : (t, p) => tf.mean(tf.abs(tf.sub(t, p)));
}

function run(model: readonly TrainableLayer[], x: tf.Tensor): tf.Tensor {
  let out = x;
  for (const layer of model) {
    const y = layer.apply(out);
    out = Array.isArray(y) ? y[0] : y;
  }
  return out;
}

/** Checks the arguments; returns the settings with defaults filled in. */
function checkFit(
  model: readonly TrainableLayer[],
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitOptions,
) {
  if (!Array.isArray(model) || model.length === 0) {
    invalidArgument('fit: model', 'a non-empty array of layers', model);
  }
  model.forEach((layer, i) => {
    const ok = ['apply', 'getWeights', 'setWeights'].every(
      (m) => typeof (layer as unknown as Record<string, unknown>)?.[m] === 'function',
    );
    if (!ok) invalidArgument(`fit: model[${i}]`, 'a layer (apply, getWeights, setWeights)', layer);
  });
  if (!(x instanceof tf.Tensor) || x.rank < 2) {
    throw new RnnkitError(
      `fit: x: expected a tensor of shape (samples, ...), got ${x instanceof tf.Tensor ? `shape ${formatShape(x.shape)}` : String(x)}`,
    );
  }
  if (!(y instanceof tf.Tensor) || y.rank < 1) {
    throw new RnnkitError(`fit: y: expected a tensor of shape (samples, ...), got ${String(y)}`);
  }
  const samples = x.shape[0];
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
  const lr = options.learningRate ?? 0.001;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    invalidArgument('fit: learningRate', 'a positive number', lr);
  }
  const loss = oneOf('loss', options.loss, FIT_LOSSES, 'mean_squared_error');
  const optimizer = oneOf('optimizer', options.optimizer, FIT_OPTIMIZERS, 'adam');
  // The model's output for one sample fixes what y must be.
  const outShape = tf.tidy(() => run(model, tf.slice(x, 0, 1)).shape);
  const want = [samples, ...outShape.slice(1)];
  if (y.shape.length !== want.length || y.shape.some((d, i) => d !== want[i])) {
    throw new RnnkitError(
      `fit: y: expected shape ${formatShape(want)} (the model's output), got shape ${formatShape(y.shape)}`,
    );
  }
  return { epochs, batchSize, validation, lr, loss, optimizer, samples };
}

/**
 * Trains `model`, a stack of layers applied in order, on `x` → `y` with the loss `loss` and a
 * tfjs-core optimizer: per epoch, one gradient step per batch of `batchSize` training samples,
 * then `onEpochEnd`. Needs `@rnnkit/core/training` (which this module is part of). Throws an
 * `RnnkitError` naming the argument for bad input (sample counts, `y`'s shape against the
 * model's output, loss or optimizer names, non-positive `learningRate`, `epochs` or
 * `batchSize`, a `validationSplit` outside [0, 1)) before any weight changes.
 */
export async function fit(
  model: readonly TrainableLayer[],
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitOptions = {},
): Promise<FitHistory> {
  const s = checkFit(model, x, y, options);
  const lossOf = lossFunction(s.loss);
  const optimizer = s.optimizer === 'sgd' ? tf.train.sgd(s.lr) : tf.train.adam(s.lr);
  // getWeights returns copies: each becomes a variable's value, then is freed.
  const initial = model.map((layer) => layer.getWeights());
  const counts = initial.map((weights) => weights.length);
  const variables = initial.flat().map((w) => tf.variable(w));
  tf.dispose(initial.flat());
  const assign = (weights: tf.Tensor[]): void => {
    let offset = 0;
    model.forEach((layer, i) => {
      layer.setWeights(weights.slice(offset, offset + counts[i]));
      offset += counts[i];
    });
  };
  const train = s.samples - s.validation;
  const [xTrain, yTrain, xVal, yVal] = tf.tidy(() => [
    tf.slice(x, 0, train),
    tf.slice(y, 0, train),
    ...(s.validation > 0 ? [tf.slice(x, train), tf.slice(y, train)] : []),
  ]);
  const rand = mulberry32(options.seed ?? 0);
  const history: FitHistory = { loss: [], ...(s.validation > 0 ? { valLoss: [] } : {}) };
  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = Array.from({ length: train }, (_, i) => i);
      if (options.shuffle ?? true) {
        for (let i = train - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      let total = 0;
      for (let start = 0; start < train; start += s.batchSize) {
        const rows = order.slice(start, start + s.batchSize);
        const value = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const xb = tf.gather(xTrain, idx);
          const yb = tf.gather(yTrain, idx);
          const { value, grads } = tf.valueAndGrads((...w: tf.Tensor[]) => {
            assign(w);
            return lossOf(yb, run(model, xb));
          })(variables);
          optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: grads[i] })));
          return value;
        });
        total += (await value.data())[0] * rows.length;
        value.dispose();
      }
      assign(variables);
      const logs: EpochLogs = { loss: total / train };
      history.loss.push(logs.loss);
      if (xVal != null && yVal != null) {
        const v = tf.tidy(() => lossOf(yVal, run(model, xVal)));
        logs.valLoss = (await v.data())[0];
        v.dispose();
        history.valLoss?.push(logs.valLoss);
      }
      await options.onEpochEnd?.(epoch, logs);
    }
  } finally {
    // The layers keep copies of the final values (setWeights copies).
    assign(variables);
    tf.dispose([xTrain, yTrain, ...(xVal ? [xVal, yVal] : []), ...variables]);
    optimizer.dispose();
  }
  return history;
}
