/**
 * @rnnkit/keras: load Keras models (`.keras`, legacy `.h5`, tfjs `model.json`) and run them with
 * rnnkit's recurrent layers on any tfjs backend.
 */
export { loadKerasModel, type LoadOptions } from './load.js';
export {
  KerasModel,
  type KerasFormat,
  type LayerInfo,
  type ModelInput,
  type NestedArray,
  type PredictOptions,
} from './model.js';
export { ModelStream, type ModelStepInput, type ModelStreamOptions } from './model_stream.js';
export { KerasModelError } from './errors.js';
export { generate, sampleIndex, type GenerateOptions, type GenerateResult } from './generate.js';
export { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
export type { ModelSource } from './source.js';
export type { Shape, WeightSpec } from './layers/types.js';
export {
  registerKerasLayer,
  type CustomLayer,
  type CustomLayerConfig,
  type CustomLayerFactory,
  type CustomLayerOptions,
} from './custom.js';
export { SUPPORTED_LAYERS } from './layers/registry.js';
export { saveWeightsH5 } from './save/keras_weights.js';
export { saveTfjs, type TfjsArtifacts } from './save/tfjs_weights.js';
export { closeHdf5Reader } from './hdf5/read.js';
