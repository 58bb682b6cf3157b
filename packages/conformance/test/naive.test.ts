// The float64 oracle of `@rnnkit/conformance/naive` against the case files, whose expected values
// come from a separate numpy float64 implementation (reference/keras_ref.py): every single-layer
// SimpleRNN / LSTM / GRU case, each call chained through the states as Keras does when stateful.
import { describe, expect, it } from 'vitest';
import { loadCases, type CaseArray, type ConformanceCase } from '../src/index.js';
import { maxRelError, naiveSequence, type NaiveFamily } from '../src/naive/index.js';

const FAMILY: Record<string, NaiveFamily> = { SimpleRNN: 'simple', LSTM: 'lstm', GRU: 'gru' };
const ALIASES: Record<string, string> = { silu: 'swish', hard_silu: 'hard_swish' };

function activation(name: unknown, keras2: boolean): string {
  const n = String(name);
  if (n === 'hard_sigmoid' && keras2) return 'hard_sigmoid_keras2';
  return ALIASES[n] ?? n;
}

/** Case data are float32 values, written as the shortest decimals that round-trip. */
const f32 = (a: CaseArray): Float32Array => Float32Array.from(a.data);

/** Every output of every call of `c` by the oracle, in Keras's return order. */
function run(c: ConformanceCase): { got: Float64Array[]; want: CaseArray[] }[] {
  const family = FAMILY[c.layer.class_name];
  const cfg = c.layer.config;
  const keras2 = c.keras_version?.startsWith('2.') ?? false;
  const units = cfg.units as number;
  const gu = (family === 'lstm' ? 4 : family === 'gru' ? 3 : 1) * units;
  const resetAfter =
    family === 'gru' ? ((cfg.reset_after as boolean | undefined) ?? !keras2) : false;
  const [kernel, recurrentKernel, bias] = c.weights!;
  let states: (ArrayLike<number> | undefined)[] = [];
  return c.calls.map((call) => {
    const [batch, steps, inputDim] = call.input.shape;
    if (call.initial_state != null) states = call.initial_state.map(f32);
    const r = naiveSequence({
      family,
      batch,
      steps,
      inputDim,
      units,
      x: f32(call.input),
      kernel: f32(kernel),
      recurrentKernel: f32(recurrentKernel),
      bias: bias == null ? new Float32Array(resetAfter ? 2 * gu : gu) : f32(bias),
      initialH: states[0],
      initialC: states[1],
      mask: call.mask?.data,
      activation: activation(cfg.activation, keras2),
      recurrentActivation: activation(cfg.recurrent_activation ?? 'sigmoid', keras2),
      resetAfter: family === 'gru' ? resetAfter : undefined,
      goBackwards: cfg.go_backwards === true,
      returnSequences: cfg.return_sequences === true,
      zeroOutputForMask: cfg.zero_output_for_mask === true,
    });
    const finals = family === 'lstm' ? [r.h, r.c!] : [r.h];
    if (cfg.stateful === true) states = finals;
    return {
      got: cfg.return_state === true ? [r.output, ...finals] : [r.output],
      want: call.expected,
    };
  });
}

const cases = loadCases().filter((c) => c.layer.class_name in FAMILY);

describe('naiveSequence against the numpy float64 cases', () => {
  it('covers every family', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    for (const name of Object.keys(FAMILY)) {
      expect(cases.some((c) => c.layer.class_name === name)).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    for (const { got, want } of run(c)) {
      expect(got).toHaveLength(want.length);
      // Both sides are float64 of the same equations; the files keep 12 significant digits.
      got.forEach((g, i) => expect(maxRelError(g, want[i].data)).toBeLessThan(1e-10));
    }
  });
});
