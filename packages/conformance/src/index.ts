/**
 * @rnnkit/conformance: JSON cases with independently computed expected outputs, and a runner
 * that checks the active backend against them.
 */
export * from './schema.js';
export { CASES_DIR, loadCases } from './load.js';
export { runCase, type CaseResult } from './run.js';
export { defineConformanceSuite, type SuiteOptions, type TestApi } from './suite.js';
