import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mulberry32 } from '@rnnkit/core';
import { defineGradientSuite, loadGradientCases, runGradientCase } from '../src/index.js';

// The reference forward and backward kernels (no fused kernel registered) against every case.
defineGradientSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', init: () => tf.setBackend('cpu').then(() => undefined), expectFused: [] },
);

const trainingCases = loadGradientCases().filter((c) => c.call.training === true);

describe('gradient case files', () => {
  it('cover Bidirectional merge modes, ConvLSTM 1D and 2D and dropout in training', () => {
    const cases = loadGradientCases();
    const modes = new Set(
      cases
        .filter((c) => c.layer.class_name === 'Bidirectional')
        .map((c) => String((c.layer.config as { merge_mode: unknown }).merge_mode)),
    );
    expect([...modes].sort()).toEqual(['ave', 'concat', 'mul', 'null', 'sum']);
    const classes = new Set(cases.map((c) => c.layer.class_name));
    expect(classes).toContain('ConvLSTM1D');
    expect(classes).toContain('ConvLSTM2D');
    expect(trainingCases.length).toBeGreaterThanOrEqual(5);
  });

  // The reference drew its masks with a re-implementation of the layers' generator: both must
  // give the same numbers, or the training cases would test the generator instead of the layer.
  it.each(trainingCases.map((c) => [c.name, c] as const))(
    '%s: the listed dropout masks are the seed generator’s draws',
    (_, c) => {
      const config = (
        c.layer.class_name === 'Bidirectional'
          ? (c.layer.config as { layer: { config: Record<string, unknown> } }).layer.config
          : c.layer.config
      ) as { seed: number; dropout: number; recurrent_dropout: number };
      for (const masks of c.dropout_masks ?? []) {
        // One generator per direction, each from the same seed (the backward layer is a copy).
        const uniform = mulberry32(config.seed);
        const drawn = (n: number, rate: number) =>
          Array.from({ length: n }, () => (uniform() >= rate ? Math.fround(1 / (1 - rate)) : 0));
        // The files hold float32 values as their shortest decimals.
        const listed = (data: number[]) => data.map((v) => Math.fround(v));
        if (masks.input != null)
          expect(listed(masks.input.data)).toEqual(drawn(masks.input.data.length, config.dropout));
        if (masks.recurrent != null)
          expect(listed(masks.recurrent.data)).toEqual(
            drawn(masks.recurrent.data.length, config.recurrent_dropout),
          );
      }
    },
  );

  // Without training (no dropout) the same cases must miss: the masks shape the expected values.
  it.each(trainingCases.map((c) => [c.name, c] as const))(
    '%s: misses its expected gradients without dropout',
    async (_, c) => {
      await tf.setBackend('cpu');
      const r = await runGradientCase({ ...c, call: { ...c.call, training: false } });
      expect(r.mismatch).not.toBeNull();
    },
  );
});
