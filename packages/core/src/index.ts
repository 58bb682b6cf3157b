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
export { registerKernelConfigs } from './kernels/register.js';
export * from './kernels/families.js';
export { timeLoop, type TimeLoopArgs, type TimeStep } from './kernels/time_loop.js';
export * from './kernels/validate.js';
export * from './kernels/validate_conv_lstm.js';
export * from './kernels/conv_geometry.js';
export {
  registerSequenceGradients,
  runSequenceBackward,
  sequenceGradientsRegistered,
} from './kernels/gradients.js';
export { sequenceBackwardReference } from './kernels/reference/backward.js';
export {
  dispatchPath,
  getDispatchStats,
  hasFusedKernel,
  resetDispatchStats,
  runSequenceKernel,
  type DispatchPath,
  type DispatchStats,
} from './kernels/dispatch.js';
export {
  convLSTMSequenceReference,
  referenceKernels,
  type ReferenceKernel,
} from './kernels/reference/index.js';
export { KernelCell, type BaseCellArgs, type Cell } from './layers/cell.js';
export * from './layers/cells.js';
export * from './layers/lstm.js';
export * from './layers/conv_lstm.js';
export {
  ConvLSTMCell,
  convOutputSize,
  type ConvLSTMCellArgs,
  type ConvRank,
  type IntOrTuple,
} from './layers/conv_lstm_cell.js';
export * from './layers/rnn.js';
export * from './layers/bidirectional.js';
export * from './kernels/step.js';
export {
  RecurrentStream,
  type StreamOptions,
  type StreamState,
  type StreamStepOptions,
} from './layers/stream.js';
export type { StepShapes, StreamableLayer } from './layers/stream_engine.js';
export {
  RecurrentLayer,
  type ApplyOptions,
  type LayerWeightSpec,
  type RecurrentLayerArgs,
  type RecurrentOutput,
} from './layers/recurrent.js';
export { recurrentFromKerasConfig, RECURRENT_LAYER_CLASSES } from './layers/recurrent_config.js';
export {
  fromKerasConfig,
  type FromConfigOptions,
  type KerasLayer,
  type KerasLayerJson,
} from './layers/config.js';
