/**
 * Fused whole-sequence GRU for the tfjs `wasm` backend (Keras gate order `z, r, h`), both
 * `resetAfter` modes.
 *
 * `resetAfter: true` (Keras default) runs one recurrent GEMM per step; the candidate's
 * recurrent bias stays inside `r ⊙ (h·U_h + b_rec)` while the z and r recurrent biases fold into
 * the input bias. `resetAfter: false` runs two: `h·U_zr`, then `(r ⊙ h)·U_h`.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { GRUSequence } from '@rnnkit/core';
import { runSequence } from './shared/run.js';

/** Runs the GRU; returns `[output, h]`. */
export const gruSequence: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequence(GRUSequence, inputs, backend, attrs);

/** The wasm registration of {@link GRUSequence}. */
export const gruSequenceConfig: KernelConfig = {
  kernelName: GRUSequence,
  backendName: 'wasm',
  kernelFunc: gruSequence,
};
