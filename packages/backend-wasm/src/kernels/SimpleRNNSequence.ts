/**
 * Fused whole-sequence SimpleRNN for the tfjs `wasm` backend: `h_t = act(x_t·W + b + h_{t−1}·U)`.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { SimpleRNNSequence } from '@rnnkit/core';
import { runSequence } from './shared/run.js';

/** Runs the SimpleRNN; returns `[output, h]`. */
export const simpleRNNSequence: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequence(SimpleRNNSequence, inputs, backend, attrs);

/** The wasm registration of {@link SimpleRNNSequence}. */
export const simpleRNNSequenceConfig: KernelConfig = {
  kernelName: SimpleRNNSequence,
  backendName: 'wasm',
  kernelFunc: simpleRNNSequence,
};
