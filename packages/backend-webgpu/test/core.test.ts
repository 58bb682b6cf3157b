/**
 * The fused kernels through @rnnkit/core: against its reference kernels, inside its layers (the
 * dispatcher must pick the fused path), against the seed's Keras printout, and flat memory over
 * 1,000 forwards.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  Bidirectional,
  Constant,
  GRU,
  LSTM,
  getDispatchStats,
  referenceKernels,
  resetDispatchStats,
  type SequenceKernelName,
} from '@rnnkit/core';
import { getDispatchCount, init, resetDispatchCount, setRecurrencePath } from '../src/node.js';
import {
  KERNEL_NAME,
  caseAttrs,
  caseInputs,
  closeness,
  describeGpu,
  makeCase,
  naiveExpected,
  type CaseSpec,
} from './gpu.js';

const TRAIN_X = [
  [
    [0.1, 4.2, 1.5, 1.1, 2.8],
    [1.0, 3.1, 2.5, 0.7, 1.1],
    [0.3, 2.1, 1.5, 2.1, 0.1],
    [2.2, 1.4, 0.5, 0.9, 1.1],
  ],
];

describeGpu('fused webgpu kernels with @rnnkit/core', () => {
  beforeAll(async () => {
    await init();
  });

  it('match the reference kernels (tfjs ops on the same backend)', async () => {
    const specs: CaseSpec[] = [
      { family: 'lstm', batch: 3, steps: 5, inputDim: 4, units: 6, mask: 'random' },
      {
        family: 'gru',
        batch: 3,
        steps: 5,
        inputDim: 4,
        units: 6,
        goBackwards: true,
        alignToInput: true,
        zeroOutputForMask: true,
        mask: 'random',
        recurrentMask: true,
      },
      {
        family: 'gru',
        resetAfter: false,
        batch: 2,
        steps: 4,
        inputDim: 3,
        units: 5,
        returnSequences: false,
        mask: 'random',
        initialStates: true,
      },
      {
        family: 'simple',
        batch: 2,
        steps: 4,
        inputDim: 3,
        units: 5,
        goBackwards: true,
        activation: 'relu',
      },
    ];
    for (const spec of specs) {
      const cs = makeCase(spec);
      const inputs = caseInputs(cs);
      const name = KERNEL_NAME[cs.family] as SequenceKernelName;
      const attrs = caseAttrs(cs);
      const fused = tf
        .engine()
        .runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor[];
      const reference = referenceKernels[name](inputs as never, attrs as never);
      expect(fused.length).toBe(reference.length);
      for (const [i, f] of fused.entries()) {
        expect(f.shape).toEqual(reference[i].shape);
        expect(
          closeness(await f.array(), await reference[i].array()),
          `${name} output ${i}`,
        ).toBeLessThanOrEqual(0);
      }
      tf.dispose([...fused, ...reference, ...Object.values(inputs)]);
    }
  });

  it('layers run the fused kernel (getDispatchStats) and match the float64 equations', async () => {
    const cs = makeCase({
      family: 'gru',
      batch: 2,
      steps: 5,
      inputDim: 3,
      units: 4,
      mask: 'random',
      returnSequences: true,
    });
    const layer = new GRU({ units: 4, returnSequences: true, returnState: true });
    layer.build([null, 5, 3]);
    layer.setWeights([tf.tensor2d(cs.kernel), tf.tensor2d(cs.recurrentKernel), tf.tensor(cs.bias)]);
    const inputs = caseInputs(cs);
    resetDispatchStats();
    resetDispatchCount();
    const [out, h] = layer.apply(inputs.x, { mask: inputs.mask });
    expect(getDispatchStats()).toEqual({ RnnkitGRUSequence: { fused: 1, reference: 0 } });
    // One layer, one direction: the projection's matrix product and the recurrence.
    expect(getDispatchCount()).toBe(2);
    const want = naiveExpected(cs);
    expect(closeness(await out.array(), want.output)).toBeLessThanOrEqual(0);
    expect(closeness(await h.array(), want.h)).toBeLessThanOrEqual(0);
    tf.dispose([out, h, ...Object.values(inputs)]);
    layer.dispose();
  });

  it("reproduce the seed's Keras printout (Bidirectional LSTM, constant initializers)", async () => {
    const make = (returnSequences: boolean) =>
      new Bidirectional(
        new LSTM({
          units: 3,
          returnSequences,
          returnState: true,
          kernelInitializer: new Constant(0.1),
          biasInitializer: new Constant(0),
          recurrentInitializer: new Constant(0.1),
        }),
      );
    resetDispatchStats();
    const [hidden, fh, , bh] = make(false).apply(tf.tensor3d(TRAIN_X));
    expect(getDispatchStats().RnnkitLSTMSequence).toEqual({ fused: 2, reference: 0 });
    const values = Array.from(await hidden.data());
    // Keras printed 0.6303139 (forward) and 0.70387346 (backward), float32.
    for (const v of values.slice(0, 3)) expect(Math.abs(v - 0.6303139)).toBeLessThanOrEqual(1e-6);
    for (const v of values.slice(3)) expect(Math.abs(v - 0.70387346)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(await fh.data())).toEqual(values.slice(0, 3));
    expect(Array.from(await bh.data())).toEqual(values.slice(3));
    // With sequences, the backward half is aligned to input time: step 0 holds backward_h.
    const [seq, fh2, , bh2] = make(true).apply(tf.tensor3d(TRAIN_X));
    const s = (await seq.array()) as number[][][];
    expect(s[0][0].slice(3)).toEqual(Array.from(await bh2.data()));
    expect(s[0][3].slice(0, 3)).toEqual(Array.from(await fh2.data()));
  });

  for (const path of ['workgroup', 'per-step'] as const) {
    it(`keeps tensors and GPU memory flat over 1,000 forwards (${path} path)`, async () => {
      setRecurrencePath(path);
      const layer = new LSTM({ units: 8, returnSequences: true, returnState: true });
      const x = tf.randomUniform([2, 6, 4]);
      const mask = tf.tensor2d(
        [
          [1, 1, 0, 1, 1, 1],
          [1, 1, 1, 1, 0, 0],
        ],
        [2, 6],
        'bool',
      );
      const forward = async (read: boolean) => {
        const outs = layer.apply(x, { mask });
        // Reading now and then waits for the GPU, so queued work cannot pile up.
        if (read) await outs[0].data();
        tf.dispose(outs);
      };
      // Warm up: weights, pipelines and the buffer pool reach their steady state.
      for (let i = 0; i < 10; i++) await forward(true);
      const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
      resetDispatchStats();
      resetDispatchCount();
      for (let i = 0; i < 1000; i++) await forward(i % 50 === 49);
      await forward(true);
      const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
      expect(getDispatchStats().RnnkitLSTMSequence).toEqual({ fused: 1001, reference: 0 });
      expect(getDispatchCount()).toBe(1001 * (path === 'workgroup' ? 2 : 1 + 6));
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(typeof before.numBytesInGPU).toBe('number');
      expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
      tf.dispose([x, mask]);
      layer.dispose();
      setRecurrencePath('auto');
    });
  }
});
