// The seed tutorial: Keras's published numbers (../shared/seed/README.md).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bidirectional, Constant, LSTM } from '../src/index.js';

const TRAIN_X = [
  [
    [0.1, 4.2, 1.5, 1.1, 2.8],
    [1.0, 3.1, 2.5, 0.7, 1.1],
    [0.3, 2.1, 1.5, 2.1, 0.1],
    [2.2, 1.4, 0.5, 0.9, 1.1],
  ],
];
const FORWARD = 0.6303139;
const BACKWARD = 0.70387346;

/** Distance in float32 units in the last place. */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  return Math.abs(i[0] - i[1]);
}

function constantLSTM(returnSequences: boolean) {
  return new LSTM({
    units: 3,
    returnSequences,
    returnState: true,
    kernelInitializer: new Constant(0.1),
    biasInitializer: new Constant(0),
    recurrentInitializer: new Constant(0.1),
  });
}

describe('seed', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('LSTM(3, return_state=True) returns [output, h, c] with output == h', () => {
    const lstm = new LSTM({ units: 3, returnState: true });
    const out = lstm.apply(tf.tensor3d(TRAIN_X));
    // The return type follows returnState: a 3-tuple, checked by the type checker.
    const length: 3 = out.length;
    expect(length).toBe(3);
    const [output, h, c] = out;
    expect(output.shape).toEqual([1, 3]);
    expect(h.shape).toEqual([1, 3]);
    expect(c.shape).toEqual([1, 3]);
    expect(Array.from(output.dataSync())).toEqual(Array.from(h.dataSync()));
  });

  it('Bidirectional LSTM with constant initializers prints Keras numbers', () => {
    const out = new Bidirectional(constantLSTM(false)).apply(tf.tensor3d(TRAIN_X));
    const length: 5 = out.length;
    const [hidden, fh, , bh] = out;
    expect(length).toBe(5);
    expect(hidden.shape).toEqual([1, 6]);
    expect(fh.shape).toEqual([1, 3]);
    const values = Array.from(hidden.dataSync());
    values.slice(0, 3).forEach((v) => expect(ulps(v, FORWARD)).toBeLessThanOrEqual(1));
    values.slice(3).forEach((v) => expect(ulps(v, BACKWARD)).toBeLessThanOrEqual(1));
    expect(Array.from(fh.dataSync())).toEqual(values.slice(0, 3));
    expect(Array.from(bh.dataSync())).toEqual(values.slice(3));
  });

  it('with return_sequences the backward half at step 0 equals backward_h', () => {
    const [hidden, fh, , bh] = new Bidirectional(constantLSTM(true)).apply(tf.tensor3d(TRAIN_X));
    expect(hidden.shape).toEqual([1, 4, 6]);
    const seq = hidden.arraySync() as number[][][];
    expect(seq[0][0].slice(3)).toEqual(Array.from(bh.dataSync()));
    expect(seq[0][3].slice(0, 3)).toEqual(Array.from(fh.dataSync()));
  });
});
