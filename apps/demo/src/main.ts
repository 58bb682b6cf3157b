/**
 * The seed tutorial, printed as Keras printed it: an LSTM returning `[output, h, c]`, and a
 * Bidirectional LSTM with constant initializers returning five tensors.
 *
 * Usage: `pnpm demo [--backend cpu|wasm|webgpu]`
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, Constant, LSTM } from '@rnnkit/core';
import { useBackend } from '@rnnkit/backends';
import { formatArray, formatTupleShape } from './format.js';

/** The tutorial's `train_X`, shape (1, 4, 5). */
const TRAIN_X = [
  [
    [0.1, 4.2, 1.5, 1.1, 2.8],
    [1.0, 3.1, 2.5, 0.7, 1.1],
    [0.3, 2.1, 1.5, 2.1, 0.1],
    [2.2, 1.4, 0.5, 0.9, 1.1],
  ],
];

/** Prints a tensor as Keras did; reads asynchronously, as WebGPU in Node requires. */
async function show(label: string, t: tf.Tensor): Promise<void> {
  const values = await t.data();
  console.log(`${label} : ${formatArray(values, t.shape)}, shape: ${formatTupleShape(t.shape)}`);
}

function parseBackend(argv: string[]): string {
  const i = argv.indexOf('--backend');
  if (i < 0) return 'cpu';
  const value = argv[i + 1];
  if (value == null) throw new Error('--backend: expected a backend name, got nothing');
  return value;
}

async function main(): Promise<void> {
  // tfjs-backend-cpu's Node banner ("Hi, looks like you are running TensorFlow.js in
  // Node.js…") goes through tfjs-core's warn, which production mode silences.
  tf.enableProdMode();
  const backend = await useBackend(parseBackend(process.argv.slice(2)));
  console.log(`backend: ${backend}\n`);
  const trainX = tf.tensor3d(TRAIN_X);

  console.log('# LSTM(3, return_sequences=False, return_state=True), random initializers');
  const lstm = new LSTM({ units: 3, returnSequences: false, returnState: true });
  const [hiddenState, lastState, lastCellState] = lstm.apply(trainX);
  await show('hidden state', hiddenState);
  await show('last hidden state', lastState);
  await show('last cell state', lastCellState);

  for (const returnSequences of [false, true]) {
    console.log(
      `\n# Bidirectional(LSTM(3, return_sequences=${returnSequences ? 'True' : 'False'}, return_state=True), constant initializers)`,
    );
    const bilstm = new Bidirectional(
      new LSTM({
        units: 3,
        returnSequences,
        returnState: true,
        kernelInitializer: new Constant(0.1),
        biasInitializer: new Constant(0),
        recurrentInitializer: new Constant(0.1),
      }),
    );
    const [hiddenStates, forwardH, , backwardH] = bilstm.apply(trainX);
    await show('hidden states', hiddenStates);
    await show('forward state', forwardH);
    await show('backward state', backwardH);
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
