/** Every case of the rnnkit conformance kit on the webgpu backend with the fused kernels. */
import { beforeAll, describe, it } from 'vitest';
import { defineConformanceSuite } from '@rnnkit/conformance';
import { init, kernelConfigs } from '../src/node.js';
import { describeGpu } from './gpu.js';

describeGpu('conformance kit', () => {
  defineConformanceSuite(
    { describe, it, beforeAll },
    {
      backend: 'webgpu',
      init: async () => {
        await init();
      },
      expectFused: kernelConfigs.map((k) => k.kernelName),
      timeout: 60_000,
    },
  );
});
