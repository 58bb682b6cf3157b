/**
 * Allocators for the memory the module works in: tfjs-backend-wasm's heap (its `_malloc` and
 * `_free`), or, in copy mode, a first-fit allocator over a memory of our own.
 */

/** A region of at least `bytes` bytes; `raw` is what the allocator returned. */
export interface Block {
  raw: number;
  pointer: number;
  bytes: number;
}

/** Alignment of every block's `pointer` (a cache line). */
export const ALIGN = 64;

/** Hands out and takes back regions of one memory. */
export interface Allocator {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(raw: number, bytes: number): void;
}

/** tfjs-backend-wasm's own heap. */
export class TfjsHeap implements Allocator {
  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly wasm: () => { _malloc(bytes: number): number; _free(pointer: number): void },
  ) {}

  alloc(bytes: number): number {
    return this.wasm()._malloc(bytes) >>> 0;
  }

  free(raw: number): void {
    this.wasm()._free(raw);
  }
}

const PAGE = 65536;

/**
 * A first-fit allocator with coalescing over a memory this package owns (copy mode). Address 0
 * stays unused so that 0 can mean "none".
 */
export class OwnHeap implements Allocator {
  /** `memory`: the memory to allocate in (a new one of 1 MiB by default). */
  constructor(readonly memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: 16 })) {}

  private top = ALIGN;
  /** Free regions, sorted by start, never adjacent (they coalesce). */
  private readonly holes: { start: number; size: number }[] = [];

  alloc(bytes: number): number {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    for (let i = 0; i < this.holes.length; i++) {
      const hole = this.holes[i];
      if (hole.size >= size) {
        const start = hole.start;
        hole.start += size;
        hole.size -= size;
        if (hole.size === 0) this.holes.splice(i, 1);
        return start;
      }
    }
    const start = this.top;
    this.top += size;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
    return start;
  }

  free(raw: number, bytes: number): void {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    let i = 0;
    while (i < this.holes.length && this.holes[i].start < raw) i++;
    this.holes.splice(i, 0, { start: raw, size });
    // Coalesce with the next, then the previous hole.
    const next = this.holes[i + 1];
    if (next != null && raw + size === next.start) {
      this.holes[i].size += next.size;
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev != null && prev.start + prev.size === raw) {
      prev.size += this.holes[i].size;
      this.holes.splice(i, 1);
      i--;
    }
    // A hole that reaches the top gives its space back to the bump region.
    const last = this.holes[this.holes.length - 1];
    if (last != null && last.start + last.size === this.top) {
      this.top = last.start;
      this.holes.pop();
    }
  }
}
