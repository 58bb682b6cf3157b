/**
 * Per-backend state: the module instance, an allocator, a grow-only scratch arena, and the cache
 * of prepacked weights.
 *
 * Two memory modes:
 * - `shared` (default): the module imports tfjs-backend-wasm's own `WebAssembly.Memory` and
 *   reads inputs and writes outputs in place; its buffers come from tfjs's `_malloc`.
 * - `copy`: where that memory is out of reach (the threaded tfjs build keeps its shared memory
 *   private), the module runs in a memory of its own; inputs are copied in and outputs copied
 *   out on every call, packed weights live in the module's memory.
 *
 * Packed weights are keyed by the weight tensor's `dataId` (a fresh object for every tensor, and
 * for every `Variable.assign`) plus the packing layout. An entry is dropped as soon as its
 * tensor's data is disposed or moved; the check runs at the start of every kernel call.
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { ALIGN, OwnHeap, TfjsHeap, type Allocator, type Block } from './heap.js';
import { instantiate, type RnnkitWasmExports, type WasmVariant } from './module.js';
import type { ThreadPool } from './threads.js';

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use. */
export interface WasmBackendLike {
  wasm: {
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    HEAPU8: Uint8Array;
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
  } | null;
  dataIdMap: {
    get(dataId: object): { memoryOffset: number; dtype: DataType; shape: number[] } | undefined;
    has(dataId: object): boolean;
  };
  makeOutput(
    shape: number[],
    dtype: DataType,
    memoryOffset?: number,
    values?: Float32Array,
  ): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Where the module works: on tfjs's memory in place, or on its own memory with copies. */
export type MemoryMode = 'shared' | 'copy';

/** Bytes and blocks this package holds, for leak checks. */
export interface WasmMemoryStats {
  /** Bytes currently allocated by this package (packed weights and scratch). */
  liveBytes: number;
  /** Allocations currently held. */
  liveBlocks: number;
  /** Packed weight matrices in the cache. */
  packedWeights: number;
  /** Size of the scratch arena. */
  scratchBytes: number;
  /** Size of the linear memory the module works in (tfjs's, or its own in copy mode). */
  memoryBytes: number;
  /** Module variant in use. */
  variant: WasmVariant;
  /** Memory mode in use. */
  mode: MemoryMode;
  /** Threads a large call runs on (1: no worker threads). */
  threads: number;
}

interface PackedEntry {
  block: Block;
  memoryOffset: number;
  lastUse: number;
}

/** Upper bound on cached packed matrices; the least recently used go first. */
const MAX_PACKED = 64;

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** The backend's `WebAssembly.Memory`, or null where it is out of reach. */
export function backendMemory(backend: WasmBackendLike): WebAssembly.Memory | null {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

let forcedMode: MemoryMode | null = null;
let pool: ThreadPool | null = null;

/**
 * Sets the thread pool that states created from now on run their calls on (copy mode, in the
 * pool's shared memory), or `null` for none.
 */
export function setThreadPool(next: ThreadPool | null): void {
  pool = next;
}

/** Forces the memory mode of states created from now on (`null`: shared where possible). */
export function setForcedMode(mode: MemoryMode | null): void {
  forcedMode = mode;
}

/**
 * One kernel call's buffers: pointers for the inputs the module reads, for the outputs it
 * writes, and for its scratch. `finish` returns the outputs as tfjs tensors.
 */
export interface CallFrame {
  inputs: number[];
  outputs: number[];
  scratch: number;
  finish(): TensorInfo[];
  abort(): void;
}

/** Module instance and memory bookkeeping for one tfjs wasm backend. */
export class BackendState {
  readonly exports: RnnkitWasmExports;
  readonly variant: WasmVariant;
  readonly mode: MemoryMode;
  /** The workers this state's calls may use, or null. */
  readonly pool: ThreadPool | null;
  private readonly heap: Allocator;
  private readonly blocks = new Map<number, Block>();
  private scratch: Block | null = null;
  private readonly packed = new Map<object, Map<string, PackedEntry>>();
  private calls = 0;

  constructor(private readonly backend: WasmBackendLike) {
    this.pool = pool;
    if (pool != null) {
      // Worker threads share the pool's memory: the module works there, on copies.
      this.mode = 'copy';
      this.heap = pool.heap;
      this.exports = pool.exports;
      this.variant = pool.variant;
      return;
    }
    const memory = forcedMode === 'copy' ? null : backendMemory(backend);
    this.mode = memory == null ? 'copy' : 'shared';
    this.heap = memory == null ? new OwnHeap() : new TfjsHeap(memory, () => this.tfjs());
    const { exports, variant } = instantiate(this.heap.memory);
    this.exports = exports;
    this.variant = variant;
  }

  private tfjs(): NonNullable<WasmBackendLike['wasm']> {
    const wasm = this.backend.wasm;
    if (wasm == null) throw new Error('rnnkit wasm: the tfjs wasm backend has been disposed');
    return wasm;
  }

  private alloc(bytes: number): Block {
    const raw = this.heap.alloc(bytes + ALIGN);
    if (raw === 0) {
      throw new Error(`rnnkit wasm: expected ${bytes} bytes of wasm memory, got an out-of-memory`);
    }
    const block = { raw, pointer: Math.ceil(raw / ALIGN) * ALIGN, bytes };
    this.blocks.set(raw, block);
    return block;
  }

  private free(block: Block): void {
    this.heap.free(block.raw, block.bytes + ALIGN);
    this.blocks.delete(block.raw);
  }

  /**
   * A region of the module's memory owned by the caller (a stream's packed weights and buffers)
   * until {@link releaseBlock}; 64-byte aligned.
   */
  ownBlock(bytes: number): Block {
    return this.alloc(bytes);
  }

  /** Whether the tfjs backend still holds the data of `dataId` (not disposed). */
  hasData(dataId: object): boolean {
    return this.backend.dataIdMap.has(dataId);
  }

  /** Frees a region from {@link ownBlock}. */
  releaseBlock(block: Block): void {
    if (this.blocks.has(block.raw)) this.free(block);
  }

  /** The memory the module works in (its buffer changes when it grows). */
  get memory(): WebAssembly.Memory {
    return this.heap.memory;
  }

  /** Bytes of the module's memory (re-read after any allocation: the memory may grow). */
  bytes(): Uint8Array {
    return new Uint8Array(this.heap.memory.buffer);
  }

  private data(tensor: TensorInfo): { memoryOffset: number } {
    const data = this.backend.dataIdMap.get(tensor.dataId);
    if (data == null) {
      throw new Error('rnnkit wasm: expected a tensor on the wasm backend, got a disposed one');
    }
    return data;
  }

  /** A tensor's bytes on tfjs's heap. */
  tensorBytes(tensor: TensorInfo): Uint8Array {
    const size = tensor.shape.reduce((a, b) => a * b, 1) * (BYTES[tensor.dtype] ?? 4);
    // First the lookup: it moves a tensor still held by another backend onto tfjs's heap, which
    // may grow it and detach any view taken before.
    const offset = this.data(tensor).memoryOffset;
    return new Uint8Array(this.tfjs().HEAPU8.buffer, offset, size);
  }

  /** Starts a kernel call: drops packed weights whose tensors are gone or moved. */
  beginCall(): void {
    this.calls++;
    const map = this.backend.dataIdMap;
    for (const [dataId, layouts] of this.packed) {
      // `get` of an unknown dataId would ask the engine to migrate it: check `has` first.
      const data = map.has(dataId) ? map.get(dataId) : undefined;
      for (const [key, entry] of layouts) {
        if (data == null || data.memoryOffset !== entry.memoryOffset) {
          this.free(entry.block);
          layouts.delete(key);
        }
      }
      if (layouts.size === 0) this.packed.delete(dataId);
    }
  }

  /**
   * Packed form of `tensor` under `layout`: on a miss, `pack(dst, src)` fills `bytes` bytes at
   * `dst` from the tensor's data at `src`. The pointer stays valid until the next `beginCall`.
   */
  packedWeights(
    tensor: TensorInfo,
    layout: string,
    bytes: number,
    pack: (dst: number, src: number) => void,
  ): number {
    let layouts = this.packed.get(tensor.dataId);
    const hit = layouts?.get(layout);
    if (hit != null) {
      hit.lastUse = this.calls;
      return hit.block.pointer;
    }
    this.evictFor(1);
    const block = this.alloc(bytes);
    let staged: Block | null = null;
    try {
      if (this.mode === 'shared') {
        pack(block.pointer, this.data(tensor).memoryOffset);
      } else {
        const source = this.tensorBytes(tensor);
        staged = this.alloc(source.length);
        this.bytes().set(this.tensorBytes(tensor), staged.pointer);
        pack(block.pointer, staged.pointer);
      }
    } catch (e) {
      this.free(block);
      throw e;
    } finally {
      if (staged != null) this.free(staged);
    }
    if (layouts == null) {
      layouts = new Map();
      this.packed.set(tensor.dataId, layouts);
    }
    layouts.set(layout, {
      block,
      memoryOffset: this.data(tensor).memoryOffset,
      lastUse: this.calls,
    });
    return block.pointer;
  }

  private evictFor(count: number): void {
    let total = 0;
    for (const layouts of this.packed.values()) total += layouts.size;
    while (total + count > MAX_PACKED) {
      let oldest: { dataId: object; key: string; entry: PackedEntry } | null = null;
      for (const [dataId, layouts] of this.packed) {
        for (const [key, entry] of layouts) {
          // Entries packed during this call are in use by it.
          if (
            entry.lastUse < this.calls &&
            (oldest == null || entry.lastUse < oldest.entry.lastUse)
          ) {
            oldest = { dataId, key, entry };
          }
        }
      }
      if (oldest == null) return;
      this.free(oldest.entry.block);
      const layouts = this.packed.get(oldest.dataId);
      layouts?.delete(oldest.key);
      if (layouts?.size === 0) this.packed.delete(oldest.dataId);
      total--;
    }
  }

  /** A 64-byte aligned scratch region of at least `bytes` bytes, reused across calls. */
  private scratchRegion(bytes: number): number {
    if (this.scratch == null || this.scratch.bytes < bytes) {
      const previous = this.scratch?.bytes ?? 0;
      if (this.scratch != null) this.free(this.scratch);
      this.scratch = null;
      // Grow geometrically so slowly increasing shapes do not reallocate every call.
      this.scratch = this.alloc(Math.max(bytes, Math.ceil(previous * 1.5), 1 << 16));
    }
    return this.scratch.pointer;
  }

  /**
   * Sets up a call: `inputs` (null entries give pointer 0), float32 outputs of `outputShapes`,
   * and `scratchBytes` of scratch. In shared mode inputs and outputs are the tensors themselves;
   * in copy mode they are staged in the scratch arena and outputs copied out by `finish`.
   */
  frame(inputs: (TensorInfo | null)[], outputShapes: number[][], scratchBytes: number): CallFrame {
    const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
    const sizes = outputShapes.map((s) => s.reduce((a, b) => a * b, 1) * 4);
    if (this.mode === 'shared') {
      const scratch = this.scratchRegion(scratchBytes);
      const infos = outputShapes.map((s) => this.backend.makeOutput(s, 'float32'));
      return {
        inputs: inputs.map((t) => (t == null ? 0 : this.data(t).memoryOffset)),
        outputs: infos.map((t) => this.data(t).memoryOffset),
        scratch,
        finish: () => infos,
        abort: () => infos.forEach((t) => this.backend.disposeData(t.dataId, true)),
      };
    }
    // Look every input up before taking any view: a lookup may move a tensor onto tfjs's heap
    // from another backend, growing the heap and detaching the views taken so far.
    for (const t of inputs) if (t != null) this.data(t);
    const sources = inputs.map((t) => (t == null ? null : this.tensorBytes(t)));
    let total = align(scratchBytes);
    const inputAt = sources.map((s) => {
      if (s == null) return 0;
      const at = total;
      total += align(s.length);
      return at;
    });
    const outputAt = sizes.map((n) => {
      const at = total;
      total += align(n);
      return at;
    });
    const base = this.scratchRegion(total);
    const mem = this.bytes();
    sources.forEach((s, i) => {
      if (s != null) mem.set(s, base + inputAt[i]);
    });
    return {
      inputs: inputAt.map((at, i) => (sources[i] == null ? 0 : base + at)),
      outputs: outputAt.map((at) => base + at),
      scratch: base,
      finish: () =>
        outputShapes.map((shape, i) => {
          const values = new Float32Array(
            this.heap.memory.buffer.slice(base + outputAt[i], base + outputAt[i] + sizes[i]),
          );
          return this.backend.makeOutput(shape, 'float32', undefined, values);
        }),
      abort: () => {},
    };
  }

  /** Frees every packed matrix and the scratch arena. */
  release(): void {
    for (const layouts of this.packed.values()) {
      for (const entry of layouts.values()) this.free(entry.block);
    }
    this.packed.clear();
    if (this.scratch != null) this.free(this.scratch);
    this.scratch = null;
  }

  stats(): WasmMemoryStats {
    let liveBytes = 0;
    for (const block of this.blocks.values()) liveBytes += block.bytes + ALIGN;
    let packedWeights = 0;
    for (const layouts of this.packed.values()) packedWeights += layouts.size;
    return {
      liveBytes,
      liveBlocks: this.blocks.size,
      packedWeights,
      scratchBytes: this.scratch?.bytes ?? 0,
      memoryBytes: this.heap.memory.buffer.byteLength,
      variant: this.variant,
      mode: this.mode,
      threads: this.pool?.threads ?? 1,
    };
  }
}

const states = new WeakMap<object, BackendState>();

/** The state for a tfjs wasm backend, created (and the module instantiated) on first use. */
export function stateFor(backend: WasmBackendLike): BackendState {
  let state = states.get(backend);
  if (state == null) {
    state = new BackendState(backend);
    states.set(backend, state);
  }
  return state;
}

/** Frees `backend`'s state, so that its next kernel call instantiates the module afresh. */
export function dropState(backend: object): void {
  states.get(backend)?.release();
  states.delete(backend);
}

/** The state for `backend` if one exists, without creating it. */
export function existingState(backend: object): BackendState | undefined {
  return states.get(backend);
}
