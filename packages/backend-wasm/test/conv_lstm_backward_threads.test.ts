/**
 * The ConvLSTM backward kernel and its taped forward on worker threads: calls split by batch
 * items agree with one thread (bit for bit but for the weight gradients, which sum the threads'
 * parts) and with core's reference backward, really run threaded, and leak nothing.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTMSequence,
  differentiableInputs,
  sequenceBackwardReference,
  sequenceGradKernelName,
  type SequenceKernelInputs,
} from '@rnnkit/core';
import type { ConvLSTMCallSpec } from '@rnnkit/conformance';
import { describe, expect, it } from 'vitest';
import {
  getKernelCalls,
  getThreadedCalls,
  getWasmMemoryStats,
  resetKernelCalls,
  setMinStepWorkPerThread,
  setThreads,
} from '../src/index.js';
import { convGradCase, threadCases } from './conv_lstm_helpers.js';
import {
  expectClose,
  expectFlatOver,
  tapedGradientsOverSaved,
  useOneThreadFirst,
} from './helpers.js';

const GRAD = sequenceGradKernelName(ConvLSTMSequence);
/** `dx`, `dh0`, `dc0`: each batch item's own, computed by one thread as by several. */
const PER_ITEM = [0, 4, 5];

/** Batches of 2 to 5 items over every geometry, with masks, states and flags. */
const CASES = threadCases(700);

/** A case's kernel inputs with its output gradients (the caller disposes them). */
function gradCall(problem: ConvLSTMCallSpec, seed: number) {
  return convGradCase(problem, seed, seed + 1);
}

/** Runs the backward kernel on a case; returns its gradients' values. */
function run(problem: ConvLSTMCallSpec, seed: number): Float32Array[] {
  const { attrs, named } = gradCall(problem, seed);
  const out = tf
    .engine()
    .runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, ...Object.values(named)]);
  return values;
}

let single: Float32Array[][] = [];

useOneThreadFirst(() => (single = CASES.map((c) => run(c.problem, c.seed))));

describe('ConvLSTM backward on threads', () => {
  for (const threads of [2, 3]) {
    it(`${threads} threads agree with one thread and with core's reference backward`, async () => {
      await setThreads(threads);
      setMinStepWorkPerThread(0);
      resetKernelCalls();
      CASES.forEach((c, i) => {
        const actual = run(c.problem, c.seed);
        actual.forEach((a, k) => {
          if (PER_ITEM.includes(k)) {
            expect(Array.from(a), `${c.label} gradient ${k}`).toEqual(Array.from(single[i][k]));
          } else {
            expectClose(a, single[i][k], `${c.label} gradient ${k} vs one thread`, 1e-5, 1e-5);
          }
        });
        const { inputs, attrs, dys, named } = gradCall(c.problem, c.seed);
        const reference = sequenceBackwardReference(ConvLSTMSequence, inputs, dys, attrs);
        reference.forEach((r, k) =>
          expectClose(actual[k], r.dataSync(), `${c.label} gradient ${k} vs reference`, 1e-4, 1e-4),
        );
        tf.dispose([...reference, ...Object.values(named)]);
      });
      expect(getKernelCalls()[GRAD]).toBe(CASES.length);
      // Every case has at least two batch items, so every call ran threaded.
      expect(getThreadedCalls()).toBe(CASES.length);
      expect(getWasmMemoryStats()).toMatchObject({ threads });
    });
  }

  it('a taped forward runs threaded too, and the backward takes its activations', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(0);
    const c = CASES[4];
    const { inputs, attrs, dys, named } = gradCall(c.problem, c.seed);
    const state = inputs.initialH.shape;
    inputs.mask ??= tf.ones([c.problem.batch, c.problem.steps], 'bool');
    inputs.recurrentMask ??= tf.ones(state);
    const { grads } = tapedGradientsOverSaved(
      ConvLSTMSequence,
      GRAD,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
      differentiableInputs(ConvLSTMSequence),
      dys,
    );
    expect(getThreadedCalls()).toBe(2);
    const reference = sequenceBackwardReference(
      ConvLSTMSequence,
      inputs as SequenceKernelInputs,
      dys,
      attrs,
    );
    grads.forEach((g, k) =>
      expectClose(g.dataSync(), reference[k].dataSync(), `gradient ${k}`, 1e-4, 1e-4),
    );
    tf.dispose([
      ...grads,
      ...reference,
      ...Object.values(named),
      inputs.mask,
      inputs.recurrentMask,
    ]);
  });

  it('tensors and memory stay flat over 100 threaded backward calls', async () => {
    await setThreads(2);
    setMinStepWorkPerThread(0);
    const { attrs, named } = gradCall({ ...CASES[3].problem, batch: 4 }, 77);
    const backward = (): void =>
      tf.dispose(tf.engine().runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap));
    backward();
    resetKernelCalls();
    const after = expectFlatOver(100, backward);
    expect(getThreadedCalls()).toBe(100);
    expect(after.threads).toBe(2);
    tf.dispose(Object.values(named));
  });
});
