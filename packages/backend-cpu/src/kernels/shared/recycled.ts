/**
 * Float32Arrays that a backward kernel has finished with (the activations its forward call
 * kept, its gate gradients), handed to the next kernel call that needs one of the same length.
 * A training step allocates several megabytes of these per layer; fresh ones cost page faults
 * and garbage collection on every step, which recycling them avoids.
 *
 * Only arrays that nothing else refers to may be recycled: never the values of a tensor.
 */

/**
 * Most values (64 MiB) and arrays held for reuse; beyond either, the oldest are left to the
 * collector.
 */
const HELD_VALUES = 1 << 24;
const HELD_ARRAYS = 32;

const held: Float32Array[] = [];
let heldValues = 0;

/**
 * A Float32Array of `length` values: a recycled one (contents unspecified) or a new one
 * (zeros). Callers that need zeros ask {@link recycledZeros}.
 */
export function recycledArray(length: number): Float32Array {
  for (let i = held.length - 1; i >= 0; i--) {
    const a = held[i];
    if (a.length !== length) continue;
    held.splice(i, 1);
    heldValues -= length;
    return a;
  }
  return new Float32Array(length);
}

/** {@link recycledArray} filled with zeros. */
export function recycledZeros(length: number): Float32Array {
  return recycledArray(length).fill(0);
}

/**
 * Hands `arrays` back for reuse. Each is taken once (an alias of one already held is skipped),
 * and only whole buffers: a view into a larger one is left alone.
 */
export function recycle(...arrays: Float32Array[]): void {
  for (const a of arrays) {
    if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.length > HELD_VALUES) {
      continue;
    }
    if (held.some((h) => h.buffer === a.buffer)) continue;
    held.push(a);
    heldValues += a.length;
    while (held.length > HELD_ARRAYS || heldValues > HELD_VALUES) {
      heldValues -= (held.shift() as Float32Array).length;
    }
  }
}

/** Arrays held for reuse (for tests). */
export function recycledCount(): number {
  return held.length;
}
