/**
 * Every gradient case of @rnnkit/conformance on the wasm backend: the fused forward kernels run
 * on the tape, their backward kernels fused where this backend registers them; ConvLSTM's
 * backward, which this backend does not register, runs core's reference.
 */
import { defineGradientSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init, kernelConfigs } from '../src/index.js';

defineGradientSuite(
  { describe, it, beforeAll },
  { backend: 'wasm', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
