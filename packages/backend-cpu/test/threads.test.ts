/**
 * Product threads: every family on two threads gives the single-thread results to the bit
 * (each thread runs the same kernel over its own columns) and the float64 Keras equations'
 * within the kernels' tolerance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxRelError, naiveSequence } from '@rnnkit/conformance/naive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getThreads, init, MAX_THREADS, setThreads } from '../src/index.js';
import { activeProductPool, setActiveProductPool } from '../src/engine/active.js';
import { blockPanelsFor, ProductPool } from '../src/engine/pool.js';
import { MAX_BLOCKS } from '../src/engine/worker.js';
import { WorkerMatrices } from '../src/engine/worker_matrices.js';
import {
  kernelArgs,
  KERNEL_OF,
  makeProblem,
  runKernel,
  VARIANTS,
  type Problem,
  type ProblemOptions,
} from './helpers.js';

beforeAll(async () => {
  await init();
});

afterAll(async () => {
  await setThreads(1);
});

/**
 * The kernel's results on one thread, then on two (with the workers taking every block when
 * `workersOnly`); also how many products were split and how many blocks workers computed.
 */
async function bothWays(
  p: Problem,
  workersOnly = false,
): Promise<{ one: Float32Array[]; two: Float32Array[]; split: number; workerBlocks: number }> {
  await setThreads(1);
  const one = runKernel(p).values;
  await setThreads(2);
  const pool = activeProductPool()!;
  const before = { split: pool.splitProducts, blocks: pool.workerBlocks };
  pool.leaveBlocksToWorkers(workersOnly);
  try {
    const two = runKernel(p).values;
    return {
      one,
      two,
      split: pool.splitProducts - before.split,
      workerBlocks: pool.workerBlocks - before.blocks,
    };
  } finally {
    pool.leaveBlocksToWorkers(false);
  }
}

describe('setThreads', () => {
  it('rejects a count that is not an integer from 1 to MAX_THREADS, naming the value', async () => {
    for (const bad of [0, 1.5, MAX_THREADS + 1, NaN]) {
      await expect(setThreads(bad)).rejects.toThrow(
        `setThreads: expected an integer from 1 to ${MAX_THREADS}, got ${String(bad)}`,
      );
    }
  });

  it('starts the workers, sets them aside on 1 and takes them up again', async () => {
    await setThreads(2);
    expect(getThreads()).toBe(2);
    const pool = activeProductPool();
    expect(pool?.threads).toBe(2);
    await setThreads(1);
    expect(getThreads()).toBe(1);
    expect(activeProductPool()).toBeNull();
    await setThreads(2);
    expect(activeProductPool()).toBe(pool);
    await setThreads(3);
    expect(getThreads()).toBe(3);
    expect(activeProductPool()).not.toBe(pool);
    await setThreads(1);
  });
});

describe.each(VARIANTS)('$family (resetAfter: $resetAfter) on two threads', (v) => {
  const sizes: [string, Partial<ProblemOptions>][] = [
    ['batch 1 (the matrix-vector product)', { batch: 1, steps: 7, inputDim: 24, units: 96 }],
    ['batch 5 with masks, backwards', { batch: 5, steps: 6, inputDim: 40, units: 64 }],
  ];
  it.each(sizes)('%s: the single-thread results to the bit', async (_, size) => {
    const p = makeProblem(
      {
        ...v,
        batch: 1,
        steps: 1,
        inputDim: 1,
        units: 1,
        ...size,
        // SimpleRNN's product has a quarter of an LSTM's columns: twice the units keep it split.
        ...(v.family === 'simple' ? { units: 2 * (size.units ?? 1) } : {}),
        mask: size.batch === 5 ? 'edges' : 'none',
        recurrentMask: size.batch === 5,
        goBackwards: size.batch === 5,
        returnSequences: true,
        weightScale: 0.5,
      },
      7 + (size.batch ?? 0),
    );
    // Blocks as the threads claim them, then every block on the worker.
    for (const workersOnly of [false, true]) {
      const { one, two, split, workerBlocks } = await bothWays(p, workersOnly);
      expect(split).toBeGreaterThan(0);
      if (workersOnly) expect(workerBlocks).toBeGreaterThanOrEqual(2 * split);
      expect(two).toHaveLength(one.length);
      two.forEach((values, i) => expect(values).toEqual(one[i]));
    }
    const { two } = await bothWays(p);
    const want = naiveSequence(p);
    expect(maxRelError(two[0], want.output)).toBeLessThan(1e-5);
    expect(maxRelError(two[1], want.h)).toBeLessThan(1e-5);
  });
});

describe('product threads', () => {
  it('keep results exact while workers drop and restage weight matrices', async () => {
    await setThreads(1);
    const problems = [0, 1, 2].map((seed) =>
      makeProblem(
        { family: 'lstm', batch: 2, steps: 3, inputDim: 16, units: 64, weightScale: 0.5 },
        300 + seed,
      ),
    );
    const expected = problems.map((p) => runKernel(p).values);
    // The same weight tensors on every call, as a layer's, so that packed matrices are reused.
    const args = problems.map(kernelArgs);
    const run = (i: number): Float32Array[] => {
      const { inputs, attrs } = args[i];
      const kernel = KERNEL_OF[problems[i].family];
      const out = tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor[];
      const values = out.map((t) => t.dataSync() as Float32Array);
      tf.dispose(out);
      return values;
    };
    // Only the recurrent products are large enough to split: three matrices for workers that
    // keep two.
    const pool = await ProductPool.start(2, 2);
    setActiveProductPool(pool);
    // The worker computes every block: each product needs its matrix in the worker's cache.
    pool.leaveBlocksToWorkers(true);
    const staged = pool.stagedMatrices;
    try {
      for (const i of [0, 1, 2, 0, 0, 2, 1]) {
        const before = pool.splitProducts;
        const got = run(i);
        expect(pool.splitProducts).toBeGreaterThan(before);
        got.forEach((values, k) => expect(values).toEqual(expected[i][k]));
      }
      // 0, 1, 2 are new; 0 was dropped for 2; 1 was dropped for 0.
      expect(pool.stagedMatrices - staged).toBe(5);
    } finally {
      setActiveProductPool(null);
      await pool.stop();
      args.forEach(({ inputs }) => tf.dispose(Object.values(inputs)));
    }
  });

  it('give the single-thread results on three threads too', async () => {
    const p = makeProblem(
      { family: 'gru', batch: 3, steps: 4, inputDim: 20, units: 64, weightScale: 0.5 },
      23,
    );
    await setThreads(1);
    const one = runKernel(p).values;
    await setThreads(3);
    const pool = activeProductPool()!;
    for (const workersOnly of [false, true]) {
      pool.leaveBlocksToWorkers(workersOnly);
      const blocks = pool.workerBlocks;
      const three = runKernel(p).values;
      pool.leaveBlocksToWorkers(false);
      if (workersOnly) expect(pool.workerBlocks).toBeGreaterThan(blocks);
      three.forEach((values, i) => expect(values).toEqual(one[i]));
    }
    await setThreads(1);
  });

  it('grow the shared memory for a large batch', async () => {
    const p = makeProblem(
      { family: 'gru', batch: 300, steps: 2, inputDim: 8, units: 48, weightScale: 0.5 },
      41,
    );
    const { one, two, split, workerBlocks } = await bothWays(p, true);
    expect(split).toBeGreaterThan(0);
    expect(workerBlocks).toBeGreaterThan(0);
    two.forEach((values, i) => expect(values).toEqual(one[i]));
  });

  it('leak no tensors over many forwards', async () => {
    await setThreads(2);
    const p = makeProblem(
      { family: 'lstm', batch: 1, steps: 4, inputDim: 8, units: 64, weightScale: 0.5 },
      9,
    );
    runKernel(p);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) runKernel(p);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('blockPanelsFor', () => {
  it('cuts a product into blocks of whole panel pairs, about four per thread', () => {
    for (const threads of [2, 3, 4, 16]) {
      for (let panels = 1; panels < 700; panels += 7) {
        const size = blockPanelsFor(panels, threads);
        expect(size % 2).toBe(0);
        const blocks = Math.ceil(panels / size);
        expect(blocks).toBeLessThanOrEqual(Math.min(MAX_BLOCKS, 4 * threads));
        // No smaller even size gives as few blocks: the blocks are as even as pairs allow.
        if (size > 2) expect(Math.ceil(panels / (size - 2))).toBeGreaterThan(blocks);
      }
    }
  });
});

describe('WorkerMatrices', () => {
  it('stages a matrix once and drops the least recently used beyond its limits', () => {
    const m = new WorkerMatrices(3, 100);
    expect(m.admit(1, 40)).toEqual({ stage: true, drops: [] });
    expect(m.admit(1, 40)).toEqual({ stage: false, drops: [] });
    expect(m.admit(2, 40)).toEqual({ stage: true, drops: [] });
    expect(m.admit(1, 40)).toEqual({ stage: false, drops: [] }); // 2 is now the oldest
    expect(m.admit(3, 40)).toEqual({ stage: true, drops: [2] }); // over 100 values
    expect(m.admit(4, 10)).toEqual({ stage: true, drops: [] });
    expect(m.admit(5, 10)).toEqual({ stage: true, drops: [1] }); // over 3 entries
    expect(m.has(1)).toBe(false);
    expect(m.has(5)).toBe(true);
    m.clear();
    expect(m.admit(5, 10)).toEqual({ stage: true, drops: [] });
  });
});
