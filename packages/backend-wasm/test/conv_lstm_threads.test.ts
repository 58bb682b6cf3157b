/**
 * The ConvLSTM kernel on worker threads: calls split by batch items agree bit for bit with one
 * thread and with the float64 equations, really run threaded, keep batch 1 on one thread, and
 * leak nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMSequence } from '@rnnkit/core';
import { convLSTMKernelCall, runConvLSTMKernel, type ConvLSTMCallSpec } from '@rnnkit/conformance';
import { naiveConvLSTM } from '@rnnkit/conformance/naive';
import { describe, expect, it } from 'vitest';
import {
  getKernelCalls,
  getThreadedCalls,
  getWasmMemoryStats,
  resetKernelCalls,
  setMinStepWorkPerThread,
  setThreads,
} from '../src/index.js';
import { getWinogradCalls } from '../src/kernels/shared/module_args.js';
import { conv3x3, threadCases } from './conv_lstm_helpers.js';
import { expectClose, expectFlatOver, useOneThreadFirst } from './helpers.js';

/**
 * Batches of 2 to 5 items over every geometry, with masks, states and flags, and one call whose
 * recurrent convolution runs as Winograd's F(2×2, 3×3) (3×3, 9 filters).
 */
const CASES = [
  ...threadCases(900),
  {
    label: "Winograd's 5×7, batch 3",
    problem: {
      ...conv3x3([5, 7], 'same'),
      batch: 3,
      steps: 3,
      channels: 2,
      filters: 9,
      mask: true,
      recurrentMask: true,
      returnSequences: true,
    },
    seed: 950,
  },
];

/** Runs a case; returns its outputs' values and disposes everything. */
function run(problem: ConvLSTMCallSpec, seed: number): Float32Array[] {
  const { inputs, attrs } = convLSTMKernelCall(problem, seed);
  const out = runConvLSTMKernel(inputs, attrs);
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, ...Object.values(inputs)]);
  return values;
}

let single: Float32Array[][] = [];

useOneThreadFirst(() => (single = CASES.map((c) => run(c.problem, c.seed))));

describe('ConvLSTM on threads', () => {
  for (const threads of [2, 3]) {
    it(`${threads} threads agree bit for bit with one thread, and with the float64 equations`, async () => {
      await setThreads(threads);
      setMinStepWorkPerThread(0);
      resetKernelCalls();
      CASES.forEach((c, i) => {
        const actual = run(c.problem, c.seed);
        // Each thread runs the same arithmetic on its batch items as one thread does on all.
        actual.forEach((a, k) =>
          expect(Array.from(a), `${c.label} output ${k}`).toEqual(Array.from(single[i][k])),
        );
        const want = naiveConvLSTM(convLSTMKernelCall(c.problem, c.seed).problem);
        [want.output, want.h, want.c].forEach((w, k) =>
          expectClose(actual[k], w, `${c.label} output ${k} vs float64`),
        );
      });
      expect(getKernelCalls()[ConvLSTMSequence]).toBe(CASES.length);
      expect(getWinogradCalls()).toBe(1);
      // Every case has at least two batch items, so every call ran threaded.
      expect(getThreadedCalls()).toBe(CASES.length);
      expect(getWasmMemoryStats()).toMatchObject({ threads, mode: 'copy' });
    });
  }

  it('keeps a batch of one on one thread', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(0);
    resetKernelCalls();
    const c = CASES[0];
    const actual = run({ ...c.problem, batch: 1, mask: false }, c.seed);
    expect(getThreadedCalls()).toBe(0);
    expect(getKernelCalls()[ConvLSTMSequence]).toBe(1);
    expect(actual).toHaveLength(3);
  });

  it('tensors and memory stay flat over 300 threaded forwards', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(0);
    resetKernelCalls();
    const { inputs, attrs } = convLSTMKernelCall({ ...CASES[3].problem, batch: 4 }, 77);
    const forward = (): void => tf.dispose(runConvLSTMKernel(inputs, attrs));
    forward();
    const after = expectFlatOver(300, forward);
    expect(after.threads).toBe(2);
    expect(getThreadedCalls()).toBe(301);
    tf.dispose(Object.values(inputs));
  });
});
