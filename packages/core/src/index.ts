/**
 * @rnnkit/core: Keras-exact recurrent layers on tfjs-core, and the whole-sequence kernel
 * contract backends implement.
 */
export * from './errors.js';
export {
  applyActivation,
  isKeras2,
  KERAS_ACTIVATION_NAMES,
  resolveActivation,
  scalarActivation,
} from './activations/index.js';
export * from './initializers/index.js';
export { mulberry32 } from './initializers/random.js';
export * from './kernels/contract.js';
export * from './kernels/validate.js';
export {
  dispatchPath,
  getDispatchStats,
  hasFusedKernel,
  resetDispatchStats,
  runSequenceKernel,
  type DispatchPath,
  type DispatchStats,
} from './kernels/dispatch.js';
export { referenceKernels, type ReferenceKernel } from './kernels/reference/index.js';
export { KernelCell, type BaseCellArgs, type Cell } from './layers/cell.js';
export * from './layers/cells.js';
export * from './layers/lstm.js';
export * from './layers/rnn.js';
export * from './layers/bidirectional.js';
export {
  RecurrentLayer,
  type ApplyOptions,
  type RecurrentLayerArgs,
  type RecurrentOutput,
} from './layers/recurrent.js';
export {
  fromKerasConfig,
  type FromConfigOptions,
  type KerasLayer,
  type KerasLayerJson,
} from './layers/config.js';
