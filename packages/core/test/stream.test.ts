/**
 * Streams in core: the reference step path (no step kernels registered), snapshots, and bad
 * input: every rejected call names the argument, what was expected and what was given, and
 * leaves the stream's state unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bidirectional, ConvLSTM2D, GRU, LSTM, RnnkitError, SimpleRNN } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function seeded(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 131 + i * 0.7) * 0.5);
}

function makeLSTM(): LSTM<true> {
  const layer = new LSTM({ units: 3, returnState: true, returnSequences: true });
  layer.build(2);
  layer.setWeights([
    tf.tensor(seeded(2 * 12, 1), [2, 12]),
    tf.tensor(seeded(3 * 12, 2), [3, 12]),
    tf.tensor(seeded(12, 3), [12]),
  ]);
  return layer;
}

describe('layer.stream', () => {
  it('returns [output, h, c] per step, equal to the whole-sequence call', () => {
    const layer = makeLSTM();
    const xs = seeded(2 * 5 * 2, 9);
    const [seq, h, c] = layer.apply(tf.tensor3d(xs, [2, 5, 2]));
    const stream = layer.stream({ batch: 2 });
    expect(stream.path).toBe('reference');
    const want = seq.arraySync() as number[][][];
    let out: Float32Array[] = [];
    for (let t = 0; t < 5; t++) {
      const step = new Float32Array([
        ...xs.slice(t * 2, t * 2 + 2),
        ...xs.slice(10 + t * 2, 12 + t * 2),
      ]);
      out = stream.step(step);
      expect(out).toHaveLength(3);
      const expected = [...want[0][t], ...want[1][t]];
      expected.forEach((v, i) => expect(out[0][i]).toBeCloseTo(v, 6));
    }
    Array.from(h.dataSync()).forEach((v, i) => expect(out[1][i]).toBeCloseTo(v, 6));
    Array.from(c.dataSync()).forEach((v, i) => expect(out[2][i]).toBeCloseTo(v, 6));
  });

  it('returns only the output without returnState, and snapshots restore a branch', () => {
    const layer = new GRU({ units: 4 });
    layer.build(3);
    const stream = layer.stream({ batch: 1 });
    const x = seeded(3, 4);
    stream.step(x);
    const snapshot = stream.getState();
    const a = stream.step(x)[0].slice();
    stream.step(x);
    stream.setState(snapshot);
    expect(stream.step(x)).toHaveLength(1);
    expect(Array.from(stream.getState().output)).toEqual(Array.from(a));
    stream.reset();
    expect(Array.from(stream.getState().states[0])).toEqual([0, 0, 0, 0]);
  });

  it('a masked step keeps the states and repeats the last output', () => {
    const layer = new SimpleRNN({ units: 2 });
    layer.build(2);
    const stream = layer.stream({ batch: 2 });
    const x = new Float32Array([1, 2, 3, 4]);
    const first = stream.step(x)[0].slice();
    const before = stream.getState();
    const second = stream.step(new Float32Array([NaN, NaN, 5, 6]), { mask: [false, true] })[0];
    expect(Array.from(second.subarray(0, 2))).toEqual(Array.from(first.subarray(0, 2)));
    expect(Array.from(stream.getState().states[0].subarray(0, 2))).toEqual(
      Array.from(before.states[0].subarray(0, 2)),
    );
    expect(Number.isNaN(second[2])).toBe(false);
  });

  it('streams a ConvLSTM2D given its step input shape', () => {
    const layer = new ConvLSTM2D({ filters: 2, kernelSize: 3 });
    const stream = layer.stream({ batch: 1, inputShape: [4, 5, 1] });
    expect(stream.outputShape).toEqual([1, 2, 3, 2]);
    expect(stream.step(new Float32Array(20))[0]).toHaveLength(12);
    expect(() => new ConvLSTM2D({ filters: 2, kernelSize: 3 }).stream({ batch: 1 })).toThrow(
      /conv_lstm2d_\d* stream: expected an inputShape \[rows, cols, channels\]/,
    );
  });

  it('refuses layers that cannot stream', () => {
    const backwards = new LSTM({ units: 2, goBackwards: true, name: 'back' });
    expect(() => backwards.stream({ batch: 1 })).toThrow(
      'back stream: expected a layer with go_backwards false (a stream sees each step once, in order), got go_backwards true',
    );
    const bi = new Bidirectional(new LSTM({ units: 2 }), { name: 'bi' });
    expect(() => bi.stream({ batch: 1 })).toThrow(
      /bi stream: expected a unidirectional recurrent layer, got Bidirectional/,
    );
    expect(() => new LSTM({ units: 2, name: 'unbuilt' }).stream({ batch: 1 })).toThrow(
      /unbuilt stream: expected a built layer or an inputShape \[features\], got neither/,
    );
    expect(() => makeLSTM().stream({ batch: 0 })).toThrow(
      /stream batch: expected a positive integer, got 0/,
    );
  });

  describe('bad input leaves the state unchanged', () => {
    const layer = makeLSTM();
    const name = layer.name;
    const stream = layer.stream({ batch: 2 });
    stream.step(seeded(4, 5));
    const cases: [string, () => unknown, string][] = [
      [
        'a step of the wrong length',
        () => stream.step(new Float32Array(3)),
        `${name} stream step x: expected a Float32Array of 4 values (2, 2), got 3 values`,
      ],
      [
        'a step of the wrong dtype',
        () => stream.step(new Float64Array(4) as never),
        `${name} stream step x: expected a Float32Array of 4 values (2, 2), got Float64Array`,
      ],
      [
        'a tensor of another batch',
        () => stream.step(tf.zeros([1, 2])),
        `${name} stream step x: expected shape (2, 2) or (2, 1, 2), got shape (1, 2)`,
      ],
      [
        'an int32 tensor',
        () => stream.step(tf.zeros([2, 2], 'int32')),
        `${name} stream step x dtype: expected float32, got "int32"`,
      ],
      [
        'a mask of another batch',
        () => stream.step(new Float32Array(4), { mask: [true] }),
        `${name} stream step mask: expected 2 entries (one per row), got 1 entries`,
      ],
      [
        'setState with a wrong shape',
        () =>
          stream.setState({
            states: [new Float32Array(6), new Float32Array(5)],
            output: new Float32Array(6),
          }),
        `${name} stream setState states[1]: expected a Float32Array of 6 values (2, 3), got 5 values`,
      ],
      [
        'setState with one state',
        () => stream.setState({ states: [new Float32Array(6)], output: new Float32Array(6) }),
        `${name} stream setState states: expected 2 state(s) of shapes (2, 3), (2, 3), got 1 states`,
      ],
      [
        'reset with a tensor of the wrong shape',
        () => stream.reset([tf.zeros([2, 3]), tf.zeros([3, 2])]),
        `${name} stream reset states[1]: expected shape (2, 3), got shape (3, 2)`,
      ],
    ];
    for (const [what, call, message] of cases) {
      it(what, () => {
        const before = stream.getState();
        expect(call).toThrow(RnnkitError);
        expect(call).toThrow(message);
        const after = stream.getState();
        after.states.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(before.states[i])));
        expect(Array.from(after.output)).toEqual(Array.from(before.output));
      });
    }
    it('a step after the layer was disposed', () => {
      const owner = makeLSTM();
      const s = owner.stream({ batch: 1 });
      s.step(new Float32Array(2));
      const before = s.getState();
      owner.dispose();
      expect(() => s.step(new Float32Array(2))).toThrow(
        `${owner.name} stream: expected a layer with weights, got one whose weights were released (layer.dispose())`,
      );
      expect(s.getState()).toEqual(before);
    });

    it('a step after dispose()', () => {
      const s = makeLSTM().stream({ batch: 1 });
      s.dispose();
      expect(() => s.step(new Float32Array(2))).toThrow(
        /stream: expected an open stream, got one closed by dispose\(\)/,
      );
      expect(() => s.getState()).toThrow(/closed by dispose/);
    });
  });
});
