/**
 * @rnnkit/conformance: JSON cases with independently computed expected outputs, a runner that
 * checks the active backend against them, and the registration contract of a backend package.
 * The float64 oracle is the separate entry `@rnnkit/conformance/naive`; the browser-safe subset
 * (no `node:fs`) is `@rnnkit/conformance/browser`.
 */
export * from './browser.js';
// Test support for ConvLSTM kernels (builds calls and their float64 reference problem).
export {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  runConvLSTMKernel,
  type ConvLSTMCallSpec,
  type ConvLSTMKernelCall,
} from './conv_lstm_call.js';
export { CASES_DIR, loadCases } from './load.js';
export { defineConformanceSuite, type SuiteOptions, type TestApi } from './suite.js';
export { defineStreamSuite, type StreamSuiteOptions } from './stream.js';
export {
  defineRegistrationSuite,
  type BackendPackage,
  type RegistrationOptions,
} from './registration.js';
export {
  defineGradientSuite,
  GRADIENT_CASES_DIR,
  loadGradientCases,
  runGradientCase,
  type GradientCase,
  type GradientCaseResult,
  type GradientSuiteOptions,
} from './gradients.js';
