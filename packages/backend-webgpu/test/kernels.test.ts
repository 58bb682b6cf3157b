/**
 * The fused kernels against the float64 Keras equations (@rnnkit/conformance/naive): every
 * family and reset mode, every flag, every activation, both recurrence paths, and the rule that
 * picks a path.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_ACTIVATIONS } from '@rnnkit/core';
import {
  getDispatchCount,
  init,
  planRecurrence,
  resetDispatchCount,
  setRecurrencePath,
  type RecurrencePath,
} from '../src/node.js';
import {
  caseInputs,
  caseAttrs,
  closeness,
  describeGpu,
  KERNEL_NAME,
  makeCase,
  naiveExpected,
  runKernel,
  type CaseSpec,
  type NaiveFamily,
} from './gpu.js';

type MaskDtype = 'bool' | 'int32' | 'float32';

async function expectMatches(spec: CaseSpec, maskDtype: MaskDtype = 'bool'): Promise<void> {
  const cs = makeCase(spec);
  const want = naiveExpected(cs);
  const { result } = await runKernel(cs, maskDtype);
  expect(closeness(result.output, want.output), 'output').toBeLessThanOrEqual(0);
  expect(closeness(result.h, want.h), 'h').toBeLessThanOrEqual(0);
  if (want.c != null) expect(closeness(result.c, want.c), 'c').toBeLessThanOrEqual(0);
}

const FAMILIES: { name: string; family: NaiveFamily; resetAfter?: boolean }[] = [
  { name: 'LSTM', family: 'lstm' },
  { name: 'GRU resetAfter', family: 'gru', resetAfter: true },
  { name: 'GRU resetBefore', family: 'gru', resetAfter: false },
  { name: 'SimpleRNN', family: 'simple' },
];

/** Flag combinations; together they cover every flag in both states and all mask dtypes. */
const FLAG_SETS: { name: string; spec: Partial<CaseSpec>; maskDtype?: MaskDtype }[] = [
  { name: 'forward, sequences', spec: {} },
  {
    name: 'backwards, processing order, bool mask, recurrent mask, initial states',
    spec: { goBackwards: true, mask: 'random', recurrentMask: true, initialStates: true },
  },
  {
    name: 'backwards aligned to input, zero output for mask, float32 mask',
    spec: { goBackwards: true, alignToInput: true, zeroOutputForMask: true, mask: 'random' },
    maskDtype: 'float32',
  },
  {
    name: 'backwards aligned to input, previous output carried, recurrent mask',
    spec: { goBackwards: true, alignToInput: true, mask: 'random', recurrentMask: true },
  },
  {
    name: 'forward sequences, zero output for mask, initial states',
    spec: { zeroOutputForMask: true, mask: 'random', initialStates: true },
  },
  {
    name: 'last output, masked tail (previous output carried), recurrent mask',
    spec: {
      returnSequences: false,
      mask: (b, t) => b !== 0 && !(b % 2 === 1 && t >= 4) && t !== 2,
      recurrentMask: true,
      initialStates: true,
    },
  },
  {
    name: 'backwards last output, zero output for mask, int32 mask',
    spec: { goBackwards: true, returnSequences: false, zeroOutputForMask: true, mask: 'random' },
    maskDtype: 'int32',
  },
];

describeGpu('fused webgpu kernels vs the float64 Keras equations', () => {
  beforeAll(async () => {
    await init();
  });
  afterEach(() => setRecurrencePath('auto'));

  for (const path of ['workgroup', 'per-step'] as RecurrencePath[]) {
    for (const fam of FAMILIES) {
      it(`${fam.name}, ${path} path, every flag`, async () => {
        setRecurrencePath(path);
        for (const [i, flags] of FLAG_SETS.entries()) {
          const spec: CaseSpec = {
            family: fam.family,
            resetAfter: fam.resetAfter,
            // 11 rows: batch tiles of 2 with a half-empty last tile on the workgroup path.
            batch: 11,
            steps: 6,
            inputDim: 4,
            units: 7,
            seed: 100 + i,
            ...flags.spec,
          };
          await expect(expectMatches(spec, flags.maskDtype), flags.name).resolves.toBeUndefined();
        }
      });
    }
  }

  it('every activation, as activation and as recurrent activation', async () => {
    const acts = KERNEL_ACTIVATIONS;
    for (const [i, activation] of acts.entries()) {
      const recurrentActivation = acts[(i + 9) % acts.length];
      const family: NaiveFamily = i % 2 === 0 ? 'lstm' : 'gru';
      const spec: CaseSpec = {
        family,
        batch: 3,
        steps: 4,
        inputDim: 3,
        units: 5,
        seed: 300 + i,
        activation,
        recurrentActivation,
        inputScale: 2,
        initialStates: true,
      };
      await expect(
        expectMatches(spec),
        `${activation} / ${recurrentActivation}`,
      ).resolves.toBeUndefined();
    }
    // SimpleRNN applies its activation to the raw pre-activation, including large ones.
    for (const [i, activation] of acts.entries()) {
      await expect(
        expectMatches({
          family: 'simple',
          batch: 2,
          steps: 3,
          inputDim: 3,
          units: 4,
          seed: 400 + i,
          activation,
          inputScale: 3,
        }),
        activation,
      ).resolves.toBeUndefined();
    }
  });

  it('batch tiles of 4 rows with a one-row last tile', async () => {
    await expectMatches({
      family: 'lstm',
      batch: 33,
      steps: 3,
      inputDim: 2,
      units: 6,
      mask: 'random',
    });
    const limits = tf.backend() as unknown as { device: GPUDevice };
    const plan = planRecurrence(
      { batch: 33, steps: 3, units: 6, twoPhase: false },
      limits.device.limits,
    );
    expect(plan.batchTile).toBe(4);
    expect(plan.grid[0]).toBe(9);
  });

  it('the rule: units ≤ 256 run as one workgroup dispatch, 257 one dispatch per step', async () => {
    const { device } = tf.backend() as unknown as { device: GPUDevice };
    expect(device.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    const limit = Math.min(
      device.limits.maxComputeInvocationsPerWorkgroup,
      device.limits.maxComputeWorkgroupSizeX,
    );
    for (const [units, path] of [
      [limit, 'workgroup'],
      [limit + 1, 'per-step'],
    ] as const) {
      const steps = 3;
      const plan = planRecurrence({ batch: 2, steps, units, twoPhase: false }, device.limits);
      expect(plan.path).toBe(path);
      for (const family of ['lstm', 'gru'] as const) {
        resetDispatchCount();
        await expectMatches({
          family,
          batch: 2,
          steps,
          inputDim: 3,
          units,
          seed: units,
          mask: 'random',
          initialStates: true,
        });
        // One dispatch for the input projection, then one for the sequence or one per step.
        expect(getDispatchCount(), `${family} ${units}`).toBe(path === 'workgroup' ? 2 : 1 + steps);
      }
    }
  });

  it('dispatch counts per call on each path', async () => {
    const steps = 5;
    const count = async (spec: CaseSpec) => {
      const cs = makeCase(spec);
      const inputs = caseInputs(cs);
      resetDispatchCount();
      const outs = tf
        .engine()
        .runKernel(
          KERNEL_NAME[cs.family],
          inputs as tf.NamedTensorMap,
          caseAttrs(cs) as tf.NamedAttrMap,
        ) as tf.Tensor[];
      const n = getDispatchCount();
      await outs[0].data();
      tf.dispose([...outs, ...Object.values(inputs)]);
      return n;
    };
    const base = { batch: 2, steps, inputDim: 3, units: 4 };
    setRecurrencePath('workgroup');
    expect(await count({ family: 'lstm', ...base })).toBe(2);
    expect(await count({ family: 'gru', resetAfter: false, ...base })).toBe(2);
    setRecurrencePath('per-step');
    expect(await count({ family: 'lstm', ...base })).toBe(1 + steps);
    expect(await count({ family: 'simple', ...base })).toBe(1 + steps);
    // GRU without resetAfter needs r ⊙ h of every unit before the candidate: two per step.
    expect(await count({ family: 'gru', resetAfter: false, ...base })).toBe(1 + 2 * steps);
  });

  it('a NaN or Inf at a masked step does not leak', async () => {
    for (const path of ['workgroup', 'per-step'] as const) {
      setRecurrencePath(path);
      for (const family of ['lstm', 'gru', 'simple'] as const) {
        const cs = makeCase({
          family,
          batch: 2,
          steps: 4,
          inputDim: 3,
          units: 5,
          mask: (b, t) => t !== 1,
        });
        cs.x[0][1][0] = NaN;
        cs.x[1][1][2] = Infinity;
        const want = naiveExpected(cs);
        const { result } = await runKernel(cs);
        expect(closeness(result.output, want.output), `${path} ${family}`).toBeLessThanOrEqual(0);
        expect(closeness(result.h, want.h)).toBeLessThanOrEqual(0);
      }
    }
  });

  it('one step, and zero steps (states pass through, no dispatch)', async () => {
    for (const path of ['workgroup', 'per-step'] as const) {
      setRecurrencePath(path);
      await expectMatches({
        family: 'gru',
        resetAfter: false,
        batch: 3,
        steps: 1,
        inputDim: 2,
        units: 3,
        initialStates: true,
      });
    }
    const cs = makeCase({
      family: 'lstm',
      batch: 2,
      steps: 0,
      inputDim: 3,
      units: 4,
      initialStates: true,
    });
    resetDispatchCount();
    const { result, shapes } = await runKernel(cs);
    expect(getDispatchCount()).toBe(0);
    expect(shapes).toEqual([
      [2, 0, 4],
      [2, 4],
      [2, 4],
    ]);
    expect(closeness(result.h, cs.initialH)).toBeLessThanOrEqual(0);
    expect(closeness(result.c, cs.initialC)).toBeLessThanOrEqual(0);
  });

  it('rejects bad inputs naming the argument', () => {
    const cs = makeCase({ family: 'lstm', batch: 2, steps: 3, inputDim: 3, units: 4 });
    const inputs = caseInputs(cs);
    const run =
      (over: Record<string, unknown>, attrs: Record<string, unknown> = {}) =>
      () => {
        const merged: Record<string, unknown> = { ...inputs, ...over };
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
        tf.engine().runKernel(
          KERNEL_NAME.lstm,
          merged as tf.NamedTensorMap,
          { ...caseAttrs(cs), ...attrs } as tf.NamedAttrMap,
        );
      };
    const wrong = tf.zeros([4, 4]);
    expect(run({ recurrentKernel: wrong })).toThrow(
      /recurrentKernel: expected shape \[4, 16\], got shape \[4, 4\]/,
    );
    expect(run({ initialC: undefined })).toThrow(/initialC: expected a tensor/);
    expect(run({ mask: tf.zeros([2, 3], 'complex64' as never) })).toThrow(/mask/);
    expect(run({}, { activation: 'nope' })).toThrow(/activation: expected one of .*got "nope"/);
    expect(run({}, { goBackwards: 1 })).toThrow(/goBackwards: expected a boolean, got 1/);
    tf.dispose([wrong, ...Object.values(inputs)]);
  });
});
