/**
 * `@rnnkit/core/training`: importing this module registers what training needs, in Node ESM and
 * in browsers: tfjs-core's gradients (which tfjs-core alone does not register, and whose own
 * `register_all_gradients` module plain Node ESM cannot load) and the gradients of rnnkit's
 * sequence kernels. Gradients already registered (by `@tensorflow/tfjs`, or an earlier import)
 * are kept, so nothing is registered twice and tfjs prints no override warning.
 *
 * ```ts
 * import '@rnnkit/core/training';
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerSequenceGradients } from '../kernels/gradients.js';
import { tfjsCoreGradConfigs } from './tfjs_gradients.generated.js';

/** Registers tfjs-core's and rnnkit's gradients that are not registered yet. Idempotent. */
export function registerTrainingGradients(): void {
  for (const config of tfjsCoreGradConfigs) {
    if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config);
  }
  registerSequenceGradients();
}

registerTrainingGradients();

export { fit, type TrainableLayer } from './fit.js';
export {
  checkFitOptions,
  checkTargetShape,
  fitFunction,
  FIT_LOSSES,
  FIT_OPTIMIZERS,
  runFit,
  type DifferentiableModel,
  type EpochLogs,
  type FitHistory,
  type FitLoss,
  type FitOptions,
  type FitSettings,
} from './loop.js';
export type { ProgressSink } from './progress.js';
