import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defineConformanceSuite, loadCases } from '../src/index.js';

// The reference kernels (tfjs-core ops, no fused kernel registered) against every case.
defineConformanceSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', init: () => tf.setBackend('cpu').then(() => undefined) },
);

describe('case files', () => {
  it('cover every required area', () => {
    const names = loadCases().map((c) => c.name);
    expect(names.length).toBeGreaterThanOrEqual(60);
    for (const area of [
      'simplernn',
      'lstm',
      'gru_reset_after',
      'gru_reset_before',
      'bi_',
      'rnn_stacked',
      'stateful',
      'mask',
      'initial_state',
      'go_backwards',
      'seed_',
      'convlstm1d',
      'convlstm2d',
      'convlstm3d',
      'bi_convlstm',
    ]) {
      expect(
        names.some((n) => n.includes(area)),
        area,
      ).toBe(true);
    }
  });
});
