/**
 * The fused kernels against @rnnkit/core's reference kernels (tfjs-core ops on the cpu
 * backend) on every flag combination, both GRU reset modes, masks and recurrent masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, referenceKernels, type SequenceKernelInputs } from '@rnnkit/core';
import { maxRelError } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import {
  FLAGS,
  flagCombos,
  KERNEL_OF,
  kernelArgs,
  makeProblem,
  MASKS,
  runKernel,
  VARIANTS,
} from './helpers.js';

const TOL = 1e-5;

beforeAll(async () => {
  await init();
});

describe.each(VARIANTS)('$family (resetAfter: $resetAfter) against referenceKernels', (v) => {
  it('agrees on every flag, mask and recurrent-mask combination', () => {
    const rand = mulberry32(5);
    const pick = (n: number) => 1 + Math.floor(rand() * n);
    let seed = 900;
    let compared = 0;
    for (const flags of flagCombos(FLAGS)) {
      for (const mask of MASKS) {
        for (const recurrentMask of [false, true]) {
          const p = makeProblem(
            {
              ...v,
              ...flags,
              mask,
              recurrentMask,
              batch: pick(6),
              steps: pick(6),
              inputDim: pick(5),
              units: pick(9),
            },
            seed++,
          );
          const got = runKernel(p);
          const { inputs, attrs } = kernelArgs(p);
          const reference = referenceKernels[KERNEL_OF[p.family] as keyof typeof referenceKernels];
          const want = reference(inputs as unknown as SequenceKernelInputs, attrs as never);
          expect(want).toHaveLength(got.values.length);
          want.forEach((w, i) => {
            expect(got.shapes[i]).toEqual(w.shape);
            expect(maxRelError(got.values[i], w.dataSync())).toBeLessThan(TOL);
          });
          tf.dispose(want);
          tf.dispose(Object.values(inputs));
          compared++;
        }
      }
    }
    expect(compared).toBe(16 * 3 * 2);
  });
});
