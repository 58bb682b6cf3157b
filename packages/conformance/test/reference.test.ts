import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FAMILIES, FAMILY_IDS } from '@rnnkit/core';
import { defineConformanceSuite, loadCases } from '../src/index.js';

// The reference kernels (tfjs-core ops, no fused kernel registered) against every case.
defineConformanceSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', init: () => tf.setBackend('cpu').then(() => undefined) },
);

/** Layer and cell classes a case runs, the wrapped layers of `Bidirectional` and `RNN` included. */
function classesOf(json: unknown): string[] {
  if (json == null || typeof json !== 'object') return [];
  if (Array.isArray(json)) return json.flatMap(classesOf);
  const { class_name: name, config } = json as { class_name?: unknown; config?: unknown };
  const inner = Object.values((config ?? {}) as Record<string, unknown>).flatMap(classesOf);
  return typeof name === 'string' ? [name, ...inner] : inner;
}

describe('case files', () => {
  it('run every row of the family table', () => {
    const classes = new Set(loadCases().flatMap((c) => classesOf(c.layer)));
    const missing = FAMILY_IDS.filter((id) => !classes.has(FAMILIES[id].layerClass));
    expect(missing, 'family table rows without a case').toEqual([]);
  });

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
