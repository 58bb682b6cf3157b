/**
 * Product threads: the calling thread plus worker threads that split the columns of each
 * packed product ({@link ProductPool.product}) between them. Every thread runs the same kernel
 * over its own columns, so results are the same to the bit as on one thread.
 *
 * Kernel calls stay synchronous, as tfjs requires: the calling thread writes each worker's
 * share to a control block in a growable `SharedArrayBuffer`, wakes the workers, computes its
 * own share, waits for theirs and copies their results out. A worker spins for a while after
 * each job (so the steps of a sequence find it awake) before it sleeps on the control block.
 * Workers are daemon threads: they never keep a Node process alive.
 */
import { canBlockInWait, isNode, startScriptWorker, type ScriptWorker } from '@rnnkit/core';
import { gemmPacked, newDoubleArray } from '../kernels/shared/gemm.js';
import type { PackedChunk } from '../kernels/shared/weights.js';
import { ARG, workerSource, type ControlLayout } from './worker.js';
import { WorkerMatrices } from './worker_matrices.js';

/** Int32 values per worker argument block: the fixed arguments, then the drop list. */
const ARG_STRIDE = 64;
/** Most matrices a worker keeps, so that one job's drop list always fits its block. */
const MAX_DROPS = ARG_STRIDE - ARG.drops;

/** Most threads a pool runs (the calling thread included). */
export const MAX_POOL_THREADS = 16;

/** Bytes of the control block; shared data starts after it. */
const CONTROL_BYTES = 4 * (64 + ARG_STRIDE * (MAX_POOL_THREADS - 1));

/** How far the shared memory may grow (1 GiB); a larger job runs on the calling thread. */
const MAX_SHARED_BYTES = 1 << 30;

/** Spins on the job counter before a worker sleeps (about a millisecond). */
const WORKER_SPINS = 1 << 18;
/** Spins on the done counter before a calling thread that may block sleeps. */
const CALLER_SPINS = 1 << 16;

/**
 * Multiply-adds below which a product stays on the calling thread by default: the hand-off
 * costs about a microsecond, the time of some 4,000 multiply-adds.
 */
export const DEFAULT_MIN_PARALLEL_MACS = 1 << 15;

let minParallelMacs = DEFAULT_MIN_PARALLEL_MACS;

/** Sets the multiply-adds from which products are split (0: every product of 2+ panels). */
export function setMinParallelMacs(macs: number): void {
  minParallelMacs = macs;
}

function layoutFor(workers: number): ControlLayout {
  return {
    sequence: 0,
    done: 16,
    stop: 32,
    failed: 48,
    args: 64,
    argStride: ARG_STRIDE,
    controlInts: CONTROL_BYTES >> 2,
    workers,
    spins: WORKER_SPINS,
  };
}

/** Why product threads cannot run here, or null when they can. */
export function threadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    return 'SharedArrayBuffer is not available (in browsers it needs cross-origin isolation)';
  }
  try {
    const options = { maxByteLength: 16 };
    const probe = new (SharedArrayBuffer as unknown as GrowableConstructor)(8, options);
    probe.grow(16);
  } catch {
    return 'this engine cannot grow a SharedArrayBuffer';
  }
  if (!isNode() && typeof Worker === 'undefined') return 'Web Workers are not available';
  return null;
}

/** `SharedArrayBuffer` with the ES2024 growable form, which the ES2022 library lacks. */
type GrowableConstructor = new (
  length: number,
  options: { maxByteLength: number },
) => GrowableSharedArrayBuffer;
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(length: number): void;
}

/** Ids for packed chunks, so that workers can cache their copies. */
const chunkIds = new WeakMap<PackedChunk, number>();
let nextChunkId = 1;

function chunkId(chunk: PackedChunk): number {
  let id = chunkIds.get(chunk);
  if (id == null) {
    id = nextChunkId++;
    chunkIds.set(chunk, id);
  }
  return id;
}

/** One thread's columns of a product: panels `first .. first + panels` of the chunk. */
interface Share {
  first: number;
  panels: number;
}

/**
 * Splits `panels` panels from `first` into `threads` shares of whole panel pairs (the 1×6
 * blocks of the matrix–vector kernel), as even as pairs allow. Later threads take the extra
 * pairs: the calling thread, first, also copies the workers' operands in and out.
 */
export function shares(first: number, panels: number, threads: number): Share[] {
  const out: Share[] = [];
  let pairsLeft = Math.ceil(panels / 2);
  let at = first;
  const end = first + panels;
  for (let t = 0; t < threads; t++) {
    const take = Math.floor(pairsLeft / (threads - t));
    const n = Math.min(2 * take, end - at);
    out.push({ first: at, panels: n });
    at += n;
    pairsLeft -= take;
  }
  return out;
}

let active: ProductPool | null = null;
let productsSplit = 0;

/** Products split between threads in this process so far, by every pool. */
export function splitProductCount(): number {
  return productsSplit;
}

/** The pool products run on, or null for the calling thread alone. */
export function activeProductPool(): ProductPool | null {
  return active;
}

/** Sets the pool products run on (null: the calling thread alone). */
export function setActiveProductPool(pool: ProductPool | null): void {
  active = pool;
}

/** The calling thread plus `threads − 1` workers that split packed products by columns. */
export class ProductPool {
  private stopped = false;
  /** Products split between the threads so far. */
  splitProducts = 0;
  /** Matrices staged for the workers so far. */
  stagedMatrices = 0;
  private readonly control: Int32Array;
  private readonly layout: ControlLayout;
  private readonly matrices: WorkerMatrices;
  private f64: Float64Array;
  private f32: Float32Array;

  private constructor(
    readonly threads: number,
    private readonly memory: GrowableSharedArrayBuffer,
    private readonly workers: ScriptWorker[],
    private readonly canBlock: boolean,
    maxMatrices: number,
  ) {
    this.layout = layoutFor(threads - 1);
    this.control = new Int32Array(memory, 0, this.layout.controlInts);
    this.matrices = new WorkerMatrices(maxMatrices);
    this.f64 = new Float64Array(memory, 0, memory.byteLength >> 3);
    this.f32 = new Float32Array(memory, 0, memory.byteLength >> 2);
  }

  /**
   * Starts `threads − 1` workers; resolves once every one is ready. Each keeps up to
   * `maxMatrices` packed matrices (at most the drop list's capacity, the default).
   */
  static async start(threads: number, maxMatrices = MAX_DROPS): Promise<ProductPool> {
    if (!Number.isInteger(threads) || threads < 2 || threads > MAX_POOL_THREADS) {
      throw new Error(
        `ProductPool.start: expected threads from 2 to ${MAX_POOL_THREADS}, got ${String(threads)}`,
      );
    }
    const reason = threadsUnavailableReason();
    if (reason != null) {
      throw new Error(`setThreads: expected threads to be available, got: ${reason}`);
    }
    const memory = new (SharedArrayBuffer as unknown as GrowableConstructor)(CONTROL_BYTES, {
      maxByteLength: MAX_SHARED_BYTES,
    });
    const source = workerSource(layoutFor(threads - 1));
    const workers: ScriptWorker[] = [];
    try {
      for (let index = 1; index < threads; index++) {
        workers.push(await startScriptWorker(source, { memory, index }));
      }
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.stop()));
      throw e;
    }
    const limit = Math.max(1, Math.min(MAX_DROPS, maxMatrices));
    const pool = new ProductPool(threads, memory, workers, canBlockInWait(), limit);
    const problem = pool.selfCheckProblem();
    if (problem != null) {
      await pool.stop();
      throw new Error(`setThreads: expected worker threads to compute products, got ${problem}`);
    }
    return pool;
  }

  /**
   * Runs one small product on every thread and compares it with the calling thread's own: a
   * worker runs the kernels from their source text, which a bundler that renames module
   * bindings could break. Returns what went wrong, or null.
   */
  private selfCheckProblem(): string | null {
    const depth = 5;
    const panels = 2 * this.threads;
    const rows = 3;
    const chunk: PackedChunk = { buf: newDoubleArray(0), panel0: 0, panels, scratch: 0 };
    for (let i = 0; i < 3 * panels * depth; i++) chunk.buf.push(((i * 7) % 11) - 5);
    chunk.scratch = chunk.buf.length;
    for (let i = 0; i < rows * depth; i++) chunk.buf.push(((i * 5) % 7) - 3);
    const cols = 3 * panels;
    const init = Float32Array.from({ length: cols }, (_, i) => i);
    const expected = new Float32Array(rows * cols);
    gemmPacked(rows, panels, depth, chunk.buf, chunk.scratch, 0, init, 0, 0, expected, 0, cols);
    const got = new Float32Array(rows * cols);
    try {
      this.product(chunk, depth, rows, 0, panels, init, 0, 0, got, 0, cols);
    } catch (e) {
      return String(e);
    } finally {
      this.matrices.clear();
    }
    const same = got.every((v, i) => v === expected[i]);
    return same ? null : `products that differ from the calling thread's`;
  }

  /** Whether a product of this size is worth splitting. */
  worthSplitting(rows: number, panels: number, depth: number): boolean {
    return !this.stopped && panels >= 2 && rows * panels * 3 * depth >= minParallelMacs;
  }

  /**
   * {@link gemmPacked} over panels `first .. first + panels` of `chunk` (whose scratch holds
   * the packed left operand of `rows` rows), split between the threads. Addressing as in
   * `gemmPacked`: `init[iOff + m·ldi + n]`, `c[cOff + m·ldc + n]`, `n` from the first column.
   * Returns false, computing nothing, when the job does not fit the shared memory.
   */
  product(
    chunk: PackedChunk,
    depth: number,
    rows: number,
    first: number,
    panels: number,
    init: Float32Array,
    iOff: number,
    ldi: number,
    c: Float32Array,
    cOff: number,
    ldc: number,
  ): boolean {
    if (this.stopped) throw new Error('product: expected a running thread pool, got a stopped one');
    const parts = shares(first, panels, this.threads);
    const id = chunkId(chunk);
    const stage = !this.matrices.has(id);
    // Shared data, in float64 units: the left operand, the staged matrix, then each worker's
    // initial values and results (float32, two to a unit).
    const leftValues = rows * depth;
    let at = CONTROL_BYTES >> 3;
    const leftAt = at;
    at += leftValues;
    const stageAt = stage ? at : -1;
    if (stage) at += chunk.scratch;
    const places: { initAt: number; outAt: number }[] = [];
    for (let w = 1; w < this.threads; w++) {
      const cols = 3 * parts[w].panels;
      const initAt = 2 * at;
      at += Math.ceil(((ldi === 0 ? 1 : rows) * cols) / 2);
      const outAt = 2 * at;
      at += Math.ceil((rows * cols) / 2);
      places.push({ initAt, outAt });
    }
    if (!this.ensureBytes(8 * at)) return false;
    const drops = this.matrices.admit(id, chunk.scratch).drops;
    if (stage) this.stagedMatrices++;
    const { f64, f32, control } = this;
    const buf = chunk.buf;
    for (let i = 0; i < leftValues; i++) f64[leftAt + i] = buf[chunk.scratch + i];
    if (stage) for (let i = 0; i < chunk.scratch; i++) f64[stageAt + i] = buf[i];
    for (let w = 1; w < this.threads; w++) {
      const part = parts[w];
      const cols = 3 * part.panels;
      const col = 3 * (part.first - first);
      const { initAt, outAt } = places[w - 1];
      const initRows = ldi === 0 ? 1 : rows;
      for (let m = 0; m < initRows; m++) {
        const from = iOff + m * ldi + col;
        f32.set(init.subarray(from, from + cols), initAt + m * cols);
      }
      const a = this.layout.args + (w - 1) * ARG_STRIDE;
      control[a + ARG.weightId] = id;
      control[a + ARG.stageAt] = stageAt;
      control[a + ARG.stageLength] = chunk.scratch;
      control[a + ARG.depth] = depth;
      control[a + ARG.rows] = rows;
      control[a + ARG.bOff] = 3 * part.first * depth;
      control[a + ARG.panels] = part.panels;
      control[a + ARG.scratch] = chunk.scratch;
      control[a + ARG.leftAt] = leftAt;
      control[a + ARG.initAt] = initAt;
      control[a + ARG.ldi] = ldi === 0 ? 0 : cols;
      control[a + ARG.outAt] = outAt;
      control[a + ARG.ldc] = cols;
      control[a + ARG.dropCount] = drops.length;
      control.set(drops, a + ARG.drops);
    }
    this.splitProducts++;
    productsSplit++;
    this.runWorkers(() => {
      const own = parts[0];
      if (own.panels === 0) return;
      const bOff = 3 * own.first * depth;
      gemmPacked(rows, own.panels, depth, buf, chunk.scratch, bOff, init, iOff, ldi, c, cOff, ldc);
    });
    for (let w = 1; w < this.threads; w++) {
      const part = parts[w];
      const cols = 3 * part.panels;
      const col = 3 * (part.first - first);
      const { outAt } = places[w - 1];
      for (let m = 0; m < rows; m++) {
        const from = outAt + m * cols;
        c.set(f32.subarray(from, from + cols), cOff + m * ldc + col);
      }
    }
    return true;
  }

  /** Wakes the workers, runs `own` on this thread, then waits for every worker. */
  private runWorkers(own: () => void): void {
    const { control, layout } = this;
    Atomics.store(control, layout.done, 0);
    Atomics.add(control, layout.sequence, 1);
    Atomics.notify(control, layout.sequence);
    try {
      own();
    } finally {
      const workers = this.workers.length;
      for (let spins = 0; ; spins++) {
        const done = Atomics.load(control, layout.done);
        if (done === workers) break;
        if (this.canBlock && spins > CALLER_SPINS) Atomics.wait(control, layout.done, done);
      }
    }
    if (Atomics.exchange(control, layout.failed, 0) !== 0) {
      this.matrices.clear();
      throw new Error('product: expected every worker thread to finish its share, got a failure');
    }
  }

  /** Grows the shared memory to at least `bytes`; false when that is beyond its maximum. */
  private ensureBytes(bytes: number): boolean {
    if (bytes <= this.memory.byteLength) return true;
    if (bytes > MAX_SHARED_BYTES) return false;
    const grown = Math.min(MAX_SHARED_BYTES, Math.max(bytes, 2 * this.memory.byteLength));
    this.memory.grow(grown);
    this.f64 = new Float64Array(this.memory, 0, grown >> 3);
    this.f32 = new Float32Array(this.memory, 0, grown >> 2);
    return true;
  }

  /** Ends the workers; the pool cannot run products afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, this.layout.stop, 1);
    Atomics.add(this.control, this.layout.sequence, 1);
    Atomics.notify(this.control, this.layout.sequence);
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
