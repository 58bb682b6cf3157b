/**
 * The fused ConvLSTM kernel: against float64 expectations of the Keras equations
 * (fixtures/conv_lstm_kernel_cases.py, from the conformance kit's numpy reference) over ranks,
 * strides, dilation, paddings, every flag, mask dtype and activation; its dispatch count
 * (1 + T per call); flat tensors and GPU buffers over 1,000 forwards; and its errors.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTM2D, ConvLSTMSequence, getDispatchStats, resetDispatchStats } from '@rnnkit/core';
import { getDispatchCount, init, resetDispatchCount } from '../src/node.js';
import { closeness, describeGpu } from './gpu.js';
import {
  CONV_CASES,
  convAttrs as caseAttrs,
  convInputs as caseInputs,
  runConv as run,
} from './conv_cases.js';

describeGpu('fused webgpu ConvLSTM kernel', () => {
  beforeAll(async () => {
    await init();
  });

  it('matches the float64 Keras equations: ranks 1–3, strides, dilation, flags, activations', async () => {
    expect(CONV_CASES.length).toBeGreaterThan(20);
    for (const cs of CONV_CASES) {
      const inputs = caseInputs(cs);
      const [output, h, c] = run(inputs, caseAttrs(cs));
      expect(
        closeness(await output.array(), cs.expected.output),
        `${cs.name}: output`,
      ).toBeLessThanOrEqual(0);
      expect(closeness(await h.array(), cs.expected.h), `${cs.name}: h`).toBeLessThanOrEqual(0);
      expect(closeness(await c.array(), cs.expected.c), `${cs.name}: c`).toBeLessThanOrEqual(0);
      tf.dispose([output, h, c, ...Object.values(inputs)]);
    }
  });

  it('runs 1 + T dispatches per call, behind the ConvLSTM2D layer', async () => {
    const steps = 5;
    const layer = new ConvLSTM2D({ filters: 3, kernelSize: 3, padding: 'same' });
    const x = tf.randomUniform([2, steps, 6, 5, 2]);
    resetDispatchStats();
    resetDispatchCount();
    const y = layer.apply(x) as tf.Tensor;
    expect(getDispatchStats()).toEqual({ [ConvLSTMSequence]: { fused: 1, reference: 0 } });
    // The input convolution of every frame, then one dispatch per step.
    expect(getDispatchCount()).toBe(1 + steps);
    expect(y.shape).toEqual([2, 6, 5, 3]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('keeps tensors, GPU bytes and GPU buffers flat over 1,000 forwards', async () => {
    const layer = new ConvLSTM2D<true>({
      filters: 3,
      kernelSize: 2,
      padding: 'same',
      returnSequences: true,
      returnState: true,
    });
    const x = tf.randomUniform([2, 3, 4, 3, 2]);
    const mask = tf.tensor2d(
      [
        [true, false, true],
        [true, true, false],
      ],
      [2, 3],
      'bool',
    );
    const manager = (
      tf.backend() as unknown as {
        bufferManager: { getNumUsedBuffers(): number; getNumFreeBuffers(): number };
      }
    ).bufferManager;
    const forward = async (read: boolean) => {
      const outs = layer.apply(x, { mask }) as tf.Tensor[];
      // Reading now and then waits for the GPU, so queued work cannot pile up.
      if (read) await outs[0].data();
      tf.dispose(outs);
    };
    // Warm up: weights, pipelines and the buffer pool reach their steady state.
    for (let i = 0; i < 10; i++) await forward(true);
    const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
    const buffersBefore = manager.getNumUsedBuffers() + manager.getNumFreeBuffers();
    resetDispatchStats();
    resetDispatchCount();
    for (let i = 0; i < 1000; i++) await forward(i % 50 === 49);
    await forward(true);
    const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
    expect(getDispatchStats()).toEqual({ [ConvLSTMSequence]: { fused: 1001, reference: 0 } });
    expect(getDispatchCount()).toBe(1001 * (1 + 3));
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
    expect(manager.getNumUsedBuffers() + manager.getNumFreeBuffers()).toBe(buffersBefore);
    tf.dispose([x, mask]);
    layer.dispose();
  });

  it('zero steps pass the states through without a dispatch; a zero batch gives empty outputs', async () => {
    const cs = CONV_CASES[0];
    const inputs = caseInputs(cs);
    const x = inputs.x;
    const noSteps: tf.NamedTensorMap = { ...inputs, x: tf.zeros([2, 0, ...x.shape.slice(2)]) };
    delete noSteps.mask;
    resetDispatchCount();
    const [output, h, c] = run(noSteps, caseAttrs(cs));
    expect(getDispatchCount()).toBe(0);
    expect(output.shape).toEqual([2, 0, ...h.shape.slice(1)]);
    expect(await h.array()).toEqual(await inputs.initialH.array());
    expect(await c.array()).toEqual(await inputs.initialC.array());
    const state = h.shape.slice(1);
    const noRows = {
      x: tf.zeros([0, 2, ...x.shape.slice(2)]),
      initialH: tf.zeros([0, ...state]),
      initialC: tf.zeros([0, ...state]),
    };
    const { kernel, recurrentKernel, bias } = inputs;
    const empty = run({ ...noRows, kernel, recurrentKernel, bias }, caseAttrs(cs));
    expect(empty.map((t) => t.shape)).toEqual([
      [0, 2, ...state],
      [0, ...state],
      [0, ...state],
    ]);
    tf.dispose([
      output,
      h,
      c,
      ...empty,
      ...Object.values(noRows),
      noSteps.x,
      ...Object.values(inputs),
    ]);
  });

  it('rejects bad calls naming the argument, what was expected and what was given', () => {
    const cs = CONV_CASES[2]; // 2d, 7×5 frames, 2×2 kernel, strides 2, 4 filters
    const inputs = caseInputs(cs);
    const call =
      (over: Record<string, tf.Tensor | undefined>, attrs: tf.NamedAttrMap = {}) =>
      () => {
        const merged: Record<string, tf.Tensor | undefined> = { ...inputs, ...over };
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
        run(merged as tf.NamedTensorMap, { ...caseAttrs(cs), ...attrs });
      };
    const wrongKernel = tf.zeros([2, 2, 2, 5]);
    expect(call({ kernel: wrongKernel })).toThrow(
      `${ConvLSTMSequence}: kernel: expected shape [2, 2, 2, 16], got shape [2, 2, 2, 5]`,
    );
    expect(call({ initialC: undefined })).toThrow(
      `${ConvLSTMSequence}: initialC: expected a tensor of shape [2, 4, 3, 4], got none`,
    );
    expect(call({}, { padding: 'causal' })).toThrow(
      `${ConvLSTMSequence}: padding: expected 'valid' or 'same', got "causal"`,
    );
    expect(call({}, { strides: [2, 2], dilationRate: [2, 1] })).toThrow(
      `${ConvLSTMSequence}: strides: expected all 1 when dilationRate is not, got strides [2, 2] with dilationRate [2, 1]`,
    );
    expect(call({}, { recurrentActivation: 'nope' })).toThrow(
      /RnnkitConvLSTMSequence: recurrentActivation: expected one of .*got "nope"/,
    );
    // This backend's own limit (no empty storage buffers); the cpu backend runs such a call.
    const frame = inputs.x.shape.slice(0, -1);
    const noChannels = { x: tf.zeros([...frame, 0]), kernel: tf.zeros([2, 2, 0, 16]) };
    expect(call(noChannels)).toThrow(
      `${ConvLSTMSequence}: x: expected at least one channel, got shape [${frame.join(', ')}, 0]`,
    );
    tf.dispose([wrongKernel, ...Object.values(noChannels), ...Object.values(inputs)]);
  });
});
