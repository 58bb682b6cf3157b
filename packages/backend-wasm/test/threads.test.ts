import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_STEP_WORK_PER_THREAD,
  getKernelCalls,
  getThreadedCalls,
  getThreads,
  getWasmMemoryStats,
  resetKernelCalls,
  setMinStepWorkPerThread,
  setThreads,
  threadsUnavailableReason,
} from '../src/index.js';
import {
  expectClose,
  expectFlatMemory,
  makeProblem,
  naiveOutputs,
  runKernel,
  type Problem,
  type ProblemOptions,
  useOneThreadFirst,
} from './helpers.js';

const FAMILIES: { name: string; options: Pick<ProblemOptions, 'family' | 'resetAfter'> }[] = [
  { name: 'SimpleRNN', options: { family: 'simple' } },
  { name: 'LSTM', options: { family: 'lstm' } },
  { name: 'GRU resetAfter', options: { family: 'gru', resetAfter: true } },
  { name: 'GRU resetBefore', options: { family: 'gru', resetAfter: false } },
];

/**
 * Shapes whose units split into several 16-unit slices: 37 units make three slices (the last
 * with padding), 17 make a second slice of one unit, 128 at batch 1 is the matrix–vector path.
 */
const SHAPES: [batch: number, steps: number, inputDim: number, units: number][] = [
  [3, 6, 5, 37],
  [2, 4, 3, 17],
  [1, 5, 8, 128],
];

interface Case {
  label: string;
  problem: Problem;
}

function cases(): Case[] {
  const out: Case[] = [];
  let seed = 500;
  for (const { name, options } of FAMILIES) {
    for (const [batch, steps, inputDim, units] of SHAPES) {
      for (const goBackwards of [false, true])
        for (const returnSequences of [false, true])
          for (const mask of ['none', 'random'] as const)
            for (const recurrentMask of [false, true]) {
              const o: ProblemOptions = {
                ...options,
                batch,
                steps,
                inputDim,
                units,
                goBackwards,
                alignToInput: goBackwards && returnSequences,
                returnSequences,
                zeroOutputForMask: mask === 'random' && !recurrentMask,
                mask,
                recurrentMask,
                initialStates: seed % 2 === 0,
                weightScale: 0.3,
                seed: seed++,
              };
              out.push({ label: `${name} ${JSON.stringify(o)}`, problem: makeProblem(o) });
            }
    }
  }
  return out;
}

const CASES = cases();
/** Outputs per case with one thread, computed before any worker starts. */
let single: Float32Array[][] = [];

useOneThreadFirst(() => (single = CASES.map((c) => runKernel(c.problem))));

describe('threads', () => {
  it('are available in Node', () => {
    expect(threadsUnavailableReason()).toBeNull();
  });

  it('rejects a thread count that is not an integer from 1 to 64, naming it', async () => {
    await expect(setThreads(0)).rejects.toThrow(
      'setThreads: expected an integer from 1 to 64, got 0',
    );
    await expect(setThreads(2.5)).rejects.toThrow('got 2.5');
    expect(() => setMinStepWorkPerThread(-1)).toThrow(
      'setMinStepWorkPerThread: expected a number ≥ 0, got -1',
    );
    expect(getThreads()).toBe(1);
  });

  // 2 threads deal three slices out as 2 + 1; 3 threads take one slice each (more threads than
  // this machine may have cores: the barrier then sleeps instead of spinning).
  for (const threads of [2, 3]) {
    it(`${threads} threads agree bit for bit with one thread, and with the float64 equations`, async () => {
      await setThreads(threads);
      setMinStepWorkPerThread(0);
      expect(getThreads()).toBe(threads);
      resetKernelCalls();
      CASES.forEach((c, i) => {
        const actual = runKernel(c.problem);
        expect(actual.length, c.label).toBe(single[i].length);
        actual.forEach((a, k) => {
          // Each thread runs the same arithmetic on its columns as one thread does on all.
          expect(Array.from(a), `${c.label} output ${k}`).toEqual(Array.from(single[i][k]));
        });
        naiveOutputs(c.problem).forEach((want, k) =>
          expectClose(actual[k], want, `${c.label} output ${k} vs float64`, 1e-5, 1e-5),
        );
      });
      const calls = Object.values(getKernelCalls()).reduce((a, b) => a + b, 0);
      expect(calls).toBe(CASES.length);
      // Every shape has more than one slice of units, so every call ran threaded.
      expect(getThreadedCalls()).toBe(CASES.length);
      expect(getWasmMemoryStats()).toMatchObject({ threads, mode: 'copy' });
    });
  }

  it('keeps small calls on one thread unless told otherwise', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(DEFAULT_MIN_STEP_WORK_PER_THREAD);
    // 1·37·(4·37) multiply-adds per step: far below the default threshold. The answer is the
    // same either way; this checks that the threshold is honoured without breaking anything.
    const c = CASES.find((k) => k.problem.family === 'lstm' && k.problem.units === 37)!;
    resetKernelCalls();
    const actual = runKernel(c.problem);
    expect(getThreadedCalls()).toBe(0);
    expect(Array.from(actual[0])).toEqual(Array.from(single[CASES.indexOf(c)][0]));
  });

  it('tensors and memory stay flat over 300 threaded forwards', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(0);
    resetKernelCalls();
    const p = makeProblem({ family: 'lstm', batch: 2, steps: 8, inputDim: 8, units: 48 });
    expect(expectFlatMemory(p, 300).threads).toBe(2);
    expect(getThreadedCalls()).toBe(301);
  });

  it('back to one thread: in place on tfjs memory again', async () => {
    await setThreads(1);
    const c = CASES[0];
    expect(Array.from(runKernel(c.problem)[0])).toEqual(Array.from(single[0][0]));
    expect(getWasmMemoryStats()).toMatchObject({ threads: 1, mode: 'shared' });
  });
});
