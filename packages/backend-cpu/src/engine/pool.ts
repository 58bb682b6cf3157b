/**
 * Product threads: the calling thread plus worker threads that split the columns of each
 * packed product ({@link ProductPool.product}) between them. Every thread runs the same kernel
 * over the columns it takes, so results are the same to the bit as on one thread.
 *
 * Kernel calls stay synchronous, as tfjs requires: the calling thread writes the operands to a
 * growable `SharedArrayBuffer`, wakes the workers, and then every thread claims column blocks
 * from a shared counter until none is left (a worker that is slow to get a core takes fewer);
 * the calling thread waits for the blocks that workers took and copies their results out. A
 * worker spins for a while after each job (so the steps of a sequence find it awake) before it
 * sleeps on the control block. Workers are daemon threads: they never keep Node alive.
 */
import {
  canBlockInWait,
  startScriptWorker,
  workerThreadsUnavailableReason,
  type ScriptWorker,
} from '@rnnkit/core/internal/threads';
import { gemmPacked, newDoubleArray } from '../kernels/shared/gemm.js';
import { CACHE_LIMIT, type PackedChunk } from '../kernels/shared/packed_chunk.js';
import {
  ARG,
  claimTag,
  JOB_PRODUCT,
  JOB_STAGE,
  jobWord,
  MAX_BLOCKS,
  workerSource,
  type ControlLayout,
} from './worker.js';
import { WorkerMatrices } from './worker_matrices.js';

/** Most matrices a worker keeps, so that one stage job's drop list always fits. */
const MAX_DROPS = 48;

/** Most threads a pool runs (the calling thread included). */
export const MAX_POOL_THREADS = 16;

/** Bytes of the control block; shared data starts after it. */
const CONTROL_BYTES = 4096;

/** Column blocks per thread in a product: enough to even out a thread that starts late. */
const BLOCKS_PER_THREAD = 4;

/** How far the shared memory may grow (1 GiB); a larger job runs on the calling thread. */
const MAX_SHARED_BYTES = 1 << 30;

/** Spins on the job counter before a worker sleeps (about a millisecond). */
const WORKER_SPINS = 1 << 18;
/** Spins on a worker's block or acknowledgement before a calling thread that may block sleeps. */
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

/** The control block: each counter on a cache line of its own, then the arguments. */
function layoutFor(workers: number): ControlLayout {
  return {
    job: 0,
    stop: 16,
    failed: 32,
    staged: 48,
    claim: 64,
    args: 80,
    drops: 128,
    blockDone: 192,
    controlInts: 192 + MAX_BLOCKS,
    workers,
    spins: WORKER_SPINS,
  };
}

/** Why product threads cannot run here, or null when they can. */
export function threadsUnavailableReason(): string | null {
  return workerThreadsUnavailableReason(() => {
    try {
      const options = { maxByteLength: 16 };
      new (SharedArrayBuffer as unknown as GrowableConstructor)(8, options).grow(16);
      return null;
    } catch {
      return 'this engine cannot grow a SharedArrayBuffer';
    }
  });
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

/**
 * Panels per column block for a product of `panels` panels on `threads` threads: a whole number
 * of panel pairs (the 1×6 blocks of the matrix–vector kernel), about
 * {@link BLOCKS_PER_THREAD} blocks per thread, at most {@link MAX_BLOCKS} blocks.
 */
export function blockPanelsFor(panels: number, threads: number): number {
  const pairs = Math.ceil(panels / 2);
  const blocks = Math.min(MAX_BLOCKS, threads * BLOCKS_PER_THREAD, pairs);
  return 2 * Math.ceil(pairs / blocks);
}

let productsSplit = 0;

/** Products split between threads in this process so far, by every pool. */
export function splitProductCount(): number {
  return productsSplit;
}

/** The calling thread plus `threads − 1` workers that split packed products by columns. */
export class ProductPool {
  private stopped = false;
  /** Products split between the threads so far. */
  splitProducts = 0;
  /** Matrices staged for the workers so far. */
  stagedMatrices = 0;
  /** Jobs posted so far. */
  private counter = 0;
  /** Per block of the current product, 1 when the calling thread claimed it. */
  private readonly claimed = new Uint8Array(MAX_BLOCKS);
  /** Column blocks of split products that workers computed so far. */
  workerBlocks = 0;
  /** False: the calling thread leaves every block to the workers (the self-check, tests). */
  private callerClaims = true;

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
    // Each worker may hold as many packed values as the calling thread's own cache.
    this.matrices = new WorkerMatrices(maxMatrices, CACHE_LIMIT);
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
   * Has the workers alone compute one small product and compares it with the calling thread's:
   * a worker runs the kernels from their source text, which a bundler that renames module
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
    this.leaveBlocksToWorkers(true);
    try {
      this.product(chunk, depth, rows, 0, panels, init, 0, 0, got, 0, cols);
    } catch (e) {
      return String(e);
    } finally {
      this.leaveBlocksToWorkers(false);
      this.matrices.clear();
    }
    const same = got.every((v, i) => v === expected[i]);
    return same ? null : `products that differ from the calling thread's`;
  }

  /** With `true`, the calling thread takes no blocks of later products: workers do them all. */
  leaveBlocksToWorkers(on: boolean): void {
    this.callerClaims = !on;
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
    const id = chunkId(chunk);
    const cols = 3 * panels;
    const initRows = ldi === 0 ? 1 : rows;
    // Shared data, in float64 units: the left operand, then the initial values and the results
    // (float32, two to a unit).
    const leftAt = CONTROL_BYTES >> 3;
    const initAt = 2 * (leftAt + rows * depth);
    const outAt = initAt + 2 * Math.ceil((initRows * cols) / 2);
    const end = outAt + rows * cols;
    if (!this.matrices.has(id) && !this.stage(chunk, id, end)) return false;
    if (!this.ensureBytes(4 * end)) return false;
    const { f64, f32, control, layout } = this;
    const blockPanels = blockPanelsFor(panels, this.threads);
    const blocks = Math.ceil(panels / blockPanels);
    const tag = this.openJob();
    const buf = chunk.buf;
    for (let i = 0; i < rows * depth; i++) f64[leftAt + i] = buf[chunk.scratch + i];
    for (let m = 0; m < initRows; m++) {
      const from = iOff + m * ldi;
      f32.set(init.subarray(from, from + cols), initAt + m * cols);
    }
    const a = layout.args;
    control[a + ARG.weightId] = id;
    control[a + ARG.depth] = depth;
    control[a + ARG.rows] = rows;
    control[a + ARG.bOff] = 3 * first * depth;
    control[a + ARG.panels] = panels;
    control[a + ARG.blockPanels] = blockPanels;
    control[a + ARG.blocks] = blocks;
    control[a + ARG.scratch] = chunk.scratch;
    control[a + ARG.leftAt] = leftAt;
    control[a + ARG.initAt] = initAt;
    control[a + ARG.ldi] = ldi === 0 ? 0 : cols;
    control[a + ARG.outAt] = outAt;
    control[a + ARG.ldc] = cols;
    control.fill(-1, layout.blockDone, layout.blockDone + blocks);
    this.matrices.admit(id, chunk.scratch); // marks it recently used
    Atomics.store(control, layout.claim, tag << 8);
    this.post(JOB_PRODUCT);
    this.splitProducts++;
    productsSplit++;

    // Claim blocks until none is left, computing each straight into `c`.
    const mine = this.claimed;
    mine.fill(0, 0, blocks);
    while (this.callerClaims) {
      const current = Atomics.load(control, layout.claim);
      const block = current & 0xff;
      if (block >= blocks) break;
      if (Atomics.compareExchange(control, layout.claim, current, current + 1) !== current) {
        continue;
      }
      mine[block] = 1;
      const p0 = block * blockPanels;
      const n = Math.min(blockPanels, panels - p0);
      const col = 3 * p0;
      const bOff = 3 * (first + p0) * depth;
      const i0 = iOff + col;
      gemmPacked(rows, n, depth, buf, chunk.scratch, bOff, init, i0, ldi, c, cOff + col, ldc);
    }
    // The workers' blocks: wait for each, then copy its columns out.
    for (let block = 0; block < blocks; block++) {
      if (mine[block] === 1) continue;
      this.workerBlocks++;
      const slot = layout.blockDone + block;
      for (let spins = 0; Atomics.load(control, slot) !== tag; spins++) {
        if (this.canBlock && spins > CALLER_SPINS) Atomics.wait(control, slot, -1);
      }
      const p0 = block * blockPanels;
      const width = 3 * Math.min(blockPanels, panels - p0);
      for (let m = 0; m < rows; m++) {
        const from = outAt + m * cols + 3 * p0;
        c.set(f32.subarray(from, from + width), cOff + m * ldc + 3 * p0);
      }
    }
    this.throwIfFailed();
    return true;
  }

  /**
   * Hands the workers `chunk` (and drops what the record says they drop to make room), through
   * shared memory after the first `reserved` float32 values; waits until every worker has its
   * copy. Returns false when the matrix does not fit the shared memory.
   */
  private stage(chunk: PackedChunk, id: number, reserved: number): boolean {
    const stageAt = Math.ceil(reserved / 2);
    if (!this.ensureBytes(8 * (stageAt + chunk.scratch))) return false;
    const drops = this.matrices.admit(id, chunk.scratch).drops;
    const { control, layout } = this;
    this.openJob();
    for (let i = 0; i < chunk.scratch; i++) this.f64[stageAt + i] = chunk.buf[i];
    control[layout.args + ARG.weightId] = id;
    control[layout.args + ARG.stageAt] = stageAt;
    control[layout.args + ARG.stageLength] = chunk.scratch;
    control[layout.drops] = drops.length;
    control.set(drops, layout.drops + 1);
    Atomics.store(control, layout.staged, 0);
    this.post(JOB_STAGE);
    this.stagedMatrices++;
    const workers = this.workers.length;
    for (let spins = 0; ; spins++) {
      const staged = Atomics.load(control, layout.staged);
      if (staged === workers) break;
      if (this.canBlock && spins > CALLER_SPINS) Atomics.wait(control, layout.staged, staged);
    }
    this.throwIfFailed();
    return true;
  }

  /**
   * Starts the next job: closes the claim counter to its tag, so that a worker still on an
   * earlier job claims nothing while the arguments change. Returns the tag.
   */
  private openJob(): number {
    this.counter++;
    const tag = claimTag(jobWord(this.counter, 0));
    Atomics.store(this.control, this.layout.claim, (tag << 8) | 0xff);
    return tag;
  }

  /** Publishes the job opened last, of `kind`, and wakes the workers. */
  private post(kind: number): void {
    Atomics.store(this.control, this.layout.job, jobWord(this.counter, kind));
    Atomics.notify(this.control, this.layout.job);
  }

  private throwIfFailed(): void {
    if (Atomics.exchange(this.control, this.layout.failed, 0) !== 0) {
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
    this.openJob();
    this.post(JOB_PRODUCT);
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
