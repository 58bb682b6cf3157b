/**
 * The ConvLSTM kernel on worker threads: calls split by batch items agree bit for bit with one
 * thread and with the float64 equations, really run threaded, keep batch 1 on one thread, and
 * leak nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMSequence } from '@rnnkit/core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  runConvLSTMKernel,
  type ConvLSTMCallSpec,
} from '@rnnkit/conformance';
import { naiveConvLSTM } from '@rnnkit/conformance/naive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_STEP_WORK_PER_THREAD,
  getKernelCalls,
  getThreadedCalls,
  getWasmMemoryStats,
  init,
  resetKernelCalls,
  setMinStepWorkPerThread,
  setThreads,
} from '../src/index.js';
import { expectClose, expectFlatOver } from './helpers.js';

/** Batches of 2 to 5 items over every geometry, with masks, states and flags. */
const CASES: { label: string; problem: ConvLSTMCallSpec; seed: number }[] =
  CONV_LSTM_GEOMETRIES.map((geometry, i) => {
    const problem: ConvLSTMCallSpec = {
      ...geometry,
      batch: 2 + (i % 4),
      steps: 3,
      channels: 1 + (i % 3),
      filters: 2 + (i % 5),
      goBackwards: i % 2 === 1,
      returnSequences: i % 3 !== 0,
      alignToInput: i % 4 === 1,
      zeroOutputForMask: i % 2 === 0,
      mask: i % 3 !== 2,
      recurrentMask: i % 3 === 1,
    };
    return { label: `${JSON.stringify(geometry)} batch ${problem.batch}`, problem, seed: 900 + i };
  });

/** Runs a case; returns its outputs' values and disposes everything. */
function run(problem: ConvLSTMCallSpec, seed: number): Float32Array[] {
  const { inputs, attrs } = convLSTMKernelCall(problem, seed);
  const out = runConvLSTMKernel(inputs, attrs);
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, ...Object.values(inputs)]);
  return values;
}

let single: Float32Array[][] = [];

beforeAll(async () => {
  await init();
  await setThreads(1);
  single = CASES.map((c) => run(c.problem, c.seed));
});

afterAll(async () => {
  setMinStepWorkPerThread(DEFAULT_MIN_STEP_WORK_PER_THREAD);
  await setThreads(1);
});

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
