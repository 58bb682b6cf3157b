// dispatchPath: which kernels ran between two dispatch-stat snapshots.
import { describe, expect, it } from 'vitest';
import { dispatchPath, type DispatchStats } from '../src/index.js';

describe('dispatchPath', () => {
  const before: DispatchStats = { RnnkitLSTMSequence: { fused: 2, reference: 1 } };
  it.each([
    [{ RnnkitLSTMSequence: { fused: 2, reference: 1 } }, 'none'],
    [{ RnnkitLSTMSequence: { fused: 4, reference: 1 } }, 'fused'],
    [{ RnnkitLSTMSequence: { fused: 2, reference: 3 } }, 'reference'],
    [
      {
        RnnkitLSTMSequence: { fused: 2, reference: 1 },
        RnnkitGRUSequence: { fused: 1, reference: 1 },
      },
      'mixed',
    ],
  ] as const)('%j after the snapshot is %s', (after, path) => {
    expect(dispatchPath(before, after)).toBe(path);
  });
});
