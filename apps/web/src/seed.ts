/**
 * The seed example: `Bidirectional(LSTM(3, return_state=True))` with Constant(0.1) kernel and
 * recurrent initializers and a zero bias, on the tutorial's `(1, 4, 5)` input. Keras printed
 * 0.6303139 (forward) and 0.70387346 (backward) for the last output.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Bidirectional,
  Constant,
  dispatchPath,
  getDispatchStats,
  LSTM,
  type DispatchPath,
} from '@rnnkit/core';

/** `train_X` of the tutorial, shape `(1, 4, 5)`. */
export const SEED_INPUT: number[][][] = [
  [
    [0.1, 4.2, 1.5, 1.1, 2.8],
    [1.0, 3.1, 2.5, 0.7, 1.1],
    [0.3, 2.1, 1.5, 2.1, 0.1],
    [2.2, 1.4, 0.5, 0.9, 1.1],
  ],
];

/** Names of the five returned tensors, in Keras return order. */
export const SEED_NAMES = ['output', 'forward_h', 'forward_c', 'backward_h', 'backward_c'] as const;

/** One returned tensor, read back. */
export interface SeedTensor {
  name: (typeof SEED_NAMES)[number];
  shape: number[];
  values: Float32Array;
}

/** The result of one run of the seed layer. */
export interface SeedRun {
  backend: string;
  returnSequences: boolean;
  tensors: SeedTensor[];
  /** Which kernels ran: fused backend kernels, the reference ops, or both. */
  kernelPath: DispatchPath;
  ms: number;
}

/** Runs the seed layer on the active tfjs backend and reads the five tensors back. */
export async function runSeed(returnSequences: boolean): Promise<SeedRun> {
  const init = {
    kernelInitializer: new Constant(0.1),
    recurrentInitializer: new Constant(0.1),
    biasInitializer: new Constant(0),
  };
  const layer = new Bidirectional(
    new LSTM({ units: 3, returnSequences, returnState: true, ...init }),
  );
  const x = tf.tensor3d(SEED_INPUT);
  const before = getDispatchStats();
  const t0 = performance.now();
  const outputs = layer.apply(x);
  try {
    const tensors = await Promise.all(
      outputs.map(async (t, i) => ({
        name: SEED_NAMES[i],
        shape: t.shape,
        values: (await t.data()) as Float32Array,
      })),
    );
    const ms = performance.now() - t0;
    return {
      backend: tf.getBackend(),
      returnSequences,
      tensors,
      kernelPath: dispatchPath(before, getDispatchStats()),
      ms,
    };
  } finally {
    tf.dispose([x, ...outputs]);
    layer.dispose();
  }
}
