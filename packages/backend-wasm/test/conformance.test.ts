/** Every conformance case of @rnnkit/conformance, on the wasm backend with the fused kernels. */
import { defineConformanceSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init, kernelConfigs } from '../src/index.js';

defineConformanceSuite(
  { describe, it, beforeAll },
  { backend: 'wasm', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
