/**
 * Every gradient case of @rnnkit/conformance on the wasm backend: the fused forward kernels run
 * on the tape and their fused backward kernels (ConvLSTM's included) after them, never core's
 * reference.
 */
import { defineGradientSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { init, kernelConfigs } from '../src/index.js';

defineGradientSuite(
  { describe, it, beforeAll },
  { backend: 'wasm', init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
