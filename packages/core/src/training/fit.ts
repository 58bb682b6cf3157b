/**
 * `fit`: Keras-style training of a stack of rnnkit layers (each layer's output is the next one's
 * input) with a plain loss and a tfjs-core optimizer, on the loop of `loop.ts`. Every argument is
 * checked before any weight changes, so a rejected call leaves the model as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, RnnkitError } from '../errors.js';
import {
  checkFitOptions,
  checkTargetShape,
  runFit,
  type DifferentiableModel,
  type FitHistory,
  type FitOptions,
} from './loop.js';

/** What `fit` needs of a layer: rnnkit's recurrent layers and Bidirectional qualify. */
export interface TrainableLayer {
  /** The layer's output (the first tensor where it returns states too). */
  apply(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  /** Copies of the weights, owned by the caller (as rnnkit's layers return them). */
  getWeights(): tf.Tensor[];
  /** Replaces the weights with copies of the given ones. */
  setWeights(weights: tf.Tensor[]): void;
}

function checkStack(model: readonly TrainableLayer[], x: tf.Tensor): void {
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
}

/** The stack's output: each layer's output (the first, where it returns states) feeds the next. */
function runStack(model: readonly TrainableLayer[], input: tf.Tensor): tf.Tensor {
  let out = input;
  for (const layer of model) {
    const next = layer.apply(out);
    out = Array.isArray(next) ? next[0] : next;
  }
  return out;
}

/**
 * Trains `model`, a stack of layers applied in order, on `x` → `y` with the loss `loss` and a
 * tfjs-core optimizer: per epoch, one gradient step per batch of `batchSize` training samples,
 * then `onEpochEnd` (and a progress bar on stderr with `verbose: 1`). Needs
 * `@rnnkit/core/training` (which this module is part of). Throws an `RnnkitError` naming the
 * argument for bad input (sample counts, `y`'s shape against the model's output, loss or
 * optimizer names, non-positive `learningRate`, `epochs` or `batchSize`, a `validationSplit`
 * outside [0, 1)) before any weight changes.
 */
export async function fit(
  model: readonly TrainableLayer[],
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitOptions = {},
): Promise<FitHistory> {
  checkStack(model, x);
  const settings = checkFitOptions([x], y, options);
  // A layer makes its weights on its first call: one sample's forward builds any unbuilt ones.
  tf.tidy(() => {
    runStack(model, tf.slice(x, 0, 1));
  });
  // getWeights returns copies: each becomes a variable's value, then is freed.
  const initial = model.map((layer) => layer.getWeights());
  const counts = initial.map((weights) => weights.length);
  const variables = initial.flat().map((w) => tf.variable(w));
  tf.dispose(initial.flat());
  // The layers copy what setWeights gets; the copies stay on the gradient tape.
  const assign = (): void => {
    let offset = 0;
    model.forEach((layer, i) => {
      layer.setWeights(variables.slice(offset, offset + counts[i]));
      offset += counts[i];
    });
  };
  const stack: DifferentiableModel = {
    variables,
    forward: ([input]) => {
      assign();
      return runStack(model, input);
    },
  };
  try {
    checkTargetShape(stack, [x], y);
    return await runFit(stack, [x], y, settings, options.onEpochEnd);
  } finally {
    // The layers keep copies of the final values (setWeights copies).
    assign();
    tf.dispose(variables);
  }
}
