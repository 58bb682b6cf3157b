// The float64 ConvLSTM oracle of `@rnnkit/conformance/naive` against the case files, whose
// expected values come from a separate numpy float64 implementation (reference/keras_ref.py):
// every single-layer ConvLSTM1D/2D/3D case with given weights, each call chained through the states when stateful.
import { describe, expect, it } from 'vitest';
import { loadCases, type CaseArray, type ConformanceCase } from '../src/index.js';
import { maxRelError, naiveConvLSTM } from '../src/naive/index.js';

const RANKS: Record<string, number> = { ConvLSTM1D: 1, ConvLSTM2D: 2, ConvLSTM3D: 3 };

/** Case data are float32 values, written as the shortest decimals that round-trip. */
const f32 = (a: CaseArray): Float32Array => Float32Array.from(a.data);

function activation(name: unknown, keras2: boolean): string {
  const n = String(name);
  return n === 'hard_sigmoid' && keras2 ? 'hard_sigmoid_keras2' : n;
}

/** A config value given as an integer or one per spatial axis. */
function perAxis(value: unknown, rank: number): number[] {
  return Array.isArray(value) ? (value as number[]) : Array<number>(rank).fill(value as number);
}

/** Every output of every call of `c` by the oracle, in Keras's return order. */
function run(c: ConformanceCase): { got: Float64Array[]; want: CaseArray[] }[] {
  const rank = RANKS[c.layer.class_name];
  const cfg = c.layer.config;
  const keras2 = c.keras_version?.startsWith('2.') ?? false;
  const filters = cfg.filters as number;
  const [kernel, recurrentKernel, bias] = c.weights!;
  let states: (ArrayLike<number> | undefined)[] = [];
  return c.calls.map((call) => {
    const [batch, steps, ...rest] = call.input.shape;
    if (call.initial_state != null) states = call.initial_state.map(f32);
    const r = naiveConvLSTM({
      batch,
      steps,
      spatial: rest.slice(0, rank),
      channels: rest[rank],
      filters,
      kernelSize: perAxis(cfg.kernel_size, rank),
      strides: perAxis(cfg.strides, rank),
      dilationRate: perAxis(cfg.dilation_rate, rank),
      padding: cfg.padding as 'valid' | 'same',
      x: f32(call.input),
      kernel: f32(kernel),
      recurrentKernel: f32(recurrentKernel),
      bias: bias == null || cfg.use_bias === false ? new Float32Array(4 * filters) : f32(bias),
      initialH: states[0],
      initialC: states[1],
      mask: call.mask?.data,
      activation: activation(cfg.activation, keras2),
      recurrentActivation: activation(cfg.recurrent_activation, keras2),
      goBackwards: cfg.go_backwards === true,
      returnSequences: cfg.return_sequences === true,
      zeroOutputForMask: cfg.zero_output_for_mask === true,
    });
    if (cfg.stateful === true) states = [r.h, r.c];
    return {
      got: cfg.return_state === true ? [r.output, r.h, r.c] : [r.output],
      want: call.expected,
    };
  });
}

const cases = loadCases().filter((c) => c.layer.class_name in RANKS && c.weights != null);

describe('naiveConvLSTM against the numpy float64 cases', () => {
  it('covers every rank', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const name of Object.keys(RANKS)) {
      expect(cases.some((c) => c.layer.class_name === name)).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    for (const { got, want } of run(c)) {
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => expect(maxRelError(g, want[i].data)).toBeLessThan(1e-10));
    }
  });
});
