/**
 * The registration contract every backend package meets, as test cases for any runner with
 * `describe`/`it`/`beforeAll`: it exports `backendName` and one `KernelConfig` per sequence
 * kernel, its `init()` registers them on that backend and leaves it active, and `init()` may be
 * called again.
 *
 * ```ts
 * import * as cpu from '@rnnkit/backend-cpu';
 * defineRegistrationSuite({ describe, it, beforeAll }, { backend: 'cpu', pkg: cpu });
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { OPTIONAL_KERNEL_NAMES, SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';
import type { TestApi } from './suite.js';

/** What a backend package exports. */
export interface BackendPackage {
  backendName: string;
  kernelConfigs: readonly tf.KernelConfig[];
  init(): Promise<unknown>;
}

/** Options of {@link defineRegistrationSuite}. */
export interface RegistrationOptions {
  /** The tfjs backend name the package must use. */
  backend: string;
  pkg: BackendPackage;
}

function check(ok: boolean, what: string, expected: unknown, got: unknown): void {
  if (!ok) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  }
}

/** Registers the registration tests of one backend package. */
export function defineRegistrationSuite(api: TestApi, { backend, pkg }: RegistrationOptions): void {
  api.describe(`registration on ${backend}`, () => {
    api.beforeAll(async () => {
      await pkg.init();
    }, 120_000);

    api.it(`registers every sequence kernel on ${backend} and makes it active`, () => {
      check(pkg.backendName === backend, 'backendName', backend, pkg.backendName);
      check(tf.getBackend() === backend, 'active backend', backend, tf.getBackend());
      const want = [...SEQUENCE_KERNEL_NAMES].sort();
      // Optional kernels (ConvLSTM) may be registered too; the reference runs where they are not.
      const optional: readonly string[] = OPTIONAL_KERNEL_NAMES;
      const names = pkg.kernelConfigs
        .map((k) => k.kernelName)
        .filter((n) => !optional.includes(n))
        .sort();
      check(names.join() === want.join(), 'kernelConfigs', want, names);
      const missing = want.filter((name) => tf.getKernel(name, backend) == null);
      check(missing.length === 0, `kernels registered on ${backend}`, want, missing);
    });

    api.it('init() is idempotent', async () => {
      await pkg.init();
      await pkg.init();
      check(tf.getBackend() === backend, 'active backend', backend, tf.getBackend());
    });
  });
}
