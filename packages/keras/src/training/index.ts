/**
 * `@rnnkit/keras/training`: training of loaded Keras models. Importing it registers the gradients
 * training needs (through `@rnnkit/core/training`).
 *
 * ```ts
 * import { fitModel } from '@rnnkit/keras/training';
 * ```
 */
export { fitModel } from './fit_model.js';
export {
  FIT_LOSSES,
  FIT_OPTIMIZERS,
  type EpochLogs,
  type FitHistory,
  type FitLoss,
  type FitOptions,
} from '@rnnkit/core/training';
