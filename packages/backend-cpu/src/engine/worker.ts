/**
 * The worker side of the product threads: a loop that waits for a job in the shared control
 * block and runs it. Workers hold their own `number[]` copies of the packed weights (V8's
 * fastest element access, as on the calling thread); a `stage` job hands them a new matrix
 * through shared memory, once, and says which ones to drop.
 *
 * A `product` job is cut into column blocks that every thread, the calling one included, claims
 * one at a time from a shared counter, so a worker that the system leaves waiting for a core
 * only does fewer blocks instead of holding the others up. The counter carries the job's tag: a
 * worker that wakes after the job has moved on claims nothing.
 *
 * The worker script is assembled from source text: {@link serveProducts} and the product
 * kernels refer to nothing outside themselves, and everything else arrives as arguments. Each
 * kernel is bound to the name it has in this build (a bundler may have renamed it, in its
 * callers too), as an expression, so that a minifier's arrow functions work as well.
 */
import {
  ensureLength,
  gemmPacked,
  newDoubleArray,
  PRODUCT_KERNELS,
} from '../kernels/shared/gemm.js';

/** Where things are in the control block (Int32 indices), shared by both sides. */
export interface ControlLayout {
  /** The job word the workers wait on: `counter << 2 | kind` ({@link jobWord}). */
  job: number;
  /** Non-zero: the workers return. */
  stop: number;
  /** Non-zero: a worker failed a job. */
  failed: number;
  /** Workers that finished the current stage job. */
  staged: number;
  /** `tag << 8 | next block` of the current product job; block 0xff: closed. */
  claim: number;
  /** The job's arguments ({@link ARG}). */
  args: number;
  /** The drop list of a stage job: its length, then the ids. */
  drops: number;
  /** Per block of the current product job, the tag once a worker has finished it. */
  blockDone: number;
  /** Int32 values in the control block. */
  controlInts: number;
  /** Workers in the pool. */
  workers: number;
  /** Spins on the job counter before a worker sleeps. */
  spins: number;
}

/** A job that hands the workers a matrix (and drops others). */
export const JOB_STAGE = 1;
/** A job that computes blocks of one product. */
export const JOB_PRODUCT = 2;

/** Most blocks a product job is cut into (one `blockDone` slot each). */
export const MAX_BLOCKS = 64;

/** The job word of job `counter` of `kind`: one atomic value, so kind and job go together. */
export function jobWord(counter: number, kind: number): number {
  return ((counter & 0x1fffffff) << 2) | kind;
}

/** The tag of a job in the claim counter: 23 bits of its counter, so `tag << 8` stays positive. */
export function claimTag(word: number): number {
  return (word >>> 2) & 0x7fffff;
}

/** A job's arguments, as offsets from `args`. */
export const ARG = {
  /** The packed matrix (a chunk of one), by id. */
  weightId: 0,
  /** Stage: Float64 index and length of the matrix's panels in shared memory. */
  stageAt: 1,
  stageLength: 2,
  /** Product: the shapes. */
  depth: 3,
  rows: 4,
  /** Value offset of the product's first panel in the matrix. */
  bOff: 5,
  /** Panels of the product, and per block (a multiple of 2; the last block may have fewer). */
  panels: 6,
  blockPanels: 7,
  blocks: 8,
  /** Where the left operand goes in a worker's copy (the chunk's scratch offset). */
  scratch: 9,
  /** Float64 index of the packed left operand. */
  leftAt: 10,
  /** Float32 index and row stride of the initial values (stride 0: one row for every row). */
  initAt: 11,
  ldi: 12,
  /** Float32 index and row stride of the results of the workers' blocks. */
  outAt: 13,
  ldc: 14,
} as const;

/** The kernels a worker runs, passed in by the assembled script. */
export interface WorkerKernels {
  gemmPacked: typeof gemmPacked;
  newDoubleArray: typeof newDoubleArray;
  ensureLength: typeof ensureLength;
}

/**
 * The worker loop (worker `index`, from 1). Self-contained: it runs from its source text. A job
 * that throws sets `failed` and still reports, so the calling thread never waits forever.
 */
export function serveProducts(
  memory: SharedArrayBuffer,
  index: number,
  kernels: WorkerKernels,
  layout: ControlLayout,
  arg: typeof ARG,
  stageKind: number,
  ready: () => void,
): void {
  const { gemmPacked, newDoubleArray, ensureLength } = kernels;
  const control = new Int32Array(memory, 0, layout.controlInts);
  const a = layout.args;
  const matrices = new Map<number, number[]>();
  let f64: Float64Array = new Float64Array(0);
  let f32: Float32Array = new Float32Array(0);
  let seen = 0;
  ready();
  for (;;) {
    for (let spins = 0; Atomics.load(control, layout.job) === seen; spins++) {
      if (spins > layout.spins) Atomics.wait(control, layout.job, seen);
    }
    seen = Atomics.load(control, layout.job);
    if (Atomics.load(control, layout.stop) !== 0) return;
    if (f64.byteLength !== memory.byteLength) {
      f64 = new Float64Array(memory, 0, memory.byteLength >> 3);
      f32 = new Float32Array(memory, 0, memory.byteLength >> 2);
    }
    if ((seen & 3) === stageKind) {
      // The calling thread waits for every worker here, so the arguments stay put.
      try {
        for (let i = 0; i < control[layout.drops]; i++) {
          matrices.delete(control[layout.drops + 1 + i]);
        }
        const copy = newDoubleArray(0);
        const at = control[a + arg.stageAt];
        const n = control[a + arg.stageLength];
        for (let i = 0; i < n; i++) copy.push(f64[at + i]);
        matrices.set(control[a + arg.weightId], copy);
      } catch {
        Atomics.store(control, layout.failed, 1);
      }
      if (Atomics.add(control, layout.staged, 1) + 1 === layout.workers) {
        Atomics.notify(control, layout.staged);
      }
      continue;
    }
    // A product job. What is read here belongs to this job if a claim with its tag succeeds:
    // the calling thread closes the counter to the next job's tag before it rewrites anything.
    const tag = (seen >>> 2) & 0x7fffff;
    const buf = matrices.get(control[a + arg.weightId]);
    const depth = control[a + arg.depth];
    const rows = control[a + arg.rows];
    const scratch = control[a + arg.scratch];
    const bOff = control[a + arg.bOff];
    const panels = control[a + arg.panels];
    const blockPanels = control[a + arg.blockPanels];
    const blocks = control[a + arg.blocks];
    const initAt = control[a + arg.initAt];
    const ldi = control[a + arg.ldi];
    const outAt = control[a + arg.outAt];
    const ldc = control[a + arg.ldc];
    const leftAt = control[a + arg.leftAt];
    let copied = false;
    for (;;) {
      const current = Atomics.load(control, layout.claim);
      const block = current & 0xff;
      if (current >>> 8 !== tag || block >= blocks) break;
      if (Atomics.compareExchange(control, layout.claim, current, current + 1) !== current) {
        continue;
      }
      try {
        if (buf == null) throw new Error(`worker ${index}: no matrix ${control[a + arg.weightId]}`);
        if (!copied) {
          // The calling thread keeps the left operand until this block is done.
          const n = rows * depth;
          ensureLength(buf, scratch + n);
          for (let i = 0; i < n; i++) buf[scratch + i] = f64[leftAt + i];
          copied = true;
        }
        const first = block * blockPanels;
        const n = Math.min(blockPanels, panels - first);
        const col = 3 * first;
        const b0 = bOff + col * depth;
        gemmPacked(rows, n, depth, buf, scratch, b0, f32, initAt + col, ldi, f32, outAt + col, ldc);
      } catch {
        Atomics.store(control, layout.failed, 1);
      }
      Atomics.store(control, layout.blockDone + block, tag);
      Atomics.notify(control, layout.blockDone + block);
    }
  }
}

/**
 * The worker script: the product kernels and {@link serveProducts} as source text, started by
 * the first message (a browser Web Worker) or by `workerData` (a Node worker thread), each
 * carrying `{ memory, index }`.
 */
export function workerSource(layout: ControlLayout): string {
  const kernels = `{ gemmPacked: ${gemmPacked.name}, newDoubleArray: ${newDoubleArray.name}, ensureLength: ${ensureLength.name} }`;
  const args = `${kernels}, ${JSON.stringify(layout)}, ${JSON.stringify(ARG)}, ${JOB_STAGE}`;
  return `'use strict';
${PRODUCT_KERNELS.map((f) => `const ${f.name} = ${String(f)};`).join('\n')}
const serve = ${String(serveProducts)};
const start = ({ memory, index }, ready) => serve(memory, index, ${args}, ready);
if (typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, () => parentPort.postMessage('ready'));
} else {
  self.onmessage = (e) => start(e.data, () => self.postMessage('ready'));
}
`;
}
