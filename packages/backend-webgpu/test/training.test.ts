/**
 * Training on the fused kernels: fifty SGD steps of each family, ConvLSTM2D included (after ten
 * to warm up), run the forward and backward kernels fused, train (the loss falls), and leave the
 * tensor count, the backend's GPU bytes and its buffer pool where they were after warming up.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTM2D,
  ConvLSTMSequence,
  GRU,
  GRUSequence,
  LSTM,
  LSTMSequence,
  SimpleRNN,
  SimpleRNNSequence,
  getDispatchStats,
  resetDispatchStats,
  sequenceGradKernelName,
  type RecurrentLayer,
  type SequenceKernelName,
} from '@rnnkit/core';
import { beforeAll, expect, it } from 'vitest';
import { init } from '../src/node.js';
import { describeGpu } from './gpu.js';

const STEPS = 50;
/** Steps between reads of the loss (a read waits for the GPU). */
const READ_EVERY = 10;
/** SwiftShader runs the GPU work on the CPU: each step costs milliseconds of CPU per dispatch. */
const TIMEOUT_MS = 600_000;

type Manager = { getNumUsedBuffers(): number; getNumFreeBuffers(): number };

/** One family's training run: the layer, its kernel and its input's shape. */
interface TrainingCase {
  name: string;
  make: () => RecurrentLayer;
  kernel: SequenceKernelName;
  /** `[2, 5, ...]`: the mask is `[2, 5]`. */
  inputShape: number[];
}

async function trainingRun({ make, kernel, inputShape }: TrainingCase): Promise<void> {
  const layer = make();
  const x = tf.randomUniform(inputShape, -1, 1, 'float32', 1);
  const mask = tf.tensor2d(
    [
      [1, 1, 0, 1, 1],
      [0, 1, 1, 1, 1],
    ],
    [2, 5],
    'bool',
  );
  layer.apply(x);
  const weights = layer.getWeights().map((w) => tf.variable(w));
  const lossOf = (...w: tf.Tensor[]): tf.Scalar => {
    layer.setWeights(w);
    return tf.mean(tf.square(layer.apply(x, { mask }) as tf.Tensor));
  };
  const step = async (read: boolean): Promise<number> => {
    const { value, grads } = tf.valueAndGrads(lossOf)(weights);
    tf.tidy(() => weights.forEach((w, i) => w.assign(tf.sub(w, tf.mul(0.05, grads[i])))));
    // Reading now and then waits for the GPU, so queued work cannot pile up.
    const loss = read ? (await value.data())[0] : NaN;
    tf.dispose([value, ...grads]);
    return loss;
  };
  const manager = (tf.backend() as unknown as { bufferManager: Manager }).bufferManager;
  const first = await step(true);
  // Warm up, reading as the measured steps do: pipelines and the buffer pool reach their
  // steady state.
  for (let i = 0; i < READ_EVERY; i++) await step(i === READ_EVERY - 1);
  const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  const buffersBefore = manager.getNumUsedBuffers() + manager.getNumFreeBuffers();
  resetDispatchStats();
  let last = first;
  for (let i = 0; i < STEPS; i++) {
    const loss = await step(i % READ_EVERY === READ_EVERY - 1);
    if (!Number.isNaN(loss)) last = loss;
  }
  const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  const stats = getDispatchStats();
  expect(stats[kernel]).toEqual({ fused: STEPS, reference: 0 });
  expect(stats[sequenceGradKernelName(kernel)]).toEqual({ fused: STEPS, reference: 0 });
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numBytes).toBe(before.numBytes);
  expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
  expect(manager.getNumUsedBuffers() + manager.getNumFreeBuffers()).toBe(buffersBefore);
  expect(last).toBeLessThan(first); // the steps did train
  tf.dispose([x, mask, ...weights]);
  layer.dispose();
}

describeGpu(`${STEPS} training steps on webgpu`, () => {
  beforeAll(async () => {
    await init();
  });
  const recurrent = (name: string, make: () => RecurrentLayer, kernel: SequenceKernelName) => ({
    name,
    make,
    kernel,
    inputShape: [2, 5, 3],
  });
  const cases: TrainingCase[] = [
    recurrent(
      'SimpleRNN',
      () => new SimpleRNN({ units: 4, returnSequences: true }),
      SimpleRNNSequence,
    ),
    recurrent('LSTM', () => new LSTM({ units: 4, returnSequences: true }), LSTMSequence),
    recurrent(
      'GRU (reset_after=True)',
      () => new GRU({ units: 4, returnSequences: true }),
      GRUSequence,
    ),
    recurrent(
      'GRU (reset_after=False)',
      () => new GRU({ units: 4, returnSequences: true, resetAfter: false }),
      GRUSequence,
    ),
    {
      name: 'ConvLSTM2D',
      make: () =>
        new ConvLSTM2D({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true }),
      kernel: ConvLSTMSequence,
      inputShape: [2, 5, 4, 4, 2],
    },
  ];
  for (const c of cases) it(c.name, () => trainingRun(c), TIMEOUT_MS);
});
