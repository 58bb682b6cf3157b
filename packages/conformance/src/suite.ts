/**
 * The conformance suite as test cases, for any test runner with `describe`/`it`/`beforeAll`
 * (vitest, jest, mocha). A backend runs every case with one call:
 *
 * ```ts
 * import { beforeAll, describe, it } from 'vitest';
 * import { defineConformanceSuite } from '@rnnkit/conformance';
 * defineConformanceSuite(
 *   { describe, it, beforeAll },
 *   { backend: 'wasm', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
 * );
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadCases } from './load.js';
import { runCase } from './run.js';
import { caseVerdict } from './verdict.js';

/** The bits of a test runner the suite needs. */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => void | Promise<void>, timeout?: number): void;
  beforeAll(fn: () => void | Promise<void>, timeout?: number): void;
}

/** Options of {@link defineConformanceSuite}. */
export interface SuiteOptions {
  /** tfjs backend name the suite runs on. */
  backend: string;
  /** Activates the backend (e.g. a backend package's `init`). */
  init?: () => Promise<void>;
  /**
   * The kernels the backend runs fused: the names it registers (every other kernel must then run
   * on the reference), or `true` for all of them. See `VerdictOptions.expectFused`.
   */
  expectFused?: boolean | readonly string[];
  /** Only cases whose name matches. */
  filter?: RegExp | string;
  /** Per-case timeout in ms. */
  timeout?: number;
}

/** Registers one test per conformance case. */
export function defineConformanceSuite(api: TestApi, options: SuiteOptions): void {
  const cases = loadCases(options.filter);
  api.describe(`conformance on ${options.backend}`, () => {
    api.beforeAll(async () => {
      if (options.init != null) await options.init();
      if (tf.getBackend() !== options.backend) await tf.setBackend(options.backend);
    }, 120_000);
    for (const c of cases) {
      api.it(
        c.name,
        async () => {
          const v = caseVerdict(await runCase(c), { expectFused: options.expectFused });
          if (!v.ok) throw new Error(v.message);
        },
        options.timeout,
      );
    }
  });
}
