/**
 * Every gradient case of @rnnkit/conformance on the webgpu backend: the fused forward kernels
 * run on the tape and the fused backward kernels (`<kernel>Grad`, ConvLSTM's included) compute
 * the gradients.
 */
import { beforeAll, describe, it } from 'vitest';
import { defineGradientSuite } from '@rnnkit/conformance';
import { init, kernelConfigs } from '../src/node.js';
import { describeGpu } from './gpu.js';

describeGpu('gradient conformance', () => {
  defineGradientSuite(
    { describe, it, beforeAll },
    {
      backend: 'webgpu',
      init: async () => {
        await init();
      },
      expectFused: kernelConfigs.map((k) => k.kernelName),
    },
  );
});
