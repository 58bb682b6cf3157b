/**
 * Every gradient case of @rnnkit/conformance on the cpu backend: the fused forward kernels run
 * on the tape and the fused backward kernels (`<kernel>Grad`, ConvLSTM's included) compute the
 * gradients.
 */
import { defineGradientSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init, kernelConfigs } from '../src/index.js';

defineGradientSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
