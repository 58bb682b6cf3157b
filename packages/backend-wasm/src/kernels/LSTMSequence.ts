/**
 * Fused whole-sequence LSTM for the tfjs `wasm` backend (Keras gate order `i, f, c, o`).
 *
 * One packed GEMM projects all `B·T` input rows; each step then runs one packed GEMM of the
 * batch's `h` against the prepacked recurrent kernel and a fused gate/state update, all inside
 * rnnkit's WebAssembly module, on the backend's memory in place.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { LSTMSequence } from '@rnnkit/core';
import { runSequence } from './shared/run.js';

/** Runs the LSTM; returns `[output, h, c]`. */
export const lstmSequence: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequence(LSTMSequence, inputs, backend, attrs);

/** The wasm registration of {@link LSTMSequence}. */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LSTMSequence,
  backendName: 'wasm',
  kernelFunc: lstmSequence,
};
