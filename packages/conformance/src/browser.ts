/**
 * The browser-safe part of @rnnkit/conformance (`@rnnkit/conformance/browser`): the case format,
 * the runner and the verdict, which need only tfjs-core and @rnnkit/core. Bring the cases
 * yourself, e.g. with a bundler's JSON import; `loadCases` and the test suites read the case
 * folder through `node:fs` and live in the main entry only.
 */
export * from './schema.js';
export { registeredSequenceKernels, runCase, type CaseResult } from './run.js';
export {
  caseVerdict,
  type CaseVerdict,
  type VerdictFailure,
  type VerdictOptions,
} from './verdict.js';
export { seededTensor } from './data.js';
