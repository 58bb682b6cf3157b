/** Every conformance case of @rnnkit/conformance, on the cpu backend with the fused kernels. */
import { defineConformanceSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init, kernelConfigs } from '../src/index.js';

defineConformanceSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
