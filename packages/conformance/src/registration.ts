/**
 * The registration contract every backend package meets, as test cases for any runner with
 * `describe`/`it`/`beforeAll`: it exports `backendName` and one `KernelConfig` for each sequence
 * kernel it implements (any of the family table's, at least one) and for each backward kernel
 * (`<kernel>Grad`, only beside its forward kernel), its `init()` registers exactly those on that
 * backend and leaves it active (the others run on core's reference kernels), and `init()` may be
 * called again.
 *
 * ```ts
 * import * as cpu from '@rnnkit/backend-cpu';
 * defineRegistrationSuite({ describe, it, beforeAll }, { backend: 'cpu', pkg: cpu });
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { SEQUENCE_GRAD_KERNEL_NAMES, SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';
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

    api.it(`registers the kernels it declares on ${backend} and makes it active`, () => {
      check(pkg.backendName === backend, 'backendName', backend, pkg.backendName);
      check(tf.getBackend() === backend, 'active backend', backend, tf.getBackend());
      const names = pkg.kernelConfigs.map((k) => k.kernelName);
      const known: readonly string[] = [...SEQUENCE_KERNEL_NAMES, ...SEQUENCE_GRAD_KERNEL_NAMES];
      const forward = names.filter((name) => (SEQUENCE_KERNEL_NAMES as string[]).includes(name));
      check(forward.length > 0, 'kernelConfigs', 'at least one sequence kernel', names);
      const orphans = names.filter(
        (name) => name.endsWith('Grad') && !names.includes(name.slice(0, -'Grad'.length)),
      );
      check(
        orphans.length === 0,
        'kernelConfigs',
        'backward kernels beside their forward kernel',
        orphans,
      );
      const unknown = names.filter((name) => !known.includes(name));
      check(unknown.length === 0, 'kernelConfigs', `names among ${known.join(', ')}`, unknown);
      const twice = names.filter((name, i) => names.indexOf(name) !== i);
      check(twice.length === 0, 'kernelConfigs', 'each kernel once', twice);
      const wrongBackend = pkg.kernelConfigs.filter((k) => k.backendName !== backend);
      check(
        wrongBackend.length === 0,
        'kernelConfigs backendName',
        backend,
        wrongBackend.map((k) => k.backendName),
      );
      const missing = names.filter((name) => tf.getKernel(name, backend) == null);
      check(missing.length === 0, `declared kernels registered on ${backend}`, names, missing);
      // A kernel registered but not declared would run fused where the suites expect the reference.
      const undeclared = known.filter(
        (name) => !names.includes(name) && tf.getKernel(name, backend) != null,
      );
      check(undeclared.length === 0, `undeclared kernels registered on ${backend}`, [], undeclared);
    });

    api.it('init() is idempotent', async () => {
      await pkg.init();
      await pkg.init();
      check(tf.getBackend() === backend, 'active backend', backend, tf.getBackend());
    });
  });
}
