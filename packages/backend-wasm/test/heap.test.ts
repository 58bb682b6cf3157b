import { mulberry32 } from '@rnnkit/core';
import { describe, expect, it } from 'vitest';
import { ALIGN, OwnHeap } from '../src/engine/heap.js';

describe('OwnHeap (copy-mode allocator)', () => {
  it('hands out aligned, disjoint blocks and reuses freed space', () => {
    const heap = new OwnHeap();
    const a = heap.alloc(100);
    const b = heap.alloc(1000);
    expect(a % ALIGN).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    heap.free(a, 100);
    expect(heap.alloc(64)).toBe(a);
  });

  it('coalesces: random alloc/free cycles end where they started', () => {
    const heap = new OwnHeap();
    const rand = mulberry32(3);
    const first = heap.alloc(10);
    heap.free(first, 10);
    const live: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      if (live.length > 0 && rand() < 0.5) {
        const [p, n] = live.splice(Math.floor(rand() * live.length), 1)[0];
        heap.free(p, n);
      } else {
        const n = 1 + Math.floor(rand() * 300_000);
        const p = heap.alloc(n);
        for (const [q, m] of live) expect(p + n <= q || q + m <= p).toBe(true);
        live.push([p, n]);
      }
    }
    for (const [p, n] of live) heap.free(p, n);
    const bytes = heap.memory.buffer.byteLength;
    // Everything coalesced back: the next block starts where the first one did.
    expect(heap.alloc(10)).toBe(first);
    expect(heap.memory.buffer.byteLength).toBe(bytes);
  });

  it('grows its memory for large blocks', () => {
    const heap = new OwnHeap();
    const before = heap.memory.buffer.byteLength;
    const p = heap.alloc(before * 2);
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(p + before * 2);
  });
});
